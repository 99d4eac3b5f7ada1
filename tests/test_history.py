"""As of a moment: share checks answer from the logged versions of the records they read
(services/share_check_as_of.py), lineage from the lineage index's history of logged versions; records
bulk-loaded without history count as always present. The registry rebuilt from the audit log's snapshots
(history_oracle.py) is the oracle of both."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from conftest import Api
from helpers import CASEBOOK, assert_problem, world_api, world_nquads
from history_oracle import lineage_as_of
from registry.config import Settings
from registry.domain.legal import ShareProposal
from registry.errors import ValidationFailed
from registry.services.auth import Caller
from registry.services.legal import LegalEngine
from registry.services.lineage import lineage_json
from registry.services.registry import Registry, open_registry

PROPOSAL = {"datasets": ["ow-caseload"], "provider": "mccss", "recipient": "moh-idiu",
            "purpose": "program-evaluation", "date": "2025-06-01"}


@pytest.fixture
def api() -> Iterator[Api]:
    with world_api() as a:
        yield a


def moment() -> str:
    """Now, between two writes (audit times have microseconds; a short pause keeps them apart)."""
    time.sleep(0.01)
    when = dt.datetime.now(dt.UTC).isoformat()
    time.sleep(0.01)
    return when


def check(api: Api, **extra: Any) -> dict[str, Any]:
    r = api.client.post("/share-checks", json={**PROPOSAL, **extra}, headers=api.auth("privacy-officer"))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def codes(answer: dict[str, Any]) -> set[str]:
    return {r["code"] for r in answer["reasons"]}


def extend(api: Api, agreement: str, until: str) -> None:
    a = api.client.get(f"/agreements/{agreement}", headers=api.auth()).json()
    a.pop("warnings", None)
    a["valid_until"] = until
    assert api.client.put(f"/agreements/{agreement}", json=a, headers=api.auth()).status_code == 200


# ------------------------------------------------------------------------------------- share checks
def test_a_share_check_as_of_before_an_extension_gives_the_old_answer(api: Api) -> None:
    before = check(api)  # the agreement ended on 2025-03-31
    assert before["decision"] == "not_permitted" and "AGREEMENT_NOT_IN_FORCE" in codes(before)
    t0 = moment()
    extend(api, "dsa-mccss-idiu-2024", "2026-03-31")
    now = check(api)
    assert now["decision"] != "not_permitted" and "AGREEMENT_IN_FORCE" in codes(now)
    then = check(api, as_of=t0)
    assert then["decision"] == before["decision"] and codes(then) == codes(before)
    assert then["proposal"]["as_of"].startswith(t0[:19])
    later = check(api, as_of=moment())
    assert later["decision"] == now["decision"] and codes(later) == codes(now)


def test_as_of_without_a_zone_is_utc(api: Api) -> None:
    t0 = moment()
    extend(api, "dsa-mccss-idiu-2024", "2026-03-31")
    naive = dt.datetime.fromisoformat(t0).replace(tzinfo=None).isoformat()
    assert check(api, as_of=naive)["decision"] == "not_permitted"


# ------------------------------------------------------------------------------------------ lineage
def dataset(rid: str, sources: list[str]) -> dict[str, Any]:
    return {"id": rid, "title": "History test", "description": "Written by the history tests.", "publisher": "moh",
            "steward": {"name": "A. Steward", "email": "a.steward@example.org"}, "keywords": [],
            "access": "non-public", "sensitivity": "high", "personal_information": False, "derived_from": sources,
            "generated_by": {"kind": "linkage", "by": "moh", "date": "2025-01-01"}}


def test_lineage_as_of_before_a_dataset_existed_is_404_and_after_shows_the_old_edges(api: Api) -> None:
    t0 = moment()
    assert api.client.post("/datasets", json=dataset("hist", ["ohip-claims"]), headers=api.auth()).status_code == 201
    t1 = moment()
    assert api.client.put("/datasets/hist", json=dataset("hist", ["ohip-claims", "ow-caseload"]),
                          headers=api.auth()).status_code == 200
    t2 = moment()

    def edges(as_of: str | None) -> set[tuple[str, str]]:
        params = {"direction": "upstream"} | ({"as_of": as_of} if as_of else {})
        r = api.client.get("/datasets/hist/lineage", params=params)
        assert r.status_code == 200, r.text
        assert r.json()["as_of"] == (dt.datetime.fromisoformat(as_of).isoformat() if as_of else None)
        return {(e["from"], e["to"]) for e in r.json()["edges"]}

    body = assert_problem(api.client.get("/datasets/hist/lineage", params={"as_of": t0}), 404)
    assert "as of" in body["detail"]
    assert edges(t1) == {("ohip-claims", "hist")}
    assert edges(t2) == edges(None) == {("ohip-claims", "hist"), ("ow-caseload", "hist")}
    # the personal-information status as of t1 came from ohip-claims alone
    then = api.client.get("/datasets/hist/lineage", params={"as_of": t1}, headers=api.auth()).json()
    node = next(n for n in then["nodes"] if n["id"] == "hist")
    assert node["personal_information"] is True and node["personal_information_path"] == ["hist", "ohip-claims"]


def test_a_share_check_as_of_before_a_dataset_existed_names_it_unknown(api: Api) -> None:
    t0 = moment()
    assert api.client.post("/datasets", json=dataset("hist2", ["ohip-claims"]), headers=api.auth()).status_code == 201
    r = api.client.post("/share-checks", json={**PROPOSAL, "datasets": ["hist2"], "provider": "moh", "as_of": t0},
                        headers=api.auth("privacy-officer"))
    body = assert_problem(r, 422)
    assert "hist2" in r.text and body["status"] == 422


def test_a_retirement_is_history_too(api: Api) -> None:
    t0 = moment()
    assert api.client.delete("/datasets/ow-extract", headers=api.auth()).status_code == 204
    then = api.client.get("/datasets/ow-extract/lineage", params={"as_of": t0}).json()
    now = api.client.get("/datasets/ow-extract/lineage").json()
    assert next(n for n in then["nodes"] if n["id"] == "ow-extract")["retired"] is False
    assert next(n for n in now["nodes"] if n["id"] == "ow-extract")["retired"] is True


# ---------------------------------------------------------------------------- bulk-loaded records
@pytest.fixture
def bulk() -> Iterator[Api]:
    """The casebook world bulk-loaded without its audit log: records with no history at all."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.nq"
        quads = [q for q in ox.parse(path=str(world_nquads()), format=ox.RdfFormat.N_QUADS)
                 if "/graph/system/" not in q.graph_name.value]  # type: ignore[union-attr]
        ox.serialize(quads, str(path), ox.RdfFormat.N_QUADS)
        reg = open_registry(Settings(data="memory"))
        reg.store.bulk_load(path, "nquads")
        reg.lineage.rebuild()
        assert reg.audit.head().seq == 0
        a = Api(reg)
        try:
            yield a
        finally:
            a.close()
            reg.close()


