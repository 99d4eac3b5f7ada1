"""The legal-basis engine over HTTP: every casebook case, then one case per rule and reason code,
and the edge cases a privacy officer would try."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import Api
from helpers import CASEBOOK

CASES = json.loads((CASEBOOK / "cases.json").read_text())


def check(api: Api, role: str = "privacy-officer", **proposal: Any) -> dict[str, Any]:
    body = {"date": "2025-06-01", "deidentified": False, "onward_disclosure": False, **proposal}
    resp = api.client.post("/share-checks", json=body, headers=api.auth(role))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def codes(answer: dict[str, Any]) -> set[str]:
    return {r["code"] for r in answer["reasons"]}


def conditions(answer: dict[str, Any]) -> set[str]:
    return {c["code"] for c in answer["conditions"]}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_casebook(world_api: Api, case: dict[str, Any]) -> None:
    resp = world_api.client.post("/share-checks", json=case["proposal"], headers=world_api.auth("privacy-officer"))
    assert resp.status_code == 201, resp.text
    answer = resp.json()
    assert answer["decision"] in case.get("decision_in", [case.get("decision")])
    assert set(case.get("reasons", [])) <= codes(answer)
    assert not set(case.get("reasons_absent", [])) & codes(answer)
    assert set(case.get("conditions", [])) <= conditions(answer)
    assert not set(case.get("conditions_absent", [])) & conditions(answer)
    for r in answer["reasons"]:
        assert r["message"].strip(), "every reason explains itself"


# ---------------------------------------------------------------- helpers to extend the world


def put(api: Api, collection: str, record: dict[str, Any]) -> None:
    resp = api.client.post(f"/{collection}", json=record, headers=api.auth("admin"))
    assert resp.status_code == 201, resp.text


def dataset(rid: str, publisher: str, **over: Any) -> dict[str, Any]:
    d = {"id": rid, "title": rid.replace("-", " ").title(), "description": "test data", "publisher": publisher,
         "steward": {"name": "T. Steward", "email": "t@example.org"}, "keywords": ["test"], "access": "non-public",
         "sensitivity": "high", "personal_information": True, "personal_data_categories": ["health"],
         "retention": "P5Y", "issued": "2020-01-01", "derived_from": [], "generated_by": None}
    d.update(over)
    return d


def agreement(rid: str, provider: str, recipient: str, datasets: list[str], **over: Any) -> dict[str, Any]:
    a = {"id": rid, "title": f"Agreement {rid}", "provider": provider, "recipient": recipient, "datasets": datasets,
         "purposes": ["program-evaluation"], "legal_basis": ["fippa-42-1-c"], "valid_from": "2024-01-01",
         "valid_until": "2025-12-31", "status": "active",
         "conditions": {"deidentify_before_use": False, "onward_disclosure": False, "retention": "P1Y"}}
    a.update(over)
    return a


@pytest.fixture
def lab(world_api: Api) -> Api:
    """The casebook world (which holds ICES, a prescribed entity) plus records for the rules the casebook
    does not show."""
    put(world_api, "organizations", {"id": "moh-audit", "name": "MOH audit branch", "kind": "agency",
                                     "parent": "moh"})
    put(world_api, "datasets", dataset("drug-claims", "moh"))
    put(world_api, "datasets", dataset("hospital-stays", "moh"))
    put(world_api, "datasets", dataset("mto-open", "mto", access="public", personal_information=False,
                                       personal_data_categories=[]))
    put(world_api, "datasets", dataset("mto-internal", "mto", access="restricted", personal_information=False,
                                       personal_data_categories=[]))
    # lineage: drug-claims -> linked (linkage) -> deid (deidentification) -> deid-extract (extraction)
    put(world_api, "datasets", dataset("linked", "moh", derived_from=["drug-claims"],
                                       generated_by={"kind": "linkage", "by": "moh", "date": "2024-01-01"}))
    put(world_api, "datasets", dataset("deid", "moh", personal_information=False, personal_data_categories=[],
                                       derived_from=["linked"],
                                       generated_by={"kind": "deidentification", "by": "moh", "date": "2024-01-02"}))
    put(world_api, "datasets", dataset("deid-extract", "moh", personal_information=False,
                                       personal_data_categories=[], derived_from=["deid"],
                                       generated_by={"kind": "extraction", "by": "moh", "date": "2024-01-03"}))
    # and a chain with no de-identification: drug-claims -> hop1 -> hop2 (both extraction, not flagged)
    put(world_api, "datasets", dataset("hop1", "moh", personal_information=False, personal_data_categories=[],
                                       derived_from=["drug-claims"],
                                       generated_by={"kind": "extraction", "by": "moh", "date": "2024-01-03"}))
    put(world_api, "datasets", dataset("hop2", "moh", personal_information=False, personal_data_categories=[],
                                       derived_from=["hop1"],
                                       generated_by={"kind": "aggregation", "by": "moh", "date": "2024-01-04"}))
    put(world_api, "agreements", agreement(
        "broad-purpose", "moh", "ices", ["drug-claims", "hop2"], purposes=["program-management"],
        legal_basis=["phipa-45"]))
    put(world_api, "agreements", agreement("suspended", "moh", "moh-audit", ["drug-claims"], status="suspended",
                                           legal_basis=["fippa-42-1-d"]))
    put(world_api, "agreements", agreement("draft-expired", "moh", "moh-audit", ["hospital-stays"], status="draft",
                                           valid_until="2024-12-31", legal_basis=["fippa-42-1-d"]))
    put(world_api, "agreements", agreement("in-house", "moh", "moh-audit", ["linked"], legal_basis=["fippa-42-1-d"],
                                           purposes=["audit"]))
    put(world_api, "agreements", agreement("wrong-purpose-basis", "mto", "mof", ["mto-internal"],
                                           legal_basis=["fippa-42-1-g"], purposes=["research"]))
    put(world_api, "agreements", agreement("consent-based", "moh", "univ-research", ["drug-claims"],
                                           legal_basis=["fippa-42-1-b"], purposes=["research"],
                                           conditions={"onward_disclosure": True}))
    put(world_api, "agreements", agreement("two-bases", "moh", "mof", ["hospital-stays"],
                                           legal_basis=["fippa-part-3.1", "fippa-42-1-e"], purposes=["audit"],
                                           enabling_act="Financial Administration Act, R.S.O. 1990, c. F.12"))
    return world_api


def test_agreement_purpose_covers_narrower_purposes(lab: Api) -> None:
    # the agreement is for program management; PHIPA s. 45 permits health-system analysis, a narrower purpose
    a = check(lab, datasets=["drug-claims"], provider="moh", recipient="ices", purpose="health-system-analysis")
    assert a["decision"] == "conditional"
    assert codes(a) == {"AGREEMENT_IN_FORCE"}
    assert a["basis"][0]["authority"] == "phipa-45"
    assert a["basis"][0]["source"].startswith("https://www.ontario.ca/laws/")


def test_agreement_purpose_never_covers_a_broader_purpose(world_api: Api) -> None:
    # dsa-moh-idiu-2024 is for program-evaluation and program-planning, not their parent
    a = check(world_api, datasets=["ohip-claims"], provider="moh", recipient="moh-idiu", purpose="program-management")
    assert a["decision"] == "not_permitted"
    assert codes(a) == {"PURPOSE_NOT_COVERED"}


@pytest.mark.parametrize(("date", "decision"), [
    ("2023-12-31", "not_permitted"), ("2024-01-01", "conditional"), ("2026-12-31", "conditional"),
    ("2027-01-01", "not_permitted"),
])
def test_agreement_dates_are_inclusive(world_api: Api, date: str, decision: str) -> None:
    a = check(world_api, datasets=["ohip-claims"], provider="moh", recipient="moh-idiu",
              purpose="program-evaluation", date=date)
    assert a["decision"] == decision
    if decision == "not_permitted":
        assert codes(a) == {"AGREEMENT_NOT_IN_FORCE"}


def test_suspended_agreement_is_not_approved(lab: Api) -> None:
    a = check(lab, datasets=["drug-claims"], provider="moh", recipient="moh-audit", purpose="program-evaluation")
    assert a["decision"] == "not_permitted"
    assert codes(a) == {"AGREEMENT_NOT_APPROVED"}
    assert "suspended" in a["reasons"][0]["message"]
    assert a["reasons"][0]["remedy"]


def test_every_failing_reason_is_reported_not_only_the_first(lab: Api) -> None:
    a = check(lab, datasets=["hospital-stays"], provider="moh", recipient="moh-audit", purpose="research")
    assert codes(a) == {"AGREEMENT_NOT_APPROVED", "AGREEMENT_NOT_IN_FORCE", "PURPOSE_NOT_COVERED"}


def test_dataset_not_covered_and_mixed_outcomes(world_api: Api) -> None:
    put(world_api, "datasets", dataset("ohip-extra", "moh"))
    a = check(world_api, datasets=["ohip-claims", "ohip-extra"], provider="moh", recipient="moh-idiu",
              purpose="program-evaluation")
    assert a["decision"] == "not_permitted"
    assert codes(a) == {"AGREEMENT_IN_FORCE", "DATASET_NOT_COVERED"}
    by_dataset = {r["dataset"]: r["code"] for r in a["reasons"]}
    assert by_dataset == {"ohip-claims": "AGREEMENT_IN_FORCE", "ohip-extra": "DATASET_NOT_COVERED"}
    assert a["conditions"] == [], "no conditions are offered for a share that may not proceed"


def test_many_agreements_between_the_parties_are_named_a_few_at_a_time(world_api: Api) -> None:
    """The engine reads only the agreements that cover the proposal's datasets; when none does, it
    names the first ten of the parties' others, not all of them."""
    for i in range(12):
        put(world_api, "datasets", dataset(f"bulk-{i:02}", "moh"))
        put(world_api, "agreements", agreement(f"dsa-bulk-{i:02}", "moh", "mto", [f"bulk-{i:02}"]))
    put(world_api, "datasets", dataset("uncovered", "moh"))
    a = check(world_api, datasets=["uncovered"], provider="moh", recipient="mto", purpose="program-evaluation",
              date="2025-06-01")
    assert codes(a) == {"DATASET_NOT_COVERED"}
    message = a["reasons"][0]["message"]
    assert "dsa-bulk-00" in message and "and more" in message and "dsa-bulk-11" not in message
    covered = check(world_api, datasets=["bulk-07"], provider="moh", recipient="mto", purpose="program-evaluation",
                    date="2025-06-01")
    assert {r["agreement"] for r in covered["reasons"] if r.get("agreement")} == {"dsa-bulk-07"}
    assert "AGREEMENT_IN_FORCE" in codes(covered)


