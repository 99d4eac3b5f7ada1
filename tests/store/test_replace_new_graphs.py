"""`OxigraphStore.replace_graphs` of graphs the store holds none of: one `extend` of Oxigraph's quads, no update
text, leaving exactly what the SPARQL update leaves whatever the terms; and the views' copy of a write made by this
process, from the triples its commit wrote (`Entry.written`) instead of reading the store again, leaving exactly
what a copy from the store leaves."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from helpers import WORLD_FILE, fresh_world_registry, load_json, record
from registry.domain.model import KINDS
from registry.services.auth import Caller
from registry.services.ingest.loader import SYSTEM
from registry.services.registry import Registry
from registry.store.base import Store, Triple
from registry.store.oxigraph import OxigraphStore
from store.test_view_copy import Updates

EX = "https://registry.example.org/"
WORLD = load_json(WORLD_FILE)
OFFICER = Caller(role="privacy-officer", token_id="test")
VALUES: list[Any] = [
    Literal("plain"),
    Literal('quote " backslash \\ tab \t newline \n return \r end'),
    Literal("l'été à Montréal, ☃ and 𝄞"),
    Literal("a\x00b"),
    Literal("titre", lang="fr"),
    Literal("Title", lang="EN-ca"),
    Literal("01", datatype=XSD.integer),
    Literal("1.50", datatype=XSD.decimal),
    Literal("1", datatype=XSD.boolean),
    Literal("1E3", datatype=XSD.double),
    Literal("+5", datatype=XSD.int),
    Literal("2020-01-01T00:00:00+00:00", datatype=XSD.dateTime),
    Literal("P7Y", datatype=XSD.duration),
    Literal("x", datatype=XSD.string),
    Literal("x", datatype=URIRef(f"{EX}ns#own")),
    Literal("x" * 5000),
    URIRef(f"{EX}organization/ministry-of-health"),
    URIRef(f"{EX}é/ü?q=1#f"),
]


class Counted(Updates):
    """A store's pyoxigraph database, counting the SPARQL updates and extends made through it."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.extends = 0

    def extend(self, quads: Any) -> None:
        self.extends += 1
        self.inner.extend(quads)


