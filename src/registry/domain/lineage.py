"""Lineage as a networkx DiGraph (edges run from a source to the dataset derived from it): closure,
impact, cycle and personal-information questions on one graph, built from rows of facts (no I/O)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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
        if d not in self.g:
            return False, None
        if self.g.nodes[d]["pi"]:
            return True, None
        seen: set[str] = set()

        def walk(node: str, trail: tuple[str, ...]) -> list[str] | None:
            if self.g.nodes[node]["kind"] == DEIDENTIFICATION:
                return None
            for src in sorted(self.g.predecessors(node)):
                if src in trail or src in seen:
                    continue
                if self.g.nodes[src]["pi"]:
                    return [*trail, node, src]
                seen.add(src)
                found = walk(src, (*trail, node))
                if found:
                    return found
            return None

        path = walk(d, ())
        return (path is not None), path

    def closure(self, d: str, direction: str, depth: int | None) -> tuple[list[str], list[Edge]]:
        """Nodes and edges within `depth` hops upstream, downstream or both (None: no limit)."""
        if d not in self.g:
            return [], []
        nodes = {d}
        edges: set[tuple[str, str]] = set()
        for step in (["upstream", "downstream"] if direction == "both" else [direction]):
            frontier: deque[tuple[str, int]] = deque([(d, 0)])
            seen = {d}
            while frontier:
                node, dist = frontier.popleft()
                if depth is not None and dist >= depth:
                    continue
                nxt = self.g.predecessors(node) if step == "upstream" else self.g.successors(node)
                for other in nxt:
                    edges.add((other, node) if step == "upstream" else (node, other))
                    if other not in seen:
                        seen.add(other)
                        nodes.add(other)
                        frontier.append((other, dist + 1))
        out_edges = [Edge(s, t, self.g.nodes[t]["kind"]) for s, t in sorted(edges)]
        return sorted(nodes), out_edges

    def downstream(self, d: str) -> list[str]:
        return sorted(nx.descendants(self.g, d)) if d in self.g else []


def _kind(v: Node | None) -> str | None:
    return str(v).rsplit("/", 1)[-1] if v is not None else None


#: either a LineageGraph (a view, e.g. as of a date) or the live LineageIndex
