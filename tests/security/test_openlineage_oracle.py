"""OpenLineage as an oracle: a steward's RunEvent names another organisation's OpenLineage identifiers
(restricted fields of that organisation's datasets), as inputs, as outputs, through a `symlinks` facet
or an output's `columnLineage`. The answer must be the one a name that exists nowhere gets: the same
status, headers and body but for the names themselves, no id, title or organisation of the other
organisation's datasets, and nothing written to them. Admins still match every identifier."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import Api
from helpers import PROBLEM, assert_problem, record_quads, world_api
from registry.services.ingest.openlineage import lineage_slug

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.0.0/client/python"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
NS = "postgres://social-db.internal:5432"
HIVE = "hive://social-metastore"
#: identifiers of mccss's datasets, and names of the same length that no dataset carries
FOREIGN = {"caseload": (NS, "social.ow_caseload"), "extract": (NS, "social.ow_extracts"),
           "symlink": (HIVE, "warehouse.ow_cases")}
NOWHERE = {"caseload": (NS, "social.zz_caseload"), "extract": (NS, "social.zz_extracts"),
           "symlink": (HIVE, "warehouse.zz_cases")}
B_DATASETS = ("ow-caseload", "ow-extract")
#: what the answer must never say about them
B_WORDS = ("ow-caseload", "ow-extract", "Ontario Works", "mccss", "Social Data Steward")


@pytest.fixture
def api() -> Iterator[Api]:
    with world_api() as a:
        for rid, ids in (("ow-caseload", [FOREIGN["caseload"], FOREIGN["symlink"]]),
                         ("ow-extract", [FOREIGN["extract"]])):
            d = a.client.get(f"/datasets/{rid}", headers=a.auth()).json()
            d["openlineage"] = [{"namespace": ns, "name": name} for ns, name in ids]
            r = a.client.put(f"/datasets/{rid}", json=d, headers=a.auth())
            assert r.status_code == 200, r.text
        for org in ("moh", "mccss"):
            a.auth("steward", org)  # the tokens exist before the quads are counted
        yield a


def ref(pair: tuple[str, str], **facets: Any) -> dict[str, Any]:
    return {"namespace": pair[0], "name": pair[1], "facets": facets}


def facet(**fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": "https://example.org/facet.json", **fields}


def event(inputs: list[dict[str, Any]], outputs: list[dict[str, Any]], run_id: str,
          event_type: str = "COMPLETE") -> dict[str, Any]:
    return {"eventType": event_type, "eventTime": "2025-03-01T10:00:00Z", "producer": PRODUCER,
            "schemaURL": SCHEMA_URL, "run": {"runId": run_id}, "job": {"namespace": "moh-airflow", "name": "nightly"},
            "inputs": inputs, "outputs": outputs}


def own(case: str, version: str) -> tuple[str, str]:
    """A name of the steward's own pipeline, new in each version (both versions spell it alike)."""
    return "postgres://moh-db.internal:5432", f"moh.{case}.{version}"


#: case -> the event, given the names of the other organisation's slots and the steward's own
SPELLINGS = {
    "input": lambda n, o, r: event([ref(n["caseload"])], [ref(o)], r),
    "output": lambda n, o, r: event([ref(o)], [ref(n["caseload"])], r),
    "inputs-and-outputs": lambda n, o, r: event([ref(n["caseload"])], [ref(n["extract"])], r),
    "symlink": lambda n, o, r: event(
        [ref(("file", "/w" + n["symlink"][1]), symlinks=facet(identifiers=[
            {"namespace": n["symlink"][0], "name": n["symlink"][1], "type": "TABLE"}]))], [ref(o)], r),
    "column-lineage": lambda n, o, r: event([], [ref(o, columnLineage=facet(fields={"c": {"inputFields": [
        {"namespace": n["caseload"][0], "name": n["caseload"][1], "field": "c"}]}}))], r),
    "fail": lambda n, o, r: event([ref(n["caseload"])], [ref(n["extract"])], r, "FAIL"),
}


