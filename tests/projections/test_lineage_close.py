"""Closing the lineage index (`LineageIndex.close`) keeps the graph in its file and lets go of it, as the
register does its facts: the next question reads it from the file, with the same answers and no rebuild. A
store that keeps no file keeps its graph. The bulk load keeps and lets go of the graph it built the same way:
the file holds the bytes `lineage_file.save` writes of that graph at the audit head, and the graph is emptied
and let go of before the public view's store is taken in."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from bench.synth import synthesize

from conftest import load_world
from registry.config import Settings
from registry.domain.lineage import LineageGraph
from registry.projections import bulk as bulk_module
from registry.projections import lineage_file
from registry.services.ingest.loader import SYSTEM, load_file
from registry.services.registry import Registry, open_registry


def answers(reg: Registry) -> tuple[Any, ...]:
    lineage = reg.lineage
    ids = sorted(lineage.copy().g)
    return (ids, lineage.carry_pi(ids), [lineage.downstream(d) for d in ids],
            [lineage.closure_page(d, "upstream", None, 0, 50) for d in ids])


def rebuilds(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("rebuilding the lineage")]


def test_a_closed_lineage_index_lets_go_of_its_graph_and_reads_it_from_its_file(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="registry")
    reg = open_registry(Settings(data=str(tmp_path / "store")))
    try:
        load_world(reg)
        before = answers(reg)
        assert len(before[0]) >= 10 and reg.lineage.position() == reg.audit.head()
        graph = reg.lineage._graph
        assert graph is not None
        reg.follower.close([reg.lineage])
        assert reg.lineage.position() is None and reg.lineage._graph is None, "the graph let go of"
        assert len(graph.g) == 0, "and emptied at once (its views make a cycle)"
        saved = lineage_file.load(tmp_path / "store.lineage", reg.store.identity())
        assert saved is not None and saved.position == reg.audit.head()
        caplog.clear()
        assert answers(reg) == before
        assert not rebuilds(caplog), "read from the file"
        assert reg.lineage.position() == reg.audit.head()
    finally:
        reg.close()


def test_a_lineage_index_without_a_file_keeps_its_graph_when_closed(registry: Registry) -> None:
    load_world(registry)
    before = answers(registry)
    held = registry.lineage.position()
    registry.follower.close([registry.lineage])
    assert registry.lineage.path is None and registry.lineage.position() == held is not None
    assert answers(registry) == before


def test_the_bulk_load_keeps_the_graph_it_built_and_lets_go_of_it_before_the_view_is_taken_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "synth.nq"
    synthesize(source, 150, seed=5)
    reg = open_registry(Settings(data=str(tmp_path / "store")))
    built: list[LineageGraph] = []
    expected = tmp_path / "expected.lineage"
    seen: list[tuple[Any, ...]] = []
    from_rows = bulk_module.LineageGraph.from_rows

    def building(*args: Any, **kwargs: Any) -> LineageGraph:
        graph = from_rows(*args, **kwargs)
        # the bytes the load wrote before LineageIndex.close kept it: the graph, at the head, for this store
        lineage_file.save(expected, graph, reg.follower.head(), reg.store.identity())
        built.append(graph)
        return graph

    adopt = reg.views.public.adopt

    def adopting(*args: Any) -> None:
        seen.append((reg.lineage.position(), reg.lineage._graph, len(built[0].g)))
        adopt(*args)

    monkeypatch.setattr(bulk_module.LineageGraph, "from_rows", building)
    monkeypatch.setattr(reg.views.public, "adopt", adopting)
    try:
        load_file(reg, source, caller=SYSTEM, build=True)
        assert len(built) == 1 and seen == [(None, None, 0)], "let go of, and emptied, before the view is taken in"
        kept = tmp_path / "store.lineage"
        assert kept.read_bytes() == expected.read_bytes()
        assert expected.stat().st_size > 1000
        saved = lineage_file.load(kept, reg.store.identity())
        assert saved is not None and saved.position == reg.audit.head() and len(saved.graph.g) > 100
    finally:
        reg.close()