def test_the_parties_agreements_are_found_from_either_side(world_api: Api) -> None:
    """The search for the parties' other agreements starts from the party with fewer: a hub as the
    provider, then as the recipient, gives the same answers (and none between a hub and a stranger)."""
    put(world_api, "datasets", dataset("uncovered", "moh"))
    put(world_api, "datasets", dataset("mto-uncovered", "mto"))
    for i in range(4):  # moh: a hub that provides to, and receives from, mto
        put(world_api, "datasets", dataset(f"hub-out-{i}", "moh"))
        put(world_api, "agreements", agreement(f"dsa-out-{i}", "moh", "mto", [f"hub-out-{i}"]))
        put(world_api, "datasets", dataset(f"hub-in-{i}", "mto"))
        put(world_api, "agreements", agreement(f"dsa-in-{i}", "mto", "moh", [f"hub-in-{i}"]))
    put(world_api, "agreements", agreement("dsa-other", "moh", "mof", ["hub-out-0"]))  # moh: more than mto
    for provider, recipient, ds, ids in (("moh", "mto", "uncovered", [f"dsa-out-{i}" for i in range(4)]),
                                         ("mto", "moh", "mto-uncovered", [f"dsa-in-{i}" for i in range(4)])):
        a = check(world_api, datasets=[ds], provider=provider, recipient=recipient, purpose="program-evaluation",
                  date="2025-06-01")
        assert codes(a) == {"DATASET_NOT_COVERED"}, (provider, recipient, a)
        message = a["reasons"][0]["message"]
        assert all(i in message for i in ids) and "dsa-other" not in message, message
        other = "in" if provider == "moh" else "out"
        assert f"dsa-{other}-" not in message, "only agreements in this direction"
    stranger = check(world_api, datasets=["uncovered"], provider="moh", recipient="mcu",
                     purpose="program-evaluation", date="2025-06-01")
    assert codes(stranger) == {"NO_AGREEMENT"}