def b_state(api: Api) -> list[Any]:
    reg = api.registry
    return [sorted(reg.store.graph(g)) for rid in B_DATASETS for g in reg.iris.graphs("dataset", rid)]


def post(api: Api, body: dict[str, Any], org: str = "moh") -> Any:
    return api.client.post("/api/v1/lineage", json=body, headers=api.auth("steward", org))


def normalised(text: str, names: dict[str, tuple[str, str]], mine: tuple[str, str], run_id: str) -> str:
    """The answer with each name (and the id the registry derives from it) replaced by its slot."""
    swaps = [(run_id, "<run>"), (lineage_slug(*mine), "<own-id>"), (mine[1], "<own>")]
    for slot, (ns, name) in names.items():
        swaps += [(lineage_slug(ns, name), f"<{slot}-id>"), (lineage_slug("file", "/w" + name), f"<{slot}-file-id>"),
                  (name, f"<{slot}>")]
    for old, new in swaps:
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize("case", SPELLINGS)
def test_another_organisations_identifiers_answer_as_names_that_exist_nowhere(api: Api, case: str) -> None:
    answers = {}
    for version, names in (("nowhere", NOWHERE), ("foreign", FOREIGN)):
        before_b, before_all = b_state(api), record_quads(api.registry)
        mine, run_id = own(case, version[:1]), str(uuid.uuid4())
        r = post(api, SPELLINGS[case](names, mine, run_id))
        assert r.status_code < 500, r.text
        assert b_state(api) == before_b  # nothing written to the other organisation's datasets
        written = record_quads(api.registry) - before_all
        b_iris = {str(api.registry.iris.record("dataset", rid)) for rid in B_DATASETS}
        assert not [q for q in written if {str(q[0]), str(q[2])} & b_iris]  # nor any link to them
        headers = {k: v for k, v in r.headers.items()}
        answers[version] = (r.status_code, headers, normalised(r.text, names, mine, run_id))
        if version == "foreign":  # (the ids derived from the names the event sent may spell them alike)
            for word in B_WORDS:
                assert word not in answers[version][2], word
    assert answers["foreign"] == answers["nowhere"]


def test_a_steward_matches_its_own_organisations_identifiers(api: Api) -> None:
    """The scope cuts only what is not the steward's: mccss's steward still matches its identifiers."""
    r = post(api, event([ref(FOREIGN["caseload"])], [ref(FOREIGN["extract"])], str(uuid.uuid4())), org="mccss")
    assert r.status_code == 201, r.text
    got = {d["id"]: d["matched_by"] for d in r.json()["datasets"]}
    assert got == {"ow-caseload": "identifier", "ow-extract": "identifier"}


def test_admins_still_match_every_identifier(api: Api) -> None:
    r = api.client.post("/api/v1/lineage", json=event([ref(FOREIGN["caseload"])], [], str(uuid.uuid4())),
                        headers=api.auth("admin"))
    assert r.status_code in (200, 201), r.text
    assert r.json()["datasets"][0]["id"] == "ow-caseload"
    assert r.json()["datasets"][0]["matched_by"] == "identifier"


def test_an_output_that_is_another_organisations_dataset_is_refused_without_naming_it(api: Api) -> None:
    """A dataset another organisation's pipeline created under a name's public id (its slug): a steward's
    event cannot write it, and the refusal names what the event said, not the dataset or its owner."""
    name = (NS, "social.ow_monthly")
    r = post(api, event([], [ref(name)], str(uuid.uuid4())), org="mccss")
    assert r.status_code == 201, r.text
    before = record_quads(api.registry)
    r = post(api, event([ref(own("refused", "x"))], [ref(name)], str(uuid.uuid4())))
    body = assert_problem(r, 403)
    assert r.headers["content-type"].split(";")[0] == PROBLEM
    assert name[1] in body["detail"]
    text = json.dumps(body)
    for word in (*B_WORDS, lineage_slug(*name)):
        assert word not in text, word
    assert record_quads(api.registry) == before
