"""The catalogue index a live write feeds holds what an index that catches up from the audit log reads from
the store, row for row: a server restarted or crashed after these writes answers as the one that made them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import world
from registry.projections.catalog_index import CatalogIndex
from registry.projections.follower import Follower
from registry.services.auth import Caller
from registry.services.ingest.loader import SYSTEM, world_records, write_all
from registry.services.registry import Registry
from test_catalog_index import index_state

ADMIN = Caller(role="admin")


def varied_writes(reg: Registry, data: dict[str, Any]) -> None:
    """Updates that add and drop facets, texts in several languages and scripts, values the store writes in
    its own canonical form, a retirement (a time stamp), a new record, a write that changes nothing."""
    dataset = reg.records.kind("dataset")
    first, second, third = (dict(d) for d in data["datasets"][:3])
    first.update(title={"EN-gb": "Claims, renamed", "fr": "Réclamations"}, keywords=["renamed"], retention="P24M")
    reg.records.write(dataset, first, ADMIN, create=False)
    reg.records.write(dataset, dict(third, keywords=[], description="Line one\nline two, ünïcödé, 日本語"),
                      ADMIN, create=False)
    reg.records.retire(dataset, second["id"], ADMIN)
    extra = dict(third, id="an-extra-dataset", title="Extra \u00e9t\u00e9 data", keywords=["extra", "été"],
                 derived_from=[first["id"]])
    reg.records.write(dataset, extra, ADMIN, create=True)
    reg.records.write(dataset, extra, ADMIN, create=False)  # the same again: no entry
    organization = reg.records.kind("organization")
    org = dict(data["organizations"][0])
    reg.records.write(organization, dict(org, name=org["name"] + " (Ontario) ", governed_by=["fippa"]), ADMIN,
                      create=False)
    agreement = dict(data["agreements"][0])
    reg.records.write(reg.records.kind("agreement"), dict(agreement, title="Claims «to» the unit", status="suspended",
                                                          purposes=agreement["purposes"][:1]), ADMIN, create=False)


@pytest.fixture
def caught_up(registry: Registry) -> Iterator[tuple[Registry, CatalogIndex, list[int]]]:
    """The registry holding the casebook world, and a second index built from it that follows the same audit
    log without being told of writes: it catches up when read, applying the entries past its position as the
    store holds their records (a restart's or a crash's catch-up). The list counts its rebuilds."""
    data = world()
    write_all(registry, list(world_records(data)), SYSTEM)
    registry.index.sync()
    follower = Follower(registry.audit)
    other = follower.add(CatalogIndex(None, registry.store, registry.iris, registry.resources, follower))
    other.sync()
    rebuilds: list[int] = []
    rebuild = other.rebuild

    def counted() -> None:
        rebuilds.append(1)
        rebuild()

    other.rebuild = counted  # type: ignore[method-assign]
    yield registry, other, rebuilds
    follower.close()


def test_a_live_write_leaves_the_index_a_catch_up_from_the_store_makes(
        caught_up: tuple[Registry, CatalogIndex, list[int]]) -> None:
    reg, other, rebuilds = caught_up
    before = reg.audit.head()
    varied_writes(reg, world())
    head = reg.audit.head()
    assert head.seq == before.seq + 6
    assert reg.index.position() == head, "each write was applied to the index as it returned"
    assert other.position() == before, "the other index was told of none"
    live = index_state(reg.index)  # read without catching up: what the writes themselves left
    other.sync()
    assert other.position() == head and not rebuilds, "the other index applied the entries, no rebuild"
    assert index_state(other) == live
    assert any(r[:3] == ("dataset", world()["datasets"][1]["id"], 1) for r in live["records"])
    titles = [json.loads(r[3]).get("title") for r in live["records"]]
    assert {"en-gb": "Claims, renamed", "fr": "Réclamations"} in titles, "as the store holds the tag: lower case"
    reg.index.rebuild()
    assert index_state(reg.index) == live


class Reads:
    """The store, counting the graphs read through it."""

    def __init__(self, store: Any) -> None:
        self.store, self.graphs = store, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def graph(self, name: str) -> Any:
        self.graphs.append(name)
        return self.store.graph(name)


def test_a_live_write_hands_the_index_its_public_graph_a_catch_up_reads_it(
        caught_up: tuple[Registry, CatalogIndex, list[int]]) -> None:
    reg, other, _rebuilds = caught_up
    live, behind = Reads(reg.store), Reads(reg.store)
    reg.index.store, other.store = live, behind  # type: ignore[assignment]
    varied_writes(reg, world())
    assert not live.graphs, "the index applied each write from the graphs it wrote, reading none back"
    other.sync()
    assert reg.iris.public_graph("dataset", "an-extra-dataset") in behind.graphs, "a catch-up reads the store"
    assert index_state(other) == index_state(reg.index)
