"""No restricted value reaches an anonymous caller, by any route.

Restricted fields of the test data carry distinctive markers ("zqx..." names and addresses, retention
periods P913Y and P917Y); share checks, tokens and audit entries are identified by their random ids
and hashes. Every public route is called anonymously (and SPARQL with a steward's token, which sees
the public view too) and every answer is searched for every marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from rdflib import URIRef

from conftest import Api
from helpers import assert_xml, world_api
from registry.namespaces import DPV, ODRL2, REG, VCARD

BASE = "https://registry.example.org"
DS = f"{BASE}/dataset/zq-marked"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
RESTRICTED_PREDICATES = [REG.containsPersonalInformation, DPV.hasPersonalDataCategory, REG.retentionPeriod,
                         REG.steward, VCARD.fn, VCARD.hasEmail, REG.deidentifyBeforeUse, REG.onwardDisclosure,
                         ODRL2.prohibition, ODRL2.duty, REG.tokenHash, REG.decision, REG.requestedBy, REG.entryHash,
                         REG.beforeHash, REG.answer]


@dataclass
class World:
    api: Api
    markers: list[str]
    graphs: dict[str, str]  # what -> a graph name anonymous callers must not reach


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with world_api() as api:
        reg = api.registry
        admin = api.auth("admin")
        dataset = {
            "id": "zq-marked", "title": "Marked linkage", "description": "A linkage made for the leak tests.",
            "publisher": "mof", "steward": {"name": "Zqx Steward Marker", "email": "zqx.marker@example.org"},
            "keywords": ["leak-test"], "access": "non-public", "sensitivity": "high", "personal_information": True,
            "personal_data_categories": ["health"], "retention": "P913Y", "issued": "2025-01-15",
            "derived_from": ["ow-caseload"], "generated_by": {"kind": "linkage", "by": "mof", "date": "2025-01-15"},
        }
        r = api.client.post("/datasets", json=dataset, headers=admin)
        assert r.status_code == 201, r.text
        agreement = {
            "id": "zq-marked-dsa", "title": "Marked agreement", "provider": "mof", "recipient": "moh",
            "datasets": ["zq-marked"], "purposes": ["program-evaluation"], "legal_basis": ["fippa-42-1-c"],
            "valid_from": "2025-01-01", "valid_until": "2099-12-31", "status": "active",
            "conditions": {"deidentify_before_use": True, "onward_disclosure": False, "retention": "P917Y"},
        }
        r = api.client.post("/agreements", json=agreement, headers=admin)
        assert r.status_code == 201, r.text
        r = api.client.post("/share-checks", headers=admin, json={
            "datasets": ["zq-marked"], "provider": "mof", "recipient": "moh", "purpose": "program-evaluation",
            "date": "2025-06-01", "deidentified": False, "onward_disclosure": False})
        assert r.status_code == 201, r.text
        check_id = r.json()["id"]
        steward_token = api.token_for("steward", "moh")
        markers = ["zqx", "P913Y", "P917Y", check_id]
        graphs = {"share check": reg.iris.restricted_graph("share-check", check_id),
                  "dataset restricted": reg.iris.restricted_graph("dataset", "zq-marked"),
                  "agreement restricted": reg.iris.restricted_graph("agreement", "zq-marked-dsa"),
                  "shapes": reg.iris.reference_graph("shapes")}
        for _s, p, o, g in reg.store.quads():
            name = str(g)
            if p == REG.tokenHash:
                markers.append(str(o))
                graphs["token"] = name
            elif p == REG.entryHash and "/audit/" in name:
                markers.append(str(o))
                graphs["audit"] = name
            elif name.startswith(f"{BASE}/graph/history/") and "history" not in graphs:
                graphs["history"] = name
        for t in api.tokens.values():
            markers.append(t)
        markers += [tid for tid in (row["id"] for row in reg.tokens.list())]
        assert steward_token in markers
        assert {"token", "audit"} <= set(graphs), graphs  # history graphs, where the store keeps them
        yield World(api, markers, graphs)


def leaks(body: str, markers: list[str]) -> list[str]:
    low = body.lower()
    return [m for m in markers if m.lower() in low]


def check(w: World, label: str, response: Any) -> None:
    assert response.status_code < 500, (label, response.status_code, response.text[:500])
    if response.headers.get("content-type", "").split(";")[0] in ("application/rdf+xml",
                                                                   "application/sparql-results+xml"):
        assert_xml(response.content, label)
    found = leaks(response.text, w.markers)
    assert not found, f"{label} leaked {found}: {response.text[:1000]}"


# ---------------------------------------------------------------------------------------- SPARQL
def _queries(g: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    r = g["dataset restricted"]
    qs: list[tuple[str, dict[str, str]]] = [
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 10000", {}),
        ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 10000", {}),
        ("SELECT ?g WHERE { GRAPH ?g { } }", {}),
        ("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 10000", {}),
        (f"SELECT * WHERE {{ <{DS}> (<urn:x:p>|!<urn:x:p>)* ?x }}", {}),
        (f"SELECT * WHERE {{ <{DS}> !(<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>)+ ?x }}", {}),
        (f"SELECT ?o WHERE {{ <{DS}> <{REG.steward}>/<{VCARD.fn}> ?o }}", {}),
        (f"SELECT ?o WHERE {{ <{DS}> ^<{REG.steward}>*/(<{REG.steward}>|<{VCARD.hasEmail}>)+ ?o }}", {}),
        (f"DESCRIBE <{DS}/steward>", {}),
        (f"DESCRIBE <{DS}>", {}),
        (f"DESCRIBE ?s WHERE {{ ?s a <{REG.Steward}> }}", {}),
        (f"DESCRIBE ?s WHERE {{ GRAPH ?g {{ ?s a <{REG.ShareCheck}> }} }}", {}),
        (f"ASK {{ FILTER EXISTS {{ GRAPH <{r}> {{ ?s ?p ?o }} }} }}", {}),
        (f"SELECT * WHERE {{ BIND(IRI(\"{r}\") AS ?g) GRAPH ?g {{ ?s ?p ?o }} }}", {}),
    ]
    for name in g.values():
        qs += [
            (f"SELECT * FROM <{name}> WHERE {{ ?s ?p ?o }}", {}),
            (f"SELECT * FROM NAMED <{name}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", {}),
            (f"SELECT * FROM <{BASE}/graph/dataset/zq-marked> FROM <{name}> WHERE {{ ?s ?p ?o }}", {}),
            (f"SELECT * WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}", {}),
            ("SELECT * WHERE { ?s ?p ?o }", {"default-graph-uri": name}),
            ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", {"named-graph-uri": name}),
            (f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}", {}),
        ]
    return qs


@pytest.mark.parametrize("who", ["anonymous", "steward"])
def test_sparql_graph_tricks_reach_nothing_restricted(world: World, who: str) -> None:
    headers = {} if who == "anonymous" else {"Authorization": f"Bearer {world.api.token_for('steward', 'moh')}"}
    for query, params in _queries(world.graphs):
        for accept in ("application/sparql-results+json, text/turtle", "application/sparql-results+xml, application/ld+json"):
            r = world.api.client.get("/sparql", params={"query": query, **params}, headers={**headers, "Accept": accept})
            assert r.status_code == 200, (query, r.text)
            assert r.headers["x-registry-view"] == "public"
            check(world, f"{who} {query} {params}", r)
        r = world.api.client.post("/sparql", content=query.encode(), params=params,
                                  headers={**headers, "Content-Type": "application/sparql-query"})
        check(world, f"{who} POST {query}", r)


def test_no_restricted_graph_is_visible(world: World) -> None:
    r = world.api.client.get("/sparql", params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
                             headers={"Accept": "text/csv"})
    names = r.text.split()[1:]
    assert f"{BASE}/graph/dataset/zq-marked" in names
    bad = [n for n in names if n.endswith("/restricted") or "/graph/system/" in n or "/graph/history/" in n
           or n.endswith("/reference/shapes") or "/graph/share-check" in n]
    assert not bad, bad


@pytest.mark.parametrize("predicate", RESTRICTED_PREDICATES, ids=lambda p: str(p).rsplit("/", 1)[-1])
def test_restricted_predicates_count_zero(world: World, predicate: URIRef) -> None:
    for q in (f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{predicate}> ?o }}",
              f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s <{predicate}> ?o }} }}",
              f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(?p = <{predicate}>) }}"):
        r = world.api.client.get("/sparql", params={"query": q})
        assert r.json()["results"]["bindings"][0]["n"]["value"] == "0", (q, r.text)


def test_service_is_refused_even_to_itself(world: World) -> None:
    for q in ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
              "SELECT * WHERE { service silent <http://testserver/sparql> { ?s ?p ?o } }",
              "SELECT * WHERE { { SELECT * WHERE { SERVICE ?x { ?s ?p ?o } } } }"):
        r = world.api.client.get("/sparql", params={"query": q}, headers=world.api.auth("admin"))
        assert r.status_code == 400 and "SERVICE" in r.json()["title"], r.text


def test_privacy_officer_sees_restricted_but_not_system_graphs(world: World) -> None:
    headers = world.api.auth("privacy-officer")
    r = world.api.client.get("/sparql", params={"query": f"SELECT ?o WHERE {{ <{DS}> <{REG.steward}>/<{VCARD.fn}> ?o }}"},
                             headers=headers)
    assert r.headers["x-registry-view"] == "officer"
    assert "Zqx Steward Marker" in r.text
    r = world.api.client.get("/sparql", params={"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 10000"},
                             headers=headers)
    assert r.status_code == 200
    system = [m for m in world.markers if re.fullmatch(r"[0-9a-f]{64}", m)]  # token and audit hashes
    assert system and not leaks(r.text, system)
    assert "/graph/system/" not in r.text and "/graph/history/" not in r.text


def test_admin_sees_everything(world: World) -> None:
    r = world.api.client.get("/sparql", params={"query": f"ASK {{ GRAPH <{world.graphs['token']}> {{ ?s ?p ?o }} }}"},
                             headers=world.api.auth("admin"))
    assert r.json()["boolean"] is True and r.headers["x-registry-view"] == "all"


def test_the_view_follows_writes(world: World) -> None:
    """A write after the view was built reaches SPARQL at once, and only its public part."""
    api = world.api
    q = {"query": f"SELECT ?t WHERE {{ <{BASE}/dataset/zq-later> <http://purl.org/dc/terms/title> ?t }}"}
    assert api.client.get("/sparql", params=q).json()["results"]["bindings"] == []
    r = api.client.post("/datasets", headers=api.auth("admin"), json={
        "id": "zq-later", "title": "Later dataset", "publisher": "moh",
        "steward": {"name": "Zqx Later Steward", "email": "zqx.later@example.org"}, "access": "public",
        "sensitivity": "low", "personal_information": False, "retention": "P913Y"})
    assert r.status_code == 201, r.text
    rows = api.client.get("/sparql", params=q).json()["results"]["bindings"]
    assert [b["t"]["value"] for b in rows] == ["Later dataset"]
    check(world, "after a write", api.client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 10000"}))


# ---------------------------------------------------------------------------------- REST, HTML
REST = ["/datasets?limit=500", "/datasets/zq-marked", "/agreements?limit=500", "/agreements/zq-marked-dsa",
        "/organizations?limit=500", "/organizations/mof", "/authorities", "/purposes", "/datasets?q=marked",
        "/agreements?dataset=zq-marked", "/datasets/zq-marked/lineage", "/datasets/ow-caseload/impact",
        "/context.jsonld", "/health"]
RDF_ACCEPT = ["application/json", "application/ld+json", "text/turtle", "application/n-triples", "application/rdf+xml"]


@pytest.mark.parametrize("path", REST)
def test_rest_routes(world: World, path: str) -> None:
    for accept in RDF_ACCEPT:
        check(world, f"{path} {accept}", world.api.client.get(path, headers={"Accept": accept}))


HTML = ["/", "/search?q=marked", "/search?q=health", "/search?q=steward", "/datasets/zq-marked", "/datasets/ow-caseload",
        "/agreements/zq-marked-dsa", "/organizations/mof", "/organizations/moh", "/datasets?format=html",
        "/agreements?format=html", "/organizations?format=html", "/transparency", "/transparency?on=2025-06-01",
        "/sparql", "/datasets?format=html&q=marked"]


@pytest.mark.parametrize("path", HTML)
def test_html_pages(world: World, path: str) -> None:
    r = world.api.client.get(path, headers=BROWSER)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), (path, r.status_code)
    check(world, path, r)


def test_searching_for_a_restricted_value_finds_nothing(world: World) -> None:
    for q in ("zqx", "P913Y", "zqx.marker@example.org"):
        r = world.api.client.get("/search", params={"q": q}, headers=BROWSER)
        assert "0 results" in r.text, q
        r = world.api.client.get("/datasets", params={"q": q})
        assert r.json()["total"] == 0


REPORTS = [("/reports/flows", "application/json"), ("/reports/flows", "text/csv"),
           ("/reports/flows", "application/ld+json"), ("/reports/flows", "text/turtle"),
           ("/reports/flows?on=2025-06-01", "application/json"),
           ("/catalog", "text/turtle"), ("/catalog", "application/ld+json"), ("/catalog", "application/rdf+xml"),
           ("/sparql", "text/turtle")]


@pytest.mark.parametrize(("path", "accept"), REPORTS)
def test_reports_and_catalogue(world: World, path: str, accept: str) -> None:
    r = world.api.client.get(path, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    check(world, f"{path} {accept}", r)


def test_unmatched_flows_name_institutions_only(world: World) -> None:
    """The marked dataset's linkage moved personal information from mccss to mof with no agreement:
    the register counts it by institution, and names no dataset."""
    body = world.api.client.get("/reports/flows", params={"on": "2025-06-01"}).json()
    section = body["personal_information_flows_without_agreement"]
    pairs = {(p["provider"], p["recipient"]): p["count"] for p in section["by_pair"]}
    assert pairs.get(("mccss", "mof")) == 1, section
    assert set(section) == {"source", "total", "by_pair", "pairs_total"}
    assert section["pairs_total"] == len(section["by_pair"])  # how many pairs: the count of a list shown whole
    for p in section["by_pair"]:
        assert set(p) == {"provider", "provider_name", "recipient", "recipient_name", "count"}
    assert "zq-marked" not in str(section) and "ow-caseload" not in str(section)
