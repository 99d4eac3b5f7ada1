"""What each kind of caller may query: the public and officer views, stores that hold only the graphs
their callers may see (an allow-list of graph names, `Visibility`), so no query reaches any other graph.
Each view is a projection of the store (projections/base.py). Beside an on-disk store the views are on
disk in ``{data}.views/``: a folder per build (``public-<id>``) and ``public.json``, the current folder
and position (never in the view's store, where a query could read it); elsewhere they are in memory."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib.term import Node

from registry.domain.model import KINDS
from registry.iris import Iris, Name
from registry.projections import kept_file
from registry.projections.base import Entry, Head
from registry.projections.follower import Follower
from registry.stopping import checkpoint
from registry.store.audit import AuditLog
from registry.store.base import Row, Store, Triple
from registry.store.graph_view_store import StoreHeld, open_view_store
from registry.store.oxigraph import OxigraphStore
from registry.store.snapshots import Snapshots

#: reference graphs anyone may query (the shapes are left out: they describe validation, not data)
PUBLIC_REFERENCE = ("ontology", "authorities", "vocabularies")
#: record kinds that have a restricted graph an officer may query, besides the REST record kinds
RESTRICTED_ONLY_KINDS = ("share-check", "openlineage-run", "disposal")
#: the version of the view rules (`Visibility.allows`) and of what a view holds: bump it when either
#: changes, and every view kept on disk is rebuilt
VIEW_FORMAT = 2
#: while serving, a view on disk records its position at most this often (each time costs a sync of its
#: write-ahead log, and a write and sync of its state file)
SAVE_EVERY_SECONDS = 10.0
#: a long catch-up (after a restart) copies records again this many at a time, each batch one update
UPDATE_RECORDS = 2000
#: a view on disk that leaves out at most one graph in this many of the store's is built from a checkpoint
#: of the store (RocksDB links its files: no copy) with those graphs dropped, not by copying the others
PRUNE_ONE_IN = 5

log = logging.getLogger("registry")


@dataclass(frozen=True)
class Visibility:
    """Which named graphs a view holds, by name."""

    iris: Iris
    restricted: bool
    extra: frozenset[str] = frozenset()

    def allows(self, graph: str) -> bool:
        return self.allows_name(graph, self.iris.parse(graph))

    def allows_name(self, graph: str, name: Name | None) -> bool:
        """`allows`, given what the graph's name names (for a caller that has read it already)."""
        if graph in self.extra:
            return True
        if name is None or not name.graph:
            return False
        if name.kind == "reference":
            return not name.restricted and name.id in PUBLIC_REFERENCE
        if not name.restricted:
            return name.kind in KINDS
        return self.restricted and (name.kind in KINDS or name.kind in RESTRICTED_ONLY_KINDS)