def test_open_dataset_beside_a_covered_one_needs_nothing_more(lab: Api) -> None:
    put(lab, "agreements", agreement("mto-share", "mto", "mof", ["mto-internal"], legal_basis=["fippa-42-1-c"]))
    a = check(lab, datasets=["mto-open", "mto-internal"], provider="mto", recipient="mof",
              purpose="program-evaluation")
    assert a["decision"] in ("permitted", "conditional")
    assert codes(a) == {"AGREEMENT_IN_FORCE"}


def test_all_open_is_open_data_whatever_the_date_or_parties(lab: Api) -> None:
    a = check(lab, datasets=["mto-open", "road-collisions"], provider="mto", recipient="univ-research",
              purpose="research", date="1999-01-01")
    assert a["decision"] == "permitted"
    assert codes(a) == {"OPEN_DATA"}


def test_restricted_non_personal_data_needs_an_agreement_but_no_authority_check(lab: Api) -> None:
    # the agreement cites 42(1)(g), which permits only law enforcement: irrelevant without personal information
    a = check(lab, datasets=["mto-internal"], provider="mto", recipient="mof", purpose="research")
    assert a["decision"] in ("permitted", "conditional")
    assert codes(a) == {"AGREEMENT_IN_FORCE"}
    b = check(lab, datasets=["mto-internal"], provider="mto", recipient="mcu", purpose="research")
    assert codes(b) == {"NO_AGREEMENT"}


