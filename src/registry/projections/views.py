"""What each kind of caller may query: materialised views of the store, enforced by the store itself.

A view is a second Oxigraph store that holds *only* the graphs its callers may see, copied from the
main store by name (an allow-list, never a deny-list):

- ``public``: the public graph of every record (``{base}/graph/{kind}/{id}``) and the reference
  graphs that describe the vocabulary (ontology, authorities, vocabularies; not the shapes).
- ``officer``: the above and every restricted record graph (``.../restricted``, share checks too).
  Never the system graphs (tokens, audit) nor the history snapshots.

Because a graph that is not allowed is simply not there, no FROM, FROM NAMED, GRAPH ?g, property path
or DESCRIBE can reach it, whatever the query says, and a query costs what it costs on a store of that
size: no list of a million graph names is passed per query (with Oxigraph that costs ~0.5 s per
200,000 names and grows linearly).

Views follow the audit chain: every write of a record or share check appends an audit entry naming
the record (audit.py), so before each query a view reads the chain's head (one tiny graph) and, if it
moved, re-copies the graphs of the records named by the new entries. A view is built on first use by
one pass over the store's named graphs; if the chain went backwards or its hash at the view's
position changed (the store was replaced), the view is rebuilt.

Beside an on-disk store (``{data}``) the views are on disk too, so a restart neither copies the whole
store again nor holds it in memory: ``{data}.views/public-<generation>/`` is the view's Oxigraph store
and ``{data}.views/public.json`` says which generation is current, the audit entry (sequence number and
hash) it has caught up to, which store it was copied from (the RocksDB identity of ``{data}``, new
whenever the folder is replaced, by a restore for instance) and a fingerprint of the allow-list
(these rules, the code of `Visibility.allows` included). The position lives in that file, never in
the view's store, so no query of the view can see it, not even one naming graphs. A restart reuses
the store when all of that still holds, copies the reference graphs again (they are reloaded from the
repository's files at every start) and catches up on the entries written since; otherwise it
rebuilds, by bulk loading into a new generation (the quads stream through, they are never all held
in memory). The file is written after the view's store is flushed, and at most every
`SAVE_EVERY_SECONDS` while serving: it may lag behind the view, never run ahead of it, and catching
up again on entries already applied copies the same graphs again. A bulk load writes no audit entry,
so it must call `invalidate` (the next start rebuilds). In memory (the main store in memory, as in
the tests, or a remote SPARQL store) a view is an in-memory store built at first use, as before.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib.term import Node

from registry.domain.model import KINDS
from registry.iris import Iris
from registry.namespaces import PROV, REG
from registry.stopping import checkpoint
from registry.store.audit import AuditLog, Head
from registry.store.base import Row, Store, Triple, inline_bindings
from registry.store.oxigraph import OxigraphStore
from registry.store.snapshots import Snapshots
from registry.store.terms import from_ox, nt, to_ox

#: reference graphs anyone may query (the shapes are left out: they describe validation, not data)
PUBLIC_REFERENCE = ("ontology", "authorities", "vocabularies")
#: record kinds that have a restricted graph an officer may query, besides the REST record kinds
RESTRICTED_ONLY_KINDS = ("share-check", "openlineage-run")
#: part of the fingerprint of a view kept on disk: bump it when what a view holds changes in a way the
#: rest of the fingerprint (the constants above, the code of `Visibility.allows`) does not show
VIEW_FORMAT = 1
#: while serving, a view on disk records its position at most this often (each time costs a flush, ~50 ms)
SAVE_EVERY_SECONDS = 10.0
#: a long catch-up (after a restart) re-copies graphs in updates of about this many bytes of N-Triples
UPDATE_BYTES = 16 << 20
#: a view on disk is rebuilt by bulk loading this many quads at a time
REBUILD_BATCH = 200_000

log = logging.getLogger("registry")


@dataclass(frozen=True)
class Visibility:
    """Which named graphs a view holds, by name."""

    iris: Iris
    restricted: bool
    extra: frozenset[str] = frozenset()

    def allows(self, graph: str) -> bool:
        if graph in self.extra:
            return True
        name = self.iris.parse(graph)
        if name is None or not name.graph:
            return False
        if name.kind == "reference":
            return not name.restricted and name.id in PUBLIC_REFERENCE
        if not name.restricted:
            return name.kind in KINDS
        return self.restricted and (name.kind in KINDS or name.kind in RESTRICTED_ONLY_KINDS)


class GraphView:
    """One materialised view: an Oxigraph store of the allowed graphs (on disk in `home`, or in memory
    when `home` is None), kept in step with the main store."""

    def __init__(self, name: str, store: Store, iris: Iris, audit: AuditLog, visibility: Visibility,
                 home: Path | None = None) -> None:
        self.name, self.source, self.iris, self.audit, self.visibility = name, store, iris, audit, visibility
        self.home = home
        self._lock = threading.Lock()
        self._store: ox.Store | None = None
        self._head: Head | None = None
        self._folder: str | None = None  # the current generation, on disk
        self._saved: Head | None = None  # the position the state file records
        self._saved_at = 0.0
        self._identity_cache: dict[str, str] | None = None
        #: how many times the view was built from scratch by this object (tests, logs)
        self.rebuilds = 0

    # ------------------------------------------------------------------ reading
    def store(self) -> ox.Store:
        """The view's store, brought up to date with the main store first."""
        with self._lock:
            if self._store is None:
                self._open()
            else:
                self._catch_up()
            assert self._store is not None
            return self._store

    def snapshot(self, snapshots: Snapshots) -> str:
        """A read-only copy of the view, brought up to date first, for the SPARQL evaluators."""
        with self._lock:
            if self._store is None:
                self._open()
            else:
                self._catch_up()
            assert self._store is not None
            return snapshots.path(self.name, self._head, self._store, on_disk=self.home is not None)

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        """A SELECT over the union of the view's graphs (services that must read only public data)."""
        res = self.store().query(inline_bindings(query, bindings, nt),
                                 use_default_graph_as_union=True)
        names = [v.value for v in res.variables]  # type: ignore[union-attr]
        rows: list[Row] = []
        for sol in res:  # type: ignore[union-attr]
            row: Row = {}
            for i, name in enumerate(names):
                val = sol[i]
                if val is not None:
                    row[name] = from_ox(val)
            rows.append(row)
        return rows

    def graph(self, name: str) -> list[Triple]:
        """The triples of one graph of the view (none when the view does not hold it)."""
        return [(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
                for q in self.store().quads_for_pattern(None, None, None, ox.NamedNode(name))]

    def construct(self, query: str) -> list[ox.Triple]:
        return list(self.store().query(query, use_default_graph_as_union=True))  # type: ignore[arg-type]

    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self.store().named_graphs() if isinstance(g, ox.NamedNode))

    def close(self) -> None:
        """Record how far the view got and let go of its store (the next use opens it again)."""
        with self._lock:
            if self._store is not None:
                self._save(force=True)
            self._store = None

    # ------------------------------------------------------------------ opening
    def _open(self) -> None:
        if self.home is None:
            self._rebuild()
            return
        saved = self._read_state()
        if saved is None:
            self._rebuild()
        else:
            folder, head = saved
            try:
                self._store = ox.Store(str(self.home / folder))
            except OSError as e:
                if "lock" in str(e).lower():  # another process has it open: do not fail, nor touch its files
                    log.warning("the %s view in %s is in use by another process; this one keeps its own copy "
                                "in memory (%s)", self.name, self.home, e)
                    self.home = None
                    self._rebuild()
                    return
                log.warning("the %s view in %s cannot be opened, rebuilding it: %s", self.name, self.home, e)
                self._rebuild()
            else:
                self._folder, self._head, self._saved = folder, head, head
                # the reference graphs are reloaded from the repository's files at every start, unlogged
                self._recopy([[g] for g in self._fixed_graphs()])
                self._catch_up()
        self._save(force=True)
        self._sweep()

    def _fixed_graphs(self) -> list[str]:
        names = [self.iris.reference_graph(n) for n in PUBLIC_REFERENCE] + sorted(self.visibility.extra)
        return [g for g in names if self.visibility.allows(g)]

    # ------------------------------------------------------------------ syncing
    def _rebuild(self) -> None:
        head = self.audit.head()
        self.rebuilds += 1
        if self.home is None:
            memory = ox.Store()
            memory.bulk_extend(self._copy(self._source_graphs()))
            self._store, self._head = memory, head
            return
        log.info("building the %s view in %s", self.name, self.home)
        self._forget_state()  # from here until the new state is written, a crash means a rebuild
        folder = f"{self.name}-{uuid.uuid4().hex[:12]}"
        view: ox.Store | None = None
        try:
            view = ox.Store(str(self.home / folder))
            quads = self._copy(self._source_graphs())
            # in batches: the bulk loader buffers what it is given (all 1.75M quads of a 100k registry's
            # public view at once peaked at 1.4 GB; batches of 200,000 at 0.4 GB, in the same time)
            while (first := next(quads, None)) is not None:
                checkpoint()  # a server shutting down during its warm-up stops here
                view.bulk_extend(itertools.chain([first], itertools.islice(quads, REBUILD_BATCH - 1)))
            view.flush()
        except BaseException:
            view = None  # closes it, so its folder can go
            shutil.rmtree(self.home / folder, ignore_errors=True)
            raise
        # the generation it replaces (if any) stays open for the queries that still read it, and is
        # removed at the next start
        self._store, self._head, self._folder = view, head, folder
        self._save(force=True)

    def _source_graphs(self) -> Iterator[str]:
        raw = getattr(self.source, "raw", None)
        if raw is not None:
            for g in raw().named_graphs():
                if isinstance(g, ox.NamedNode) and self.visibility.allows(g.value):
                    yield g.value
        else:  # any other backend: one pass over its quads to learn the graph names
            seen: set[str] = set()
            for *_, g in self.source.quads():
                name = str(g)
                if name not in seen and self.visibility.allows(name):
                    seen.add(name)
                    yield name

    def _copy(self, graphs: Iterable[str]) -> Iterator[ox.Quad]:
        raw = getattr(self.source, "raw", None)
        for name in graphs:
            g = ox.NamedNode(name)
            if raw is not None:
                yield from raw().quads_for_pattern(None, None, None, g)
            else:
                for s, p, o in self.source.graph(name):
                    yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), g)  # type: ignore[arg-type]

    def _catch_up(self) -> None:
        assert self._store is not None and self._head is not None
        head = self.audit.head()
        if head == self._head:
            self._save()
            return
        if head.seq < self._head.seq or not self._still_there(self._head):
            self._rebuild()
            return
        records: set[tuple[str, str]] = set()
        for seq in range(self._head.seq + 1, head.seq + 1):
            for _s, p, o in self.source.graph(self.audit.entry_graph(seq)):
                if p == PROV.used:
                    parts = self.iris.split(o)
                    if parts is not None:
                        records.add(parts)
        self._recopy([[g for g in self.iris.graphs(*r) if self.visibility.allows(g)] for r in sorted(records)])
        self._head = head
        self._save()

    def _recopy(self, groups: Iterable[list[str]]) -> None:
        """Copy these graphs again from the main store. Each group (the graphs of one record) changes in
        one update, so a query sees each record before or after, never half; a usual catch-up is one
        update, a long one (after a restart) several of about `UPDATE_BYTES` each."""
        assert self._store is not None
        parts: list[str] = []
        blocks: list[str] = []
        size = 0
        for group in groups:
            for name in group:
                parts.append(f"DROP SILENT GRAPH <{name}>")
                body = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in self._copy([name]))
                if body:
                    blocks.append(f"GRAPH <{name}> {{\n{body}\n}}")
                    size += len(body)
            if size >= UPDATE_BYTES:
                self._update(parts, blocks)
                parts, blocks, size = [], [], 0
        self._update(parts, blocks)

    def _update(self, parts: list[str], blocks: list[str]) -> None:
        assert self._store is not None
        if blocks:
            parts = [*parts, "INSERT DATA {\n" + "\n".join(blocks) + "\n}"]
        if parts:
            self._store.update(" ;\n".join(parts))  # one update is one transaction

    def _still_there(self, head: Head) -> bool:
        """Is the entry the view last read still the one in the chain (same hash)?"""
        if head.seq == 0:
            return True
        for _s, p, o in self.source.graph(self.audit.entry_graph(head.seq)):
            if p == REG.entryHash:
                return str(o) == head.hash
        return False

    # ------------------------------------------------------------------ state on disk
    def _state_file(self) -> Path:
        assert self.home is not None
        return self.home / f"{self.name}.json"

    def _identity(self) -> dict[str, str]:
        """What the view's store must have been built from and by: the main store (RocksDB writes a new
        IDENTITY when it creates a folder's database, so a replaced folder has a new one) and the
        allow-list (its constants and the code of `Visibility.allows`)."""
        if self._identity_cache is None:
            self._identity_cache = self._compute_identity()
        return self._identity_cache

    def _compute_identity(self) -> dict[str, str]:
        path = getattr(self.source, "path", None)
        try:
            source = (Path(path) / "IDENTITY").read_text(encoding="utf-8").strip() if path else ""
        except OSError:
            source = ""
        try:
            code = inspect.getsource(Visibility.allows)
        except (OSError, TypeError):
            code = Visibility.allows.__code__.co_code.hex()
        v = self.visibility
        rules = json.dumps({"format": VIEW_FORMAT, "base": v.iris.base, "restricted": v.restricted,
                            "extra": sorted(v.extra), "reference": PUBLIC_REFERENCE,
                            "restricted_only": RESTRICTED_ONLY_KINDS, "kinds": sorted(KINDS), "allows": code},
                           sort_keys=True)
        return {"source": source, "rules": hashlib.sha256(rules.encode("utf-8")).hexdigest()}

    def _read_state(self) -> tuple[str, Head] | None:
        """(generation, position) of the view on disk, when it may be reused; None to rebuild."""
        try:
            state = json.loads(self._state_file().read_text(encoding="utf-8"))
            folder, head = str(state["store"]), Head(int(state["seq"]), str(state["hash"]))
            same = all(state.get(k) == v for k, v in self._identity().items())
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not same:
            log.info("the %s view in %s was built from another store or by other rules: rebuilding it",
                     self.name, self.home)
            return None
        if "/" in folder or not folder.startswith(f"{self.name}-") or self.home is None or not (self.home / folder).is_dir():
            return None
        return folder, head

    def _save(self, *, force: bool = False) -> None:
        """Record the view's position in its state file, if it moved (after a flush: the file never runs
        ahead of the store); unless `force`, at most every `SAVE_EVERY_SECONDS`."""
        if self.home is None or self._store is None or self._folder is None or self._head is None:
            return
        if self._head == self._saved or (not force and time.monotonic() - self._saved_at < SAVE_EVERY_SECONDS):
            return
        self._store.flush()
        state = {"store": self._folder, "seq": self._head.seq, "hash": self._head.hash, **self._identity()}
        tmp = self._state_file().with_suffix(".json.tmp")
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(state, f)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self._state_file())
        self._saved, self._saved_at = self._head, time.monotonic()

    def _forget_state(self) -> None:
        self._state_file().unlink(missing_ok=True)
        self._saved = None

    def _sweep(self) -> None:
        """Remove this view's other generations (left by a rebuild or a crash during one)."""
        if self.home is None:
            return
        for d in self.home.glob(f"{self.name}-*"):
            if d.is_dir() and d.name != self._folder:
                shutil.rmtree(d, ignore_errors=True)


