"""A view's copy of a record's graphs (`OxigraphStore.copy_graphs`, atomic): graphs the view lacks are added
with one `extend` of Oxigraph's quads, no update text; the view then holds exactly what the SPARQL update
(`_replace_text`, the way every other copy goes) leaves, whatever the terms."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from registry.store.oxigraph import OxigraphStore

EX = "https://registry.example.org/"
TERMS: list[ox.Literal | ox.NamedNode] = [
    ox.Literal("plain"),
    ox.Literal('quote " backslash \\ tab \t newline \n return \r end'),
    ox.Literal("l'été à Montréal, ☃ and 𝄞"),
    ox.Literal("titre", language="fr"),
    ox.Literal("title", language="en-CA"),
    ox.Literal("2020-01-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
    ox.Literal("P7Y", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#duration")),
    ox.Literal("42", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
    ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")),
    ox.Literal("x" * 5000),
    ox.NamedNode(f"{EX}organization/ministry-of-health"),
    ox.NamedNode("http://www.w3.org/ns/dcat#Dataset"),
]


def graph(kind: str, rid: str, part: str) -> str:
    return f"{EX}graph/{kind}/{rid}/{part}"


def record(rng: random.Random, kind: str, rid: str) -> list[ox.Quad]:
    """A record's two graphs (either may be left empty), of random terms."""
    s = ox.NamedNode(f"{EX}{kind}/{rid}")
    out = []
    for part in ("public", "restricted"):
        g = ox.NamedNode(graph(kind, rid, part))
        for k in range(rng.choice([0, 1, 3, 12])):
            out.append(ox.Quad(s, ox.NamedNode(f"{EX}ns#p{k % 4}"), rng.choice(TERMS), g))
    return out


def quads(store: OxigraphStore) -> set[ox.Quad]:
    return set(store.raw())


class Updates:
    """The view's pyoxigraph store, counting the SPARQL updates made through it."""

    def __init__(self, inner: ox.Store) -> None:
        self.inner, self.updates = inner, 0

    def update(self, text: str) -> None:
        self.updates += 1
        self.inner.update(text)

    def __iter__(self) -> Any:
        return iter(self.inner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(params=["memory", "disk"])
def views(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Two view stores: one filled by `copy_graphs`, one by the update text alone."""
    made = [OxigraphStore(None if request.param == "memory" else tmp_path / name, durable=False)
            for name in ("new", "old")]
    yield made
    for s in made:
        s.close()


def test_a_copy_leaves_the_view_as_the_update_does(views: list[OxigraphStore]) -> None:
    new, old = views
    rng = random.Random(18)
    source = OxigraphStore(None)
    try:
        names = [(kind, f"r{i}") for i in range(60) for kind in ("dataset", "agreement")]
        for step in range(4):  # created, then rewritten (graphs the views hold), some removed, some again
            for kind, rid in names:
                if rng.random() < 0.3 and step:
                    continue
                gs = [graph(kind, rid, part) for part in ("public", "restricted")]
                for g in gs:
                    source.raw().remove_graph(ox.NamedNode(g))
                if rng.random() > 0.15 or not step:
                    source.raw().extend(record(rng, kind, rid))
                chosen = rng.choice([gs, gs[:1], gs[1:]])
                assert source.copy_graphs(chosen, into=new) == len(
                    [q for g in chosen for q in source.raw().quads_for_pattern(None, None, None, ox.NamedNode(g))])
                old._replace_text(source.raw(), [ox.NamedNode(g) for g in chosen])
            assert quads(new) == quads(old)
            assert sorted(new.graph_names()) == sorted(old.graph_names())
    finally:
        source.close()


def test_graphs_the_view_lacks_are_added_without_an_update(views: list[OxigraphStore]) -> None:
    view = views[0]
    source = OxigraphStore(None)
    try:
        rng = random.Random(7)
        added = record(rng, "dataset", "a") + [ox.Quad(ox.NamedNode(f"{EX}dataset/a"), ox.NamedNode(f"{EX}ns#t"),
                                                       TERMS[1], ox.NamedNode(graph("dataset", "a", "public")))]
        source.raw().extend(added)
        counted = Updates(view.raw())
        view._store = counted
        mark = view.write_mark()
        both = [graph("dataset", "a", "public"), graph("dataset", "a", "restricted")]
        assert source.copy_graphs(both, into=view) == len(set(added))
        assert counted.updates == 0, "a record the view lacks is one extend, no update text"
        assert quads(view) == set(source.raw())
        assert view.write_mark() == (mark or 0) + 1, "the copy moves the view's write mark"
        # the view holds the graphs now: a copy again replaces them (by the update), never adds to them
        source.raw().remove_graph(ox.NamedNode(both[0]))
        source.raw().add(ox.Quad(ox.NamedNode(f"{EX}dataset/a"), ox.NamedNode(f"{EX}ns#t"), TERMS[3],
                                 ox.NamedNode(both[0])))
        source.copy_graphs(both, into=view)
        assert counted.updates == 1
        assert quads(view) == set(source.raw())
        # a graph the source lacks and the view holds is dropped, as before
        source.raw().remove_graph(ox.NamedNode(both[0]))
        source.copy_graphs(both[:1], into=view)
        assert not view.has_graph(both[0]) and quads(view) == set(source.raw())
    finally:
        source.close()