def test_deidentification_stops_propagation_across_hops(lab: Api) -> None:
    a = check(lab, datasets=["deid-extract"], provider="moh", recipient="univ-research", purpose="research")
    assert "INHERITED_PERSONAL_INFORMATION" not in codes(a)
    assert a["datasets"][0]["personal_information"] is False
    # not personal, but restricted: the moh -> univ-research agreement exists and does not cover it
    assert codes(a) == {"DATASET_NOT_COVERED"}


def test_personal_information_propagates_through_several_hops(lab: Api) -> None:
    a = check(lab, datasets=["hop2"], provider="moh", recipient="ices", purpose="health-system-analysis")
    inherited = [r for r in a["reasons"] if r["code"] == "INHERITED_PERSONAL_INFORMATION"]
    assert inherited and inherited[0]["path"] == ["hop2", "hop1", "drug-claims"]
    # covered by the phipa-45 agreement as personal information
    assert "AGREEMENT_IN_FORCE" in codes(a)
    assert a["decision"] == "conditional"


def test_authority_purpose_limit_gives_no_legal_basis(lab: Api) -> None:
    put(lab, "agreements", agreement("ge-research", "moh", "mof", ["drug-claims"], legal_basis=["fippa-42-1-g"],
                                     purposes=["research"]))
    a = check(lab, datasets=["drug-claims"], provider="moh", recipient="mof", purpose="research")
    assert a["decision"] == "not_permitted"
    assert codes(a) == {"NO_LEGAL_BASIS"}
    assert a["reasons"][0]["authority"] == "fippa-42-1-g"


def test_consent_authority_needs_consent(lab: Api) -> None:
    without = check(lab, datasets=["drug-claims"], provider="moh", recipient="univ-research", purpose="research")
    assert without["decision"] == "not_permitted"
    assert codes(without) == {"NO_LEGAL_BASIS"}
    assert "consent" in without["reasons"][0]["message"]
    with_consent = check(lab, datasets=["drug-claims"], provider="moh", recipient="univ-research",
                         purpose="research", consent=True)
    # that agreement sets no retention limit and allows onward disclosure: no conditions attach
    assert with_consent["decision"] == "permitted"
    assert with_consent["conditions"] == []
    # the agreement allows onward disclosure, so a proposal with it is not refused on that ground
    onward = check(lab, datasets=["drug-claims"], provider="moh", recipient="univ-research", purpose="research",
                   consent=True, onward_disclosure=True)
    assert "ONWARD_DISCLOSURE_PROHIBITED" not in codes(onward)
    assert onward["decision"] in ("permitted", "conditional")


def test_a_second_cited_authority_can_carry_the_share(lab: Api) -> None:
    a = check(lab, datasets=["hospital-stays"], provider="moh", recipient="mof", purpose="audit")
    assert a["decision"] == "conditional"
    assert codes(a) == {"AGREEMENT_IN_FORCE"}
    assert {b["authority"] for b in a["basis"]} == {"fippa-part-3.1", "fippa-42-1-e"}