def test_bulk_loaded_records_without_history_count_as_always_present(bulk: Api) -> None:
    long_ago = "1990-01-01T00:00:00+00:00"
    r = bulk.client.get("/datasets/health-social-deid/lineage", params={"as_of": long_ago, "direction": "upstream"})
    assert r.status_code == 200, r.text
    assert {(e["from"], e["to"]) for e in r.json()["edges"]} == {
        ("linked-health-social", "health-social-deid"), ("ohip-claims", "linked-health-social"),
        ("ow-caseload", "linked-health-social")}
    then = check(bulk, datasets=["ohip-claims"], provider="moh", as_of=long_ago)
    assert then["decision"] == check(bulk, datasets=["ohip-claims"], provider="moh")["decision"] != "not_permitted"


def test_a_bulk_loaded_record_written_later_has_history_from_then_on(bulk: Api) -> None:
    extend(bulk, "dsa-mccss-idiu-2024", "2026-03-31")
    assert check(bulk, as_of=moment())["decision"] != "not_permitted"
    assert check(bulk)["decision"] != "not_permitted"


def test_a_bulk_loaded_record_keeps_its_loaded_state_before_its_first_write(bulk: Api) -> None:
    t0 = moment()
    extend(bulk, "dsa-mccss-idiu-2024", "2026-03-31")
    then = check(bulk, as_of=t0)
    assert "AGREEMENT_NOT_IN_FORCE" in codes(then)  # as loaded: the agreement ended on 2025-03-31


