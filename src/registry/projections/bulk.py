"""The projections built in a bulk load's own pass over an N-Quads file (`registry load`), so that a server
started after it has nothing to build. The store's bulk loader hands each slice of the file to `observe`
while its threads load it; the lines are read by their graph's name:

- the public view's lines are bulk-loaded into a new view store beside the store's (no copy afterwards);
- each record's public graph, when its lines come together, is read into the record's public form for the
  catalogue index, kept in a staging file until the end (the index numbers records in id order);
- the facts the lineage graph and the catalogue's record ids are read from (lineage-all.rq and
  records-ids.rq, single pattern by pattern) are collected from every line that may hold one.

`finish` then builds the catalogue index (a record read on the way when its graph came whole, read from
the store otherwise), the transparency register's facts read from the new index and the lineage graph, each
kept in its file and let go of before the next is built (a later question reads them from there), and the
officer view (a checkpoint of the store pruned), each at the audit log's head after the load. Whatever the
pass cannot vouch for falls back to the store: a record whose graph came in pieces, blank nodes, a line no
parser read, a store that held records before the load (then every projection is rebuilt from the store, as
a server would). Every projection's
position is forgotten before the first quad goes in, so a crash part-way leaves nothing a start trusts.
Python's cyclic garbage collector is off from `begin` to the end: the pass makes no cycles to speak of, and
each of its collections walked every object the pass holds (the facts, then the lineage graph), a fifth of
the pass's CPU at 100k datasets."""

from __future__ import annotations

import gc
import json
import logging
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from rdflib import BNode, URIRef
from rdflib.term import Node

from registry.domain.lineage import LineageGraph
from registry.domain.model import KINDS, RecordKind
from registry.domain.model.common import Triples
from registry.iris import Iris, is_slug
from registry.namespaces import DCAT, DCTERMS, PROV, RDF, REG
from registry.projections.base import Head
from registry.projections.catalog_index import CatalogIndex, record_doc
from registry.projections.follower import Follower
from registry.projections.lineage import LineageIndex, lineage_from_store
from registry.projections.register import Register
from registry.projections.views import Views
from registry.resources import Resources
from registry.store.base import Store
from registry.store.nquads import Parts, Quad, QuadReader, Triple, common_lines, graph_of, graphs_of
from registry.store.oxigraph import OxigraphStore

log = logging.getLogger("registry")

#: a line that may state one of the facts (the predicate's IRI as written), or hide one behind an escape
FACT_LINE = re.compile(rb"rdf-syntax-ns#type>|/terms/identifier>|prov#wasDerivedFrom>|prov#wasGeneratedBy>|"
                       rb"ns#activityKind>|ns#containsPersonalInformation>|ns#retired>|\\")
#: the predicates of those facts (lines read by their parts: no escape can hide one)
FACT_PREDICATES = frozenset(str(p).encode() for p in (RDF.type, DCTERMS.identifier, PROV.wasDerivedFrom,
                                                      PROV.wasGeneratedBy, REG.activityKind,
                                                      REG.containsPersonalInformation, REG.retired))
#: a run of lines of one graph: its name, the lines, and their parts when every line has the common form
Run = tuple[str, list[bytes], list[Parts] | None]
#: a store holding more of these facts than this before the load is not a fresh one: rebuilt from the store
MAX_FACTS_BEFORE = 100_000
#: the public view's lines go to its store in bulk loads of about this many bytes, one at a time (as the
#: store's own slices: the bulk loader's memory is that of the bytes in flight)
VIEW_CHUNK_BYTES = 32 << 20

#: the staged records, in the order they came (rows appended, no key to keep in order on the way); their
#: key is indexed once at the end, when they are read in id order
STAGE_SCHEMA = """
CREATE TABLE stage (kind TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL);
"""