def views_home(store: Store) -> Path | None:
    """Where the views of `store` live: ``{data}.views`` beside an on-disk Oxigraph store; None (in
    memory) for the in-memory store and for a remote SPARQL store."""
    path = getattr(store, "path", None)
    if not isinstance(store, OxigraphStore) or path is None:
        return None
    return Path(path).with_name(Path(path).name + ".views")


def invalidate(store: Store) -> None:
    """Forget the views of `store` kept on disk, so the next start rebuilds them: after a bulk load,
    which writes no audit entry for them to follow. Only while no server has them open."""
    home = views_home(store)
    if home is not None:
        for f in home.glob("*.json"):
            f.unlink(missing_ok=True)


class Views:
    """The views of one registry, built on first use: `public` and `officer`."""

    def __init__(self, store: Store, iris: Iris, audit: AuditLog, extra_public: Iterable[str] = (),
                 home: Path | None = None) -> None:
        """`home`: the folder of views kept on disk (`views_home(store)`), or None to keep them in memory."""
        extra = frozenset(extra_public)
        if home is not None:
            home.mkdir(parents=True, exist_ok=True)
        self.public = GraphView("public", store, iris, audit, Visibility(iris, restricted=False, extra=extra), home)
        self.officer = GraphView("officer", store, iris, audit, Visibility(iris, restricted=True, extra=extra), home)

    def close(self) -> None:
        self.public.close()
        self.officer.close()