# ------------------------------------------------------------------ lineage as of, against a rebuild
def test_lineage_as_of_agrees_with_the_registry_rebuilt_as_it_stood(api: Api) -> None:
    """The lineage index answers as of a moment from the datasets' logged versions, without rebuilding the
    registry; the registry rebuilt from the audit log's snapshots (services/history.py) is the oracle, at
    every moment between writes: before the history is first asked for, and after it is kept in step."""
    reg = api.registry
    writes: list[tuple[str, dict[str, Any]]] = [
        ("post", dataset("h-a", ["ohip-claims"])),
        ("post", dataset("h-b", ["h-a"])),
        ("put", dataset("h-a", ["ohip-claims", "ow-caseload"])),
        ("post", {**dataset("h-c", ["h-b", "osap-loans"]), "generated_by": {"kind": "deidentification"}}),
        ("put", dataset("h-b", ["ow-caseload"])),
        ("delete", {"id": "h-c"}),
        ("put", {**dataset("h-a", []), "generated_by": None, "personal_information": True}),
    ]
    moments = [moment()]
    for n, (method, record) in enumerate(writes):
        if n == 3:  # the history is first built here; the writes after are applied to it
            lineage_json(reg, "h-a", as_of=dt.datetime.fromisoformat(moments[-1]))
        url = "/datasets" if method == "post" else f"/datasets/{record['id']}"
        resp = api.client.request(method.upper(), url, json=None if method == "delete" else record,
                                  headers=api.auth())
        assert resp.status_code in (200, 201, 204), resp.text
        moments.append(moment())
    for when in moments:
        at = dt.datetime.fromisoformat(when)
        _store, oracle = lineage_as_of(reg.store, reg.iris, reg.resources, at)
        for rid in ("h-a", "h-b", "h-c", "ohip-claims", "ow-caseload", "linked-health-social"):
            for direction in ("upstream", "downstream", "both"):
                want_nodes, want_edges = oracle.closure(rid, direction, None)
                if not want_nodes:
                    assert_problem(api.client.get(f"/datasets/{rid}/lineage", params={"as_of": when}), 404)
                    continue
                got = lineage_json(reg, rid, direction=direction, as_of=at, full=True)
                assert sorted(n["id"] for n in got["nodes"]) == want_nodes, (when, rid, direction)
                assert sorted((e["from"], e["to"], e["activity"]) for e in got["edges"]) == sorted(
                    (e.source, e.derived, e.kind) for e in want_edges), (when, rid, direction)
                for node in got["nodes"]:
                    assert (node["personal_information"], node["personal_information_path"]) == \
                        oracle.effective_pi(node["id"]), (when, node["id"])
                    assert node["retired"] == oracle.g.nodes[node["id"]]["retired"], (when, node["id"])