@pytest.fixture(params=["memory", "disk"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[OxigraphStore]]:
    """Two stores: one written by `replace_graphs`, one by its SPARQL update alone (`holding={}`: no graph is
    taken as new)."""
    made = [OxigraphStore(None if request.param == "memory" else tmp_path / name, durable=False)
            for name in ("new", "old")]
    yield made
    for s in made:
        s.close()


def graphs_of(rng: random.Random, rid: str) -> dict[str, list[Triple]]:
    s = URIRef(f"{EX}dataset/{rid}")
    return {f"{EX}graph/dataset/{rid}/{part}": [(s, URIRef(f"{EX}ns#p{k % 5}"), rng.choice(VALUES))
                                                for k in range(rng.choice([0, 1, 3, 12]))]
            for part in ("public", "restricted")}


def quads(store: OxigraphStore) -> set[Any]:
    return set(store.raw())


def test_new_graphs_are_added_by_one_extend_leaving_what_the_update_leaves(stores: list[OxigraphStore]) -> None:
    new, old = stores
    counted = Counted(new.raw())
    new._store = counted
    rng = random.Random(18)
    names = [f"r{i}" for i in range(50)]
    for step in range(4):  # created, rewritten (graphs held: the update), some emptied or half new, some again
        for rid in names:
            if step and rng.random() < 0.3:
                continue
            graphs = graphs_of(rng, rid)
            if step and rng.random() < 0.2:
                graphs = {g: [] for g in graphs}
            if rng.random() < 0.3:
                graphs = dict(list(graphs.items())[rng.randrange(2):][:1])
            fresh = not any(new.has_graph(g) for g in graphs)
            before = (counted.updates, counted.extends)
            new.replace_graphs(graphs)
            old.replace_graphs(graphs, holding={})
            if fresh and any(graphs.values()):  # no update text: one extend
                assert (counted.updates, counted.extends) == (before[0], before[1] + 1)
            else:  # graphs held, or nothing to add: the update (a replacement is always a write)
                assert counted.updates == before[0] + 1
        assert quads(new) == quads(old)
        assert new.graph_names() == old.graph_names()
    assert counted.extends > 40 and counted.updates > 20


def test_blank_nodes_and_held_graphs_go_by_the_update(stores: list[OxigraphStore]) -> None:
    new, old = stores
    counted = Counted(new.raw())
    new._store = counted
    s, g = URIRef(f"{EX}dataset/b"), f"{EX}graph/dataset/b/public"
    blank = BNode()
    triples: list[Triple] = [(s, URIRef(f"{EX}ns#p"), blank), (blank, URIRef(f"{EX}ns#q"), Literal("v"))]
    new.replace_graphs({g: triples})
    old.replace_graphs({g: triples}, holding={})
    assert (counted.updates, counted.extends) == (1, 0), "a blank node in an update's data is a new one"
    assert len(quads(new)) == len(quads(old)) == 2
    head = f"{EX}graph/system/head"
    new.replace_graphs({head: [(s, URIRef(f"{EX}ns#n"), Literal(1))]}, holding={head: []})
    assert (counted.updates, counted.extends) == (2, 0), "`holding` names graphs the caller knows are there"


def test_replacements_of_one_new_graph_at_once_leave_one_of_them(tmp_path: Path) -> None:
    """Two threads replace the same graph, new each round: it ends holding one writer's triples, never both
    (the look at which graphs are new and the write are one step among replacements)."""
    store = OxigraphStore(tmp_path / "s", durable=False)
    try:
        for round_ in range(150):
            g = f"{EX}graph/dataset/race{round_}/public"
            s = URIRef(f"{EX}dataset/race{round_}")
            mine = {w: [(s, URIRef(f"{EX}ns#writer"), Literal(f"{w}-{k}")) for k in range(20)] for w in range(2)}
            start = threading.Barrier(2)

            def write(w: int, g: str = g, mine: dict[int, list[Triple]] = mine, start: threading.Barrier = start) -> None:
                start.wait()
                store.replace_graphs({g: mine[w]})

            threads = [threading.Thread(target=write, args=(w,)) for w in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert set(store.graph(g)) in ({*mine[0]}, {*mine[1]})
    finally:
        store.close()


# ----------------------------------------------------------------------------------- the views' copy
def view_graphs(reg: Registry, name: str) -> dict[str, set[Triple]]:
    view = getattr(reg.views, name)
    return {g: set(view.graph(g)) for g in view.graph_names()}


def allowed_in_store(reg: Registry, name: str) -> dict[str, set[Triple]]:
    visibility = getattr(reg.views, name).visibility
    return {g: set(reg.store.graph(g)) for g in reg.store.graph_names() if visibility.allows(g)}


class Reads:
    """Counts the copies the views make from the store (`Store.copy_graphs` of the registry's store)."""

    def __init__(self, store: Store) -> None:
        self.store, self.copies = store, 0
        self.inner = store.copy_graphs

    def __enter__(self) -> Reads:
        def counted(names: Any, into: Store, *, atomic: bool = True) -> int:
            self.copies += 1
            return self.inner(names, into, atomic=atomic)
        self.store.copy_graphs = counted  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        del self.store.copy_graphs


@pytest.fixture
def reg() -> Iterator[Registry]:
    r = fresh_world_registry()
    r.views.public.store()  # both views open and up to date: a commit is then applied to them at once
    r.views.officer.store()
    yield r
    r.close()


def dataset(**fields: Any) -> dict[str, Any]:
    return {**record(WORLD, "datasets", "ohip-claims"), **fields}


def test_a_write_reaches_the_views_from_its_commit_as_a_copy_from_the_store_would(reg: Registry) -> None:
    ds = KINDS["dataset"]
    rng = random.Random(5)
    with Reads(reg.store) as reads:
        for k in range(12):
            data = dataset(id=f"copied-{k}", title=f"Copied {k} {rng.choice(['é', '☃', 'x'])}",
                           access=rng.choice(["restricted", "non-public"]), keywords=rng.sample(["a", "é", "☃", "z"], 2))
            reg.records.write(ds, data, SYSTEM, create=True)
            if k % 3 == 0:  # rewritten: graphs the views hold
                reg.records.write(ds, {**data, "title": f"Rewritten {k}"}, SYSTEM, create=False, rid=data["id"])
            if k % 4 == 1:
                reg.records.retire(ds, data["id"], SYSTEM)
        reg.share_checks.run({"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu",
                              "purpose": "program-planning", "date": "2025-02-01"}, OFFICER)
        assert reads.copies == 0, "each commit reached both views from the triples it wrote"
        for name in ("public", "officer"):
            assert view_graphs(reg, name) == allowed_in_store(reg, name)
    # a view busy when a commit is made catches up at its next read, from the store
    with reg.follower._lock(reg.views.officer):
        t = threading.Thread(target=reg.records.write, args=(ds, dataset(id="behind", title="Behind"), SYSTEM),
                             kwargs={"create": True})
        t.start()
        t.join()
    with Reads(reg.store) as reads:
        assert view_graphs(reg, "officer") == allowed_in_store(reg, "officer")
        assert reads.copies == 1
    assert view_graphs(reg, "public") == allowed_in_store(reg, "public")