def test_same_institution_authority(lab: Api) -> None:
    inside = check(lab, datasets=["linked"], provider="moh", recipient="moh-audit", purpose="audit")
    assert inside["decision"] == "conditional"
    put(lab, "agreements", agreement("outside", "moh", "mof", ["linked"], legal_basis=["fippa-42-1-d"],
                                     purposes=["audit"]))
    outside = check(lab, datasets=["linked"], provider="moh", recipient="mof", purpose="audit")
    assert codes(outside) == {"RECIPIENT_NOT_ELIGIBLE"}


def test_deidentified_proposal_meets_the_deidentification_condition(world_api: Api) -> None:
    a = check(world_api, datasets=["ohip-claims"], provider="moh", recipient="moh-idiu",
              purpose="program-evaluation", deidentified=True)
    assert "DEIDENTIFY_BEFORE_USE" not in conditions(a)
    assert {"RETENTION_LIMIT", "NO_ONWARD_DISCLOSURE"} <= conditions(a)


def test_retired_agreement_gives_no_basis(world_api: Api) -> None:
    resp = world_api.client.delete("/agreements/dsa-moh-idiu-2024", headers=world_api.auth("admin"))
    assert resp.status_code == 204
    a = check(world_api, datasets=["ohip-claims"], provider="moh", recipient="moh-idiu",
              purpose="program-evaluation")
    assert codes(a) == {"NO_AGREEMENT"}


def test_default_date_is_today(world_api: Api) -> None:
    body = {"datasets": ["road-collisions"], "provider": "mto", "recipient": "mof", "purpose": "statistics"}
    resp = world_api.client.post("/share-checks", json=body, headers=world_api.auth("privacy-officer"))
    assert resp.status_code == 201
    assert resp.json()["proposal"]["date"] == resp.json()["requested_at"][:10]


@pytest.mark.parametrize(("change", "field"), [
    ({"datasets": ["no-such-dataset"]}, "datasets"),
    ({"provider": "nobody"}, "provider"),
    ({"recipient": "nobody"}, "recipient"),
    ({"purpose": "marketing"}, "purpose"),
])
def test_unknown_references_are_422_problems_naming_them(world_api: Api, change: dict[str, Any], field: str) -> None:
    body = {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu", "purpose": "program-evaluation",
            "date": "2025-06-01", **change}
    before = world_api.client.get("/share-checks", headers=world_api.auth("privacy-officer")).json()["total"]
    resp = world_api.client.post("/share-checks", json=body, headers=world_api.auth("privacy-officer"))
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert [v["field"] for v in problem["violations"]] == [field]
    value = list(change.values())[0]
    assert (value[0] if isinstance(value, list) else value) in json.dumps(problem)
    after = world_api.client.get("/share-checks", headers=world_api.auth("privacy-officer")).json()["total"]
    assert after == before, "a refused proposal is not recorded as a check"


@pytest.mark.parametrize("body", [
    {"datasets": [], "provider": "moh", "recipient": "mof", "purpose": "audit"},
    {"datasets": "ohip-claims", "provider": "moh", "recipient": "mof", "purpose": "audit"},
    {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "mof", "purpose": "audit", "deidentified": "yes"},
    {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "mof", "purpose": "audit", "date": "2025-13-01"},
    {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "mof", "purpose": "audit", "surprise": 1},
    {"provider": "moh"},
    ["not", "an", "object"],
])
def test_malformed_proposals_are_4xx(world_api: Api, body: Any) -> None:
    resp = world_api.client.post("/share-checks", json=body, headers=world_api.auth("privacy-officer"))
    assert resp.status_code in (400, 422), resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_checks_are_recorded_and_listed_for_privacy_officers(world_api: Api) -> None:
    a = check(world_api, datasets=["ohip-claims"], provider="moh", recipient="mof", purpose="audit")
    got = world_api.client.get(f"/share-checks/{a['id']}", headers=world_api.auth("privacy-officer"))
    assert got.status_code == 200
    assert got.json() == a
    assert a["requested_by"].startswith("token ")
    listed = world_api.client.get("/share-checks", headers=world_api.auth("privacy-officer")).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == a["id"]
    assert world_api.client.get("/share-checks", headers=world_api.auth("steward", "moh")).status_code == 403
    assert world_api.client.get("/share-checks").status_code == 401
    assert world_api.client.get("/share-checks/sc-none", headers=world_api.auth("admin")).status_code == 404


