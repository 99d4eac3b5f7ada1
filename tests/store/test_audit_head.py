"""The audit chain's head, kept between reads while the store's write mark stands still: never older than the
store's, whatever wrote it (a commit, a write of the head graph outside the log, a bulk load, a failed write),
and not read from the store again while nothing was written."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from rdflib import Literal, URIRef

from registry.config import Settings
from registry.namespaces import REG
from registry.services.ingest.loader import SYSTEM
from registry.services.registry import Registry, open_registry
from registry.store import open_store
from registry.store.audit import Head
from registry.store.oxigraph import OxigraphStore

RECORD = URIRef("https://example.org/dataset/a")


def commit(reg: Registry, n: int) -> int:
    return reg.audit.commit({f"https://example.org/graph/dataset/a{n}": [(RECORD, REG.sequence, Literal(n))]},
                            agent=SYSTEM, action="create", record=RECORD, kind="dataset", rid=f"a{n}",
                            before="", after=str(n))


def stored_head(reg: Registry) -> Head:
    values = {p: o for _s, p, o in reg.store.graph(reg.audit.head_graph)}
    return Head(int(str(values[REG.sequence])), str(values[REG.entryHash]))


@pytest.fixture(params=["memory", "disk"])
def reg(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    r = open_registry(Settings(data="memory" if request.param == "memory" else str(tmp_path / "store")))
    yield r
    r.close()


def test_the_write_mark_moves_with_each_write_and_is_none_while_one_is_under_way(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    assert isinstance(store, OxigraphStore)
    start = store.write_mark()
    assert start is not None
    store.replace_graphs({"https://example.org/g": [(RECORD, REG.sequence, Literal(1))]})
    store.add_to_graph("https://example.org/g", [(RECORD, REG.sequence, Literal(2))])
    nq = tmp_path / "more.nq"
    nq.write_text(f'<{RECORD}> <{REG.sequence}> "3" <https://example.org/h> .\n')
    store.bulk_load(nq, "nquads")
    assert store.write_mark() == start + 3

    seen: list[int | None] = []
    inside = threading.Event()

    def writes() -> Any:  # a write's triples are read while it is under way
        inside.set()
        seen.append(store.write_mark())
        yield RECORD, REG.sequence, Literal(4)

    store.add_to_graph("https://example.org/g", writes())
    assert inside.is_set() and seen == [None]
    assert store.write_mark() == start + 4
    store.close()


def test_a_store_others_may_write_gives_no_mark(tmp_path: Path) -> None:
    held = open_store(str(tmp_path / "s"))
    beside = open_store(str(tmp_path / "s"), read_only_fallback=True)
    assert isinstance(beside, OxigraphStore) and beside.read_only
    assert beside.write_mark() is None
    beside.close()
    held.close()


def test_the_head_follows_every_commit(reg: Registry) -> None:
    for n in range(1, 6):
        seq = commit(reg, n)
        assert reg.audit.head() == stored_head(reg) and reg.audit.head().seq == seq == n


def test_the_head_is_not_read_again_while_nothing_is_written(reg: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    commit(reg, 1)
    reads: list[str] = []
    graph = reg.store.graph

    def counted(name: str) -> Any:
        reads.append(name)
        return graph(name)

    monkeypatch.setattr(reg.store, "graph", counted)
    for _ in range(5):
        reg.audit.head()
    assert reads.count(reg.audit.head_graph) == 0, "the head a commit wrote was read back"
    reg.store.replace_graphs({"https://example.org/graph/other": [(RECORD, REG.sequence, Literal(0))]})
    reg.audit.head()
    reg.audit.head()
    assert reads.count(reg.audit.head_graph) == 1, "after another write, the head is read once, then kept"


def test_a_head_written_outside_the_log_is_seen_at_once(reg: Registry) -> None:
    commit(reg, 1)
    commit(reg, 2)
    assert reg.audit.head().seq == 2
    h = reg.iris.record("system", "audit-head")
    reg.store.replace_graphs({reg.audit.head_graph: [(h, REG.sequence, Literal(7)), (h, REG.entryHash, Literal("f" * 64))]})
    assert reg.audit.head() == Head(7, "f" * 64)
    assert commit(reg, 3) == 8


def test_a_failed_write_leaves_no_head_behind(reg: Registry) -> None:
    commit(reg, 1)
    before = reg.audit.head()

    def broken() -> Any:
        yield RECORD, REG.sequence, Literal(1)
        raise RuntimeError("the write fails part-way")

    with pytest.raises(RuntimeError):
        reg.store.add_to_graph("https://example.org/graph/broken", broken())
    assert reg.audit.head() == before == stored_head(reg)
    assert commit(reg, 2) == 2 and reg.audit.head() == stored_head(reg)


def test_the_head_graph_holds_one_head_after_commits_and_writes_beside_them(reg: Registry) -> None:
    """Commits right after the log's own last one take the old head out by its triples; after any other
    write (here the head graph rewritten outside the log, with a triple more) the graph is dropped whole."""
    for n in range(1, 4):
        commit(reg, n)
        assert len(reg.store.graph(reg.audit.head_graph)) == 2
    h = reg.iris.record("system", "audit-head")
    reg.store.replace_graphs({reg.audit.head_graph: [(h, REG.sequence, Literal(3)),
                                                     (h, REG.entryHash, Literal(reg.audit.head().hash)),
                                                     (h, REG.action, Literal("a stray triple"))]})
    commit(reg, 4)
    assert sorted(str(p) for _s, p, _o in reg.store.graph(reg.audit.head_graph)) == sorted([str(REG.sequence),
                                                                                           str(REG.entryHash)])
    for n in range(5, 8):
        commit(reg, n)
        assert reg.audit.head() == stored_head(reg) and len(reg.store.graph(reg.audit.head_graph)) == 2


def test_replacing_a_graph_whose_triples_are_known_takes_out_exactly_those(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    g = "https://example.org/g"
    old = [(RECORD, REG.sequence, Literal(1)), (RECORD, REG.entryHash, Literal("a"))]
    store.replace_graphs({g: old})
    new = [(RECORD, REG.sequence, Literal(2)), (RECORD, REG.entryHash, Literal("b"))]
    store.replace_graphs({g: new, "https://example.org/other": old}, holding={g: old})
    assert sorted(store.graph(g)) == sorted(new)
    assert sorted(store.graph("https://example.org/other")) == sorted(old)
    store.close()