# ------------------------------------------------------------ share checks as of, against a rebuild
CASES = json.loads((CASEBOOK / "cases.json").read_text())
#: beside the casebook's: proposals that name the records the writes below change
PROPOSALS = [c["proposal"] for c in CASES] + [
    {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "h-team", "purpose": "program-planning"},
    {"datasets": ["h-linked"], "provider": "moh-idiu", "recipient": "mof", "purpose": "program-evaluation"},
    {"datasets": ["h-linked", "health-social-deid"], "provider": "moh-idiu", "recipient": "mof",
     "purpose": "program-evaluation", "deidentified": True},
    {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "mof", "purpose": "program-evaluation"},
    {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "ices", "purpose": "program-evaluation"},
    {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu", "purpose": "program-evaluation"},
    {"datasets": ["driver-licences"], "provider": "mto", "recipient": "moh-idiu", "purpose": "program-evaluation"},
    {"datasets": ["ow-caseload", "ow-extract"], "provider": "mccss", "recipient": "moh-idiu",
     "purpose": "program-evaluation"},
    {"datasets": ["ow-caseload"], "provider": "mccss", "recipient": "tps", "purpose": "law-enforcement"},
]


def record(api: Api, collection: str, rid: str, **changes: Any) -> dict[str, Any]:
    """A record as the API gives it, changed: the body of a PUT (or, with a new id, of a POST)."""
    body: dict[str, Any] = api.client.get(f"/{collection}/{rid}", headers=api.auth()).json()
    body.pop("warnings", None)
    return {**body, **changes}


def write(api: Api, method: str, url: str, body: dict[str, Any] | None = None) -> None:
    resp = api.client.request(method, url, json=body, headers=api.auth())
    assert resp.status_code in (200, 201, 204), resp.text


def outcome(check: Any) -> Any:
    """An answer's JSON, or the violations of a proposal that names records the registry did not hold."""
    try:
        return check().as_json()
    except ValidationFailed as e:
        return sorted((v.field, v.message) for v in e.violations)


def oracle(reg: Registry, when: dt.datetime) -> LegalEngine:
    """The legal-basis engine over the whole registry rebuilt as it stood at `when`."""
    view, lineage = lineage_as_of(reg.store, reg.iris, reg.resources, when)
    return LegalEngine(view, reg.iris, reg.resources, lineage)


def assert_as_of_agrees(api: Api, moments: list[str]) -> None:
    """At each moment, every proposal's answer as of it (and what stewards see of it over HTTP) is the
    rebuilt registry's."""
    reg = api.registry
    today = dt.date(2025, 6, 1)
    for when in moments:
        engine = oracle(reg, dt.datetime.fromisoformat(when))
        for raw in PROPOSALS:
            proposal = ShareProposal.model_validate({**raw, "as_of": when})
            want = outcome(lambda p=proposal, e=engine: e.check(p, today=today))
            got = outcome(lambda p=proposal: reg.share_checks.answer(p, today))
            assert got == want, (when, raw)
        # what a steward is shown of an answer as of a moment is what the rule withholds of the rebuilt one
        for raw, org in ((PROPOSALS[-7], "mof"), (PROPOSALS[-7], "moh-idiu"), (PROPOSALS[-2], "moh")):
            want = outcome(lambda r=raw, e=engine: e.check(ShareProposal.model_validate(r), today=today))
            resp = api.client.post("/share-checks", json={**raw, "date": "2025-06-01", "as_of": when},
                                   headers=api.auth("steward", org))
            if isinstance(want, list):
                assert_problem(resp, 422)
                continue
            assert resp.status_code == 201, resp.text
            seen = reg.share_checks.for_caller(want, Caller(role="steward", org=org, token_id="t"))
            assert {k: v for k, v in resp.json().items() if k in seen} == seen, (when, raw, org)


def test_share_checks_as_of_agree_with_the_registry_rebuilt_as_it_stood(api: Api) -> None:
    """Agreements created, amended, suspended, retired and moved to another pair; datasets derived and
    re-derived; organisations created, re-designated and placed under a new parent: at every moment
    between the writes, and long before any record existed, the answer from the records' logged versions
    is the rebuilt registry's."""
    linked = {**dataset("h-linked", ["ohip-claims", "osap-loans"]), "publisher": "moh-idiu"}
    writes: list[tuple[str, str, Any]] = [
        ("POST", "/agreements", lambda: record(api, "agreements", "dsa-moh-mto-2024", id="dsa-hist",
                                               recipient="mof", title="History test")),
        ("PUT", "/agreements/dsa-mccss-idiu-2024",
         lambda: record(api, "agreements", "dsa-mccss-idiu-2024", valid_until="2026-03-31")),
        ("PUT", "/agreements/dsa-moh-idiu-2024",
         lambda: record(api, "agreements", "dsa-moh-idiu-2024", status="suspended")),
        ("POST", "/datasets", lambda: linked),
        ("PUT", "/agreements/dsa-idiu-mof-2025", lambda: record(
            api, "agreements", "dsa-idiu-mof-2025", legal_basis=["fippa-part-3.1", "phipa-29-a"],
            datasets=["linked-health-social", "health-social-deid", "h-linked"])),
        ("POST", "/organizations", lambda: record(api, "organizations", "mof", id="h-team", name="History team",
                                                  kind="agency", parent="moh-idiu")),
        ("POST", "/agreements", lambda: record(api, "agreements", "dsa-moh-mto-2024", id="dsa-hist-team",
                                               recipient="h-team", legal_basis=["fippa-42-1-d"])),
        ("PUT", "/organizations/moh-idiu", lambda: record(api, "organizations", "moh-idiu", designated_under=["phipa-45"])),
        ("PUT", "/organizations/tps", lambda: record(api, "organizations", "tps", parent="toronto")),
        ("PUT", "/organizations/h-team", lambda: record(api, "organizations", "h-team", parent="mof")),
        ("DELETE", "/agreements/dsa-mto-idiu-2025", lambda: None),
        ("PUT", "/agreements/dsa-hist", lambda: record(api, "agreements", "dsa-hist", recipient="ices")),
        ("PUT", "/datasets/h-linked", lambda: {**linked, "derived_from": ["osap-loans"]}),
        ("PUT", "/datasets/ow-caseload", lambda: record(api, "datasets", "ow-caseload", personal_information=False,
                                                        personal_data_categories=[])),
    ]
    moments = ["2000-01-01T00:00:00+00:00", moment()]
    for method, url, body in writes:
        write(api, method, url, body())
        moments.append(moment())
    assert_as_of_agrees(api, moments)


def test_share_checks_as_of_agree_with_the_rebuild_for_records_bulk_loaded_without_history(bulk: Api) -> None:
    """Records with no logged version are as they are now, at any moment; once written, they have a past."""
    moments = ["2000-01-01T00:00:00+00:00", moment()]
    write(bulk, "PUT", "/agreements/dsa-mccss-idiu-2024",
          record(bulk, "agreements", "dsa-mccss-idiu-2024", valid_until="2026-03-31"))
    moments.append(moment())
    write(bulk, "PUT", "/organizations/moh-idiu", record(bulk, "organizations", "moh-idiu", parent="mof"))
    moments.append(moment())
    assert_as_of_agrees(bulk, moments)


@pytest.mark.parametrize(("as_of", "status"), [("0001-01-01T00:00:00+14:00", 422), ("0001-01-01T00:00:00", 422),
                                               ("9999-12-31T23:59:59-14:00", 201)])
def test_a_share_check_as_of_the_ends_of_time_is_an_answer_not_an_error(api: Api, as_of: str, status: int) -> None:
    """Before the first record (the casebook's were written through the write path), the proposal names
    records the registry did not hold; at the end of time, the answer is today's."""
    r = api.client.post("/share-checks", json={**PROPOSAL, "as_of": as_of}, headers=api.auth("privacy-officer"))
    if status == 422:
        assert {v["field"] for v in assert_problem(r, 422)["violations"]} == {"provider", "recipient", "datasets"}
    else:
        assert r.status_code == 201, r.text
        assert codes(r.json()) == codes(check(api))