class Facts:
    """The facts of lineage-all.rq and records-ids.rq, one pattern at a time, and what would keep them
    from being joined as the store's queries join them (blank nodes, which the store renames)."""

    def __init__(self) -> None:
        self.datasets: list[Node] = []
        self.sources: list[tuple[Node, Node]] = []
        self.generated: list[tuple[Node, Node]] = []
        self.activity_kind: defaultdict[Node, list[Node]] = defaultdict(list)
        self.pi: list[tuple[Node, Node]] = []
        self.retired: list[tuple[Node, Node]] = []
        self.typed: defaultdict[str, set[Node]] = defaultdict(set)  # record kind -> subjects of its type
        self.identifiers: defaultdict[Node, list[str]] = defaultdict(list)  # their text (all the ids are)
        self.blank = False
        self._kinds = {str(k.rdf_type): k.name for k in KINDS.values()}
        self._dataset = str(DCAT.Dataset)
        # by the predicate's IRI as plain text (rdflib compares its terms in Python, a dict of text in C)
        self._pairs = {str(PROV.wasDerivedFrom): self.sources, str(PROV.wasGeneratedBy): self.generated,
                       str(REG.containsPersonalInformation): self.pi, str(REG.retired): self.retired}
        self._type, self._identifier, self._activity_kind = str(RDF.type), str(DCTERMS.identifier), str(REG.activityKind)

    def add(self, s: Node, p: Node, o: Node) -> None:
        predicate = str(p)
        pairs = self._pairs.get(predicate)
        if pairs is not None:
            pairs.append((s, o))
        elif predicate == self._type:
            kind = self._kinds.get(str(o))
            if str(o) == self._dataset:
                self.datasets.append(s)
            if kind is None:
                return
            self.typed[kind].add(s)
        elif predicate == self._identifier:
            self.identifiers[s].append(str(o))
        elif predicate == self._activity_kind:
            self.activity_kind[s].append(o)
        else:
            return
        if type(s) is BNode or type(o) is BNode:  # rdflib's terms are ABCs: isinstance is slow
            self.blank = True

    def lineage_rows(self) -> Iterator[Mapping[str, Node]] | None:
        """The rows lineage-all.rq would give over the store (in another order), each fact let go of once
        read; None when the answer could depend on the order of the rows (a dataset generated by activities
        of different kinds) or on blank nodes."""
        if self.blank:
            return None
        kinds: dict[Node, set[Node]] = defaultdict(set)
        for d, activity in self.generated:
            kinds[d].update(self.activity_kind.get(activity, ()))
        if any(len(k) > 1 for k in kinds.values()):
            return None
        self.generated.clear()
        self.activity_kind.clear()

        def rows() -> Iterator[Mapping[str, Node]]:
            yield from ({"dataset": d} for d in _drain(self.datasets))
            yield from ({"dataset": d, "source": s} for d, s in _drain(self.sources))
            while kinds:
                d, k = kinds.popitem()
                if k:
                    yield {"dataset": d, "kind": next(iter(k))}
            yield from ({"dataset": d, "pi": v} for d, v in _drain(self.pi))
            yield from ({"dataset": d, "retired": v} for d, v in _drain(self.retired))

        return rows()

    def ids(self, kind: str) -> list[str] | None:
        """The ids records-ids.rq would give for a kind, in order (each once); None with blank nodes."""
        if self.blank:
            return None
        return sorted({i for s in self.typed.get(kind, ()) for i in self.identifiers.get(s, ())})

    def forget_ids(self) -> None:
        """Let go of what only the record ids needed (a million records hold hundreds of MB)."""
        self.typed.clear()
        self.identifiers.clear()


#: a line's graph's name, from its parts
_graph = itemgetter(6)


def _spans(graphs: list[bytes]) -> Iterator[tuple[bytes, int, int]]:
    """Each run of equal names in `graphs`: the name, where the run starts and where it ends."""
    start = 0
    for g, run in groupby(graphs):
        end = start + len(list(run))
        yield g, start, end
        start = end


def _drain(items: list[Any]) -> Iterator[Any]:
    """The items, last first, each let go of as it is taken."""
    while items:
        yield items.pop()


