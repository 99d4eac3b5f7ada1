"""Oxigraph (pyoxigraph), on disk or in memory: the embedded default store."""

from __future__ import annotations

import gc
import itertools
import logging
import os
import shutil
import sys
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode
from rdflib.term import Node

from registry.store.base import (
    SLICE_BYTES,
    BadQuads,
    Row,
    Store,
    Triple,
    bad_quads,
    copy_graphs_via,
    inline_bindings,
    nquads_slices,
    quads_in,
    refuse_existing,
    refuse_self_copy,
)
from registry.store.terms import from_ox, to_ox
from registry.store.terms import nt as _nt


class Durability:
    """Makes committed writes durable before they return, for a store on disk.

    Oxigraph commits a transaction to RocksDB with its default write options: the write-ahead log (the
    folder's ``*.log`` files) is written to the operating system, not synced, so a power cut could lose
    writes already acknowledged; pyoxigraph offers no per-transaction sync, and ``Store.flush()`` writes
    every memtable out as new files (15 ms a write, measured, and a file per write for compaction to
    merge). So after each commit the writer takes a `ticket()` and `wait()`s for it: the log files and
    the folder (a new or recycled log file's name) are fsynced. Group commit: one sync covers every write committed before it
    started; a writer that commits while a sync runs waits for the next one, which one of the waiting
    writers runs for all of them; a writer with work left after its commit `start`s the sync at once (a
    thread of the store's runs it) and waits for it afterwards. `committed`, `synced` and `syncs` count
    what happened. (A commit is visible to readers at once; it is acknowledged to its writer once synced.)"""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.committed = 0  # writes committed (and waiting for, or past, their sync)
        self.synced = 0  # the first `synced` of those are on disk
        self.syncs = 0  # syncs run
        self.folder_syncs = 0  # syncs that synced the folder too (a log it had not named at its last sync)
        self._cond = threading.Condition()
        self._syncing = False
        self._wanted = False  # `start` asked the sync thread for a sync
        self._closed = False
        self._thread: threading.Thread | None = None
        self._named: set[tuple[str, int]] | None = None  # the logs the folder named at its last sync

    def ticket(self) -> int:
        """Call after a commit returned: its number, for `wait`."""
        with self._cond:
            self.committed += 1
            return self.committed

    def wait(self, ticket: int) -> None:
        """Returns once commit number `ticket` is on disk (OSError if the sync failed)."""
        with self._cond:
            while self.synced < ticket:
                if self._syncing:
                    self._cond.wait()
                    continue
                self._run(self._claim())

    def start(self) -> None:
        """Begin syncing every write committed so far in the background (the store's sync thread), unless
        a sync runs already: the writer's work after its commit (the projections, its answer) overlaps the
        disk's, and its `wait` meets a sync that is done or under way. A failed sync there is left to the
        next `wait`, which runs one itself and raises what fails."""
        with self._cond:
            if self._closed or self._syncing or self.synced >= self.committed:
                return
            self._wanted = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._background, name="registry-sync", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def close(self) -> None:
        """End the sync thread (a sync under way finishes first)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _claim(self) -> int:
        """Under the condition: mark a sync as running, and return the commits it covers."""
        self._syncing = True
        return self.committed

    def _background(self) -> None:
        with self._cond:
            while True:
                while not self._closed and not (self._wanted and not self._syncing):
                    self._cond.wait()
                if self._closed:
                    return
                self._wanted = False
                if self.synced >= self.committed:
                    continue
                try:
                    self._run(self._claim())
                except OSError:
                    log.warning("a background sync of %s failed; the writers waiting run it again", self.folder,
                                exc_info=True)

    def _run(self, target: int) -> None:
        """Under the condition, `_claim`ed: sync (the condition released meanwhile), count, wake the waiters."""
        done = False
        self._cond.release()
        try:
            self._sync()
            done = True
        finally:
            self._cond.acquire()
            self._syncing = False
            if done:
                self.synced, self.syncs = max(self.synced, target), self.syncs + 1
            self._cond.notify_all()

    def _sync(self) -> None:
        """fdatasync each write-ahead log, then the folder unless each log (name and inode) was there at the
        last sync of the folder: their names are on disk already. A folder's fsync costs as
        much as a log's (4 ms each on the benchmark's disk), and RocksDB starts a new log only now and
        then (a memtable flushed), so most syncs need one fsync, not two. One sync runs at a time."""
        logs: set[tuple[str, int]] = set()
        for entry in os.scandir(self.folder):
            if entry.name.endswith(".log"):  # RocksDB's write-ahead logs (its info log is LOG)
                try:
                    fd = os.open(entry.path, os.O_RDONLY)
                except FileNotFoundError:
                    continue  # an old log RocksDB deleted: its writes are in table files it synced itself
                try:
                    _fdatasync(fd)
                    logs.add((entry.name, os.fstat(fd).st_ino))
                finally:
                    os.close(fd)
        if os.name == "posix" and (self._named is None or not logs <= self._named):  # elsewhere no folder sync
            fd = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            self._named = logs
            self.folder_syncs += 1


_fdatasync = getattr(os, "fdatasync", os.fsync)
log = logging.getLogger("registry")

#: quads are bulk-loaded into a new store (a copy of graphs, a snapshot) this many at a time
COPY_BATCH_QUADS = 200_000


class StoreHeld(OSError):
    """Another process (a running `registry serve`) holds the store's folder: RocksDB's LOCK file."""


def open_database(path: Path, *, read_only_fallback: bool = False) -> tuple[ox.Store, bool]:
    """Open the database in `path` for reading and writing; returns it and whether it is read-only.

    When it cannot be opened for writing (another process, a running server, holds its LOCK file; or
    the folder is read-only): with `read_only_fallback`, open it read-only instead. RocksDB then replays
    the write-ahead log, so it sees every write committed until that moment, and none committed after.
    Otherwise a held store raises `StoreHeld`, and any other error is raised as it is."""
    try:
        return ox.Store(str(path)), False
    except OSError as e:
        held = "lock" in str(e).lower()
        if not read_only_fallback:
            if held:
                raise StoreHeld(f"another process holds the store in {path} (a running `registry serve`?): "
                                f"{e}") from None
            raise
        try:
            return ox.Store.read_only(str(path)), True
        except OSError:
            raise e from None


def write_store(target: Path, quads: Iterable[ox.Quad]) -> None:
    """A new Oxigraph store in the folder `target` holding `quads` (bulk-loaded in batches), written out
    and closed; no folder is left when it fails."""
    store = ox.Store(str(target))
    try:
        it = iter(quads)
        while batch := list(itertools.islice(it, COPY_BATCH_QUADS)):
            store.bulk_extend(batch)
        store.flush()
    except BaseException:
        del store
        shutil.rmtree(target, ignore_errors=True)
        raise
    del store


class OxigraphStore:
    """A `Store` over one pyoxigraph database (a folder), or in memory when `path` is None. On disk, a
    write returns once it is durable (`Durability`). With `read_only_fallback`, a folder another process
    holds (or a read-only folder) is opened read-only (`open_database`): `read_only` is then True and
    writes are refused."""

    #: N-Quads are bulk-loaded in slices of about this many bytes (whole lines), this many at once
    slice_bytes = SLICE_BYTES // 2
    load_threads = 2
    in_process = True
    _memory_identity: str | None = None

    def __init__(self, path: Path | None, *, read_only_fallback: bool = False, durable: bool = True) -> None:
        self.read_only = False
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
            self._store, self.read_only = open_database(path, read_only_fallback=read_only_fallback)
        else:
            self._store = ox.Store()
        self.path = path
        # durable: each acknowledged write is on disk (fsynced); a store whose content can be copied again
        # (a view) does without, and syncs when its owner asks (`sync`)
        self._syncs = Durability(path) if path is not None and not self.read_only else None
        self.durability = self._syncs if durable else None
        self._deferred = threading.local()  # per thread: depth of deferred_sync blocks, last commit in them
        # write_mark: writes finished through this object, and those under way
        self._marks = threading.Lock()
        self._written, self._writing = 0, 0
        self._replacing = threading.Lock()  # replacements of graphs take turns (`_replace`)

    # ---------------------------------------------------------------- writes
    def replace_graphs(self, graphs: Mapping[str, Iterable[Triple]], *,
                       holding: Mapping[str, Iterable[Triple]] | None = None) -> None:
        """One transaction (`_replace`): graphs this store holds none of, none of whose terms is a blank node, are
        added by one `extend` (a view copying a record its commit just wrote, from the triples in hand); otherwise
        one SPARQL update (a blank node in an update's data is a new one, as the registry has always written them)."""
        self._writable()
        given = {g: list(triples) for g, triples in graphs.items()}
        names = [ox.NamedNode(g) for g in given]

        def added() -> list[ox.Quad] | None:
            out: list[ox.Quad] = []
            for name, triples in zip(names, given.values(), strict=True):
                for s, p, o in triples:
                    if type(s) is BNode or type(o) is BNode:
                        return None
                    out.append(ox.Quad(to_ox(s), to_ox(p), to_ox(o), name))  # type: ignore[arg-type]
            return out or None  # nothing to add: the update still writes (drops), as a replacement always did

        self._replace(names, added if holding is None else None, lambda: self._update_text(given, holding))

    def _update_text(self, graphs: Mapping[str, list[Triple]], holding: Mapping[str, Iterable[Triple]] | None) -> bool:
        """`replace_graphs` as one SPARQL update (one Oxigraph transaction: all graphs change, or none); False when
        there is nothing to write."""
        parts: list[str] = []
        inserts: list[str] = []
        for g, triples in graphs.items():
            gname = _nt(_uri(g))
            if holding is not None and g in holding:
                held = " .\n".join(f"{_nt(s)} {_nt(p)} {_nt(o)}" for s, p, o in holding[g])
                if held:
                    parts.append(f"DELETE DATA {{ GRAPH {gname} {{\n{held} .\n}} }}")
            else:
                parts.append(f"DROP SILENT GRAPH {gname}")
            body = " .\n".join(f"{_nt(s)} {_nt(p)} {_nt(o)}" for s, p, o in triples)
            if body:
                inserts.append(f"GRAPH {gname} {{\n{body} .\n}}")
        if inserts:
            parts.append("INSERT DATA {\n" + "\n".join(inserts) + "\n}")
        if not parts:
            return False
        with self._writing_now():
            self._store.update(" ;\n".join(parts))
        return True

    def _replace(self, names: list[ox.NamedNode], added: Callable[[], list[ox.Quad] | None] | None,
                 update: Callable[[], bool]) -> list[ox.Quad] | None:
        """Replace the graphs `names` in one transaction. When this store holds none of them and `added` gives their
        quads (None: it cannot), adding those is the whole change: one `extend` (atomic: every quad or none), no
        update text written and parsed again (a view's copy of a record created since, 0.45 -> 0.15 ms a record at
        300k datasets in memory); otherwise `update` makes it (one SPARQL update; False: nothing to write). Returns
        the quads added by `extend`, else None. Replacements through this object take turns (`_replacing`), so no
        other one makes one of these graphs between the look and the write (writes that only add need not wait: one
        that adds to such a graph meanwhile leaves what it would leave just after this one). Durable on return."""
        with self._replacing:
            quads = None
            if added is not None and not any(self._store.contains_named_graph(g) for g in names):
                quads = added()
            if quads is None:
                if not update():
                    return None
            elif quads:
                with self._writing_now():
                    self._store.extend(quads)  # atomic: every quad or none
            else:
                return quads
        self._durable()
        return quads

    def add_to_graph(self, graph: str, triples: Iterable[Triple]) -> None:
        self._writable()
        g = ox.NamedNode(graph)
        with self._writing_now():
            self._store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), g) for s, p, o in triples)  # type: ignore[arg-type]
        self._durable()

    def write_mark(self) -> int | None:
        if self.read_only:
            return None
        with self._marks:
            return None if self._writing else self._written

    @contextmanager
    def _writing_now(self) -> Iterator[None]:
        """A write through this object: no mark while it is under way, a new one once it is over (done or not)."""
        with self._marks:
            self._writing += 1
        try:
            yield
        finally:
            with self._marks:
                self._writing -= 1
                self._written += 1

    def _writable(self) -> None:
        if self.read_only:
            raise StoreHeld(f"the store in {self.path} is open read-only (another process holds it): it cannot "
                            f"be written")

    def _durable(self) -> None:
        if self.durability is None:
            return
        ticket = self.durability.ticket()
        if getattr(self._deferred, "depth", 0):
            self._deferred.ticket = ticket
            if getattr(self._deferred, "early", False):
                self.durability.start()
        else:
            self.durability.wait(ticket)

    @contextmanager
    def deferred_sync(self, *, early: bool = False) -> Iterator[None]:
        """Writes in the block return once committed; leaving the outermost block returns once they are on
        disk. A caller that commits under a lock of its own takes the lock inside this block, so the sync
        runs after the lock is released and is shared with the writers that committed in the meantime.
        `early`: each write in this block starts its sync at once in the background (`Durability.start`),
        so what the writer does after it overlaps the disk's work."""
        depth, was_early = getattr(self._deferred, "depth", 0), getattr(self._deferred, "early", False)
        self._deferred.depth, self._deferred.early = depth + 1, was_early or early
        try:
            yield
        finally:
            self._deferred.depth, self._deferred.early = depth, was_early
            ticket = getattr(self._deferred, "ticket", 0) if depth == 0 else 0
            if ticket and self.durability is not None:
                self._deferred.ticket = 0
                self.durability.wait(ticket)

    # ----------------------------------------------------------------- reads
    def graph(self, graph: str) -> list[Triple]:
        quads = self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        return [(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)) for q in quads]

    def has_graph(self, graph: str) -> bool:
        return bool(self._store.contains_named_graph(ox.NamedNode(graph)))

    def _run(self, query: str, bindings: Mapping[str, Node] | None, graphs: list[str] | None = None) -> object:
        query = inline_bindings(query, bindings, _nt)
        if graphs is None:
            return self._store.query(query, use_default_graph_as_union=True)
        named = [ox.NamedNode(g) for g in graphs]
        return self._store.query(query, default_graph=named, named_graphs=named)  # type: ignore[arg-type]

    def select(
        self, query: str, bindings: Mapping[str, Node] | None = None, *, graphs: list[str] | None = None
    ) -> list[Row]:
        res = self._run(query, bindings, graphs)
        variables = [v.value for v in res.variables]  # type: ignore[attr-defined]
        rows: list[Row] = []
        for sol in res:  # type: ignore[attr-defined]
            row: Row = {}
            for name in variables:
                val = sol[name]
                if val is not None:
                    row[name] = from_ox(val)
            rows.append(row)
        return rows

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        return bool(self._run(query, bindings))

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Triple]:
        return [
            (from_ox(t.subject), from_ox(t.predicate), from_ox(t.object))
            for t in self._run(query, bindings)  # type: ignore[attr-defined]
        ]

    # ------------------------------------------------------------------ bulk
    def bulk_load(self, path: Path, fmt: str, progress: Callable[[int], None] | None = None, *,
                  observe: Callable[[bytes], None] | None = None) -> int:
        """All or nothing: on disk the store is checkpointed first (RocksDB links its files, so this
        costs next to nothing) and put back from the checkpoint if the load fails part-way; in memory
        the file is loaded into a scratch store first. N-Quads go in slices of whole lines, which
        bounds the bulk loader's memory by the slices in flight, not the file (one 664 MB file at
        once took 1.7 GB, slices of 64 MB one at a time 360 MB, in the same time). `observe` (N-Quads
        only) is handed each slice, in file order, in this thread while the loader threads load it: the
        projections are built in the same pass (projections/bulk.py); if it raises, the load fails."""
        if fmt not in ("nquads", "trig"):
            raise ValueError(f"cannot bulk-load {fmt}")
        if observe is not None and fmt != "nquads":
            raise ValueError("only N-Quads are loaded in slices that can be observed")
        self._writable()
        with self._writing_now():
            return self._bulk_load(path, fmt, progress, observe)

    def _bulk_load(self, path: Path, fmt: str, progress: Callable[[int], None] | None,
                   observe: Callable[[bytes], None] | None) -> int:
        if self.path is None:
            scratch = OxigraphStore(None)
            scratch.slice_bytes = self.slice_bytes
            count = scratch._load(path, fmt, progress, observe)
            self._store.bulk_extend(iter(scratch._store))
            return count
        checkpoint = self.path.with_name(self.path.name + ".before-load")
        shutil.rmtree(checkpoint, ignore_errors=True)
        self._store.flush()
        self._store.backup(str(checkpoint))
        try:
            count = self._load(path, fmt, progress, observe)
            self._store.flush()
        except BaseException:
            self._put_back(checkpoint)
            raise
        shutil.rmtree(checkpoint, ignore_errors=True)
        return count

    def _load(self, path: Path, fmt: str, progress: Callable[[int], None] | None,
              observe: Callable[[bytes], None] | None = None) -> int:
        """Bulk-load a file; returns the statements read. Raises `BadQuads` on a syntax error or on
        triples outside named graphs (the registry keeps every triple in a named graph). The store is
        only ever reached through `self` here, so a failure's traceback holds no reference to it."""
        had_default = self._has_default_graph_triples()
        count = 0
        if fmt == "trig":
            try:
                self._store.bulk_load(path=str(path), format=ox.RdfFormat.TRIG)
            except SyntaxError as e:
                raise bad_quads(path, e) from None
            count = sum(1 for _ in ox.parse(path=str(path), format=ox.RdfFormat.TRIG))
            if progress:
                progress(path.stat().st_size)
        else:
            count = self._load_slices(path, progress, observe)
        if not had_default and self._has_default_graph_triples():
            raise BadQuads(f"{path.name} has triples outside named graphs: the registry keeps every triple in "
                           f"a named graph")
        return count

    def _load_slices(self, path: Path, progress: Callable[[int], None] | None,
                     observe: Callable[[bytes], None] | None = None) -> int:
        """N-Quads, `load_threads` slices at a time. One bulk load parses its slice in the calling thread
        (without the GIL) and only then writes it, so one slice at a time leaves a core idle: 100k datasets
        took 33-47 s in 64 MB slices one at a time, 23-27 s in 32 MB slices two at a time (the same peak
        memory). Oxigraph's own command-line loader loads several files at once into one store likewise."""
        count = 0
        pending: deque[tuple[Future[None], bytes, int]] = deque()

        def settle() -> None:  # the oldest slice in flight: its errors name lines in file order
            nonlocal count
            done, data, offset = pending.popleft()
            try:
                done.result()
            except SyntaxError as e:
                raise bad_quads(path, e, offset) from None
            count += quads_in(data)
            if progress:
                progress(len(data))

        with ThreadPoolExecutor(self.load_threads, thread_name_prefix="bulk-load") as pool:
            for data, offset in nquads_slices(path, self.slice_bytes):
                pending.append((pool.submit(self._store.bulk_load, input=data, format=ox.RdfFormat.N_QUADS),
                                data, offset))
                if observe is not None:
                    observe(data)
                if len(pending) >= self.load_threads:
                    settle()
            while pending:
                settle()
        return count

    def bulk_load_bytes(self, data: bytes, *, checked: bool = False) -> None:
        """Bulk-load N-Quads given as bytes (whole lines), not atomically: for a store whose content can be
        made again (a view filled in the bulk load's pass). Raises `BadQuads` on a syntax error. `checked`:
        lines another load checks in full (a failure there drops this store), read without checking their
        IRIs again (Oxigraph's lenient parsing: about a quarter less CPU)."""
        self._writable()
        try:
            with self._writing_now():
                self._store.bulk_load(input=data, format=ox.RdfFormat.N_QUADS, lenient=checked)
        except SyntaxError as e:
            raise BadQuads(f"N-Quads: {e.msg or e}") from None

    def _has_default_graph_triples(self) -> bool:
        return next(iter(self._store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None

    def _put_back(self, checkpoint: Path) -> None:
        """Replace the store by the checkpoint taken before a failed bulk load. Only when nothing else
        holds the open store: RocksDB writes by path, so an instance left open would write into the
        folder put back in its place."""
        assert self.path is not None
        gc.collect()
        if sys.getrefcount(self._store) > 2:  # this attribute and getrefcount's own argument
            raise OSError(f"the bulk load failed part-way and the store is still in use, so it was not put back: "
                          f"the store as it was before the load is in {checkpoint} (use `registry restore`)")
        del self._store  # the last reference: RocksDB closes and frees its lock
        failed = self.path.with_name(self.path.name + ".failed-load")
        shutil.rmtree(failed, ignore_errors=True)
        self.path.rename(failed)
        checkpoint.rename(self.path)
        shutil.rmtree(failed, ignore_errors=True)
        self._store = ox.Store(str(self.path))

    def dump(self, out: Path) -> int:
        self._store.dump(output=str(out), format=ox.RdfFormat.N_QUADS)
        return len(self._store)

    def quads(self) -> Iterator[tuple[Node, Node, Node, Node]]:
        for q in self._store:
            yield from_ox(q.subject), from_ox(q.predicate), from_ox(q.object), from_ox(q.graph_name)

    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def copy_graphs(self, names: Iterable[str], into: Store, *, atomic: bool = True) -> int:
        """Into another Oxigraph store, Oxigraph's own terms go across (no rdflib terms are made): an atomic
        copy is one update, one that is not is bulk-loaded in batches of `COPY_BATCH_QUADS`."""
        refuse_self_copy(self, into)
        if not isinstance(into, OxigraphStore):
            return copy_graphs_via(lambda batch: {g: self.graph(g) for g in batch}, names, into, atomic)
        if atomic:
            return into._replace_from(self._store, dict.fromkeys(names))
        return into._load_from(self._store, names)

    def _replace_from(self, source: ox.Store, names: Iterable[str]) -> int:
        """Replace the graphs `names` by their quads in `source`, in one transaction (`_replace`: one `extend` of
        Oxigraph's own quads when this store holds none of them, no rdflib terms made)."""
        self._writable()
        graphs = [ox.NamedNode(name) for name in dict.fromkeys(names)]
        count = 0

        def update() -> bool:
            nonlocal count
            count = self._replace_text(source, graphs)
            return True

        quads = self._replace(graphs, lambda: [q for g in graphs for q in source.quads_for_pattern(None, None, None, g)],
                              update)
        return count if quads is None else len(quads)

    def _replace_text(self, source: ox.Store, graphs: list[ox.NamedNode]) -> int:
        """`_replace_from` as one SPARQL update: each graph dropped, then the source's quads inserted."""
        parts: list[str] = []
        blocks: list[str] = []
        count = 0
        for g in graphs:
            parts.append(f"DROP SILENT GRAPH {g}")
            lines = [f"{q.subject} {q.predicate} {q.object} ." for q in source.quads_for_pattern(None, None, None, g)]
            if lines:
                blocks.append(f"GRAPH {g} {{\n" + "\n".join(lines) + "\n}")
                count += len(lines)
        if blocks:
            parts.append("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
        if parts:
            with self._writing_now():
                self._store.update(" ;\n".join(parts))  # one update is one transaction
        return count

    def _load_from(self, source: ox.Store, names: Iterable[str]) -> int:
        """The bulk loader buffers what it is given (1.75M quads at once peaked at 1.4 GB; batches of
        200,000 at 0.4 GB, in the same time), so quads go in batches; graphs this store holds already are
        dropped first."""
        self._writable()
        with self._writing_now():
            return self._load_batches(source, names)

    def _load_batches(self, source: ox.Store, names: Iterable[str]) -> int:
        count = 0
        batch: list[ox.Quad] = []
        for name in names:
            g = ox.NamedNode(name)
            if self._store.contains_named_graph(g):
                self._store.update(f"DROP SILENT GRAPH {g}")
            batch.extend(source.quads_for_pattern(None, None, None, g))
            if len(batch) >= COPY_BATCH_QUADS:
                self._store.bulk_extend(batch)
                count, batch = count + len(batch), []
        if batch:
            self._store.bulk_extend(batch)
        return count + len(batch)

    def scratch(self) -> OxigraphStore:
        return OxigraphStore(None)

    def snapshot(self, target: Path) -> None:
        """On disk, a RocksDB checkpoint (hard links: next to no time nor disk); in memory, or opened
        read-only (a checkpoint would leave out the writes still in the write-ahead log), written out."""
        refuse_existing(target)
        if self.path is None or self.read_only:
            write_store(target, iter(self._store))
            return
        try:
            self._store.backup(str(target))
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise

    def flush(self) -> None:
        if not self.read_only:
            self._store.flush()

    def sync(self) -> None:
        """Every write committed so far reaches the disk, as a durable store's do (`Durability`: the write-ahead
        logs fsynced, and the folder when it names a new one), without writing the memtables out: for a store
        not synced write by write (a view) before its owner records how far it got (nothing to do in memory).
        A `flush` does the same by writing new table files each time, which compaction merges again: the two
        views flushed every 10 s wrote 57 kB of table files per write (300 writes at 100k datasets), synced
        none."""
        if self._syncs is not None:
            self._syncs.wait(self._syncs.ticket())

    def identity(self) -> str:
        """On disk, RocksDB's IDENTITY (written when a folder's database is created, so a replaced folder has
        a new one); in memory, made up once."""
        if self.path is not None:
            try:
                return "oxigraph:" + (self.path / "IDENTITY").read_text(encoding="utf-8").strip()
            except OSError:
                return f"oxigraph:{self.path.resolve()}"
        if self._memory_identity is None:
            self._memory_identity = f"memory:{uuid.uuid4().hex}"
        return self._memory_identity

    def raw(self) -> ox.Store:
        """The underlying pyoxigraph store, for tests and benchmarks: the registry goes through `Store` (writes made
        through this one do not move `write_mark`)."""
        return self._store

    def close(self) -> None:
        if self._syncs is not None:
            self._syncs.close()
        if not self.read_only:
            self._store.flush()
        del self._store


def _uri(g: str) -> Node:
    from rdflib import URIRef

    return URIRef(g)
