"""The lineage graph as a projection (projections/base.py): `LineageIndex` keeps a `LineageGraph`
(domain/lineage.py) in memory in step with the store, and beside an on-disk store in a file between runs
(projections/lineage_file.py); `lineage_from_store` builds one from any store, such as the registry as it
stood at a moment (the oracle of the tests, tests/history_oracle.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from registry.domain.lineage import BEFORE_ANY, Edge, Flags, History, LineageAt, LineageGraph, Version, downstream
from registry.domain.model import DATASET
from registry.iris import Iris
from registry.projections import lineage_file
from registry.projections.base import Entry, Head
from registry.projections.follower import Follower
from registry.resources import Resources
from registry.store.base import Row, Store
from registry.store.formats import parse_ntriples


class LineageIndex:
    """A LineageGraph in memory kept in step with the store by its follower (None: built once from the
    store, following nothing). With a `path` (`lineage_file.lineage_path`), the graph and its position are
    kept in that file when it closes, and loaded from it at the next start."""

    name = "lineage"

    def __init__(self, store: Store, iris: Iris, resources: Resources, follower: Follower | None = None,
                 path: Path | None = None) -> None:
        self.store, self.iris, self.res, self.follower = store, iris, resources, follower
        self.path = path
        self._graph: LineageGraph | None = None  # built on first use: commands that never ask pay nothing
        self._position: Head | None = None
        self._saved: Head | None = None  # the position the file holds
        #: the datasets' logged versions, built at the first question as of a moment, then kept in step
        self._history: History | None = None

    # ------------------------------------------------------------ the projection
    def position(self) -> Head | None:
        return self._position if self._graph is not None else None

    def open(self) -> None:
        """Load the graph kept in the file, when it was written for this store (its position is then
        checked against the audit log by the follower, like any other)."""
        if self.path is None or self._graph is not None:
            return
        saved = lineage_file.load(self.path, self.store.identity())
        if saved is not None:
            self._graph, self._position, self._saved = saved.graph, saved.position, saved.position
            self._history = None

    def rebuild(self) -> None:
        head = self.follower.head() if self.follower is not None else None
        self._graph, self._position = lineage_from_store(self.store, self.iris, self.res), head
        self._history = self._saved = None
        self.save()  # a start after a crash loads it, instead of reading every dataset again

    def adopt(self, graph: LineageGraph, position: Head) -> None:
        """Take a graph built elsewhere (the bulk load's pass) as holding `position`, and keep it in the file."""
        self._graph, self._position, self._history = graph, position, None
        self.save()

    def save(self) -> None:
        """Write the graph to the file, if it moved since it was last written."""
        if self.path is None or self._graph is None or self._position is None or self._position == self._saved:
            return
        lineage_file.save(self.path, self._graph, self._position, self.store.identity())
        self._saved = self._position

    def apply(self, entries: Sequence[Entry]) -> None:
        """Read again the datasets the entries name."""
        graph = self._graph
        assert graph is not None
        for d in dict.fromkeys(e.id for e in entries if e.kind == "dataset"):
            rows = self.store.select(self.res.query("lineage-all"), {"dataset": self.iris.record("dataset", d)})
            one = LineageGraph.from_rows(rows, self.iris)
            if d in one:
                attrs = one.g.nodes[d]
                graph.set_dataset(d, list(one.g.predecessors(d)), pi=attrs["pi"], kind=attrs["kind"],
                                  retired=attrs["retired"])
        if self._history is not None:
            for e in entries:
                if e.kind == "dataset":
                    add_versions(self._history, self.store.select(self.res.query("history-datasets"),
                                                                  {"seq": Literal(e.seq)}), self.iris)
        self._position = entries[-1].position

    def invalidate(self) -> None:
        """Forget the graph, and its file (a bulk load, which logs nothing): the next question rebuilds it."""
        self._graph = self._position = self._saved = None
        self._history = None
        lineage_file.forget(self.path)

    def close(self) -> None:
        """Keep the graph in its file and let go of it (the next question, or start, loads it from there). A
        store that keeps no file (in memory, remote) keeps its graph: letting go would only build it again."""
        self.save()
        if self.path is None:
            return
        if self._graph is not None:
            self._graph.g.clear()  # now: its views make a cycle the collector (off in a bulk load) frees only later
        self._graph = self._position = self._saved = None
        self._history = None

    @contextmanager
    def _reading(self) -> Iterator[LineageGraph]:
        """The graph, caught up with the audit log and held there while the block reads it."""
        if self.follower is None:
            if self._graph is None:
                self.rebuild()
            assert self._graph is not None
            yield self._graph
            return
        with self.follower.reading(self):
            assert self._graph is not None
            yield self._graph

    # ------------------------------------------------------------ questions
    def copy(self) -> LineageGraph:
        """A copy of the graph as it is now, to try changes on without touching the index."""
        with self._reading() as graph:
            lg = LineageGraph()
            lg.g = graph.g.copy()
            return lg

    def would_cycle(self, d: str, sources: Iterable[str]) -> list[str] | None:
        with self._reading() as graph:
            return graph.would_cycle(d, sources)

    def effective_pi(self, d: str) -> tuple[bool, list[str] | None]:
        with self._reading() as graph:
            return graph.effective_pi(d)

    def carry_pi(self, datasets: Sequence[str], chunk: int = 1000) -> dict[str, bool]:
        """Whether each dataset carries personal information (`effective_pi`'s first answer): a thousand of
        them under each read of the graph, not one read each."""
        out: dict[str, bool] = {}
        for start in range(0, len(datasets), chunk):
            with self._reading() as graph:
                out.update((d, graph.effective_pi(d)[0]) for d in datasets[start:start + chunk])
        return out

    def downstream(self, d: str) -> list[str]:
        with self._reading() as graph:
            return downstream(graph, d)  # a plain walk: a third of networkx's descendants at a hub

    def closure_page(self, d: str, direction: str, depth: int | None, offset: int,
                     size: int) -> tuple[int, list[str], list[Edge]]:
        with self._reading() as graph:
            return graph.closure_page(d, direction, depth, offset, size)

    @contextmanager
    def at(self, when: dt.datetime) -> Iterator[LineageAt]:
        """The graph as it stood at `when`, held in step while the block reads it (the history of logged
        versions is read from the audit log at the first such question, then kept in step by `apply`)."""
        with self._reading() as graph:
            if self._history is None:
                self._history = History()
                add_versions(self._history, self.store.select(self.res.query("history-datasets")), self.iris)
            yield self._history.at(graph, when)


Lineage = LineageGraph | LineageIndex


def add_versions(history: History, rows: Iterable[Row], iris: Iris) -> None:
    """Add to `history` the versions the rows of history-datasets.rq record."""
    for r in rows:
        record = r["record"]
        if not isinstance(record, URIRef):
            continue
        rid = iris.id_of(record)
        if "before" in r:
            history.add(rid, version(BEFORE_ANY, str(r["before"]), record, iris))
        if "snapshot" in r:
            when = r["time"].toPython() if isinstance(r["time"], Literal) else None
            if isinstance(when, dt.datetime):
                history.add(rid, version(moment(when), str(r["snapshot"]), record, iris))


def version(when: dt.datetime, snapshot: str, record: URIRef, iris: Iris) -> Version:
    """A dataset's version from the N-Triples of its state, read the way the write path reads a record."""
    g = Graph()
    for t in parse_ntriples(snapshot):
        g.add(t)
    data = DATASET.from_rdf(g, record, iris)
    generated = data.get("generated_by") or {}
    return Version(
        time=when,
        sources=tuple(data.get("derived_from") or ()),
        flags=Flags(data.get("personal_information") is True, generated.get("kind"), bool(data.get("retired"))),
        facts={"title": data.get("title"), "publisher": data.get("publisher"), "access": data.get("access"),
               "retired": bool(data.get("retired")), "by": generated.get("by"), "date": generated.get("date")},
    )


def moment(when: dt.datetime) -> dt.datetime:
    """`when` with its time zone: a time given without one is read as UTC, the audit log's clock."""
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def lineage_from_store(store: Store, iris: Iris, resources: Resources) -> LineageGraph:
    """The lineage graph of every dataset in `store`."""
    return LineageGraph.from_rows(store.select(resources.query("lineage-all")), iris)
