"""The lineage graph kept beside the store (projections/lineage_file.py): loaded at the next start instead of
rebuilt, caught up from the position it holds, and never used when it was written for another store, in
another format, or is damaged."""

from __future__ import annotations

import json
import logging
import shutil
import stat
from pathlib import Path

import pytest

from conftest import load_world
from helpers import WORLD_FILE, load_json, record
from registry.config import Settings
from registry.domain.lineage import LineageGraph
from registry.domain.model import KINDS
from registry.projections import lineage_file
from registry.projections.base import Head
from registry.projections.lineage import LineageIndex
from registry.services.ingest.loader import SYSTEM
from registry.services.registry import Registry, open_registry

WORLD = load_json(WORLD_FILE)


def graph() -> LineageGraph:
    lg = LineageGraph()
    lg.set_dataset("b", ["a"], pi=False, kind="linkage", retired=False)
    lg.set_dataset("a", [], pi=True, kind=None, retired=False)
    lg.set_dataset("c\nwith a line break, é", ["b", "a", "https://elsewhere.example/x"], pi=False,
                   kind="deidentification", retired=True)
    return lg


def same(a: LineageGraph, b: LineageGraph) -> None:
    assert list(a.g.nodes(data=True)) == list(b.g.nodes(data=True))
    assert list(a.g.edges) == list(b.g.edges)
    assert {n: list(a.g.successors(n)) for n in a.g} == {n: list(b.g.successors(n)) for n in b.g}


def test_the_file_keeps_the_graph_and_its_position(tmp_path: Path) -> None:
    path = tmp_path / "store.lineage"
    lineage_file.save(path, graph(), Head(7, "h" * 64), "oxigraph:one")
    saved = lineage_file.load(path, "oxigraph:one")
    assert saved is not None and saved.position == Head(7, "h" * 64)
    same(saved.graph, graph())
    assert not path.with_name("store.lineage.tmp").exists()


def test_a_file_left_where_the_graph_is_written_does_not_make_it_readable(tmp_path: Path) -> None:
    """The graph says which datasets carry personal information: a world-readable temporary file left beside it
    is replaced, not written into, and the file is its owner's only (kept_file.write)."""
    path = tmp_path / "store.lineage"
    left = path.with_name("store.lineage.tmp")
    left.write_bytes(b"left over")
    left.chmod(0o666)
    lineage_file.save(path, graph(), Head(7, "h" * 64), "oxigraph:one")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and not left.exists()


@pytest.mark.parametrize("damage", ["another store", "another format", "cut short", "a byte changed", "not ours",
                                    "empty"])
def test_a_file_not_to_trust_is_not_used(tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "store.lineage"
    lineage_file.save(path, graph(), Head(7, "h" * 64), "oxigraph:one")
    data = path.read_bytes()
    if damage == "another format":
        magic, header, rest = data.split(b"\n", 2)
        data = b"\n".join([magic, json.dumps({**json.loads(header), "format": 0}).encode(), rest])
    elif damage == "cut short":
        data = data[:-3]
    elif damage == "a byte changed":
        data = data[:-5] + bytes([data[-5] ^ 1]) + data[-4:]
    elif damage == "not ours":
        data = b"something else\n" + data
    elif damage == "empty":
        data = b""
    path.write_bytes(data)
    caplog.set_level(logging.INFO, logger="registry")
    assert lineage_file.load(path, "oxigraph:two" if damage == "another store" else "oxigraph:one") is None


def write(reg: Registry, rid: str, sources: list[str]) -> None:
    data = {**record(WORLD, "datasets", "ohip-claims"), "id": rid, "title": f"Dataset {rid}", "derived_from": sources}
    reg.records.write(KINDS["dataset"], data, SYSTEM, create=True, rid=rid)


def rebuilds(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("rebuilding the lineage")]


def test_a_start_loads_the_graph_and_catches_up_from_its_position(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.INFO, logger="registry")
    data = str(tmp_path / "store")
    reg = open_registry(Settings(data=data))
    load_world(reg)
    reg.lineage.downstream("ohip-claims")  # built now, and kept in the file
    kept = reg.audit.head()
    reg.close()
    assert (tmp_path / "store.lineage").is_file()

    reg = open_registry(Settings(data=data))
    caplog.clear()
    write(reg, "after-restart", ["ohip-claims"])  # applied to the graph loaded from the file
    assert "after-restart" in reg.lineage.downstream("ohip-claims") and not rebuilds(caplog)
    monkeypatch.setattr(LineageIndex, "close", lambda self: None)  # the process dies: the file is not written
    reg.close()
    monkeypatch.undo()
    saved = lineage_file.load(tmp_path / "store.lineage", open_registry_identity(data))
    assert saved is not None and saved.position == kept, "the file still holds the older position"

    reg = open_registry(Settings(data=data))
    try:
        assert "after-restart" in reg.lineage.downstream("ohip-claims"), "caught up from the file's position"
        assert reg.lineage.effective_pi("after-restart")[0] is True
        assert not rebuilds(caplog)
    finally:
        reg.close()


def open_registry_identity(data: str) -> str:
    reg = open_registry(Settings(data=data))
    try:
        return reg.store.identity()
    finally:
        reg.close()


def test_a_store_made_afresh_in_the_same_folder_does_not_use_the_file(tmp_path: Path) -> None:
    data = str(tmp_path / "store")
    reg = open_registry(Settings(data=data))
    load_world(reg)
    assert reg.lineage.downstream("ohip-claims")
    reg.close()
    shutil.rmtree(tmp_path / "store")  # the file of the old store stays beside the new one
    reg = open_registry(Settings(data=data))
    try:
        reg.lineage.open()
        assert reg.lineage.position() is None
        assert reg.lineage.downstream("ohip-claims") == [], "rebuilt from this store, which holds nothing"
    finally:
        reg.close()


def test_a_store_held_read_only_keeps_no_file(tmp_path: Path) -> None:
    data = str(tmp_path / "store")
    reg = open_registry(Settings(data=data))
    try:
        other = open_registry(Settings(data=data), read_only_fallback=True)
        try:
            assert other.read_only and other.lineage.path is None
        finally:
            other.close()
    finally:
        reg.close()
