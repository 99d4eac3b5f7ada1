"""/organizations, /datasets, /agreements, /authorities and /purposes over HTTP, through the real app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import Graph, URIRef

from conftest import Api
from helpers import DATA, WORLD_FILE, assert_problem, load_json, record, record_quads, same_record, world_api
from registry import namespaces as ns

WORLD = load_json(WORLD_FILE)
BASE = "https://registry.example.org"
DATASET_IDS = sorted(d["id"] for d in WORLD["datasets"])
RESTRICTED_DATASET_FIELDS = {"steward", "retention", "personal_information", "personal_data_categories"}


@pytest.fixture
def wapi() -> Iterator[Api]:
    """The real app over a fresh copy of the casebook world (bulk-loaded: fast)."""
    with world_api() as a:
        yield a


def new_dataset(rid: str = "new-dataset", **changes: Any) -> dict[str, Any]:
    data = record(WORLD, "datasets", "ohip-claims")
    data.update(id=rid, title="A new dataset", **changes)
    return data


def new_agreement(rid: str = "new-agreement", **changes: Any) -> dict[str, Any]:
    data = record(WORLD, "agreements", "dsa-moh-idiu-2024")
    data.update(id=rid, **changes)
    return data


NEW = {
    "organizations": lambda: {"id": "new-org", "name": "New agency", "kind": "agency", "parent": "moh"},
    "datasets": new_dataset,
    "agreements": new_agreement,
}
EXISTING = {"organizations": "moh", "datasets": "ohip-claims", "agreements": "dsa-moh-idiu-2024"}
COLLECTIONS = list(NEW)


def ids(body: dict[str, Any]) -> list[str]:
    return [i["id"] for i in body["items"]]


# ------------------------------------------------------------------------------------ create/read
@pytest.mark.parametrize("collection", COLLECTIONS)
def test_post_creates_and_get_reads_back(wapi: Api, collection: str) -> None:
    data = NEW[collection]()
    r = wapi.client.post(f"/{collection}", json=data, headers=wapi.auth())
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/{collection}/{data['id']}"
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["warnings"] == []
    same_record(data, r.json())
    got = wapi.client.get(r.headers["location"], headers=wapi.auth())
    assert got.status_code == 200
    same_record(data, got.json())


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_duplicate_post_is_409_and_changes_nothing(wapi: Api, collection: str) -> None:
    headers = wapi.auth()
    data = NEW[collection]()
    data["id"] = EXISTING[collection]
    data["title" if collection != "organizations" else "name"] = "Replaced?"
    before = record_quads(wapi.registry)
    r = wapi.client.post(f"/{collection}", json=data, headers=headers)
    body = assert_problem(r, 409)
    assert EXISTING[collection] in body["detail"]
    assert record_quads(wapi.registry) == before


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_unknown_id_is_404(wapi: Api, collection: str) -> None:
    headers = wapi.auth()
    assert_problem(wapi.client.get(f"/{collection}/no-such-thing"), 404)
    assert_problem(wapi.client.get(f"/{collection}/no-such-thing", headers=headers), 404)
    assert_problem(wapi.client.delete(f"/{collection}/no-such-thing", headers=headers), 404)
    data = NEW[collection]()
    data["id"] = "no-such-thing"
    before = record_quads(wapi.registry)
    assert_problem(wapi.client.put(f"/{collection}/no-such-thing", json=data, headers=headers), 404)
    assert record_quads(wapi.registry) == before


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_put_replaces(wapi: Api, collection: str) -> None:
    rid = EXISTING[collection]
    headers = wapi.auth()
    data = wapi.client.get(f"/{collection}/{rid}", headers=headers).json()
    field = "title" if collection != "organizations" else "name"
    data[field] = "A better name"
    r = wapi.client.put(f"/{collection}/{rid}", json=data, headers=headers)
    assert r.status_code == 200, r.text
    assert "location" not in r.headers
    assert wapi.client.get(f"/{collection}/{rid}", headers=headers).json()[field] == "A better name"


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_put_with_mismatched_id_is_422(wapi: Api, collection: str) -> None:
    headers = wapi.auth()
    data = wapi.client.get(f"/{collection}/{EXISTING[collection]}", headers=headers).json()
    data["id"] = "someone-else"
    before = record_quads(wapi.registry)
    body = assert_problem(wapi.client.put(f"/{collection}/{EXISTING[collection]}", json=data, headers=headers), 422)
    assert [v["field"] for v in body["violations"]] == ["id"]
    assert record_quads(wapi.registry) == before


def test_put_without_id_in_body_is_422(wapi: Api) -> None:
    headers = wapi.auth()
    data = wapi.client.get("/datasets/ohip-claims", headers=headers).json()
    del data["id"]
    body = assert_problem(wapi.client.put("/datasets/ohip-claims", json=data, headers=headers), 422)
    assert "id" in {v["field"] for v in body["violations"]}


def test_write_answer_carries_warnings(wapi: Api) -> None:
    data = new_agreement(recipient="mto")
    r = wapi.client.post("/agreements", json=data, headers=wapi.auth("privacy-officer"))
    assert r.status_code == 201, r.text
    warnings = r.json()["warnings"]
    assert warnings and {(w["field"], w["severity"]) for w in warnings} == {("recipient", "Warning")}
    assert wapi.client.get("/agreements/new-agreement").status_code == 200


def test_rejected_record_answers_each_violation(wapi: Api) -> None:
    headers = wapi.auth()
    before = record_quads(wapi.registry)
    data = new_dataset(publisher="no-such-org", access="secret", steward={"name": "X", "email": "nope"})
    body = assert_problem(wapi.client.post("/datasets", json=data, headers=headers), 422)
    assert {v["field"] for v in body["violations"]} == {"publisher", "access", "steward", "steward.email"}
    for v in body["violations"]:
        assert set(v) >= {"focusNode", "path", "field", "message", "severity", "sourceShape"}
        assert v["severity"] == "Violation"
        assert v["focusNode"].startswith(f"{BASE}/dataset/new-dataset")
    assert record_quads(wapi.registry) == before


def test_crud_on_the_disk_store(disk_api: Api) -> None:
    """The same write path over Oxigraph on disk."""
    c, headers = disk_api.client, disk_api.auth()
    org = {"id": "moh", "name": "Ministry of Health", "kind": "ministry"}
    assert c.post("/organizations", json=org, headers=headers).status_code == 201
    data = new_dataset(rid="on-disk")
    assert c.post("/datasets", json=data, headers=headers).status_code == 201
    same_record(data, c.get("/datasets/on-disk", headers=headers).json())
    assert c.delete("/datasets/on-disk", headers=headers).status_code == 204
    assert c.get("/datasets").json()["total"] == 0


# ------------------------------------------------------------------------------------- listing
def test_list_pages(wapi: Api) -> None:
    c = wapi.client
    first = c.get("/datasets", params={"limit": 3}).json()
    assert (first["total"], first["limit"], first["offset"]) == (len(DATASET_IDS), 3, 0)
    assert ids(first) == DATASET_IDS[:3]
    seen: list[str] = []
    for offset in range(0, len(DATASET_IDS), 3):
        page = c.get("/datasets", params={"limit": 3, "offset": offset}).json()
        assert page["total"] == len(DATASET_IDS) and page["offset"] == offset
        seen += ids(page)
    assert seen == DATASET_IDS
    beyond = c.get("/datasets", params={"limit": 3, "offset": 100}).json()
    assert beyond["items"] == [] and beyond["total"] == len(DATASET_IDS)
    default = c.get("/datasets").json()
    assert default["limit"] == 50 and ids(default) == DATASET_IDS


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"publisher": "moh"}, ["ohip-claims"]),
        ({"publisher": "moh-idiu"}, ["health-social-deid", "linked-health-social"]),
        ({"publisher": "no-such-org"}, []),
        ({"access": "public"}, ["collision-summary", "road-collisions"]),
        ({"access": "restricted"}, ["health-social-deid", "ow-extract"]),
        ({"keyword": "health"}, ["ohip-claims"]),
        ({"keyword": "social assistance"}, ["ow-caseload", "ow-extract"]),
        ({"publisher": "mccss", "access": "restricted"}, ["ow-extract"]),
        ({"sensitivity": "high"}, ["driver-licences", "linked-health-social", "ohip-claims", "ow-caseload",
                                   "shelter-usage"]),
        ({"q": "collision"}, ["collision-summary", "road-collisions"]),
        ({"q": "OHIP"}, ["linked-health-social", "ohip-claims"]),  # title or description, any case
        ({"q": "aggregated from"}, ["collision-summary"]),
        ({"q": "nothing like this"}, []),
        ({"q": "health", "publisher": "moh-idiu"}, ["health-social-deid", "linked-health-social"]),
    ],
)
def test_list_filters_and_search(wapi: Api, params: dict[str, str], expected: list[str]) -> None:
    body = wapi.client.get("/datasets", params=params).json()
    # a text search ranks by relevance; other lists are in id order
    assert (sorted(ids(body)) if "q" in params else ids(body)) == expected
    assert body["total"] == len(expected)


def test_search_ranks_by_relevance_and_matches_word_prefixes(wapi: Api) -> None:
    body = wapi.client.get("/datasets", params={"q": "collis"}).json()
    assert sorted(ids(body)) == ["collision-summary", "road-collisions"]
    body = wapi.client.get("/datasets", params={"q": "ohip claims"}).json()
    assert ids(body)[0] == "ohip-claims"  # both words in its title


def test_stats_count_live_records_per_facet(wapi: Api) -> None:
    stats = wapi.client.get("/stats").json()
    assert stats["dataset"]["total"] == 10
    assert stats["dataset"]["by"]["publisher"]["mto"] == 3
    assert stats["agreement"]["by"]["legal_basis"]["fippa-part-3.1"] == 6
    assert wapi.client.delete("/datasets/road-collisions", headers=wapi.auth()).status_code == 204
    after = wapi.client.get("/stats").json()
    assert after["dataset"]["total"] == 9
    assert after["dataset"]["by"]["publisher"]["mto"] == 2
    assert "steward" not in str(after) and "example.org" not in str(after)


def test_stats_show_the_most_frequent_values_and_page_through_the_rest(wapi: Api) -> None:
    full = wapi.client.get("/stats").json()["dataset"]["by"]["publisher"]
    top = wapi.client.get("/stats", params={"top": 2}).json()["dataset"]
    assert list(top["by"]["publisher"].items()) == sorted(full.items(), key=lambda kv: (-kv[1], kv[0]))[:2]
    assert "publisher" in top["more"] and "more" in wapi.client.get("/stats").json()["dataset"]
    pages, offset = [], 0
    while True:
        page = wapi.client.get("/stats/dataset/publisher", params={"limit": 2, "offset": offset}).json()
        assert page["total"] == len(full) and page["limit"] == 2
        if not page["items"]:
            break
        pages += page["items"]
        offset += 2
    assert {i["value"]: i["count"] for i in pages} == full and len(pages) == len(full)
    counts = [i["count"] for i in pages]
    assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize(("path", "status"), [("/stats/dataset/steward", 404), ("/stats/nothing/publisher", 404),
                                              ("/stats?top=0", 422), ("/stats/dataset/publisher?limit=0", 422)])
def test_stats_of_unknown_facets_or_bad_pages_are_problems(wapi: Api, path: str, status: int) -> None:
    assert_problem(wapi.client.get(path), status)


@pytest.mark.parametrize(
    ("collection", "params", "expected"),
    [
        ("organizations", {"kind": "ministry"}, ["mccss", "mcu", "mof", "moh", "mto"]),
        ("organizations", {"parent": "moh"}, ["moh-idiu"]),
        ("agreements", {"status": "active"}, ["dsa-idiu-mof-2025", "dsa-mccss-idiu-2024", "dsa-mccss-univ-42g",
                                              "dsa-mcu-idiu-2025", "dsa-moh-idiu-2024", "dsa-moh-mto-2024",
                                              "dsa-mto-idiu-2025", "dsa-mto-mof-audit", "dsa-toronto-mof-2025"]),
        ("agreements", {"provider": "moh"}, ["dsa-moh-idiu-2024", "dsa-moh-mto-2024"]),
        ("agreements", {"recipient": "moh-idiu", "dataset": "ow-caseload"}, ["dsa-mccss-idiu-2024"]),
        ("agreements", {"purpose": "audit"}, ["dsa-mcu-mof-2024", "dsa-mto-mof-audit"]),
    ],
)
def test_other_collection_filters(wapi: Api, collection: str, params: dict[str, str], expected: list[str]) -> None:
    assert ids(wapi.client.get(f"/{collection}", params=params).json()) == expected


def test_unknown_filter_is_400(wapi: Api) -> None:
    body = assert_problem(wapi.client.get("/datasets", params={"colour": "red"}), 400)
    assert "colour" in body["detail"]


# ------------------------------------------------------------------------------------- retiring
def test_delete_retires(wapi: Api) -> None:
    c, headers = wapi.client, wapi.auth()
    total = c.get("/datasets").json()["total"]
    r = c.delete("/datasets/ow-extract", headers=headers)
    assert r.status_code == 204 and r.content == b""
    listed = c.get("/datasets").json()
    assert "ow-extract" not in ids(listed) and listed["total"] == total - 1
    assert "ow-extract" not in ids(c.get("/datasets", params={"publisher": "mccss"}).json())
    with_retired = c.get("/datasets", params={"include_retired": "true"}).json()
    assert "ow-extract" in ids(with_retired) and with_retired["total"] == total
    got = c.get("/datasets/ow-extract")
    assert got.status_code == 200
    assert got.json()["retired"]
    assert got.json()["title"] == "Ontario Works regional extract"
    # retiring twice is harmless; the id is never reused
    assert c.delete("/datasets/ow-extract", headers=headers).status_code == 204
    data = record(WORLD, "datasets", "ow-extract")
    assert_problem(c.post("/datasets", json=data, headers=headers), 409)


def _retire_and_read(wapi: Api, collection: str, rid: str) -> dict[str, Any]:
    c = wapi.client
    assert c.delete(f"/{collection}/{rid}", headers=wapi.auth()).status_code == 204
    assert rid not in ids(c.get(f"/{collection}").json())
    assert rid in ids(c.get(f"/{collection}", params={"include_retired": "true"}).json())
    got = c.get(f"/{collection}/{rid}")
    assert got.status_code == 200
    body: dict[str, Any] = got.json()
    return body


def test_delete_retires_an_agreement(wapi: Api) -> None:
    assert _retire_and_read(wapi, "agreements", "dsa-mcu-mof-2024")["retired"]


def test_delete_retires_an_organisation(wapi: Api) -> None:
    assert "retired" in _retire_and_read(wapi, "organizations", "univ-research")


# ----------------------------------------------------------------------------- representations
@pytest.mark.parametrize("collection", COLLECTIONS)
def test_turtle_and_json_ld_output(wapi: Api, collection: str) -> None:
    rid = EXISTING[collection]
    kind = collection[:-1]
    subject = URIRef(f"{BASE}/{kind}/{rid}")
    for media, fmt in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
        r = wapi.client.get(f"/{collection}/{rid}", headers={"Accept": media})
        assert r.status_code == 200
        assert r.headers["content-type"].split(";")[0] == media
        assert "etag" in r.headers
        g = Graph().parse(data=r.text, format=fmt)
        assert (subject, ns.DCTERMS.identifier, None) in g


def test_accept_with_quality_values(wapi: Api) -> None:
    r = wapi.client.get("/datasets/ohip-claims", headers={"Accept": "application/json;q=0.5, text/turtle"})
    assert r.headers["content-type"].startswith("text/turtle")
    r = wapi.client.get("/datasets/ohip-claims", headers={"Accept": "*/*"})
    assert r.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("media", ["text/turtle", "application/ld+json"])
@pytest.mark.parametrize("collection", COLLECTIONS)
def test_rdf_round_trip_get_then_put(wapi: Api, collection: str, media: str) -> None:
    rid = EXISTING[collection]
    headers = wapi.auth()
    before = wapi.client.get(f"/{collection}/{rid}", headers=headers).json()
    doc = wapi.client.get(f"/{collection}/{rid}", headers={**headers, "Accept": media})
    r = wapi.client.put(f"/{collection}/{rid}", content=doc.content, headers={**headers, "Content-Type": media})
    assert r.status_code == 200, r.text
    after = wapi.client.get(f"/{collection}/{rid}", headers=headers).json()
    assert after == before


def test_post_turtle(wapi: Api) -> None:
    body = (DATA / "dataset-new.ttl").read_bytes()
    r = wapi.client.post("/datasets", content=body, headers={**wapi.auth(), "Content-Type": "text/turtle"})
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/datasets/turtle-dataset"
    got = wapi.client.get("/datasets/turtle-dataset", headers=wapi.auth()).json()
    assert got["publisher"] == "mto" and got["personal_information"] is False
    assert got["steward"] == {"name": "Turtle Steward", "email": "turtle@example.org"}
    assert got["derived_from"] == ["road-collisions"]


def test_post_json_ld_with_our_context(wapi: Api) -> None:
    doc = {
        "@context": "https://registry.example.org/context.jsonld",
        "@id": f"{BASE}/organization/jsonld-org",
        "@type": "org:Organization",
        "dct:identifier": "jsonld-org",
        "skos:prefLabel": "JSON-LD agency",
        "reg:orgKind": {"@id": "https://w3id.org/gov-data-registry/vocab/org-kind/agency"},
    }
    r = wapi.client.post("/organizations", content=json.dumps(doc),
                         headers={**wapi.auth(), "Content-Type": "application/ld+json"})
    assert r.status_code == 201, r.text
    assert wapi.client.get("/organizations/jsonld-org").json()["kind"] == "agency"


# ------------------------------------------------------------------------------ restricted view
def test_anonymous_sees_no_restricted_dataset_fields(wapi: Api) -> None:
    anon = wapi.client.get("/datasets/ohip-claims").json()
    assert not RESTRICTED_DATASET_FIELDS & set(anon)
    assert anon["title"] == "OHIP physician claims"
    full = wapi.client.get("/datasets/ohip-claims", headers=wapi.auth("steward", "moh")).json()
    assert RESTRICTED_DATASET_FIELDS <= set(full)
    assert full["steward"]["email"] == "steward.moh@example.org"
    # a steward sees the restricted fields of its own organisation's records only
    other = wapi.client.get("/datasets/ohip-claims", headers=wapi.auth("steward", "mto")).json()
    assert not RESTRICTED_DATASET_FIELDS & set(other)
    for item in wapi.client.get("/datasets").json()["items"]:
        assert not RESTRICTED_DATASET_FIELDS & set(item)
    for item in wapi.client.get("/datasets", headers=wapi.auth("privacy-officer")).json()["items"]:
        assert RESTRICTED_DATASET_FIELDS <= set(item)


def test_anonymous_sees_no_agreement_conditions(wapi: Api) -> None:
    assert "conditions" not in wapi.client.get("/agreements/dsa-moh-idiu-2024").json()
    full = wapi.client.get("/agreements/dsa-moh-idiu-2024", headers=wapi.auth()).json()
    assert full["conditions"] == {"deidentify_before_use": True, "onward_disclosure": False, "retention": "P3Y"}


@pytest.mark.parametrize("media", ["text/turtle", "application/ld+json", "application/n-triples"])
def test_anonymous_rdf_has_no_restricted_triples(wapi: Api, media: str) -> None:
    fmt = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/n-triples": "nt"}[media]
    anon = Graph().parse(data=wapi.client.get("/datasets/ohip-claims", headers={"Accept": media}).text, format=fmt)
    preds = set(anon.predicates())
    assert not preds & {ns.REG.steward, ns.REG.retentionPeriod, ns.REG.containsPersonalInformation,
                        ns.DPV.hasPersonalDataCategory, ns.VCARD.hasEmail, ns.VCARD.fn}
    full = Graph().parse(data=wapi.client.get("/datasets/ohip-claims",
                                               headers={**wapi.auth(), "Accept": media}).text, format=fmt)
    assert (None, ns.VCARD.hasEmail, URIRef("mailto:steward.moh@example.org")) in full


# --------------------------------------------------------------------------------------- tokens
@pytest.mark.parametrize(
    ("method", "path", "data"),
    [("post", "/datasets", new_dataset()), ("put", "/datasets/ohip-claims", record(WORLD, "datasets", "ohip-claims")),
     ("delete", "/datasets/ohip-claims", None), ("post", "/organizations", NEW["organizations"]()),
     ("post", "/agreements", new_agreement())],
)
def test_writes_need_a_token(wapi: Api, method: str, path: str, data: Any) -> None:
    before = record_quads(wapi.registry)
    kwargs: dict[str, Any] = {"json": data} if data is not None else {}
    r = wapi.client.request(method.upper(), path, **kwargs)
    assert_problem(r, 401)
    assert r.headers["www-authenticate"].lower().startswith("bearer")
    for bad in ("Bearer dsr_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "dsr_token-without-scheme"):
        assert_problem(wapi.client.request(method.upper(), path, headers={"Authorization": bad}, **kwargs), 401)
    assert record_quads(wapi.registry) == before


def test_bad_token_on_a_read_is_401_not_anonymous(wapi: Api) -> None:
    assert_problem(wapi.client.get("/datasets/ohip-claims", headers={"Authorization": "Bearer nope"}), 401)


def test_steward_writes_only_for_its_organisation_and_units(wapi: Api) -> None:
    c = wapi.client
    moh = wapi.auth("steward", "moh")
    mto = wapi.auth("steward", "mto")
    before = record_quads(wapi.registry)
    assert_problem(c.post("/datasets", json=new_dataset(publisher="moh"), headers=mto), 403)
    theirs = record(WORLD, "datasets", "ohip-claims")
    theirs["title"] = "Taken over"
    assert_problem(c.put("/datasets/ohip-claims", json=theirs, headers=mto), 403)
    assert_problem(c.delete("/datasets/ohip-claims", headers=mto), 403)
    assert record_quads(wapi.registry) == before
    # its own organisation, and a unit of it
    assert c.post("/datasets", json=new_dataset(publisher="moh"), headers=moh).status_code == 201
    assert c.post("/datasets", json=new_dataset("unit-data", publisher="moh-idiu"), headers=moh).status_code == 201
    linked = record(WORLD, "datasets", "linked-health-social")
    linked["title"] = "Linked file, renamed"
    assert c.put("/datasets/linked-health-social", json=linked, headers=moh).status_code == 200
    assert c.delete("/datasets/unit-data", headers=moh).status_code == 204
    # a unit's steward does not write for its parent
    assert_problem(c.post("/datasets", json=new_dataset("up", publisher="moh"),
                          headers=wapi.auth("steward", "moh-idiu")), 403)


def test_steward_cannot_take_over_another_organisations_dataset(wapi: Api) -> None:
    hijack = record(WORLD, "datasets", "ohip-claims")
    hijack["publisher"] = "mto"
    assert_problem(wapi.client.put("/datasets/ohip-claims", json=hijack, headers=wapi.auth("steward", "mto")), 403)
    assert wapi.client.get("/datasets/ohip-claims").json()["publisher"] == "moh"


def test_steward_cannot_adopt_another_organisation(wapi: Api) -> None:
    mof = {"id": "mof", "name": "Ministry of Finance", "kind": "ministry", "parent": "mto"}
    assert_problem(wapi.client.put("/organizations/mof", json=mof, headers=wapi.auth("steward", "mto")), 403)


def test_steward_cannot_approve_an_agreement(wapi: Api) -> None:
    c = wapi.client
    steward = wapi.auth("steward", "moh")
    before = record_quads(wapi.registry)
    assert_problem(c.post("/agreements", json=new_agreement(status="active"), headers=steward), 403)
    assert record_quads(wapi.registry) == before
    draft = new_agreement(status="draft")
    assert c.post("/agreements", json=draft, headers=steward).status_code == 201
    assert_problem(c.put("/agreements/new-agreement", json={**draft, "status": "active"}, headers=steward), 403)
    assert c.get("/agreements/new-agreement").json()["status"] == "draft"
    r = c.put("/agreements/new-agreement", json={**draft, "status": "active"}, headers=wapi.auth("privacy-officer"))
    assert r.status_code == 200, r.text
    assert c.get("/agreements/new-agreement").json()["status"] == "active"
    # and a steward of another organisation cannot even draft one for moh
    assert_problem(c.post("/agreements", json=new_agreement("other", status="draft"),
                          headers=wapi.auth("steward", "mto")), 403)


def test_steward_cannot_change_the_terms_of_an_active_agreement(wapi: Api) -> None:
    data = record(WORLD, "agreements", "dsa-moh-idiu-2024")
    data["valid_until"] = "2099-12-31"
    assert_problem(wapi.client.put("/agreements/dsa-moh-idiu-2024", json=data,
                                   headers=wapi.auth("steward", "moh")), 403)


# ------------------------------------------------------------------------------- ETag / If-Match
def test_etag_and_if_match(wapi: Api) -> None:
    c, headers = wapi.client, wapi.auth()
    r = c.get("/datasets/ohip-claims", headers=headers)
    etag = r.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2
    assert c.get("/datasets/ohip-claims", headers=headers).headers["etag"] == etag, "stable while unchanged"
    data = r.json()
    data["title"] = "First change"
    first = c.put("/datasets/ohip-claims", json=data, headers={**headers, "If-Match": etag})
    assert first.status_code == 200, first.text
    new_etag = first.headers["etag"]
    assert new_etag != etag
    assert c.get("/datasets/ohip-claims", headers=headers).headers["etag"] == new_etag
    # a client still holding the old ETag loses
    before = record_quads(wapi.registry)
    data["title"] = "Lost update"
    assert_problem(c.put("/datasets/ohip-claims", json=data, headers={**headers, "If-Match": etag}), 412)
    assert_problem(c.delete("/datasets/ohip-claims", headers={**headers, "If-Match": etag}), 412)
    assert record_quads(wapi.registry) == before
    assert c.get("/datasets/ohip-claims").json()["title"] == "First change"
    assert c.delete("/datasets/ohip-claims", headers={**headers, "If-Match": new_etag}).status_code == 204


def test_if_match_star(wapi: Api) -> None:
    headers = {**wapi.auth(), "If-Match": "*"}
    data = record(WORLD, "organizations", "mof")
    assert wapi.client.put("/organizations/mof", json=data, headers=headers).status_code == 200


def test_post_answer_carries_the_etag_of_the_stored_record(wapi: Api) -> None:
    r = wapi.client.post("/datasets", json=new_dataset(), headers=wapi.auth())
    assert r.headers["etag"] == wapi.client.get("/datasets/new-dataset", headers=wapi.auth()).headers["etag"]


# ---------------------------------------------------------------------------- reference catalogues
API_AUTHORITIES = {"fippa-42-1-b", "fippa-42-1-c", "fippa-42-1-d", "fippa-42-1-e", "fippa-42-1-g", "fippa-42-1-h",
                   "fippa-42-1-n", "fippa-part-3.1", "phipa-44", "phipa-45", "mfippa-32-c"}


def test_authorities(wapi: Api) -> None:
    body = wapi.client.get("/authorities").json()
    assert body["total"] == len(body["items"])
    by_id = {a["id"]: a for a in body["items"]}
    assert API_AUTHORITIES <= set(by_id)
    for a in body["items"]:
        assert a["citation"] and a["source"].startswith("http") and a["statute"] and a["section"]
    part31 = by_id["fippa-part-3.1"]
    assert part31["requirements"]["purposes"] == ["program-evaluation", "program-planning", "resource-management"]
    assert part31["requirements"]["designation"] is True
    # the unit collects identifiable information (no de-identification on the way in), after a public
    # notice, and only de-identified datasets leave it
    assert part31["requirements"]["deidentification"] is False
    assert part31["requirements"]["published_notice"] is True
    assert part31["requirements"]["confines_identifiable_data"] is True
    assert part31["under_statute"] == "fippa"


def test_one_authority(wapi: Api) -> None:
    r = wapi.client.get("/authorities/fippa-42-1-c")
    assert r.status_code == 200
    assert r.json()["id"] == "fippa-42-1-c" and r.json()["section"] == "42(1)(c)"
    ttl = wapi.client.get("/authorities/fippa-42-1-c", headers={"Accept": "text/turtle"})
    assert ttl.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=ttl.text, format="turtle")
    assert (URIRef(str(ns.AUTHORITY) + "fippa-42-1-c"), ns.REG.section, None) in g
    assert_problem(wapi.client.get("/authorities/no-such-act"), 404)


def test_purposes(wapi: Api) -> None:
    body = wapi.client.get("/purposes").json()
    broader = {p["id"]: p["broader"] for p in body["items"]}
    assert broader == {
        "program-management": None, "resource-management": "program-management",
        "program-planning": "program-management", "program-evaluation": "program-management",
        "service-delivery": None, "research": None, "law-enforcement": None, "health-and-safety": None,
        "audit": None, "statistics": None, "health-system-analysis": "program-management", "health-registry": None,
        "access-request": None, "compassionate-contact": None, "inquiry-for-individual": None,
    }
    assert body["total"] == 15
