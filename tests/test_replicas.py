"""Two API replicas over one remote store: what one writes, the other's lineage answers and lists see."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import virtuoso
from conftest import Api, world
from registry.config import Settings
from registry.services.registry import open_registry
from registry.store import open_store

pytestmark = pytest.mark.slow  # a Virtuoso server


def dataset(rid: str, derived_from: list[str], pi: bool) -> dict[str, object]:
    return {"id": rid, "title": f"Replica test {rid}", "description": "d", "publisher": "moh",
            "steward": {"name": "S", "email": "s@example.org"}, "keywords": ["replica"], "access": "non-public",
            "sensitivity": "low", "personal_information": pi, "personal_data_categories": ["health"] if pi else [],
            "retention": "P1Y", "issued": "2024-01-01", "derived_from": derived_from,
            "generated_by": {"kind": "extraction", "by": "moh", "date": "2024-01-01"} if derived_from else None}


@pytest.fixture
def replicas() -> Iterator[tuple[Api, Api]]:
    """Two registries (A and B) over one emptied Virtuoso store, each behind its own app."""
    location = virtuoso.server().location
    s = open_store(location)
    s.clear()  # type: ignore[attr-defined]
    s.close()
    a_reg = open_registry(Settings(data=location))
    b_reg = open_registry(Settings(data=location))
    a, b = Api(a_reg), Api(b_reg)
    try:
        yield a, b
    finally:
        a.close()
        b.close()
        a_reg.close()
        b_reg.close()


def test_a_second_replica_follows_the_first_through_the_audit_log(replicas: tuple[Api, Api]) -> None:
    a, b = replicas
    orgs = [o for o in world()["organizations"] if o["id"] == "moh"]
    assert a.client.post("/organizations", json=orgs[0], headers=a.auth()).status_code == 201
    assert a.client.post("/datasets", json=dataset("r-source", [], True), headers=a.auth()).status_code == 201
    # B started before these writes: its lineage index and catalogue index catch up from the log
    assert a.client.post("/datasets", json=dataset("r-derived", ["r-source"], False),
                         headers=a.auth()).status_code == 201
    got = b.client.get("/datasets/r-derived", headers=b.auth()).json()
    assert got["effective_personal_information"] is True
    assert got["personal_information_path"] == ["r-derived", "r-source"]
    lineage = b.client.get("/datasets/r-source/lineage?direction=downstream").json()
    assert [e["to"] for e in lineage["edges"]] == ["r-derived"]
    listed = b.client.get("/datasets", params={"q": "replica"}).json()
    assert listed["total"] == 2
    # and a cycle written through A is refused by B, which has not written anything itself
    bad = dataset("r-source", ["r-derived"], True)
    resp = b.client.put("/datasets/r-source", json=bad, headers=b.auth())
    assert resp.status_code == 422, resp.text
    assert "cycle" in resp.text


def test_a_token_revoked_through_one_replica_is_refused_at_once_by_the_other(replicas: tuple[Api, Api]) -> None:
    """The other replica had the token kept (projections/token_cache.py): the revocation's audit entry is
    applied before its next authentication, not at some later refresh."""
    a, b = replicas
    token_id, secret = a.registry.tokens.create("privacy-officer")
    bearer = {"Authorization": f"Bearer {secret}"}
    assert b.client.get("/audit", headers=bearer).status_code == 200
    assert b.client.get("/audit", headers=bearer).status_code == 200  # kept by B now
    assert a.client.delete(f"/tokens/{token_id}", headers=a.auth()).status_code == 204
    refused = b.client.get("/audit", headers=bearer)
    assert refused.status_code == 401 and "revoked" in refused.text


@pytest.fixture(autouse=True)
def _needs_virtuoso() -> None:
    import shutil

    if shutil.which("virtuoso-t") is None:
        pytest.skip(virtuoso.INSTALL_HINT)
