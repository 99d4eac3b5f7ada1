"""Bad input at the routes tests/api/test_bad_input.py does not cover (share checks, lineage and impact
parameters, audit, SPARQL, OpenLineage, /tokens, list filters of every collection, reports and pages) and
odd Accept and Content-Type headers everywhere: every answer is a 4xx (or a bounded 503) with a
problem+json body, never a 5xx, and nothing is written."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import Api
from helpers import WORLD_FILE, assert_problem, load_json, record_quads, world_api

WORLD = load_json(WORLD_FILE)
JSON = {"Content-Type": "application/json"}
INJ = "x%3E%20%7D%20%3B%20DROP%20ALL%20%23"  # x> } ; DROP ALL #, URL-encoded
INJECTION = "x> } ; DROP ALL #"
CHECK = {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu", "purpose": "program-evaluation",
         "date": "2025-06-01"}
EVENT = {"eventType": "COMPLETE", "eventTime": "2025-01-01T00:00:00Z", "producer": "https://example.org/p",
         "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
         "run": {"runId": "6c2a3f0e-9a55-4b52-a2a5-4f9e2f0f1d11"}, "job": {"namespace": "moh", "name": "j"},
         "inputs": [{"namespace": "db", "name": "a"}], "outputs": [{"namespace": "db", "name": "b"}]}


@pytest.fixture
def wapi() -> Iterator[Api]:
    with world_api() as a:
        yield a


def check(**changes: Any) -> bytes:
    return json.dumps({**CHECK, **changes}).encode()


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def sparql(query: str) -> str:
    from urllib.parse import quote

    return "/sparql?query=" + quote(query, safe="")


DEEP = "SELECT * WHERE " + "{" * 3000 + "}" * 3000  # crashed Oxigraph (a segfault) before it was refused
EXISTS = "ASK { FILTER(" + "EXISTS { FILTER(" * 1000 + "true" + ") }" * 1000 + ") }"
PATHS = "ASK { ?s " + "/".join(["<urn:p>"] * 2000) + " ?o }"  # minutes of planning before it was refused
OPTIONALS = "SELECT * WHERE { ?s ?p ?o " + " ".join(["OPTIONAL { ?s ?p ?o }"] * 1000) + " }"

#: method, path, headers, body (bytes or a function making them), the statuses it may get
CASES: list[Any] = [
    # ------------------------------------------------------------------------------- share checks
    pytest.param("POST", "/share-checks", JSON, b'{"datasets": [', 400, id="check-malformed-json"),
    pytest.param("POST", "/share-checks", JSON, b"", 400, id="check-empty-body"),
    pytest.param("POST", "/share-checks", JSON, b"[]", 400, id="check-json-array"),
    pytest.param("POST", "/share-checks", JSON, nested(10_000), 400, id="check-nested"),
    pytest.param("POST", "/share-checks", JSON, b'{"datasets": ' + b"9" * 5000 + b"}", 400, id="check-huge-integer"),
    pytest.param("POST", "/share-checks", JSON, lambda: check(purpose="a" * 1_100_000), 413, id="check-too-large"),
    pytest.param("POST", "/share-checks", {"Content-Type": "text/plain"}, check(), 415, id="check-text-plain"),
    pytest.param("POST", "/share-checks", {"Content-Type": "application/x-www-form-urlencoded"}, b"datasets=x", 415,
                 id="check-form"),
    pytest.param("POST", "/share-checks", JSON, check(datasets=[]), 422, id="check-no-dataset"),
    pytest.param("POST", "/share-checks", JSON, check(datasets="ohip-claims"), 422, id="check-datasets-string"),
    pytest.param("POST", "/share-checks", JSON, check(datasets=[f"d{i}" for i in range(201)]), 422,
                 id="check-too-many-datasets"),
    pytest.param("POST", "/share-checks", JSON, check(datasets=[INJECTION]), 422, id="check-dataset-injection"),
    pytest.param("POST", "/share-checks", JSON, check(provider=INJECTION), 422, id="check-provider-injection"),
    pytest.param("POST", "/share-checks", JSON, check(purpose="../etc"), 422, id="check-purpose-dotdot"),
    pytest.param("POST", "/share-checks", JSON, check(datasets=["no-such-dataset"]), 422, id="check-unknown-dataset"),
    pytest.param("POST", "/share-checks", JSON, check(recipient="no-such-org"), 422, id="check-unknown-recipient"),
    pytest.param("POST", "/share-checks", JSON, check(purpose="world-domination"), 422, id="check-unknown-purpose"),
    pytest.param("POST", "/share-checks", JSON, check(date="2025-02-30"), 422, id="check-impossible-date"),
    pytest.param("POST", "/share-checks", JSON, check(date="99999-01-01"), 422, id="check-year-99999"),
    pytest.param("POST", "/share-checks", JSON, check(date=20250601), 422, id="check-date-number"),
    pytest.param("POST", "/share-checks", JSON, check(deidentified="yes"), 422, id="check-boolean-string"),
    pytest.param("POST", "/share-checks", JSON, check(as_of="last tuesday"), 422, id="check-as-of-text"),
    pytest.param("POST", "/share-checks", JSON, check(colour="red"), 422, id="check-unknown-field"),
    pytest.param("POST", "/share-checks", JSON, check(provider=None), 422, id="check-provider-null"),
    pytest.param("GET", "/share-checks?limit=0", {}, None, 422, id="checks-limit-zero"),
    pytest.param("GET", "/share-checks?limit=501", {}, None, 422, id="checks-limit-too-big"),
    pytest.param("GET", "/share-checks?offset=-1", {}, None, 422, id="checks-offset-negative"),
    pytest.param("GET", "/share-checks?limit=1e3", {}, None, 422, id="checks-limit-float"),
    pytest.param("GET", f"/share-checks/{INJ}", {}, None, 404, id="check-id-injection"),
    pytest.param("GET", "/share-checks/..%2F..%2Fetc%2Fpasswd", {}, None, 404, id="check-id-dotdot"),
    pytest.param("GET", "/share-checks/sc-" + "9" * 300, {}, None, 404, id="check-id-long"),
    # ------------------------------------------------------------------------------ lineage, impact
    pytest.param("GET", "/datasets/ohip-claims/lineage?direction=sideways", {}, None, 422, id="lineage-direction"),
    pytest.param("GET", "/datasets/ohip-claims/lineage?depth=-1", {}, None, 422, id="lineage-depth-negative"),
    pytest.param("GET", "/datasets/ohip-claims/lineage?depth=51", {}, None, 422, id="lineage-depth-too-deep"),
    pytest.param("GET", "/datasets/ohip-claims/lineage?depth=" + "9" * 5000, {}, None, 422, id="lineage-depth-huge"),
    pytest.param("GET", "/datasets/ohip-claims/lineage?depth=two", {}, None, 422, id="lineage-depth-text"),
    pytest.param("GET", "/datasets/ohip-claims/lineage?as_of=yesterday", {}, None, 422, id="lineage-as-of-text"),
    pytest.param("GET", "/datasets/ohip-claims/lineage?as_of=2024-13-45T00:00:00", {}, None, 422,
                 id="lineage-as-of-impossible"),
    pytest.param("GET", "/datasets/ohip-claims/lineage?as_of=0001-01-01T00:00:00", {}, None, 404,
                 id="lineage-as-of-year-one"),
    pytest.param("GET", "/datasets/ohip-claims/lineage?as_of=9999-12-31T23:59:59%2B14:00", {}, None, (200, 422),
                 id="lineage-as-of-far-future"),
    pytest.param("GET", f"/datasets/{INJ}/lineage", {}, None, 404, id="lineage-id-injection"),
    pytest.param("GET", "/datasets/no-such-dataset/lineage", {}, None, 404, id="lineage-unknown"),
    pytest.param("GET", f"/datasets/{INJ}/impact", {}, None, 404, id="impact-id-injection"),
    pytest.param("GET", "/datasets/donn%C3%A9es/impact", {}, None, 404, id="impact-id-unicode"),
    # -------------------------------------------------------------------------------------- audit
    pytest.param("GET", "/audit?limit=0", {}, None, 422, id="audit-limit-zero"),
    pytest.param("GET", "/audit?limit=1001", {}, None, 422, id="audit-limit-too-big"),
    pytest.param("GET", "/audit?offset=-5", {}, None, 422, id="audit-offset-negative"),
    pytest.param("GET", "/audit?offset=" + "9" * 40, {}, None, 422, id="audit-offset-huge"),
    pytest.param("GET", "/audit?limit=ten", {}, None, 422, id="audit-limit-text"),
    # ------------------------------------------------------------------------------------- lists
    pytest.param("GET", f"/organizations?kind={INJ}", {}, None, 400, id="organizations-kind-injection"),
    pytest.param("GET", f"/organizations?parent={INJ}", {}, None, 400, id="organizations-parent-injection"),
    pytest.param("GET", "/organizations?colour=red", {}, None, 400, id="organizations-unknown-filter"),
    pytest.param("GET", f"/agreements?status={INJ}", {}, None, 400, id="agreements-status-injection"),
    pytest.param("GET", f"/agreements?purpose={INJ}", {}, None, 400, id="agreements-purpose-injection"),
    pytest.param("GET", f"/agreements?legal_basis={INJ}", {}, None, 400, id="agreements-basis-injection"),
    pytest.param("GET", f"/agreements?dataset={INJ}", {}, None, 400, id="agreements-dataset-injection"),
    pytest.param("GET", "/agreements?offset=10000001", {}, None, 422, id="agreements-offset-too-big"),
    pytest.param("GET", "/agreements?limit=1.5", {}, None, 422, id="agreements-limit-float"),
    pytest.param("GET", "/datasets?sensitivity=%00", {}, None, 400, id="datasets-filter-nul"),
    pytest.param("GET", "/datasets?publisher=", {}, None, 400, id="datasets-filter-empty"),
    # -------------------------------------------------------------------------- reports and pages
    pytest.param("GET", "/reports/flows?on=tomorrow", {}, None, 422, id="flows-on-text"),
    pytest.param("GET", "/reports/flows?on=2025-02-30", {}, None, 422, id="flows-on-impossible"),
    pytest.param("GET", "/reports/flows?limit=0", {}, None, 422, id="flows-limit-zero"),
    pytest.param("GET", "/reports/flows?limit=1001", {}, None, 422, id="flows-limit-above-the-most"),
    pytest.param("GET", "/reports/flows?offset=-1", {}, None, 422, id="flows-offset-negative"),
    pytest.param("GET", "/transparency?offset=x", {}, None, 422, id="register-page-offset-text"),
    pytest.param("GET", "/transparency?on=" + "9" * 50, {}, None, 422, id="transparency-on-huge"),
    pytest.param("GET", "/search?q=" + "a" * 201, {}, None, 422, id="search-q-too-long"),
    pytest.param("GET", "/datasets?format=html&offset=-1", {"Accept": "text/html"}, None, 422, id="page-offset-negative"),
    # ------------------------------------------------------------------------------------- sparql
    pytest.param("GET", sparql("SELECT * WHERE {"), {}, None, 400, id="sparql-malformed"),
    pytest.param("GET", sparql("SELECT * WHERE { <x> } ; DROP ALL #> ?p ?o }"), {}, None, 400, id="sparql-iri-injection"),
    pytest.param("GET", sparql('SELECT * WHERE { ?s ?p "x" } ; DROP ALL'), {}, None, (400, 403), id="sparql-stacked-update"),
    pytest.param("GET", sparql("ASK {}") + "&default-graph-uri=" + INJ, {}, None, 400, id="sparql-graph-injection"),
    pytest.param("POST", "/sparql?named-graph-uri=" + INJ, {"Content-Type": "application/sparql-query"}, b"ASK {}", 400,
                 id="sparql-named-graph-injection"),
    pytest.param("GET", sparql("ASK {}") + "".join(f"&named-graph-uri=urn:g{i}" for i in range(101)), {}, None, 400,
                 id="sparql-too-many-graphs"),
    pytest.param("GET", sparql(DEEP), {}, None, 400, id="sparql-nested-3000"),
    pytest.param("GET", sparql(EXISTS), {}, None, 400, id="sparql-nested-exists"),
    pytest.param("GET", sparql(PATHS), {}, None, 400, id="sparql-2000-path-steps"),
    pytest.param("GET", sparql(OPTIONALS), {}, None, 400, id="sparql-1000-optionals"),
    pytest.param("POST", "/sparql", {"Content-Type": "application/sparql-query"}, DEEP.encode(), 400,
                 id="sparql-post-nested"),
    pytest.param("POST", "/sparql", {"Content-Type": "application/sparql-query"},
                 lambda: b"ASK {} #" + b"a" * 1_100_000, 413, id="sparql-too-large"),
    pytest.param("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, b"query=%FF%FE", 400,
                 id="sparql-form-not-utf8"),
    pytest.param("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, b"nothing=here", 400,
                 id="sparql-form-without-query"),
    pytest.param("GET", sparql("SELECT * WHERE { ?s ?p ?o }"), {"Accept": "image/png"}, None, 406,
                 id="sparql-accept-image"),
    pytest.param("GET", sparql("SELECT (REGEX(\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\", \"(a+)+$\") AS ?x) {}"), {}, None,
                 200, id="sparql-catastrophic-regex-is-linear"),
    # -------------------------------------------------------------------------------- openlineage
    pytest.param("POST", "/api/v1/lineage", JSON, nested(10_000), 400, id="openlineage-nested"),
    pytest.param("POST", "/api/v1/lineage", JSON, b"[]", (400, 422), id="openlineage-array"),
    pytest.param("POST", "/api/v1/lineage", JSON, lambda: json.dumps({**EVENT, "producer": "a" * 1_100_000}).encode(),
                 413, id="openlineage-too-large"),
    pytest.param("POST", "/api/v1/lineage", JSON, json.dumps({**EVENT, "job": {"namespace": INJECTION, "name": INJECTION}}
                                                             ).encode(), (201, 422), id="openlineage-injection-names"),
    pytest.param("POST", "/api/v1/lineage", {"Content-Type": "application/json; charset=utf-16"},
                 json.dumps(EVENT).encode("utf-16"), (400, 415, 422), id="openlineage-utf16"),  # JSON may be UTF-16
    # ----------------------------------------------------------------- Accept and Content-Type oddities
    pytest.param("POST", "/datasets", {"Content-Type": "application/json; charset=latin-1"},
                 '{"id": "caf\u00e9"}'.encode("latin-1"), 400, id="json-latin1"),
    pytest.param("POST", "/datasets", {"Content-Type": "text/turtle; charset=utf-16"},
                 "<http://x/a> <http://x/b> <http://x/c> .".encode("utf-16"), 400, id="turtle-utf16"),
    pytest.param("POST", "/datasets", {"Content-Type": "@@@"}, b"{}", 415, id="content-type-garbage"),
    pytest.param("POST", "/datasets", {"Content-Type": "application/ld+json"}, b"[]", (400, 422), id="jsonld-empty-array"),
    pytest.param("POST", "/datasets", {"Content-Type": "application/ld+json"}, b'"just a string"', 400,
                 id="jsonld-string"),
    pytest.param("POST", "/organizations", {"Content-Type": "text/turtle"},
                 b"<http://x/o> a <http://www.w3.org/ns/org#Organization> ; <http://purl.org/dc/terms/identifier> \""
                 + INJECTION.encode() + b"\" .", (400, 422),
                 id="turtle-identifier-injection"),
    pytest.param("PUT", "/datasets/ohip-claims", {"Content-Type": "application/json", "If-Match": "\x7f" * 10},
                 json.dumps({"id": "ohip-claims"}).encode(), (412, 422), id="if-match-garbage"),
    pytest.param("DELETE", "/datasets/ohip-claims", {"If-Match": '"' + "0" * 64 + '"'}, None, 412, id="delete-stale-etag"),
    pytest.param("POST", "/tokens", {"Content-Type": "text/plain"}, b'{"role": "admin"}', 415,
                 id="tokens-text-plain"),
    pytest.param("POST", "/tokens", JSON, nested(10_000), 400, id="tokens-nested"),
]


@pytest.mark.parametrize(("method", "path", "headers", "content", "status"), CASES)
def test_bad_input_is_a_problem_and_writes_nothing(wapi: Api, method: str, path: str, headers: dict[str, str],
                                                   content: Any, status: int | tuple[int, ...]) -> None:
    auth = wapi.auth()  # made before the snapshot: a new token is a write of its own
    before = record_quads(wapi.registry)
    data = content() if callable(content) else content
    started = time.monotonic()
    r = wapi.lenient.request(method, path, headers={**auth, **headers}, content=data)
    assert r.status_code < 500, r.text[:1000]
    allowed = status if isinstance(status, tuple) else (status,)
    assert r.status_code in allowed, r.text[:1000]
    assert time.monotonic() - started < 15, "answered, but too slowly"
    if r.status_code >= 400:
        problem = assert_problem(r, r.status_code)
        assert problem["type"].startswith("https://")
    if r.status_code not in (200, 201):
        assert record_quads(wapi.registry) == before


# ------------------------------------------------------------------------ odd headers on every read
ODD_ACCEPT = [
    "", "*/*", "text/html;q=0", "application/json;q=0", "image/png", "text/turtle;q=abc", "*/*;q=", ";;;,,,",
    "application/ld+json; profile=\"http://www.w3.org/ns/json-ld#compacted\"", ", ".join(f"x/y{i}" for i in range(2000)),
    "text/\u00e9", "application/sparql-results+json;q=0.5, text/csv;q=0.9",
]
READS = ["/datasets", "/datasets/ohip-claims", "/organizations/moh", "/agreements", "/authorities",
         "/authorities/fippa-part-3.1", "/purposes", "/datasets/linked-health-social/lineage",
         "/datasets/ohip-claims/impact", "/reports/flows", "/catalog", "/audit", "/share-checks", "/",
         "/search?q=health", "/transparency", "/sparql", sparql("SELECT * WHERE { ?s ?p ?o } LIMIT 1"),
         sparql("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"), "/context.jsonld", "/health",
         "/datasets?format=exe", "/datasets/ohip-claims?format=%00"]


@pytest.mark.parametrize("accept", ODD_ACCEPT, ids=[f"accept-{i}" for i in range(len(ODD_ACCEPT))])
def test_odd_accept_headers_never_break_a_read(wapi: Api, accept: str) -> None:
    auth = wapi.auth()
    for path in READS:
        headers: dict[str, Any] = {**auth, "Accept": accept.encode("utf-8")}
        r = wapi.lenient.get(path, headers=headers)
        assert r.status_code < 500, (path, r.text[:500])
        if r.status_code >= 400:
            assert_problem(r, r.status_code)


@pytest.mark.parametrize("path", ["/static/%2e%2e/%2e%2e/pyproject.toml", "/static/..%2F..%2Fpyproject.toml",
                                  "/static/%2Fetc%2Fpasswd", "/static/vendor/..%2F..%2F..%2Fconfig.py",
                                  "/static/" + "a/" * 500 + "x", "/static/%00"])
def test_static_files_stay_in_their_folder(wapi: Api, path: str) -> None:
    r = wapi.lenient.get(path)
    assert r.status_code == 404, r.text[:300]
    assert "[project]" not in r.text and "root:" not in r.text and "BaseSettings" not in r.text