def test_anonymous_callers_cannot_run_checks(world_api: Api) -> None:
    resp = world_api.client.post("/share-checks", json=CASES[0]["proposal"])
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_checks_are_stored_in_restricted_graphs_only(world_api: Api) -> None:
    a = check(world_api, datasets=["ohip-claims"], provider="moh", recipient="mof", purpose="audit")
    graphs = {str(g) for *_, g in world_api.registry.store.quads() if a["id"] in str(g)}
    assert graphs and all(g.endswith("/restricted") for g in graphs)


def test_authority_requirements_are_data_not_code(tmp_path: Any) -> None:
    """A new authority added to the catalogue file is used without a code change."""
    import shutil

    from conftest import ROOT, load_world
    from registry.config import Settings
    from registry.services.registry import open_registry

    root = tmp_path / "repo"
    for part in ("ontology", "shapes", "sparql"):
        shutil.copytree(ROOT / part, root / part)
    with (root / "ontology" / "authorities.ttl").open("a") as f:
        f.write("""
auth:test-statute-9 a reg:LegalAuthority ;
    dct:identifier "test-statute-9" ;
    skos:prefLabel "Test Act s. 9"@en ;
    skos:inScheme auth:catalogue ;
    reg:statute "Test Act" ; reg:statuteAbbreviation "TA" ; reg:section "9" ;
    reg:citation "Test Act, s. 9" ;
    reg:summary "A test authority that permits only statistics."@en ;
    dct:source <https://www.ontario.ca/laws/statute/test> ;
    reg:appliesToInformation info:personal-information ;
    reg:permitsPurpose purpose:statistics .
""")
    reg = open_registry(Settings(data="memory", resources_dir=root))
    try:
        load_world(reg)
        api = Api(reg)
        put(api, "agreements", agreement("ta-9", "moh", "mof", ["ohip-claims"], legal_basis=["test-statute-9"],
                                         purposes=["statistics", "research"]))
        ok = check(api, datasets=["ohip-claims"], provider="moh", recipient="mof", purpose="statistics")
        assert ok["decision"] == "conditional" and ok["basis"][0]["citation"] == "Test Act, s. 9"
        refused = check(api, datasets=["ohip-claims"], provider="moh", recipient="mof", purpose="research")
        assert codes(refused) == {"NO_LEGAL_BASIS"}
        api.close()
    finally:
        reg.close()