class GraphView:
    """One view: a store of the allowed graphs of `source` (on disk in `home`, in memory when `home` is
    None), built on first use and kept in step by its follower."""

    def __init__(self, name: str, source: Store, iris: Iris, visibility: Visibility, follower: Follower,
                 home: Path | None = None) -> None:
        self.name, self.source, self.iris, self.visibility, self.follower = name, source, iris, visibility, follower
        self.home = home
        self._store: OxigraphStore | None = None
        self._head: Head | None = None
        self._folder: str | None = None  # the current build, on disk
        self._handed_out = False  # whether a query may be reading the current store
        self._saved: Head | None = None  # the position the state file records
        self._saved_at = float("-inf")
        self._identity_cache: dict[str, str] | None = None
        #: how many times the view was built from scratch by this object (tests, logs)
        self.rebuilds = 0

    # ------------------------------------------------------------------ reading
    def store(self) -> OxigraphStore:
        """The view's store, brought up to date with the main store first."""
        with self.follower.reading(self):
            assert self._store is not None
            self._handed_out = True
            return self._store

    def snapshot(self, snapshots: Snapshots) -> str:
        """A read-only copy of the view, brought up to date first, for the SPARQL evaluators."""
        with self.follower.reading(self):
            assert self._store is not None and self._head is not None
            self._handed_out = True
            return snapshots.path(self.name, self._head, self._store)

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        """A SELECT over the union of the view's graphs (services that must read only public data)."""
        return self.store().select(query, bindings)

    def graph(self, name: str) -> list[Triple]:
        """The triples of one graph of the view (none when the view does not hold it)."""
        return self.store().graph(name)

    def graph_names(self) -> list[str]:
        return self.store().graph_names()

    # --------------------------------------------------------------- projection
    def position(self) -> Head | None:
        return self._head if self._store is not None else None

    def open(self) -> None:
        """Reopen the view kept on disk when it was built from this store by these rules; the reference
        graphs are copied again (they are reloaded from the repository's files at every start, unlogged)."""
        if self.home is None or self._store is not None:
            return
        saved = self._read_state()
        if saved is None:
            return
        folder, head = saved
        try:
            store = open_view_store(self.home / folder)
        except StoreHeld as e:  # another process has it open: do not fail, nor touch its files
            log.warning("the %s view in %s is in use by another process; this one keeps its own copy in memory "
                        "(%s)", self.name, self.home, e)
            self.home = None
            return
        except OSError as e:
            log.warning("the %s view in %s cannot be opened, rebuilding it: %s", self.name, self.home, e)
            return
        self._store, self._folder, self._head, self._saved, self._handed_out = store, folder, head, head, False
        self._saved_at = float("-inf")  # the first position it catches up to is recorded at once
        self.copy_fixed()
        self._sweep()

    def apply(self, entries: Sequence[Entry]) -> None:
        """Copy again the graphs of the records the entries name: for the one entry this process's commit has just
        handed over (`Entry.written`), from the triples it wrote, with no read of the store (a write's two copies
        read its record's graphs three times, 0.2 ms each at 100k datasets); otherwise from the store."""
        records = dict.fromkeys((e.kind, e.id) for e in entries)
        groups = [[g for g in self.iris.graphs(*r) if self.visibility.allows(g)] for r in records]
        written = entries[-1].written if len(entries) == 1 else None
        if written is not None and all(g in written for group in groups for g in group):
            assert self._store is not None
            self._store.replace_graphs({g: written[g] for group in groups for g in group})
        else:
            self._copy(groups)
        self._head = entries[-1].position
        self._save()

    def rebuild(self) -> None:
        """Build the view afresh in a new store: on disk a new folder, the one it replaces left for the
        queries that may still read it (removed at the next start). When it leaves out few of the store's
        graphs (the officer view: the system graphs), from a checkpoint of the store with those dropped;
        otherwise by copying every allowed graph."""
        head = self.follower.head()
        self.rebuilds += 1
        if self.home is None:
            memory = open_view_store(None)
            self.source.copy_graphs(self._allowed(), memory, atomic=False)
            self._store, self._head, self._handed_out = memory, head, False
            return
        log.info("building the %s view in %s", self.name, self.home)
        names = self.source.graph_names()
        left_out = [g for g in names if not self.visibility.allows(g)]
        prune = self._prunable() and len(left_out) * PRUNE_ONE_IN <= len(names)
        view, folder = self._checkpoint() if prune else self.new_store()
        try:
            if prune:
                for i in range(0, len(left_out), UPDATE_RECORDS):
                    checkpoint()
                    view.replace_graphs({g: [] for g in left_out[i : i + UPDATE_RECORDS]})
            else:
                self.source.copy_graphs(self._allowed(names), view, atomic=False)
        except BaseException:
            self.discard(view, folder)
            raise
        self.adopt(view, folder, head)

    def new_store(self) -> tuple[OxigraphStore, str | None]:
        """A new empty store for this view and its folder (None in memory), to be filled and then `adopt`ed
        (or `discard`ed); on disk, the view's position is forgotten first: from here until `adopt` records
        the new one, a crash means a rebuild."""
        if self.home is None:
            return open_view_store(None), None
        self._forget_state()
        folder = self._new_folder()
        return open_view_store(self.home / folder), folder

    def _new_folder(self) -> str:
        return f"{self.name}-{uuid.uuid4().hex[:12]}"

    def _checkpoint(self) -> tuple[OxigraphStore, str]:
        """A new folder holding a checkpoint of the store (every graph, to be pruned), opened as a view."""
        assert self.home is not None
        self._forget_state()
        folder = self._new_folder()
        try:
            self.source.snapshot(self.home / folder)
            return open_view_store(self.home / folder), folder
        except BaseException:
            shutil.rmtree(self.home / folder, ignore_errors=True)
            raise

    def discard(self, view: OxigraphStore, folder: str | None) -> None:
        view.close()
        if folder is not None and self.home is not None:
            shutil.rmtree(self.home / folder, ignore_errors=True)

    def adopt(self, view: OxigraphStore, folder: str | None, head: Head) -> None:
        """Make `view` (filled from the store as it was at `head`) the view's store; on disk, flushed and
        recorded as the current build (the folders it replaces are removed once no query reads them)."""
        unread = not self._handed_out
        if folder is None:
            self._store, self._head, self._handed_out = view, head, False
            return
        view.flush()
        self._store, self._head, self._folder, self._handed_out = view, head, folder, False
        self._save(force=True)
        if unread:  # no query reads the folders it replaced
            self._sweep()

    def _prunable(self) -> bool:
        """Whether the view can start from a checkpoint of the store: both on disk, the store writable (a
        read-only one would be written out in full instead)."""
        return isinstance(self.source, OxigraphStore) and self.source.path is not None and not self.source.read_only

    def invalidate(self) -> None:
        """Forget the view (a bulk load): the next use rebuilds it; one on disk, at its next start too."""
        self._store = self._head = None
        if self.home is not None:
            self._forget_state()

    def close(self) -> None:
        """Record how far the view got and let go of its store (the next use opens it again)."""
        if self._store is not None:
            self._save(force=True)
        self._store = None

    # ------------------------------------------------------------------ copying
    def _allowed(self, names: Iterable[str] | None = None) -> Iterator[str]:
        for name in self.source.graph_names() if names is None else names:
            checkpoint()  # a server shutting down during its warm-up stops here
            if self.visibility.allows(name):
                yield name

    def copy_fixed(self) -> None:
        """Copy the reference graphs (and extra graphs) again from the store."""
        self._copy([[g] for g in self._fixed_graphs()])

    def _fixed_graphs(self) -> list[str]:
        names = [self.iris.reference_graph(n) for n in PUBLIC_REFERENCE] + sorted(self.visibility.extra)
        return [g for g in names if self.visibility.allows(g)]

    def _copy(self, groups: Iterable[list[str]]) -> None:
        """Copy these graphs again from the main store. Each group (the graphs of one record) changes in
        one update, so a query sees each record before or after, never half; a usual catch-up is one
        update, a long one (after a restart) one per `UPDATE_RECORDS` records."""
        batch: list[str] = []
        records = 0
        for group in groups:
            batch += group
            records += 1
            if records >= UPDATE_RECORDS:
                self._update(batch)
                batch, records = [], 0
        if batch:
            self._update(batch)

    def _update(self, graphs: list[str]) -> None:
        assert self._store is not None
        self.source.copy_graphs(graphs, self._store, atomic=True)

    # ------------------------------------------------------------------ state on disk
    def _state_file(self) -> Path:
        assert self.home is not None
        return self.home / f"{self.name}.json"

    def _identity(self) -> dict[str, str]:
        """What the view's store must have been built from and by: the main store (`Store.identity`, new
        when the store is replaced) and the rules (the allow-list's constants and `VIEW_FORMAT`)."""
        if self._identity_cache is None:
            v = self.visibility
            rules = json.dumps({"format": VIEW_FORMAT, "base": v.iris.base, "restricted": v.restricted,
                                "extra": sorted(v.extra), "reference": PUBLIC_REFERENCE,
                                "restricted_only": RESTRICTED_ONLY_KINDS, "kinds": sorted(KINDS)}, sort_keys=True)
            self._identity_cache = {"source": self.source.identity(),
                                    "rules": hashlib.sha256(rules.encode("utf-8")).hexdigest()}
        return self._identity_cache

    def _read_state(self) -> tuple[str, Head] | None:
        """(folder, position) of the view on disk, when it may be reused; None to rebuild."""
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
        """Record the view's position in its state file, if it moved, once what the view holds is on disk (the
        file never runs ahead of the store); unless `force`, at most every `SAVE_EVERY_SECONDS`. While
        serving, the view's write-ahead log is synced (RocksDB replays it at the next open); a forced save
        (a new build, the view closed) writes the memtables out, so the next start replays nothing."""
        if self.home is None or self._store is None or self._folder is None or self._head is None:
            return
        if self._head == self._saved or (not force and time.monotonic() - self._saved_at < SAVE_EVERY_SECONDS):
            return
        if force:
            self._store.flush()
        else:
            self._store.sync()
        state = {"store": self._folder, "seq": self._head.seq, "hash": self._head.hash, **self._identity()}
        self.home.mkdir(parents=True, exist_ok=True)
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
        """Remove this view's other folders (left by a rebuild, or a crash during one)."""
        if self.home is None:
            return
        for d in self.home.glob(f"{self.name}-*"):
            if d.is_dir() and d.name != self._folder:
                shutil.rmtree(d, ignore_errors=True)