class _Watched(Triples):
    """Triples that notice when a reader took the first of several values (which then depends on the
    order the triples came in: the store's order differs from the file's)."""

    def __init__(self, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        super().__init__(triples)
        self.order_matters = False
        self._open: list[list[bool]] = []

    def objects(self, s: Node | None = None, p: Node | None = None) -> Iterator[Node]:
        if s is None or p is None:
            return self._watch(super().objects(s, p))
        found = self._sp.get((s, p), [])
        return iter(found) if len(found) < 2 else self._watch(iter(found))

    def triples(self, pattern: tuple[Node | None, Node | None, Node | None]) -> Iterator[tuple[Node, Node, Node]]:
        return self._watch(super().triples(pattern))

    def value(self, s: Node, p: Node) -> Node | None:
        if len(self._sp.get((s, p), ())) > 1:
            self.order_matters = True
        return super().value(s, p)

    def _watch(self, it: Iterator[Any]) -> Iterator[Any]:
        done = [False]
        self._open.append(done)

        def walk() -> Iterator[Any]:
            yield from it
            done[0] = True

        return walk()

    def read_whole(self) -> bool:
        """Whether every value read was read in full (so the order did not matter)."""
        return not self.order_matters and all(d[0] for d in self._open)


class BulkBuild:
    """The projections of one registry, built in the pass of one bulk load: `begin`, then `observe` each
    slice (the store's bulk loader calls it), then `finish`, or `abort` if the load failed."""

    def __init__(self, store: Store, iris: Iris, resources: Resources, follower: Follower, index: CatalogIndex,
                 lineage: LineageIndex, views: Views) -> None:
        self.store, self.iris, self.res, self.follower = store, iris, resources, follower
        self.index, self.lineage, self.views = index, lineage, views
        self.reader = QuadReader()
        self.facts = Facts()
        #: False once the pass met what it cannot vouch for as a whole (then `finish` rebuilds from the store)
        self.fast = False
        self.unsure: set[tuple[str, str]] = set()  # records read from the store at the end
        self._seen: set[int] = set()  # hashes of the public record graphs met (a second run of one: unsure)
        self._stage: sqlite3.Connection | None = None
        self._stage_path: Path | None = None
        self._view: OxigraphStore | None = None
        self._folder: str | None = None
        self._loader: ThreadPoolExecutor | None = None
        self._loading: list[Future[None]] = []
        self._view_lines: list[bytes] = []  # public lines not handed to the view's store yet
        self._view_bytes = 0
        self._carry: Run | None = None  # the last run of the slice before
        self._collecting = False  # whether the cyclic garbage collector runs outside the pass

    # ------------------------------------------------------------------ the pass
    def begin(self) -> None:
        """Before the load: forget every position, look at what the store holds, get the new view ready."""
        self.follower.invalidate()
        self._collecting = gc.isenabled()
        gc.disable()
        try:
            self._begin()
        except BaseException:
            self._end()
            raise

    def _begin(self) -> None:
        self.fast = self._fresh()
        if not self.fast:
            log.info("the store holds records already: the projections are rebuilt from it after the load")
            return
        path = getattr(self.store, "path", None)
        if isinstance(path, Path):
            self._stage_path = path.with_name(path.name + ".bulk-stage.sqlite")
            self._stage_path.unlink(missing_ok=True)
        self._stage = sqlite3.connect(str(self._stage_path) if self._stage_path else ":memory:", isolation_level=None)
        self._stage.execute("PRAGMA journal_mode=OFF")
        self._stage.execute("PRAGMA synchronous=OFF")
        self._stage.executescript(STAGE_SCHEMA)
        self._view, self._folder = self.views.public.new_store()
        self._loader = ThreadPoolExecutor(1, thread_name_prefix="bulk-view")

    def _fresh(self) -> bool:
        """Whether the store holds no record, and few facts the pass's must be joined with (read here)."""
        for g in self.store.graph_names():
            name = self.iris.parse(g)
            if name is not None and name.graph and name.kind not in ("reference", "system"):
                return False
        rows = self.store.select(self.res.query("bulk-facts"))
        if len(rows) > MAX_FACTS_BEFORE:
            return False
        for r in rows:
            self.facts.add(r["s"], r["p"], r["o"])
        return True

    def observe(self, data: bytes) -> None:
        """One slice of the file (whole lines), in file order. Its last run of lines is kept for the next
        slice, which may go on with the same graph."""
        if not self.fast:
            return
        runs = list(self._runs(data))
        if self._carry is not None:
            if runs and runs[0][0] == self._carry[0]:
                graph, lines, parts = runs[0]
                both = self._carry[2] + parts if self._carry[2] is not None and parts is not None else None
                runs[0] = (graph, self._carry[1] + lines, both)
            else:
                runs.insert(0, self._carry)
        self._carry = runs.pop() if runs else None
        self._read_runs(runs)

    def _read_runs(self, runs: list[Run]) -> None:
        public = self.views.public.visibility
        view_lines: list[bytes] = []
        records: list[tuple[str, str, list[bytes], list[Parts] | None]] = []
        fact_lines: list[bytes] = []
        common_fact_lines: list[bytes] = []  # and the parts of each
        fact_parts: list[Parts] = []
        for graph, lines, parts in runs:
            name = self.iris.parse(graph)
            if public.allows_name(graph, name):
                view_lines += lines
            if name is not None and name.graph and not name.restricted and name.kind in KINDS:
                key = hash(graph)  # a collision only sends a record to the store
                if key in self._seen:
                    self.unsure.add((name.kind, name.id))
                else:
                    self._seen.add(key)
                    records.append((name.kind, name.id, lines, parts))
                    continue
            if parts is None:
                fact_lines += [line for line in lines if FACT_LINE.search(line)]
            else:
                for line, q in zip(lines, parts, strict=True):
                    if q[1] in FACT_PREDICATES:
                        common_fact_lines.append(line)
                        fact_parts.append(q)
        self._view_lines += view_lines
        self._view_bytes += sum(map(len, view_lines))
        if self._view_bytes >= VIEW_CHUNK_BYTES:
            self._load_view()
        self._read_records(records)
        for s, p, o, _g in self._read(fact_lines):
            self.facts.add(s, p, o)
        for s, p, o, _g in self._read(common_fact_lines, fact_parts):
            self.facts.add(s, p, o)

    def _runs(self, data: bytes) -> Iterator[Run]:
        """The slice's lines in runs of one graph, with the graph's name (a line not in the simple form is
        read by the parser, on its own); found at once when every line of the slice is in the simple form,
        with each line's parts when every line is in the common form (one pattern over the slice)."""
        common = common_lines(data)
        if common is not None:
            lines, parts = common
            for g, start, end in _spans(list(map(_graph, parts))):
                yield g.decode("utf-8", "replace"), lines[start:end], parts[start:end]
            return
        found = graphs_of(data)
        if found is not None:
            lines, graphs = found
            for g, start, end in _spans(graphs):
                yield g.decode("utf-8", "replace"), lines[start:end], None
            return
        for graph, lines in self._runs_by_line(data):
            yield graph, lines, None

    def _runs_by_line(self, data: bytes) -> Iterator[tuple[str, list[bytes]]]:
        current: bytes | None = None
        run: list[bytes] = []
        for line in data.split(b"\n"):
            if not line:
                continue
            g = graph_of(line)
            if g is None:
                quads = list(self._read([line]))  # none for a comment: the run goes on
                if quads and current is not None:
                    yield current.decode("utf-8", "replace"), run
                    current, run = None, []
                for _s, _p, _o, name in quads:
                    yield name, [line]
                continue
            if g != current:
                if current is not None:
                    yield current.decode("utf-8", "replace"), run
                current, run = g, []
            run.append(line)
        if current is not None:
            yield current.decode("utf-8", "replace"), run

    def _read(self, lines: list[bytes], parts: list[Parts] | None = None) -> Iterator[Quad]:
        if not lines:
            return
        try:
            yield from (self.reader.read_lines(lines) if parts is None else self.reader.read_parts(lines, parts))
        except SyntaxError:  # the load fails on it too, naming the line; nothing here is used then
            self.fast = False

    def _read_records(self, records: list[tuple[str, str, list[bytes], list[Parts] | None]]) -> None:
        """The public form of each record whose public graph came here, staged; the facts on the way."""
        staged: list[tuple[str, str, str]] = []
        for kind, rid, lines, parts in records:
            graph = self.iris.public_graph(kind, rid)
            triples = self._read_graph(graph, lines, parts)
            whole = True
            if triples is None:
                triples = []
                for s, p, o, g in self._read(lines, parts):
                    self.facts.add(s, p, o)
                    triples.append((s, p, o))
                    whole = whole and g == graph and type(s) is not BNode and type(o) is not BNode
            doc = self._public(KINDS[kind], rid, triples) if whole else None
            if doc is None:
                self.unsure.add((kind, rid))
            else:
                staged.append((kind, rid, doc))
        if staged and self._stage is not None:
            self._stage.executemany("INSERT INTO stage (kind, id, doc) VALUES (?, ?, ?)", staged)

    def _read_graph(self, graph: str, lines: list[bytes], parts: list[Parts] | None) -> list[Triple] | None:
        """The triples of lines of the common form that all name `graph` (so none has a blank node and
        every one is in that graph), their facts noted; None for other lines, read quad by quad (and for a
        line no parser reads, which that reading meets again)."""
        name = graph.encode("utf-8")
        if parts is None or any(q[6] != name for q in parts):
            return None
        try:
            triples = self.reader.read_triples(lines, parts)
        except SyntaxError:
            return None
        if len(triples) != len(parts):  # a line the parser read otherwise
            return None
        add = self.facts.add
        for t, q in zip(triples, parts, strict=True):
            if q[1] in FACT_PREDICATES:  # the predicate's IRI as written: no escape in the common form
                add(*t)
        return triples

    def _public(self, kind: RecordKind, rid: str, triples: list[tuple[Node, Node, Node]]) -> str | None:
        """The record's public form as JSON, as the catalogue index reads it from the store (None when the
        reading could come out otherwise from the store, or fails: then it is read from the store)."""
        g = _Watched(triples)
        try:
            record = kind.from_rdf(g, URIRef(self.iris.record(kind.name, rid)), self.iris)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - read again from the store at the end, which meets the same error
            return None
        return record_doc(record) if g.read_whole() else None

    def _load_view(self) -> None:
        """Hand the public lines gathered so far to the view's store, once the one before is in."""
        assert self._loader is not None and self._view is not None
        if not self._view_lines:
            return
        data = b"\n".join(self._view_lines) + b"\n"
        self._view_lines, self._view_bytes = [], 0
        while self._loading:
            self._loading.pop(0).result()
        # the store's own load of the same lines checks them (and fails the load, dropping this view)
        self._loading.append(self._loader.submit(self._view.bulk_load_bytes, data, checked=True))

    # ------------------------------------------------------------------ the end
    def finish(self) -> None:
        """After the load: build what the pass gathered, at the audit log's head (the file's own entries
        included); or, if the pass could not vouch for it, rebuild every projection from the store."""
        try:
            if self.fast and self._carry is not None:
                self._read_runs([self._carry])
            self._seen.clear()  # the pass is over (about 100 bytes a record)
            self.reader = QuadReader()  # and the terms it kept to read the next lines with
            if self.fast:
                self._load_view()
            self._settle_view()
            if not self.fast:
                self._discard_view()
                self.follower.catch_up()
                self._keep_register()
                return
            head = self.follower.head()
            assert self._stage is not None
            self._stage.execute("CREATE INDEX stage_key ON stage (kind, id)")
            self.index.rebuild(self._records)
            self.facts.forget_ids()
            # the register's facts read from the new index and kept in their file before the lineage graph is
            # built (it reads nothing of it): the two are never held at once (at 1M datasets, each about a GB)
            self._keep_register()
            rows = self.facts.lineage_rows()
            graph = (LineageGraph.from_rows(rows, self.iris) if rows is not None
                     else lineage_from_store(self.store, self.iris, self.res))
            self.facts = Facts()  # what the graph holds now
            self._keep_lineage(graph, head)
            del graph
            assert self._view is not None
            if all(self.views.public.visibility.allows(g) for g in self._view.graph_names()):
                self.views.public.adopt(self._view, self._folder, head)
                self._view = None
                self.views.public.copy_fixed()
            else:  # a line read by its text into a graph it is not in: never kept (the view is copied instead)
                log.error("the public view filled in the bulk load's pass holds a graph it may not: copying it")
                self._discard_view()
            # the officer view (a checkpoint, pruned); the others are at the head (the lineage graph in its file)
            self.follower.catch_up([p for p in self.follower.projections() if p is not self.lineage])
        finally:
            self._end()

    def _keep_lineage(self, graph: LineageGraph, head: Head) -> None:
        """The lineage graph kept in its file and let go of (`LineageIndex.close`; at a million datasets about
        600 MB, beside the views' stores opened next): a later question in this process, or a start, reads it
        from the file. A store that keeps no file (in memory) keeps the graph in its lineage index."""
        self.lineage.adopt(graph, head)
        self.follower.close([self.lineage])

    def _keep_register(self) -> None:
        """The transparency register's facts read from the index now and kept in their file (then let go of),
        so that a server's first register answer reads them from it instead of from the index (a store in
        memory keeps no file: its register reads them at first use)."""
        registers = [p for p in self.follower.projections() if isinstance(p, Register) and p.path is not None]
        for register in registers:
            register.facts()
        self.follower.close(registers)

    def abort(self) -> None:
        """The load failed (the store is put back as it was): drop what the pass made."""
        try:
            self._settle_view(raise_errors=False)
            self._discard_view()
        finally:
            self._end()

    def _records(self, kind: RecordKind) -> Iterator[tuple[dict[str, Any], str]]:
        """Every record of a kind as anyone may read it, with its `doc`, in id order: the catalogue index's
        `records` (the text staged is the index's own)."""
        ids = self.facts.ids(kind.name)
        if ids is None:
            ids = sorted({str(r["id"]) for r in self.store.select(self.res.query("records-ids"),
                                                                 {"type": kind.rdf_type})})
        assert self._stage is not None
        # SQLite orders text by its UTF-8 bytes, which is the order of code points Python sorts by
        staged = self._stage.execute("SELECT id, doc FROM stage WHERE kind = ? ORDER BY id, rowid", (kind.name,))
        row = staged.fetchone()
        for rid in ids:
            if not is_slug(rid):
                continue
            doc = None
            while row is not None and row[0] <= rid:
                if row[0] == rid:
                    doc = row[1]  # the last staged for an id, were there two
                row = staged.fetchone()
            if doc is not None and (kind.name, rid) not in self.unsure:
                yield json.loads(doc), doc
            elif (record := self.index._public(kind, rid)) is not None:
                yield record, record_doc(record)

    def _settle_view(self, raise_errors: bool = True) -> None:
        try:
            while self._loading:
                self._loading.pop(0).result()
        except BaseException:
            self._loading.clear()
            if raise_errors:
                raise
        finally:
            if self._loader is not None:
                self._loader.shutdown(wait=True)
                self._loader = None

    def _discard_view(self) -> None:
        if self._view is not None:
            self.views.public.discard(self._view, self._folder)
            self._view = None

    def _end(self) -> None:
        self._close_stage()
        if self._collecting:
            gc.enable()

    def _close_stage(self) -> None:
        if self._stage is not None:
            self._stage.close()
            self._stage = None
        if self._stage_path is not None:
            self._stage_path.unlink(missing_ok=True)