def test_cli_check_share(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from registry.cli.main import app

    runner = CliRunner()
    data = str(tmp_path / "store")
    world_file = CASEBOOK / "world.json"
    assert runner.invoke(app, ["load", str(world_file), "--data", data]).exit_code == 0
    res = runner.invoke(app, ["check-share", "--data", data, "--datasets", "ohip-claims", "--provider", "moh",
                              "--recipient", "moh-idiu", "--purpose", "program-evaluation", "--date", "2025-06-01",
                              "--json"])
    assert res.exit_code == 0, res.output
    answer = json.loads(res.stdout)
    assert answer["decision"] == "conditional"
    bad = runner.invoke(app, ["check-share", "--data", data, "--datasets", "nope", "--provider", "moh",
                              "--recipient", "mof", "--purpose", "audit"])
    assert bad.exit_code == 1
    assert "nope" in bad.output


# ---------------------------------------------------------------- issue 16, over the real catalogue


def test_organisations_show_the_statutes_that_govern_them(world_api: Api) -> None:
    got = {o: world_api.client.get(f"/organizations/{o}").json()["governed_by"]
           for o in ("moh", "mof", "toronto", "tps", "moh-idiu")}
    assert got == {"moh": ["fippa", "phipa"], "mof": ["fippa"], "toronto": ["mfippa"], "tps": [],
                   "moh-idiu": ["fippa"]}


def test_phipa_cited_by_a_ministry_that_is_no_custodian(world_api: Api) -> None:
    put(world_api, "agreements", agreement("mto-ices", "mto", "ices", ["driver-licences"], legal_basis=["phipa-45"],
                                           purposes=["health-system-analysis"]))
    a = check(world_api, datasets=["driver-licences"], provider="mto", recipient="ices", purpose="health-system-analysis")
    assert a["decision"] == "not_permitted" and codes(a) == {"STATUTE_NOT_APPLICABLE"}
    assert a["reasons"][0]["authority"] == "phipa-45" and a["reasons"][0]["remedy"]


def test_a_municipality_cites_its_own_statute(world_api: Api) -> None:
    put(world_api, "agreements", agreement("toronto-mof-32c", "toronto", "mof", ["shelter-usage"],
                                           legal_basis=["mfippa-32-c"], purposes=["program-planning"],
                                           consistent_purpose_finding="Housing planning is the purpose of "
                                                                      "collection."))
    a = check(world_api, datasets=["shelter-usage"], provider="toronto", recipient="mof", purpose="program-planning")
    assert a["decision"] in ("permitted", "conditional")
    assert "AGREEMENT_IN_FORCE" in codes(a) and "STATUTE_NOT_APPLICABLE" not in codes(a)
    assert "FINDING_REQUIRED" not in codes(a) and "RECORD_FINDING" not in conditions(a)


def test_the_notice_counts_from_the_day_it_is_published(world_api: Api) -> None:
    put(world_api, "datasets", dataset("plates", "mto"))
    put(world_api, "agreements", agreement("notice-plates", "mto", "moh-idiu", ["plates"], legal_basis=[
        "fippa-part-3.1"], purposes=["program-planning"], notice={"url": "https://www.ontario.ca/page/notice",
                                                                  "published": "2025-03-01"}))
    on = check(world_api, datasets=["plates"], provider="mto", recipient="moh-idiu", purpose="program-planning",
               date="2025-03-01")
    assert "AGREEMENT_IN_FORCE" in codes(on) and on["decision"] != "not_permitted"
    before = check(world_api, datasets=["plates"], provider="mto", recipient="moh-idiu", purpose="program-planning",
                   date="2025-02-28")
    assert before["decision"] == "not_permitted" and codes(before) == {"NOTICE_NOT_PUBLISHED"}
    stored = world_api.client.get("/agreements/notice-plates", headers=world_api.auth("admin")).json()
    assert stored["notice"] == {"url": "https://www.ontario.ca/page/notice", "published": "2025-03-01"}


def test_investigation_disclosures_to_the_police(world_api: Api) -> None:
    put(world_api, "agreements", agreement("mccss-tps", "mccss", "tps", ["ow-caseload"], legal_basis=["fippa-42-1-g"],
                                           purposes=["law-enforcement"]))
    a = check(world_api, datasets=["ow-caseload"], provider="mccss", recipient="tps", purpose="law-enforcement")
    assert a["decision"] in ("permitted", "conditional") and "AGREEMENT_IN_FORCE" in codes(a)


def test_compelling_health_or_safety_notifies_the_individual(world_api: Api) -> None:
    put(world_api, "agreements", agreement("mccss-moh-h", "mccss", "moh", ["ow-caseload"], legal_basis=["fippa-42-1-h"],
                                           purposes=["health-and-safety"]))
    a = check(world_api, datasets=["ow-caseload"], provider="mccss", recipient="moh", purpose="health-and-safety")
    assert a["decision"] == "conditional" and "NOTIFY_INDIVIDUAL" in conditions(a)


def test_a_prescribed_entity_must_be_designated_under_phipa_45(world_api: Api) -> None:
    put(world_api, "organizations", {"id": "not-yet", "name": "An entity not yet prescribed",
                                     "kind": "prescribed-entity", "parent": None})
    for recipient in ("ices", "not-yet"):
        put(world_api, "agreements", agreement(f"moh-{recipient}", "moh", recipient, ["ohip-claims"],
                                               legal_basis=["phipa-45"], purposes=["health-system-analysis"]))
    designated = check(world_api, datasets=["ohip-claims"], provider="moh", recipient="ices",
                       purpose="health-system-analysis")
    assert "AGREEMENT_IN_FORCE" in codes(designated)
    missing = check(world_api, datasets=["ohip-claims"], provider="moh", recipient="not-yet",
                    purpose="health-system-analysis")
    assert missing["decision"] == "not_permitted" and codes(missing) == {"RECIPIENT_NOT_ELIGIBLE"}


def test_a_phipa_provision_applies_only_to_personal_health_information(world_api: Api) -> None:
    """PHIPA governs personal health information: a custodian citing it for other personal information has
    no basis under it, while data derived from health records (no de-identification between) carries the
    health information of its source whatever its own categories say."""
    put(world_api, "datasets", dataset("moh-staff", "moh", personal_data_categories=["employment"]))
    put(world_api, "datasets", dataset("claims-extract", "moh", personal_information=False,
                                       personal_data_categories=[], derived_from=["ohip-claims"]))
    put(world_api, "agreements", agreement("moh-mof-40", "moh", "mof", ["moh-staff", "claims-extract", "ohip-claims"],
                                           legal_basis=["phipa-40-1"], purposes=["health-and-safety"]))
    staff = check(world_api, datasets=["moh-staff"], provider="moh", recipient="mof", purpose="health-and-safety")
    assert staff["decision"] == "not_permitted" and codes(staff) == {"STATUTE_NOT_APPLICABLE"}
    assert "personal health information" in staff["reasons"][0]["message"]
    for health in ("ohip-claims", "claims-extract"):
        a = check(world_api, datasets=[health], provider="moh", recipient="mof", purpose="health-and-safety")
        assert a["decision"] in ("permitted", "conditional") and "STATUTE_NOT_APPLICABLE" not in codes(a), a


def test_the_kind_of_information_is_withheld_from_a_steward_of_neither_party(world_api: Api) -> None:
    """Which kinds of information a dataset carries follows its restricted categories: a steward who may not
    read them gets the code, not the message."""
    put(world_api, "datasets", dataset("moh-staff", "moh", personal_data_categories=["employment"]))
    put(world_api, "agreements", agreement("moh-mof-40", "moh", "mof", ["moh-staff"], legal_basis=["phipa-40-1"],
                                           purposes=["health-and-safety"]))
    proposal = {"datasets": ["moh-staff"], "provider": "moh", "recipient": "mof", "purpose": "health-and-safety"}
    officer = check(world_api, **proposal)
    assert "personal health information" in officer["reasons"][0]["message"]
    resp = world_api.client.post("/share-checks", json={"date": "2025-06-01", **proposal},
                                 headers=world_api.auth("steward", "mto"))  # a steward of neither party
    assert resp.status_code == 201, resp.text
    steward = resp.json()
    assert {r["code"] for r in steward["reasons"]} == {"STATUTE_NOT_APPLICABLE"}
    assert all(r.get("withheld") and "health" not in r["message"] for r in steward["reasons"]), steward


def test_phipa_45_permits_health_system_analysis_only(world_api: Api) -> None:
    """Statistics outside the health system are no purpose of s. 45, even for a designated prescribed entity."""
    put(world_api, "agreements", agreement("moh-ices-stats", "moh", "ices", ["ohip-claims"], legal_basis=["phipa-45"],
                                           purposes=["statistics", "health-system-analysis"]))
    general = check(world_api, datasets=["ohip-claims"], provider="moh", recipient="ices", purpose="statistics")
    assert general["decision"] == "not_permitted" and codes(general) == {"NO_LEGAL_BASIS"}
    assert general["reasons"][0]["authority"] == "phipa-45"
    health = check(world_api, datasets=["ohip-claims"], provider="moh", recipient="ices", purpose="health-system-analysis")
    assert "AGREEMENT_IN_FORCE" in codes(health)


def test_only_a_law_enforcement_institution_discloses_under_s_42_1_f(world_api: Api) -> None:
    """s. 42(1)(f) lets only a law enforcement institution disclose (reg:requiresProviderKind)."""
    put(world_api, "organizations", {"id": "opp", "name": "Ontario Provincial Police", "kind": "law-enforcement-agency",
                                     "parent": None, "governed_by": ["fippa"]})
    put(world_api, "datasets", dataset("occurrences", "opp", personal_data_categories=["criminal"]))
    for provider, rid in (("opp", "occurrences"), ("mccss", "ow-caseload")):
        put(world_api, "agreements", agreement(f"{provider}-tps-42f", provider, "tps", [rid],
                                               legal_basis=["fippa-42-1-f"], purposes=["law-enforcement"]))
    police = check(world_api, datasets=["occurrences"], provider="opp", recipient="tps", purpose="law-enforcement")
    assert police["decision"] in ("permitted", "conditional") and "AGREEMENT_IN_FORCE" in codes(police), police
    ministry = check(world_api, datasets=["ow-caseload"], provider="mccss", recipient="tps", purpose="law-enforcement")
    assert ministry["decision"] == "not_permitted" and codes(ministry) == {"STATUTE_NOT_APPLICABLE"}
    assert "law enforcement agency disclose" in ministry["reasons"][0]["message"]