def views_home(store: Store) -> Path | None:
    """Where the views of `store` live: ``{data}.views`` beside an on-disk Oxigraph store (`views_folder`);
    None (in memory) for the in-memory store and for a remote SPARQL store."""
    path = getattr(store, "path", None)
    if not isinstance(store, OxigraphStore) or path is None:
        return None
    return views_folder(Path(path))


def views_folder(data: Path) -> Path:
    """``{data}.views``: the folder of the views of the on-disk store in the folder `data`."""
    return kept_file.named(data, ".views")


def forget(data: Path) -> None:
    """Remove the views kept beside the on-disk store in `data` (every build, and their states), so the next
    start builds them anew: for a store replaced by another (`registry restore`), whose views would hold the
    replaced store's graphs, the officer view its restricted ones. Only while no server has them open."""
    shutil.rmtree(views_folder(data), ignore_errors=True)


def invalidate(store: Store) -> None:
    """Forget the views of `store` kept on disk, so the next start rebuilds them. Only while no server
    has them open (a registry's follower invalidates its own views, open or not, after a bulk load)."""
    home = views_home(store)
    if home is not None:
        for f in home.glob("*.json"):
            f.unlink(missing_ok=True)


class Views:
    """The views of one registry: `public` and `officer`, following the store through `follower` (the
    registry's), or through a follower of their own over `audit`."""

    def __init__(self, store: Store, iris: Iris, audit: AuditLog, extra_public: Iterable[str] = (),
                 home: Path | None = None, follower: Follower | None = None) -> None:
        """`home`: the folder of views kept on disk (`views_home(store)`), or None to keep them in memory."""
        extra = frozenset(extra_public)
        self.follower = follower if follower is not None else Follower(audit)
        self.public = self.follower.add(GraphView(
            "public", store, iris, Visibility(iris, restricted=False, extra=extra), self.follower, home))
        self.officer = self.follower.add(GraphView(
            "officer", store, iris, Visibility(iris, restricted=True, extra=extra), self.follower, home))

    def close(self) -> None:
        self.follower.close([self.public, self.officer])
