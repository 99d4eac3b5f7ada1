"""/sparql beyond the W3C manifest: result formats, read-only, limits (time, rows, concurrency), the
service description, and which view each role queries."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Namespace
from rdflib.compare import isomorphic

from conftest import Api
from helpers import assert_problem, assert_xml, fresh_world_registry, quad_count
from registry.api import create_app
from registry.api.public_deps import get_sparql
from registry.config import Settings
from registry.services.sparql import scan

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
COUNT_DATASETS = ("PREFIX dcat: <http://www.w3.org/ns/dcat#> "
                  "SELECT (COUNT(?d) AS ?n) WHERE { ?d a dcat:Dataset }")
CONSTRUCT = ("PREFIX dct: <http://purl.org/dc/terms/> PREFIX dcat: <http://www.w3.org/ns/dcat#> "
             "CONSTRUCT { ?d dct:title ?t } WHERE { ?d a dcat:Dataset ; dct:title ?t }")


@pytest.fixture(scope="module")
def wapi() -> Iterator[Api]:
    reg = fresh_world_registry()
    a = Api(reg)
    yield a
    a.close()
    reg.close()


def limited(**settings: object) -> tuple[TestClient, object]:
    """A client over the casebook world with these SPARQL settings."""
    reg = fresh_world_registry()
    reg.settings = Settings(data="memory", **settings)  # type: ignore[arg-type]
    return TestClient(create_app(registry=reg)), reg


def test_select_in_every_result_format(wapi: Api) -> None:
    c = wapi.client
    r = c.get("/sparql", params={"query": COUNT_DATASETS})
    assert r.headers["content-type"] == "application/sparql-results+json"
    n = r.json()["results"]["bindings"][0]["n"]["value"]
    assert int(n) == 10
    r = c.get("/sparql", params={"query": COUNT_DATASETS}, headers={"Accept": "application/sparql-results+xml"})
    assert r.headers["content-type"] == "application/sparql-results+xml"
    assert "<sparql" in r.text and f">{n}<" in r.text
    assert_xml(r.content, "SELECT as SPARQL XML")
    r = c.get("/sparql", params={"query": COUNT_DATASETS}, headers={"Accept": "text/csv"})
    assert r.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(r.text))) == [["n"], [n]]
    r = c.get("/sparql", params={"query": COUNT_DATASETS, "format": "tsv"})
    assert r.headers["content-type"].startswith("text/tab-separated-values")
    assert r.text.splitlines()[0] == "?n"


def test_construct_in_every_rdf_format(wapi: Api) -> None:
    graphs = {}
    for accept, fmt in (("text/turtle", "turtle"), ("application/n-triples", "nt"),
                        ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")):
        r = wapi.client.post("/sparql", content=CONSTRUCT, headers={"Content-Type": "application/sparql-query",
                                                                    "Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith(accept), r.text
        if fmt == "xml":
            assert_xml(r.content, "CONSTRUCT as RDF/XML")
        graphs[accept] = Graph().parse(data=r.text, format=fmt)
    assert len(graphs["text/turtle"]) == 10
    assert all(isomorphic(g, graphs["text/turtle"]) for g in graphs.values())


def test_ask_and_form_post_with_protocol_graphs(wapi: Api) -> None:
    g = "https://registry.example.org/graph/dataset/ohip-claims"
    body = {"query": "ASK { ?s <http://purl.org/dc/terms/title> \"OHIP physician claims\"@en }", "default-graph-uri": g}
    r = wapi.client.post("/sparql", data=body, headers={"Accept": "application/sparql-results+xml"})
    assert r.status_code == 200 and "<boolean>true</boolean>" in r.text
    assert_xml(r.content, "ASK as SPARQL XML")
    body["default-graph-uri"] = "https://registry.example.org/graph/dataset/road-collisions"
    assert wapi.client.post("/sparql", data=body).json()["boolean"] is False


def test_the_default_graph_is_the_union_and_from_narrows_it(wapi: Api) -> None:
    q = "SELECT (COUNT(DISTINCT ?s) AS ?n) {FROM} WHERE { ?s a <http://www.w3.org/ns/dcat#Dataset> }"
    whole = wapi.client.get("/sparql", params={"query": q.replace("{FROM}", "")}).json()
    one = wapi.client.get("/sparql", params={"query": q.replace(
        "{FROM}", "FROM <https://registry.example.org/graph/dataset/ohip-claims>")}).json()
    assert whole["results"]["bindings"][0]["n"]["value"] == "10"
    assert one["results"]["bindings"][0]["n"]["value"] == "1"


@pytest.mark.parametrize("how", ["get", "form", "direct", "query-param"])
def test_updates_are_refused(wapi: Api, how: str) -> None:
    before = quad_count(wapi.registry)
    update = "DROP ALL"
    c = wapi.client
    if how == "get":
        r = c.get("/sparql", params={"update": update})
    elif how == "form":
        r = c.post("/sparql", data={"update": update}, headers=wapi.auth("admin"))
    elif how == "direct":
        r = c.post("/sparql", content=update, headers={"Content-Type": "application/sparql-update", **wapi.auth()})
    else:
        r = c.get("/sparql", params={"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}, headers=wapi.auth())
    body = assert_problem(r, 403)
    assert "read-only" in body["detail"]
    assert quad_count(wapi.registry) == before


@pytest.mark.parametrize(("headers", "content", "status"), [
    ({"Content-Type": "text/plain"}, "ASK {}", 415),
    ({}, "ASK {}", 415),
    ({"Content-Type": "application/sparql-query; charset=UTF-16"}, "ASK {}".encode("utf-16"), 415),
    ({"Content-Type": "application/sparql-query"}, "ASK {", 400),
    ({"Content-Type": "application/sparql-query", "Accept": "image/png"}, "ASK {}", 406),
])
def test_bad_requests_are_problems(wapi: Api, headers: dict[str, str], content: object, status: int) -> None:
    r = wapi.client.post("/sparql", content=content, headers=headers)  # type: ignore[arg-type]
    assert_problem(r, status)


def test_two_queries_are_refused(wapi: Api) -> None:
    assert_problem(wapi.client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D"), 400)


def test_service_description(wapi: Api) -> None:
    r = wapi.client.get("/sparql")
    assert r.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    service = next(g.subjects(SD.endpoint, None))
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in g
    assert len(list(g.objects(service, SD.resultFormat))) == 8
    r = wapi.client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert json.loads(r.text)
    r = wapi.client.get("/sparql", headers={"Accept": "text/html"})
    assert r.headers["content-type"].startswith("text/html") and "<textarea" in r.text


def test_row_cap_is_a_clear_error() -> None:
    client, reg = limited(sparql_max_rows=5)
    with client:
        body = assert_problem(client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}), 400)
        assert body["limit"] == 5 and "LIMIT" in body["detail"]
        assert client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"}).status_code == 200
        assert_problem(client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}), 400)
    reg.close()  # type: ignore[attr-defined]


def test_timeout_stops_the_query_and_frees_its_slot() -> None:
    client, reg = limited(sparql_timeout_seconds=0.3, sparql_max_rows=10_000_000, sparql_max_concurrent=1)
    with client:
        started = time.monotonic()
        r = client.get("/sparql", params={"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"})
        body = assert_problem(r, 503)
        assert body["limit_seconds"] == 0.3
        assert time.monotonic() - started < 5
        # the worker stops reading at its deadline, so its one slot comes back
        deadline = time.monotonic() + 5
        while client.get("/sparql", params={"query": "ASK {}"}).status_code != 200:
            assert time.monotonic() < deadline, "the timed-out query kept its slot"
            time.sleep(0.05)
    reg.close()  # type: ignore[attr-defined]


def test_busy_endpoint_is_503(wapi: Api) -> None:
    service = wapi.client.app.dependency_overrides.get(get_sparql)  # type: ignore[attr-defined]
    assert service is None
    wapi.client.get("/sparql", params={"query": "ASK {}"})
    svc = wapi.client.app.state.sparql_service  # type: ignore[attr-defined]
    pool = svc.pools["anonymous"]
    held = [pool._slots.acquire(blocking=False) for _ in range(pool.size)]
    try:
        assert all(held)
        body = assert_problem(wapi.client.get("/sparql", params={"query": "ASK {}"}), 503)
        assert body["limit"] == svc.limits.anonymous_max_concurrent
        # signed-in callers have processes of their own
        assert wapi.client.get("/sparql", params={"query": "ASK {}"}, headers=wapi.auth("steward", "moh")).status_code == 200
    finally:
        for _ in held:
            pool._slots.release()
    assert wapi.client.get("/sparql", params={"query": "ASK {}"}).status_code == 200


def test_roles_choose_the_view(wapi: Api) -> None:
    views = {}
    for role in (None, "steward", "privacy-officer", "admin"):
        headers = {} if role is None else wapi.auth(role, "moh" if role == "steward" else None)
        r = wapi.client.get("/sparql", params={"query": "ASK {}"}, headers=headers)
        views[role] = r.headers["x-registry-view"]
    assert views == {None: "public", "steward": "public", "privacy-officer": "officer", "admin": "all"}
    r = wapi.client.get("/sparql", params={"query": "ASK {}"}, headers={"Authorization": "Bearer nope"})
    assert_problem(r, 401)


@pytest.mark.parametrize(("query", "form", "dataset", "service"), [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT", False, False),
    ("# SERVICE\nPREFIX service: <urn:x:> SELECT * WHERE { ?s service:from \"FROM\" }", "SELECT", False, False),
    ("ask from <urn:g> {}", "ASK", True, False),
    ("SELECT * { ?s ?p ?o FILTER(?o<3)SERVICE<http://x/>{?a ?b ?c} }", "SELECT", False, True),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT", False, False),
    ("LOAD <http://example.org/x>", "UPDATE", False, False),
])
def test_scan_reads_keywords_only(query: str, form: str, dataset: bool, service: bool) -> None:
    s = scan(query)
    assert (s.form, s.has_dataset, s.uses_service) == (form, dataset, service)


def test_a_query_sees_the_writes_before_it_and_one_position_is_copied_once(wapi: Api) -> None:
    svc = wapi.client.app.state.sparql_service  # type: ignore[attr-defined]

    def count() -> int:
        r = wapi.client.get("/sparql", params={"query": COUNT_DATASETS}, headers=wapi.auth("privacy-officer"))
        assert r.status_code == 200, r.text
        return int(r.json()["results"]["bindings"][0]["n"]["value"])

    before = count()
    made = svc.snapshots.made
    assert count() == before and svc.snapshots.made == made, "the same position of the log: the same copy"
    ds = wapi.client.get("/datasets/ohip-claims", headers=wapi.auth()).json()
    ds.update(id="counted-once", title="Counted once")
    assert wapi.client.post("/datasets", json=ds, headers=wapi.auth()).status_code == 201
    assert count() == before + 1 and svc.snapshots.made == made + 1, "a write: a new copy, seen at once"
    etag = wapi.client.get("/datasets/counted-once", headers=wapi.auth()).headers["etag"]
    assert wapi.client.delete("/datasets/counted-once", headers={**wapi.auth(), "If-Match": etag}).status_code < 300
    count()
    assert svc.snapshots.made == made + 2, "the delete moved the log: the next query has a copy of its own"


def test_a_snapshot_no_longer_the_newest_is_removed_once_nothing_holds_it(wapi: Api) -> None:
    """A write retires the public view's snapshot; the anonymous queries after it remove it (their sweep runs
    while a retired snapshot is there), so the folder keeps only the newest snapshots and those a process has
    open."""
    svc = wapi.client.app.state.sparql_service  # type: ignore[attr-defined]

    def anonymous() -> None:
        assert wapi.client.get("/sparql", params={"query": COUNT_DATASETS}).status_code == 200

    anonymous()
    ds = wapi.client.get("/datasets/ohip-claims", headers=wapi.auth()).json()
    ds.update(id="swept-after", title="Swept after")
    assert wapi.client.post("/datasets", json=ds, headers=wapi.auth()).status_code == 201
    made = svc.snapshots.made
    anonymous()  # a new public snapshot: the old one is retired
    assert svc.snapshots.made == made + 1
    anonymous()
    held = set().union(*(p.paths_in_use() for p in svc.pools.values()))
    newest = {path for _key, path in svc.snapshots._current.values()}
    on_disk = {str(p) for p in svc.snapshots.folder.iterdir()}
    assert on_disk <= newest | held, on_disk - newest - held
    assert not svc.snapshots.retiring or all(p in held for p in svc.snapshots._retired)
