"""Reference graphs at an open (services/reference.load_reference_graphs): written when the store does not hold
exactly the files' graphs, left alone when it does. One suite, run here on Oxigraph (in memory and on disk) and
by remote_store's contract on each SPARQL server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import BNode, Literal, URIRef

from registry.iris import Iris
from registry.resources import Resources, resources
from registry.services.reference import REFERENCE_MARKER, load_reference_graphs
from registry.store import Store, open_store
from registry.store.base import Triple

IRIS = Iris("https://registry.example.org")


def reference_names(res: Resources) -> list[str]:
    return [IRIS.reference_graph(n) for n in res.reference_graphs()]


def same_graph(held: list[Triple], expected: set[Triple]) -> bool:
    """The held graph is the expected one: the same triples but blank nodes (a store may rename them), and as
    many of those."""
    def named(ts: object) -> set[Triple]:
        return {t for t in ts if not any(isinstance(x, BNode) for x in t)}  # type: ignore[attr-defined]
    return len(set(held)) == len(expected) and named(held) == named(expected)


def holds_the_files(store: Store, res: Resources) -> bool:
    return all(same_graph(store.graph(IRIS.reference_graph(n)), set(g)) for n, g in res.reference_graphs().items())


class Writes:
    """Counts the store's writes (replace_graphs and add_to_graph) made through it."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        for name in ("replace_graphs", "add_to_graph"):
            real = getattr(store, name)

            def spy(*args: object, _real: object = real, **kw: object) -> object:
                self.count += 1
                return _real(*args, **kw)  # type: ignore[operator]
            monkeypatch.setattr(store, name, spy)


def change(store: Store, graph: str, edit: str) -> None:
    """Change a reference graph behind the registry's back (not through load_reference_graphs)."""
    triples = store.graph(graph)
    named = sorted((t for t in triples if isinstance(t[2], Literal) and not isinstance(t[0], BNode)), key=str)
    if edit == "drop":
        kept: list[Triple] = []
    elif edit == "remove":
        kept = [t for t in triples if t != named[0]]
    elif edit == "add":
        kept = [*triples, (URIRef("https://example.org/stray"), URIRef("https://example.org/p"), Literal("x"))]
    else:  # "replace": as many triples, one literal changed
        s, p, o = named[0]
        kept = [t for t in triples if t != named[0]] + [(s, p, Literal(str(o) + " (edited)", lang="en"))]
    store.replace_graphs({graph: kept})


class ReferenceGraphsContract:
    """What `load_reference_graphs` does on every store. Subclasses provide `store` (empty)."""

    @pytest.fixture
    def store(self) -> Iterator[Store]:  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def loaded(self, store: Store) -> Store:
        load_reference_graphs(store, IRIS, resources())
        return store

    def test_an_open_writes_the_files_graphs(self, loaded: Store) -> None:
        assert holds_the_files(loaded, resources())
        assert loaded.has_graph(IRIS.reference_graph(REFERENCE_MARKER))

    def test_an_open_over_the_same_graphs_writes_nothing(self, loaded: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        writes = Writes(loaded, monkeypatch)
        for _ in range(2):
            load_reference_graphs(loaded, IRIS, resources())
        assert writes.count == 0
        assert holds_the_files(loaded, resources())

    @pytest.mark.parametrize(("edit", "graph"), [("drop", 0), ("remove", 1), ("add", 2), ("replace", 3)])
    def test_a_graph_changed_behind_the_registrys_back_is_written_again(self, loaded: Store, edit: str, graph: int,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
        res = resources()
        change(loaded, reference_names(res)[graph], edit)
        assert not holds_the_files(loaded, res)
        writes = Writes(loaded, monkeypatch)
        load_reference_graphs(loaded, IRIS, res)
        assert writes.count > 0
        assert holds_the_files(loaded, res)

    def test_a_lost_or_edited_marker_writes_them_again(self, loaded: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        marker = IRIS.reference_graph(REFERENCE_MARKER)
        held = loaded.graph(marker)
        for edited in ([], [t for t in held if "extent" not in str(t[1])],
                       [(s, p, Literal("0 0") if "extent" in str(p) else o) for s, p, o in held],
                       [(s, p, Literal("another") if "hasVersion" in str(p) else o) for s, p, o in held]):
            loaded.replace_graphs({marker: edited})
            writes = Writes(loaded, monkeypatch)
            load_reference_graphs(loaded, IRIS, resources())
            assert writes.count > 0
            assert holds_the_files(loaded, resources())
            monkeypatch.undo()
        writes = Writes(loaded, monkeypatch)
        load_reference_graphs(loaded, IRIS, resources())
        assert writes.count == 0

    def test_other_files_or_another_base_write_them_again(self, loaded: Store, tmp_path: Path) -> None:
        root = tmp_path / "resources"
        for folder in ("ontology", "shapes", "sparql"):
            shutil.copytree(resources().root / folder, root / folder)
        with (root / "ontology" / "authorities.ttl").open("a", encoding="utf-8") as f:
            f.write('\n<https://example.org/new-authority> <http://www.w3.org/2004/02/skos/core#prefLabel> "New"@en .\n')
        edited = Resources(root)
        load_reference_graphs(loaded, IRIS, edited)
        assert holds_the_files(loaded, edited) and not holds_the_files(loaded, resources())
        load_reference_graphs(loaded, IRIS, resources())
        assert holds_the_files(loaded, resources())
        other = Iris("https://other.example.org")
        load_reference_graphs(loaded, other, resources())
        assert all(same_graph(loaded.graph(other.reference_graph(n)), set(g))
                   for n, g in resources().reference_graphs().items())


class TestInMemory(ReferenceGraphsContract):
    @pytest.fixture
    def store(self) -> Iterator[Store]:
        s = open_store("memory")
        yield s
        s.close()


def test_a_reopened_disk_store_is_not_written_again(tmp_path: Path) -> None:
    """On disk: a second open of the store (another process, later) finds the graphs and writes nothing."""
    first = open_store(str(tmp_path / "store"))
    load_reference_graphs(first, IRIS, resources())
    first.close()
    again = open_store(str(tmp_path / "store"))
    try:
        load_reference_graphs(again, IRIS, resources())
        assert again.write_mark() == 0
        assert holds_the_files(again, resources())
    finally:
        again.close()
