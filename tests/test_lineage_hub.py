"""Lineage and impact of a hub (a synthetic registry with `Synth(hub=...)`), page by page, against an
oracle that asks the store itself (the named queries the answers were built from before they read the
catalogue index); restricted fields of the datasets below the hub reach only those who may read them;
writes show at once, even when the catalogue index is behind the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bench.synth import HUB, Synth
from bench.workloads import largest_hub

from conftest import Api
from helpers import index_held, world_api
from registry.config import Settings
from registry.domain.model.common import code_of
from registry.domain.model.dataset import ACCESS_BY_IRI
from registry.namespaces import AGREEMENT_STATUS
from registry.services.ingest.loader import SYSTEM, load_file
from registry.services.registry import Registry, open_registry

BELOW = 80
SECRET = {"name": "Quiet Steward", "email": "quiet.steward@example.org"}
STEWARD = {"name": "Plain Steward", "email": "plain.steward@example.org"}


def record(rid: str, title: Any, publisher: str, sources: list[str], **more: Any) -> dict[str, Any]:
    return {"id": rid, "title": title, "description": "Below the hub.", "publisher": publisher,
            "keywords": ["hub"], "access": "public", "sensitivity": "low", "derived_from": sources,
            "generated_by": {"kind": "extraction", "by": publisher, "date": "2025-01-02"},
            "personal_information": False, "steward": STEWARD, **more}



@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Synth]]:
    """A bulk-loaded synthetic registry whose dataset HUB has about BELOW datasets downstream, and, written
    through the write path below it: a restricted dataset holding personal information, titles in several
    languages, and an agreement covering one of them."""
    s = Synth(datasets=400, seed=3, hub=BELOW)
    nq = tmp_path_factory.mktemp("hub") / "registry.nq"
    s.write(nq)
    reg = open_registry(Settings(data="memory"))
    load_file(reg, nq, caller=SYSTEM)
    api = Api(reg)
    hub_id, publisher = s.ds_id[HUB], s.orgs[s.ds_publisher[HUB]].id
    below = [
        record("zz-restricted", "Linked records", publisher, [hub_id], access="restricted", sensitivity="high",
               personal_information=True, personal_data_categories=["health"], steward=SECRET, retention="P7Y"),
        record("zz-no-english", {"de": "Zèbre", "fr": "Apfel"}, publisher, ["zz-restricted"]),
        record("zz-english", {"en": "Bravo", "de": "Alpha"}, publisher, [hub_id, "zz-no-english"]),
    ]
    for r in below:
        resp = api.client.post("/datasets", json=r, headers=api.auth())
        assert resp.status_code == 201, resp.text
    agreement = {"id": "dsa-below-hub", "title": "Below the hub", "provider": publisher,
                 "recipient": s.orgs[-1].id, "datasets": ["zz-english", hub_id], "purposes": ["statistics"],
                 "legal_basis": ["fippa-42-1-c"], "valid_from": "2024-01-01", "valid_until": "2026-01-01",
                 "status": "active"}
    resp = api.client.post("/agreements", json=agreement, headers=api.auth())
    assert resp.status_code == 201, resp.text
    yield api, s
    api.close()
    reg.close()


# ------------------------------------------------------------------------------------------ the oracle
def _rows(reg: Registry, query: str, rid: str) -> list[Any]:
    return list(reg.store.select(reg.resources.query(query), {"dataset": reg.iris.record("dataset", rid)}))


def facts(reg: Registry, rid: str) -> dict[str, Any] | None:
    """A node of a lineage answer as dataset-facts.rq gives it."""
    rows = _rows(reg, "dataset-facts", rid)
    if not rows:
        return None
    titles = sorted((r["title"] for r in rows if "title" in r),
                    key=lambda t: (getattr(t, "language", None) not in (None, "en"), str(t)))
    first = rows[0]
    return {"id": rid, "publisher": reg.iris.id_of(first["publisher"]) if "publisher" in first else None,
            "access": ACCESS_BY_IRI.get(str(first["access"])) if "access" in first else None,
            "retired": "retired" in first, "title": str(titles[0]) if titles else None}


def activity(reg: Registry, rid: str) -> dict[str, Any]:
    rows = _rows(reg, "dataset-activity", rid)
    if not rows:
        return {"by": None, "date": None}
    return {"by": reg.iris.id_of(rows[0]["by"]) if "by" in rows[0] else None,
            "date": str(rows[0]["date"]) if "date" in rows[0] else None}


def lineage_oracle(reg: Registry, rid: str, direction: str, depth: int | None, limit: int,
                   offset: int) -> dict[str, Any]:
    ids, edges = reg.lineage.copy().closure(rid, direction, depth)  # the whole closure, as answers took it
    ordered = [rid, *(i for i in ids if i != rid)]
    page = ordered[offset:offset + limit]
    shown = set(page)
    return {"dataset": rid, "direction": direction, "depth": depth, "as_of": None, "total": len(ordered),
            "offset": offset, "limit": limit,
            "nodes": [f for f in (facts(reg, i) for i in page) if f is not None],
            "edges": [{"from": e.source, "to": e.derived, "activity": e.kind, **activity(reg, e.derived)}
                      for e in edges if e.derived in shown]}


def impact_oracle(reg: Registry, rid: str, limit: int, offset: int) -> dict[str, Any]:
    downstream = reg.lineage.downstream(rid)
    everything = [rid, *downstream]
    agreements: dict[str, dict[str, Any]] = {}
    for d in everything:
        for r in _rows(reg, "agreements-covering", d):
            a = agreements.setdefault(str(r["id"]), {
                "id": str(r["id"]), "title": str(r["title"]) if "title" in r else None,
                "provider": reg.iris.id_of(r["provider"]), "recipient": reg.iris.id_of(r["recipient"]),
                "status": code_of(AGREEMENT_STATUS, r["status"]) if "status" in r else None,
                "valid_until": str(r["until"]) if "until" in r else None, "retired": "retired" in r,
                "datasets": []})
            if d not in a["datasets"]:
                a["datasets"].append(d)
    page = downstream[offset:offset + limit]
    return {"dataset": rid, "total": len(downstream), "offset": offset, "limit": limit,
            "downstream": [f for f in (facts(reg, i) for i in page) if f is not None],
            "agreements": sorted(agreements.values(), key=lambda a: a["id"])}


def get(api: Api, path: str, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    resp = api.client.get(path, params=params, headers=headers or {})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


# ------------------------------------------------------------------------------------------ the answers
def test_the_synthetic_hub_is_the_largest_and_holds_what_the_tests_need(hub: tuple[Api, Synth]) -> None:
    api, s = hub
    top, below = largest_hub(s)
    assert top == HUB and BELOW <= below <= BELOW + 5
    whole = get(api, f"/datasets/{s.ds_id[HUB]}/impact")
    assert whole["total"] == below + 3 and len(whole["agreements"]) > 1
    assert {"zz-restricted", "zz-english", "zz-no-english"} <= {d["id"] for d in whole["downstream"]}


@pytest.mark.parametrize("direction", ["downstream", "upstream", "both"])
@pytest.mark.parametrize(("limit", "offset"), [(None, 0), (17, 0), (17, 34), (50, 100), (5, 10_000)])
def test_lineage_pages_answer_what_the_store_holds(hub: tuple[Api, Synth], direction: str, limit: int | None,
                                                   offset: int) -> None:
    api, s = hub
    for rid in (s.ds_id[HUB], "zz-english"):
        params = {"direction": direction, "offset": offset, **({"limit": limit} if limit else {})}
        answer = get(api, f"/datasets/{rid}/lineage", **params)
        assert answer == lineage_oracle(api.registry, rid, direction, None, limit or 500, offset)
    deep = get(api, f"/datasets/{s.ds_id[HUB]}/lineage", direction=direction, depth=1, limit=30)
    assert deep == lineage_oracle(api.registry, s.ds_id[HUB], direction, 1, 30, 0)


@pytest.mark.parametrize(("limit", "offset"), [(None, 0), (17, 0), (17, 34), (50, 100), (5, 10_000)])
def test_impact_pages_answer_what_the_store_holds(hub: tuple[Api, Synth], limit: int | None, offset: int) -> None:
    api, s = hub
    for rid in (s.ds_id[HUB], "zz-restricted", "zz-english"):
        answer = get(api, f"/datasets/{rid}/impact", offset=offset, **({"limit": limit} if limit else {}))
        assert answer == impact_oracle(api.registry, rid, limit or 500, offset)


def test_the_pages_add_up_to_the_whole(hub: tuple[Api, Synth]) -> None:
    api, s = hub
    rid = s.ds_id[HUB]
    whole = get(api, f"/datasets/{rid}/lineage", direction="downstream", limit=5000)
    nodes, edges, impact = [], [], []
    for offset in range(0, whole["total"], 40):
        page = get(api, f"/datasets/{rid}/lineage", direction="downstream", limit=40, offset=offset)
        nodes += page["nodes"]
        edges += page["edges"]
        impact += get(api, f"/datasets/{rid}/impact", limit=40, offset=offset)["downstream"]
    assert nodes == whole["nodes"] and len(nodes) == whole["total"] == largest_hub(s)[1] + 4
    assert sorted(map(json.dumps, edges)) == sorted(map(json.dumps, whole["edges"]))
    assert impact == nodes[1:]


def test_titles_in_several_languages_show_the_english_else_the_first(hub: tuple[Api, Synth]) -> None:
    api, _s = hub
    titles = {n["id"]: n["title"] for n in get(api, "/datasets/zz-english/lineage", direction="upstream")["nodes"]}
    assert titles["zz-english"] == "Bravo" and titles["zz-no-english"] == "Apfel"


# ------------------------------------------------------------------------------------------ restricted
def test_restricted_fields_below_a_public_hub_reach_only_their_readers(hub: tuple[Api, Synth]) -> None:
    api, s = hub
    rid = s.ds_id[HUB]
    publisher = s.orgs[s.ds_publisher[HUB]].id
    other = next(o.id for o in s.orgs if o.id != publisher and o.kind == "ministry")
    for path, key in ((f"/datasets/{rid}/lineage?direction=downstream&limit=5000", "nodes"),
                      (f"/datasets/{rid}/impact?limit=5000", "downstream")):
        for headers in ({}, api.auth("steward", other)):
            resp = api.client.get(path, headers=headers)
            assert resp.status_code == 200
            for secret in (*SECRET.values(), *STEWARD.values(), "P7Y", "personal_data_categories", "retention"):
                assert secret not in resp.text, (secret, headers)
            # a steward sees the flags of its own organisation's datasets only; an anonymous caller, none
            assert headers or "personal_information" not in resp.text
            node = next(n for n in resp.json()[key] if n["id"] == "zz-restricted")
            assert node == {"id": "zz-restricted", "publisher": publisher, "access": "restricted",
                            "retired": False, "title": "Linked records"}
        for headers in (api.auth(), api.auth("steward", publisher)):
            node = next(n for n in get(api, path, headers)[key] if n["id"] == "zz-restricted")
            assert node["personal_information"] is True and node["personal_information_path"] is None
            assert SECRET["email"] not in json.dumps(node)


# ------------------------------------------------------------------------------------------ in step
@pytest.fixture
def world() -> Iterator[Api]:
    with world_api() as api:
        yield api


def _write(api: Api, body: dict[str, Any], kind: str = "datasets") -> None:
    exists = api.client.get(f"/{kind}/{body['id']}").status_code == 200
    resp = (api.client.put(f"/{kind}/{body['id']}", json=body, headers=api.auth()) if exists
            else api.client.post(f"/{kind}", json=body, headers=api.auth()))
    assert resp.status_code in (200, 201), resp.text


def _scenario(api: Api, suffix: str) -> None:
    """A dataset below ohip-claims, written, renamed and covered by a new agreement: each answer after
    each write holds it."""
    rid = f"new-below-{suffix}"
    _write(api, record(rid, "First title", "moh", ["ohip-claims"]))
    nodes = get(api, "/datasets/ohip-claims/lineage", direction="downstream")["nodes"]
    assert {"id": rid, "publisher": "moh", "access": "public", "retired": False, "title": "First title"} in nodes
    _write(api, record(rid, "Second title", "moh", ["ohip-claims"]))
    downstream = get(api, "/datasets/ohip-claims/impact")["downstream"]
    assert next(d for d in downstream if d["id"] == rid)["title"] == "Second title"
    _write(api, {"id": f"dsa-{rid}", "title": "Onward", "provider": "moh", "recipient": "mof", "datasets": [rid],
                 "purposes": ["statistics"], "legal_basis": ["fippa-42-1-c"], "valid_from": "2024-01-01",
                 "status": "active"}, "agreements")
    covering = {a["id"]: a for a in get(api, "/datasets/ohip-claims/impact")["agreements"]}
    assert covering[f"dsa-{rid}"]["datasets"] == [rid]
    assert api.client.delete(f"/datasets/{rid}", headers=api.auth()).status_code == 204
    edges = get(api, "/datasets/ohip-claims/lineage", direction="downstream")
    assert next(n for n in edges["nodes"] if n["id"] == rid)["retired"] is True


def test_writes_show_in_the_next_answer(world: Api) -> None:
    _scenario(world, "a")


def test_writes_show_even_when_the_catalogue_index_was_left_behind(world: Api) -> None:
    """The write's own update of the index is skipped while another reader holds it (follower.committed):
    the answers after it catch the index up with the audit log before they read it."""
    reg = world.registry
    with index_held(reg):
        _write(world, record("behind", "Behind title", "moh", ["ohip-claims"]))
        assert reg.index.applied() < reg.audit.head().seq, "the index is behind the audit log"
    nodes = get(world, "/datasets/ohip-claims/lineage", direction="downstream")["nodes"]
    assert {"id": "behind", "publisher": "moh", "access": "public", "retired": False, "title": "Behind title"} in nodes
    _scenario(world, "b")


def test_a_bulk_load_leaves_answers_whole(tmp_path: Path) -> None:
    """On disk: the index forgotten by a bulk load is rebuilt by the first answer."""
    s = Synth(datasets=150, seed=5, hub=40)
    nq = tmp_path / "r.nq"
    s.write(nq)
    # a dataset below the hub with an access level no write would take: shown as none, as the store says
    odd = f"<{s.base_iri}/dataset/{s.ds_id[next(i for i, x in enumerate(s.ds_sources) if HUB in x)]}>"
    lines = nq.read_text().splitlines(keepends=True)
    nq.write_text("".join(
        f"{odd} <http://purl.org/dc/terms/accessRights> <https://example.org/odd-access> {line.split(' ', 3)[3]}"
        if line.startswith(f"{odd} <http://purl.org/dc/terms/accessRights> ") else line for line in lines))
    reg = open_registry(Settings(data=str(tmp_path / "store")))
    try:
        load_file(reg, nq, caller=SYSTEM)
        api = Api(reg)
        rid = s.ds_id[HUB]
        assert None in {d["access"] for d in get(api, f"/datasets/{rid}/impact")["downstream"]}
        assert get(api, f"/datasets/{rid}/impact") == impact_oracle(reg, rid, 500, 0)
        assert get(api, f"/datasets/{rid}/lineage") == lineage_oracle(reg, rid, "both", None, 500, 0)
        api.close()
    finally:
        reg.close()
