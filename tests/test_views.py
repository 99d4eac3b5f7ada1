"""Views kept on disk beside an on-disk store (views.py): reused across restarts, caught up on what
was written while no server ran, rebuilt when the store was replaced (a restore) or the allow-list
changed, and never holding, or showing, a graph their callers may not see."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from conftest import load_world
from helpers import WORLD_FILE, load_json, record
from registry.config import Settings
from registry.domain.model import KINDS
from registry.namespaces import REG
from registry.projections import views as views_module
from registry.projections.views import GraphView, Views, Visibility, invalidate, views_home
from registry.services.ingest.loader import SYSTEM
from registry.services.registry import Registry, open_registry
from registry.store.backup import backup, restore

WORLD = load_json(WORLD_FILE)
TITLES = ("PREFIX dct: <http://purl.org/dc/terms/> PREFIX dcat: <http://www.w3.org/ns/dcat#> "
          "SELECT ?t WHERE { ?d a dcat:Dataset ; dct:title ?t }")


class Disk:
    """A registry on disk that can be stopped and started again, with its views."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.reg: Registry | None = None
        self.views: Views | None = None

    def start(self) -> Views:
        self.reg = open_registry(Settings(data=str(self.data)))
        self.views = Views(self.reg.store, self.reg.iris, self.reg.audit, home=views_home(self.reg.store))
        return self.views

    def stop(self) -> None:
        if self.views is not None:
            self.views.close()
        if self.reg is not None:
            self.reg.close()
        self.reg = self.views = None

    @property
    def registry(self) -> Registry:
        assert self.reg is not None
        return self.reg


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    d = Disk(tmp_path / "store")
    d.start()
    load_world(d.registry)
    yield d
    d.stop()


def titles(view: GraphView) -> set[str]:
    return {str(r["t"]) for r in view.select(TITLES)}


def write_dataset(reg: Registry, rid: str, title: str, **fields: Any) -> None:
    data = {**record(WORLD, "datasets", "ohip-claims"), "id": rid, "title": title, **fields}
    reg.records.write(KINDS["dataset"], data, SYSTEM, create=not reg.records.exists(KINDS["dataset"], rid), rid=rid)


def state(disk: Disk, name: str = "public") -> dict[str, Any]:
    return json.loads((views_home(disk.registry.store) or Path()).joinpath(f"{name}.json").read_text())


def test_views_live_beside_the_store_and_only_in_memory_otherwise(disk: Disk, registry: Registry) -> None:
    assert views_home(disk.registry.store) == disk.data.with_name("store.views")
    assert views_home(registry.store) is None  # the in-memory store (tests): views in memory
    v = Views(registry.store, registry.iris, registry.audit, home=views_home(registry.store))
    assert v.public.store() is not None and v.public.home is None


def test_a_view_survives_a_restart_without_a_rebuild(disk: Disk) -> None:
    views = disk.views
    assert views is not None
    before = titles(views.public)
    assert views.public.rebuilds == 1 and before
    folder = state(disk)["store"]
    assert state(disk)["seq"] == disk.registry.audit.head().seq
    disk.stop()

    views = disk.start()
    assert titles(views.public) == before
    assert views.public.rebuilds == 0, "the view on disk was reused, not copied again"
    assert state(disk)["store"] == folder
    assert [d.name for d in disk.data.with_name("store.views").iterdir() if d.is_dir()] == [folder]


def test_writes_made_while_no_server_ran_are_caught_up(disk: Disk) -> None:
    assert disk.views is not None
    disk.views.public.store()
    disk.views.officer.store()
    disk.stop()

    # the command line writes while the server is down: the views are not open
    disk.start()
    write_dataset(disk.registry, "written-while-down", "Written while the server was down")
    write_dataset(disk.registry, "ohip-claims", "OHIP claims, renamed while down")
    disk.registry.records.retire(KINDS["dataset"], "road-collisions", SYSTEM)
    head = disk.registry.audit.head()
    disk.stop()

    views = disk.start()
    got = titles(views.public)
    assert "Written while the server was down" in got
    assert "OHIP claims, renamed while down" in got and "OHIP physician claims" not in got
    assert views.public.rebuilds == 0 and views.officer.store() is not None and views.officer.rebuilds == 0
    restricted = disk.registry.iris.restricted_graph("dataset", "written-while-down")
    assert restricted in views.officer.graph_names() and restricted not in views.public.graph_names()
    assert views.public.graph(restricted) == []
    retired = views.public.graph(disk.registry.iris.public_graph("dataset", "road-collisions"))
    assert any(p == REG.retired for _, p, _ in retired)
    assert state(disk)["seq"] == head.seq  # the position is recorded at start, after catching up


