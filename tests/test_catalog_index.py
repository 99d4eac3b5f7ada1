"""The catalogue index (SQLite beside the store): kept in step on every write, it holds what a rebuild
from the store would hold, row for row and count for count."""

from __future__ import annotations

from typing import Any

from conftest import Api, world
from registry.catalog_index import CatalogIndex
from registry.service import Registry


def index_state(index: CatalogIndex) -> dict[str, Any]:
    """What the index holds, by (kind, id) rather than by rowid (a rebuild numbers rows anew)."""
    db = index.db
    key = {rowid: (kind, rid) for rowid, kind, rid in db.execute("SELECT rowid, kind, id FROM records")}
    return {
        "records": sorted((kind, rid, retired) for kind, rid, retired in db.execute(
            "SELECT kind, id, retired FROM records")),
        "facets": sorted((kind, facet, value, key[rid]) for kind, facet, value, rid in db.execute(
            "SELECT kind, facet, value, rid FROM facets")),
        "counts": sorted(row for row in db.execute("SELECT kind, facet, value, n FROM counts") if row[3] != 0),
        "text": sorted((key[rowid], body) for rowid, body in db.execute("SELECT rowid, body FROM text")),
    }


def churn(api: Api) -> None:
    """The casebook world through the API, then updates, a retirement and a new record."""
    admin = api.auth()
    data = world()
    for collection in ("organizations", "datasets", "agreements"):
        for item in data[collection]:
            assert api.client.post(f"/{collection}", json=item, headers=admin).status_code == 201
    first = dict(data["datasets"][0], title="A new title", keywords=["renamed", "again"])
    assert api.client.put(f"/datasets/{first['id']}", json=first, headers=admin).status_code == 200
    gone = data["datasets"][1]["id"]
    assert api.client.delete(f"/datasets/{gone}", headers=admin).status_code == 204
    extra = dict(data["datasets"][2], id="an-extra-dataset", title="Extra", derived_from=[])
    assert api.client.post("/datasets", json=extra, headers=admin).status_code == 201


def test_the_index_kept_in_step_equals_one_rebuilt_from_the_store(api: Api) -> None:
    churn(api)
    registry: Registry = api.registry
    registry.index.sync()
    kept = index_state(registry.index)
    assert ("dataset", world()["datasets"][1]["id"], 1) in kept["records"], "the retired dataset is kept, retired"
    assert any("A new title" in body for _key, body in kept["text"])
    registry.index.rebuild()
    assert index_state(registry.index) == kept


def test_a_search_after_a_rebuild_finds_what_it_found_before(api: Api) -> None:
    churn(api)
    before = api.client.get("/datasets", params={"q": "new title"}).json()
    stats = api.client.get("/stats").json()
    api.registry.index.rebuild()
    assert api.client.get("/datasets", params={"q": "new title"}).json() == before
    assert before["total"] == 1
    assert api.client.get("/stats").json() == stats
