"""Lineage as a networkx DiGraph (edges run from a source to the dataset derived from it): closure,
impact, cycle and personal-information questions on one graph, built from rows of facts (no I/O)."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import networkx as nx
from rdflib.term import Literal, Node

from registry.iris import Iris

DEIDENTIFICATION = "deidentification"


@dataclass(frozen=True)
class Edge:
    source: str
    derived: str
    kind: str | None


def _bool(v: Node | None) -> bool:
    if v is None:
        return False
    py = v.toPython() if isinstance(v, Literal) else v
    return py is True or str(v) == "true"


class LineageGraph:
    """Datasets and their derivations. Node attributes: `pi` (declared personal information), `kind`
    (the activity that generated the dataset), `retired`."""

    def __init__(self) -> None:
        self.g: nx.DiGraph[str] = nx.DiGraph()

    # ------------------------------------------------------------ building
    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Node]], iris: Iris) -> LineageGraph:
        """From the rows of lineage-all.rq: a row binding only ?dataset says it is a dataset; the others
        each bind one fact of a dataset (a source, the activity kind, personal information, retirement)."""
        datasets: list[str] = []
        pi: set[str] = set()
        kind: dict[str, str | None] = {}
        retired: set[str] = set()
        edges: list[tuple[str, str]] = []
        for r in rows:
            d = iris.id_of(r["dataset"])
            if "source" in r:
                edges.append((iris.id_of(r["source"]), d))
            elif "kind" in r:
                kind[d] = _kind(r["kind"])
            elif "pi" in r:
                if _bool(r["pi"]):
                    pi.add(d)
            elif "retired" in r:
                retired.add(d)
            else:
                datasets.append(d)
        lg = cls()
        for d in datasets:
            lg._node(d, pi=d in pi, kind=kind.get(d), retired=d in retired)
        known = set(datasets)
        for src, d in edges:
            if d not in known:
                continue  # a derivation stated of something that is not a dataset
            if src not in lg.g:
                lg.g.add_node(src, pi=False, kind=None, retired=False)
            lg.g.add_edge(src, d)
        return lg

    def _node(self, d: str, *, pi: bool, kind: str | None, retired: bool) -> None:
        if d in self.g:
            self.g.nodes[d].update(pi=pi, kind=kind, retired=retired)
        else:
            self.g.add_node(d, pi=pi, kind=kind, retired=retired)

    def set_dataset(self, d: str, sources: Iterable[str], *, pi: bool, kind: str | None, retired: bool) -> None:
        """Replace what is known of one dataset: its flags and the edges from its sources."""
        self._node(d, pi=pi, kind=kind, retired=retired)
        for src in list(self.g.predecessors(d)):
            self.g.remove_edge(src, d)
        for src in sources:
            if src not in self.g:
                self.g.add_node(src, pi=False, kind=None, retired=False)
            self.g.add_edge(src, d)

    # ------------------------------------------------------------ questions
    def __contains__(self, d: str) -> bool:
        return d in self.g

    def would_cycle(self, d: str, sources: Iterable[str]) -> list[str] | None:
        """The cycle that deriving `d` from `sources` would close (d, ..., source, d), or None."""
        for src in sources:
            if src == d:
                return [d, d]
            if d in self.g and src in self.g and nx.has_path(self.g, d, src):
                return [*nx.shortest_path(self.g, d, src), d]
        return None

    def effective_pi(self, d: str) -> tuple[bool, list[str] | None]:
        """(carries personal information, the path d <- ... <- source that makes it inherited).
        Declared: (True, None). A de-identification activity stops the propagation."""
        return effective_pi(self, d)

    def closure(self, d: str, direction: str, depth: int | None) -> tuple[list[str], list[Edge]]:
        """Nodes and edges within `depth` hops upstream, downstream or both (None: no limit)."""
        return closure(self, d, direction, depth)

    def closure_page(self, d: str, direction: str, depth: int | None, offset: int,
                     size: int) -> tuple[int, list[str], list[Edge]]:
        return closure_page(self, d, direction, depth, offset, size)

    def downstream(self, d: str) -> list[str]:
        return sorted(nx.descendants(self.g, d)) if d in self.g else []

    # ------------------------------------------------------------ the adjacency the questions walk
    def sources(self, d: str) -> Iterable[str]:
        return self.g.predecessors(d)

    def derived(self, d: str) -> Iterable[str]:
        return self.g.successors(d)

    def flags(self, d: str) -> Flags:
        attrs = self.g.nodes[d]
        return Flags(attrs["pi"], attrs["kind"], attrs["retired"])


@dataclass(frozen=True)
class Flags:
    """What the questions read of a dataset beside its edges."""

    pi: bool
    kind: str | None
    retired: bool


class Adjacency(Protocol):
    """A lineage graph as the questions walk it: the live graph, or the graph as it stood at a moment."""

    def __contains__(self, d: str) -> bool: ...

    def sources(self, d: str) -> Iterable[str]: ...

    def derived(self, d: str) -> Iterable[str]: ...

    def flags(self, d: str) -> Flags: ...


def effective_pi(g: Adjacency, d: str) -> tuple[bool, list[str] | None]:
    """(carries personal information, the path d <- ... <- source that makes it inherited)."""
    if d not in g:
        return False, None
    if g.flags(d).pi:
        return True, None
    seen: set[str] = set()

    def walk(node: str, trail: tuple[str, ...]) -> list[str] | None:
        if g.flags(node).kind == DEIDENTIFICATION:
            return None
        for src in sorted(g.sources(node)):
            if src in trail or src in seen or src not in g:
                continue
            if g.flags(src).pi:
                return [*trail, node, src]
            seen.add(src)
            found = walk(src, (*trail, node))
            if found:
                return found
        return None

    path = walk(d, ())
    return (path is not None), path


def _reach(g: Adjacency, d: str, direction: str, depth: int | None) -> tuple[set[str], set[str], set[str]]:
    """The datasets within `depth` hops of `d` upstream, downstream or both (None: no limit), `d` among them;
    and the datasets the walk went on from, upstream and downstream (the closure's edges are theirs)."""
    nodes, up, down = {d}, set[str](), set[str]()
    for step in (["upstream", "downstream"] if direction == "both" else [direction]):
        frontier: deque[tuple[str, int]] = deque([(d, 0)])
        seen, went_on = {d}, up if step == "upstream" else down
        while frontier:
            node, dist = frontier.popleft()
            if depth is not None and dist >= depth:
                continue
            went_on.add(node)
            for other in g.sources(node) if step == "upstream" else g.derived(node):
                if other not in seen:
                    seen.add(other)
                    nodes.add(other)
                    frontier.append((other, dist + 1))
    return nodes, up, down


def _edges(g: Adjacency, edges: set[tuple[str, str]]) -> list[Edge]:
    return [Edge(s, t, g.flags(t).kind) for s, t in sorted(edges)]


def closure(g: Adjacency, d: str, direction: str, depth: int | None) -> tuple[list[str], list[Edge]]:
    """Nodes and edges within `depth` hops upstream, downstream or both (None: no limit)."""
    if d not in g:
        return [], []
    nodes, up, down = _reach(g, d, direction, depth)
    edges = {(s, t) for t in up for s in g.sources(t)} | {(s, t) for s in down for t in g.derived(s)}
    return sorted(nodes), _edges(g, edges)


def closure_page(g: Adjacency, d: str, direction: str, depth: int | None, offset: int,
                 size: int) -> tuple[int, list[str], list[Edge]]:
    """One page of `closure` without building its whole list of edges: (how many nodes, the page's nodes:
    `d` first, then the others by id, and the edges into them, as `closure` lists them)."""
    if d not in g:
        return 1, [d][offset:offset + size], []
    nodes, up, down = _reach(g, d, direction, depth)
    nodes.discard(d)
    page = [d, *sorted(nodes)][offset:offset + size]
    edges = {(s, t) for t in page for s in g.sources(t) if t in up or s in down}
    return len(nodes) + 1, page, _edges(g, edges)


def downstream(g: Adjacency, d: str) -> list[str]:
    """Every dataset derived from `d`, directly or not, by id."""
    if d not in g:
        return []
    seen: set[str] = set()
    frontier = [d]
    while frontier:
        for other in g.derived(frontier.pop()):
            if other not in seen and other != d:
                seen.add(other)
                frontier.append(other)
    return sorted(seen)


# ---------------------------------------------------------------------------------------- history


@dataclass(frozen=True)
class Version:
    """A dataset as one audit entry left it; `time` BEFORE_ANY for its bulk-loaded state before its first
    logged write. `facts`: what a lineage answer shows of it (title, publisher, access, the activity's
    organisation and date)."""

    time: dt.datetime
    sources: tuple[str, ...]
    flags: Flags
    facts: Mapping[str, Any] = field(default_factory=dict)


class History:
    """Every logged version of the datasets written through the write path, for answers as of a moment
    (times with their time zone)."""

    def __init__(self) -> None:
        self.versions: dict[str, list[Version]] = {}
        #: a source -> every dataset that ever named it (some version), to find what derived from it then
        self.ever_derived: dict[str, set[str]] = {}

    def add(self, d: str, version: Version) -> None:
        kept = self.versions.setdefault(d, [])
        kept.append(version)
        if len(kept) > 1 and kept[-2].time > version.time:
            kept.sort(key=lambda v: v.time)
        for src in version.sources:
            self.ever_derived.setdefault(src, set()).add(d)

    def at(self, graph: LineageGraph, when: dt.datetime) -> LineageAt:
        return LineageAt(graph, self, when)


_NOW = object()  # a dataset with no logged history: as it is now
#: the time of a bulk-loaded state, before any logged write
BEFORE_ANY = dt.datetime.min.replace(tzinfo=dt.UTC)


class LineageAt:
    """The lineage graph as it stood at `when`, read from the live graph and the history without copying
    either: a dataset with logged versions is taken from the last at or before `when` (absent if its first
    came later), one without from the live graph."""

    def __init__(self, graph: LineageGraph, history: History, when: dt.datetime) -> None:
        self.graph, self.history, self.when = graph, history, when

    def version(self, d: str) -> Version | None | object:
        """The dataset's version then; `_NOW` for one with no history; None if it did not exist yet."""
        kept = self.history.versions.get(d)
        if not kept:
            return _NOW if d in self.graph else None
        found = None
        for v in kept:
            if v.time > self.when:
                break
            found = v
        return found

    def __contains__(self, d: str) -> bool:
        return self.version(d) is not None

    def sources(self, d: str) -> Iterable[str]:
        v = self.version(d)
        if v is _NOW:
            return self.graph.sources(d)
        return v.sources if isinstance(v, Version) else ()

    def derived(self, d: str) -> Iterable[str]:
        candidates = set(self.graph.derived(d)) if d in self.graph else set()
        candidates |= self.history.ever_derived.get(d, set())
        return sorted(c for c in candidates if d in self.sources(c))

    def flags(self, d: str) -> Flags:
        v = self.version(d)
        if isinstance(v, Version):
            return v.flags
        return self.graph.flags(d) if d in self.graph else Flags(False, None, False)

    def facts(self, d: str) -> Mapping[str, Any] | None:
        """What the answer shows of a dataset with history (None: read it from the store, as it is now)."""
        v = self.version(d)
        return v.facts if isinstance(v, Version) else None

    def effective_pi(self, d: str) -> tuple[bool, list[str] | None]:
        return effective_pi(self, d)

    def closure(self, d: str, direction: str, depth: int | None) -> tuple[list[str], list[Edge]]:
        return closure(self, d, direction, depth)

    def closure_page(self, d: str, direction: str, depth: int | None, offset: int,
                     size: int) -> tuple[int, list[str], list[Edge]]:
        return closure_page(self, d, direction, depth, offset, size)

    def downstream(self, d: str) -> list[str]:
        return downstream(self, d)


def _kind(v: Node | None) -> str | None:
    return str(v).rsplit("/", 1)[-1] if v is not None else None


#: either a LineageGraph (a view, e.g. as of a date) or the live LineageIndex