def test_a_restored_store_rebuilds_the_views(disk: Disk, tmp_path: Path) -> None:
    assert disk.views is not None
    disk.views.public.store()
    disk.stop()
    backup(disk.data, tmp_path / "backup")

    disk.start()
    write_dataset(disk.registry, "after-the-backup", "Written after the backup")
    views = disk.views
    assert views is not None
    assert "Written after the backup" in titles(views.public)
    disk.stop()

    restore(tmp_path / "backup", disk.data, force=True)
    views = disk.start()
    assert "Written after the backup" not in titles(views.public), "the view follows the restored store"
    assert views.public.rebuilds == 1
    assert len([d for d in disk.data.with_name("store.views").iterdir() if d.is_dir()]) == 1, "old generation gone"


def test_a_replaced_store_with_the_same_position_rebuilds(disk: Disk) -> None:
    """A store made afresh in the same folder (same audit position by chance) is still another store."""
    assert disk.views is not None
    disk.views.public.store()
    seq = disk.registry.audit.head().seq
    disk.stop()
    import shutil

    shutil.rmtree(disk.data)
    disk.start()
    data = json.loads(json.dumps(WORLD))
    data["datasets"][0]["title"] = "A different store"
    load_world(disk.registry, data)
    assert disk.registry.audit.head().seq == seq
    disk.views = Views(disk.registry.store, disk.registry.iris, disk.registry.audit,
                       home=views_home(disk.registry.store))
    assert "A different store" in titles(disk.views.public)
    assert disk.views.public.rebuilds == 1


def test_a_changed_chain_at_the_views_position_rebuilds(disk: Disk) -> None:
    """The hash check: the entry at the view's position is not the one the view read."""
    assert disk.views is not None
    disk.views.public.store()
    seq = disk.registry.audit.head().seq
    disk.stop()
    home = disk.data.with_name("store.views")
    saved = json.loads((home / "public.json").read_text())
    (home / "public.json").write_text(json.dumps({**saved, "hash": "0" * 64}))
    views = disk.start()
    views.public.store()
    assert views.public.rebuilds == 1
    assert state(disk)["seq"] == seq and state(disk)["hash"] == disk.registry.audit.head().hash


def test_invalidate_after_a_bulk_load_rebuilds(disk: Disk, tmp_path: Path) -> None:
    assert disk.views is not None
    disk.views.public.store()
    disk.stop()
    disk.start()
    extra = tmp_path / "extra.nq"
    g = disk.registry.iris.public_graph("dataset", "bulk-loaded")
    s = disk.registry.iris.record("dataset", "bulk-loaded")
    extra.write_text(f"<{s}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset> <{g}> .\n"
                     f'<{s}> <http://purl.org/dc/terms/title> "Bulk-loaded" <{g}> .\n')
    disk.registry.store.raw().bulk_load(path=str(extra), format=ox.RdfFormat.N_QUADS)  # type: ignore[attr-defined]
    invalidate(disk.registry.store)
    disk.views = None
    disk.stop()
    views = disk.start()
    assert "Bulk-loaded" in titles(views.public) and views.public.rebuilds == 1


def test_other_rules_rebuild(disk: Disk, monkeypatch: pytest.MonkeyPatch) -> None:
    assert disk.views is not None
    disk.views.public.store()
    disk.stop()
    monkeypatch.setattr(views_module, "VIEW_FORMAT", views_module.VIEW_FORMAT + 1)
    views = disk.start()
    views.public.store()
    assert views.public.rebuilds == 1


def test_reference_graphs_are_copied_again_at_start(disk: Disk) -> None:
    """They come from the repository's files at every start, with no audit entry to follow."""
    assert disk.views is not None
    disk.views.public.store()
    disk.views.close()
    reg = disk.registry
    ref = reg.iris.reference_graph("vocabularies")
    marker = ox.Quad(ox.NamedNode("urn:x:new-term"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                     ox.Literal("a term added to the vocabulary files"), ox.NamedNode(ref))
    reg.store.raw().add(marker)  # type: ignore[attr-defined]
    views = disk.views = Views(reg.store, reg.iris, reg.audit, home=views_home(reg.store))
    assert marker in list(views.public.store().raw().quads_for_pattern(None, None, None, ox.NamedNode(ref)))
    assert views.public.rebuilds == 0


def assert_public_only(view: GraphView, reg: Registry) -> None:
    public = Visibility(reg.iris, restricted=False)
    names = view.graph_names()
    assert names and all(public.allows(g) for g in names)
    assert not any(g.endswith("/restricted") or "/graph/system/" in g for g in names)
    store = view.store().raw()
    text = "\n".join(str(q) for q in store)
    assert "zqx" not in text.lower() and reg.audit.head().hash not in text
    assert next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is None
    # the position is in a file beside the view's store, not in any graph a query could name
    assert not bool(store.query("ASK { GRAPH ?g { ?s ?p ?o FILTER(CONTAINS(STR(?g), '/system/')) } }"))


def test_nothing_restricted_and_no_position_in_the_public_view_on_disk(disk: Disk) -> None:
    write_dataset(disk.registry, "zq-restricted", "Restricted marker test",
                  steward={"name": "Zqx Hidden Steward", "email": "zqx.hidden@example.org"})
    assert disk.views is not None
    assert_public_only(disk.views.public, disk.registry)  # built
    disk.stop()
    views = disk.start()
    assert_public_only(views.public, disk.registry)  # reopened from disk
    assert views.public.rebuilds == 0
    assert "zqx" not in json.dumps(state(disk))


def test_a_view_held_by_another_process_does_not_fail(disk: Disk) -> None:
    """Only the process that holds the store opens its views; if another one holds the view's folder all
    the same, this one keeps its copy in memory instead of failing, and leaves that folder alone."""
    assert disk.views is not None
    disk.views.public.store()
    folder = state(disk)["store"]
    reg = disk.registry
    other = Views(reg.store, reg.iris, reg.audit, home=views_home(reg.store))  # the folder is locked (RocksDB)
    assert titles(other.public) == titles(disk.views.public)
    assert other.public.home is None
    assert state(disk)["store"] == folder
    assert (disk.data.with_name("store.views") / folder).is_dir()


def test_the_command_line_works_while_the_views_are_open(disk: Disk, tmp_path: Path) -> None:
    """`registry backup` runs while a server holds the store and its views."""
    from typer.testing import CliRunner

    from registry.cli.main import app

    assert disk.views is not None
    disk.views.public.store()
    disk.views.officer.store()
    result = CliRunner().invoke(app, ["backup", str(tmp_path / "hot"), "--data", str(disk.data)])
    assert result.exit_code == 0, result.output


def test_a_long_catch_up_goes_in_several_updates_record_by_record(disk: Disk, monkeypatch: pytest.MonkeyPatch) -> None:
    assert disk.views is not None
    disk.views.public.store()
    disk.stop()
    disk.start()
    for i in range(5):
        write_dataset(disk.registry, f"batch-{i}", f"Batch {i}")
    disk.stop()
    monkeypatch.setattr(views_module, "UPDATE_RECORDS", 1)  # one update per record
    updates: list[str] = []
    real = GraphView._update

    def counting(self: GraphView, graphs: list[str]) -> None:
        updates.extend(g for g in graphs if "/graph/dataset/batch-" in g)
        real(self, graphs)

    monkeypatch.setattr(GraphView, "_update", counting)
    views = disk.start()
    assert {f"Batch {i}" for i in range(5)} <= titles(views.public)
    assert views.public.rebuilds == 0 and len(updates) == 5


def test_a_position_left_behind_by_a_crash_is_caught_up_again(disk: Disk, monkeypatch: pytest.MonkeyPatch) -> None:
    """While serving, the position is recorded now and then: after a crash the file may name an older
    entry than the view holds, and catching up again from there copies the same graphs again."""
    monkeypatch.setattr(views_module, "SAVE_EVERY_SECONDS", 1e9)
    views = disk.views
    assert views is not None
    views.public.store()
    saved = state(disk)["seq"]
    write_dataset(disk.registry, "before-the-crash", "Written just before the crash")
    write_dataset(disk.registry, "ohip-claims", "OHIP claims, renamed before the crash")
    assert "Written just before the crash" in titles(views.public)
    assert state(disk)["seq"] == saved, "not recorded yet"
    views.public._store = views.officer._store = None  # the process dies: nothing is closed
    disk.views = None
    disk.stop()

    views = disk.start()
    got = titles(views.public)
    assert {"Written just before the crash", "OHIP claims, renamed before the crash"} <= got
    assert "OHIP physician claims" not in got and views.public.rebuilds == 0
    assert state(disk)["seq"] == disk.registry.audit.head().seq


def test_the_position_is_recorded_while_serving(disk: Disk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views_module, "SAVE_EVERY_SECONDS", 0.0)
    assert disk.views is not None
    disk.views.public.store()
    write_dataset(disk.registry, "while-serving", "Written while serving")
    disk.views.public.store()
    assert state(disk)["seq"] == disk.registry.audit.head().seq


def test_a_bulk_load_is_seen_by_the_views_at_the_next_start(disk: Disk, tmp_path: Path) -> None:
    """A bulk load writes no audit entry for the views to follow: it makes them rebuild."""
    from registry.services.ingest.loader import load_file

    views = disk.views
    assert views is not None
    before = titles(views.public)
    disk.stop()
    base = "https://registry.example.org"
    extra = tmp_path / "extra.nq"
    g, s = f"<{base}/graph/dataset/bulk-extra>", f"<{base}/dataset/bulk-extra>"
    extra.write_text(f"{s} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset> {g} .\n"
                     f'{s} <http://purl.org/dc/terms/title> "Loaded in bulk" {g} .\n')
    reg = open_registry(Settings(data=str(disk.data)))
    try:
        assert reg.iris.base == base
        load_file(reg, extra)
    finally:
        reg.close()
    views = disk.start()
    assert titles(views.public) == before | {"Loaded in bulk"}
    assert views.public.rebuilds == 1
