"""Bad input over HTTP: every answer is a 4xx problem+json (never a 500) and nothing is written."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from conftest import Api
from helpers import WORLD_FILE, assert_problem, load_json, record, record_quads, world_api

WORLD = load_json(WORLD_FILE)
JSON = {"Content-Type": "application/json"}
TURTLE = {"Content-Type": "text/turtle"}
JSONLD = {"Content-Type": "application/ld+json"}
INJECTION = "x> } ; DROP ALL #"
BASE = "https://registry.example.org"


@pytest.fixture
def wapi() -> Iterator[Api]:
    with world_api() as a:
        yield a


def ds(**changes: Any) -> dict[str, Any]:
    data = record(WORLD, "datasets", "ohip-claims")
    data["id"] = "new-dataset"
    data.update(changes)
    return data


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


#: method, path, headers, body (bytes, or a function that makes them), and the status (or statuses) to answer

TTL_PREFIXES = b"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"

CASES: list[Any] = [
    # ------------------------------------------------------------------- not JSON, or not a record
    pytest.param("POST", "/datasets", JSON, b'{"id": "x", "title": ', 400, id="malformed-json"),
    pytest.param("POST", "/datasets", JSON, b"{'id': 'x'}", 400, id="single-quoted-json"),
    pytest.param("POST", "/datasets", JSON, b"", 400, id="empty-body"),
    pytest.param("POST", "/datasets", JSON, b'{"id": "caf\xe9"}', 400, id="invalid-utf8"),
    pytest.param("POST", "/datasets", JSON, b"[1, 2]", 400, id="json-array"),
    pytest.param("POST", "/datasets", JSON, b'"ohip-claims"', 400, id="json-string"),
    pytest.param("POST", "/datasets", JSON, b"null", 400, id="json-null"),
    pytest.param("POST", "/datasets", JSON, b"42", 400, id="json-number"),
    pytest.param("PUT", "/datasets/ohip-claims", JSON, b"[]", 400, id="put-json-array"),
    pytest.param("POST", "/organizations", JSON, b"{}", 422, id="empty-object"),
    # ------------------------------------------------------------------------------- wrong types
    pytest.param("POST", "/datasets", JSON, body(ds(title=42)), 422, id="title-number"),
    pytest.param("POST", "/datasets", JSON, body(ds(personal_information="yes")), 422, id="pi-yes"),
    pytest.param("POST", "/datasets", JSON, body(ds(personal_information=1)), 422, id="pi-one"),
    pytest.param("POST", "/datasets", JSON, body(ds(keywords="health")), 422, id="keywords-string"),
    pytest.param("POST", "/datasets", JSON, body(ds(steward="Someone")), 422, id="steward-string"),
    pytest.param("POST", "/datasets", JSON, body(ds(issued="yesterday")), 422, id="issued-not-a-date"),
    pytest.param("POST", "/datasets", JSON, body(ds(issued="2020-02-30")), 422, id="issued-impossible-date"),
    pytest.param("POST", "/datasets", JSON, body(ds(id=7)), 422, id="id-number"),
    pytest.param("POST", "/datasets", JSON, body(ds(title="x" * 1001)), 422, id="title-too-long"),
    pytest.param("POST", "/agreements", JSON, body({**record(WORLD, "agreements", "dsa-moh-idiu-2024"),
                                                    "id": "a-new", "conditions": {"onward_disclosure": "no"}}),
                 422, id="condition-not-boolean"),
    pytest.param("POST", "/datasets", JSON, b'{"id": "x", "title": ' + b"1" * 5000 + b"}", 400, id="huge-integer"),
    # ------------------------------------------------------------------------------ unknown fields
    pytest.param("POST", "/datasets", JSON, body(ds(colour="red")), 422, id="unknown-field"),
    pytest.param("POST", "/datasets", JSON, body(ds(steward={"name": "A", "email": "a@example.org", "phone": "1"})),
                 422, id="unknown-nested-field"),
    pytest.param("POST", "/organizations", JSON, body({"id": "o", "name": "O", "kind": "agency", "Kind": "x"}),
                 422, id="unknown-field-by-case"),
    # ----------------------------------------------------------------------------- deep nesting
    pytest.param("POST", "/datasets", JSON, nested(10_000), 400, id="nested-10000"),
    pytest.param("POST", "/datasets", JSON, b'{"id": "x", "keywords": ' + nested(100) + b"}", 400, id="nested-field"),
    pytest.param("POST", "/datasets", JSONLD, nested(10_000), 400, id="nested-jsonld"),
    pytest.param("POST", "/datasets", TURTLE, TTL_PREFIXES + b"<http://x/a> dct:relation "
                 + b"[ dct:relation " * 5000 + b"1" + b" ]" * 5000 + b" .", 400, id="nested-turtle"),
    # ---------------------------------------------------------------------------------- too large
    pytest.param("POST", "/datasets", JSON, lambda: b'{"id": "x", "description": "' + b"a" * 1_100_000 + b'"}',
                 413, id="over-the-limit"),
    pytest.param("POST", "/datasets", TURTLE, lambda: b"#" + b"a" * 1_100_000, 413, id="over-the-limit-turtle"),
    # ---------------------------------------------------------------------------------- bad RDF
    pytest.param("POST", "/datasets", TURTLE, b"@prefix : <http://x/> . :a :b", 400, id="malformed-turtle"),
    pytest.param("POST", "/datasets", TURTLE, b"this is not turtle", 400, id="prose-as-turtle"),
    pytest.param("POST", "/datasets", TURTLE, b"<http://x/a> <http://x/b> <http://x/c> .", 400,
                 id="turtle-without-a-dataset"),
    pytest.param("POST", "/datasets", TURTLE, TTL_PREFIXES + b"<http://x/a> a dcat:Dataset . <http://x/b> a dcat:Dataset .",
                 400, id="turtle-with-two-datasets"),
    pytest.param("POST", "/datasets", TURTLE, TTL_PREFIXES + b"[] a dcat:Dataset ; dct:identifier \"blank\" .", 400,
                 id="turtle-blank-node-dataset"),
    pytest.param("POST", "/datasets", TURTLE, TTL_PREFIXES + b"<" + BASE.encode() + b"/dataset/x\\u003E } ; DROP ALL #> "
                 b"a dcat:Dataset .", 422, id="turtle-iri-injection"),
    pytest.param("POST", "/datasets", JSONLD, b'{"@id": ', 400, id="malformed-jsonld"),
    pytest.param("POST", "/datasets", JSONLD, body({"@context": {"@version": 9}, "@id": "x"}), 400,
                 id="jsonld-bad-context"),
    # ------------------------------------------------------------------------ wrong content type
    pytest.param("POST", "/datasets", {"Content-Type": "text/plain"}, body(ds()), 415, id="text-plain"),
    pytest.param("POST", "/datasets", {"Content-Type": "application/xml"}, b"<dataset/>", 415, id="xml"),
    pytest.param("POST", "/datasets", {"Content-Type": "application/rdf+xml"}, b"<rdf:RDF/>", 415, id="rdf-xml"),
    pytest.param("POST", "/datasets", {"Content-Type": "application/x-www-form-urlencoded"}, b"id=x", 415,
                 id="form"),
    pytest.param("PUT", "/datasets/ohip-claims", {"Content-Type": "multipart/form-data; boundary=x"}, b"--x--", 415,
                 id="multipart"),
    # ------------------------------------------------------------------------------ bad ids in body
    pytest.param("POST", "/datasets", JSON, body(ds(id=INJECTION)), 422, id="body-id-injection"),
    pytest.param("POST", "/datasets", JSON, body(ds(id="../etc")), 422, id="body-id-dotdot"),
    pytest.param("POST", "/datasets", JSON, body(ds(id="donn\u00e9es")), 422, id="body-id-unicode"),
    pytest.param("POST", "/datasets", JSON, body(ds(id="\u202eevil")), 422, id="body-id-bidi"),
    pytest.param("POST", "/datasets", JSON, body(ds(id="Upper")), 422, id="body-id-upper"),
    pytest.param("POST", "/datasets", JSON, body(ds(id="")), 422, id="body-id-empty"),
    pytest.param("POST", "/datasets", JSON, body(ds(id="a" * 201)), 422, id="body-id-too-long"),
    pytest.param("POST", "/datasets", JSON, body(ds(publisher=INJECTION)), 422, id="body-ref-injection"),
    pytest.param("POST", "/datasets", JSON, body(ds(derived_from=["ok", "../etc"])), 422, id="body-ref-dotdot"),
    # ------------------------------------------------------------------------------ bad ids in URL
    pytest.param("GET", "/datasets/x%3E%20%7D%20%3B%20DROP%20ALL%20%23", {}, None, 404, id="get-id-injection"),
    pytest.param("DELETE", "/datasets/x%3E%20%7D%20%3B%20DROP%20ALL%20%23", {}, None, 404, id="delete-id-injection"),
    pytest.param("GET", "/organizations/a%20b", {}, None, 404, id="get-id-space"),
    pytest.param("PUT", "/datasets/x%3E%20%7D%20%3B%20DROP%20ALL%20%23", JSON, body(ds(id="ohip-claims")), 422,
                 id="put-id-injection"),
    pytest.param("PUT", "/datasets/x%3E%20%7D%20%3B%20DROP%20ALL%20%23", JSON, body(ds(id=INJECTION)), 422,
                 id="put-id-injection-both"),
    pytest.param("GET", "/datasets/..%2F..%2Fetc%2Fpasswd", {}, None, 404, id="get-id-dotdot"),
    pytest.param("DELETE", "/datasets/..%2Fetc", {}, None, 404, id="delete-id-dotdot"),
    pytest.param("GET", "/datasets/donn%C3%A9es", {}, None, 404, id="get-id-unicode"),
    pytest.param("DELETE", "/datasets/donn%C3%A9es", {}, None, 404, id="delete-id-unicode"),
    pytest.param("GET", "/authorities/x%3E%20%7D%20%3B%20DROP%20ALL%20%23", {}, None, 404, id="authority-injection"),
    # -------------------------------------------------------------------------- unknown references
    pytest.param("POST", "/datasets", JSON, body(ds(publisher="no-such-org")), 422, id="unknown-publisher"),
    pytest.param("POST", "/datasets", JSON, body(ds(derived_from=["no-such-dataset"])), 422, id="unknown-source"),
    pytest.param("POST", "/organizations", JSON, body({"id": "o", "name": "O", "kind": "agency",
                                                       "parent": "no-such-org"}), 422, id="unknown-parent"),
    pytest.param("POST", "/agreements", JSON, body({**record(WORLD, "agreements", "dsa-moh-idiu-2024"), "id": "a-new",
                                                    "datasets": ["no-such-dataset"]}), 422, id="unknown-dataset"),
    pytest.param("POST", "/agreements", JSON, body({**record(WORLD, "agreements", "dsa-moh-idiu-2024"), "id": "a-new",
                                                    "legal_basis": ["no-such-act"]}), 422, id="unknown-authority"),
    # ---------------------------------------------------------------------------- query parameters
    pytest.param("GET", "/datasets?limit=0", {}, None, 422, id="limit-zero"),
    pytest.param("GET", "/datasets?limit=abc", {}, None, 422, id="limit-text"),
    pytest.param("GET", "/datasets?limit=100000", {}, None, (400, 422), id="limit-huge"),  # over max_page_size
    pytest.param("GET", "/datasets?offset=-1", {}, None, 422, id="offset-negative"),
    pytest.param("GET", "/datasets?q=" + "a" * 201, {}, None, 422, id="q-too-long"),
    pytest.param("GET", "/datasets?include_retired=perhaps", {}, None, 422, id="bad-boolean"),
    pytest.param("GET", "/datasets?colour=red", {}, None, 400, id="unknown-filter"),
    pytest.param("GET", "/datasets?publisher=x%3E%20%7D%20%3B%20DROP%20ALL%20%23", {}, None, 400,
                 id="filter-iri-injection"),
    pytest.param("GET", "/datasets?access=x%3E%20%7D", {}, None, 400, id="filter-code-injection"),
    # ---------------------------------------------------------------------------------- methods
    pytest.param("PATCH", "/datasets/ohip-claims", JSON, body({"title": "x"}), 405, id="patch"),
    pytest.param("POST", "/datasets/ohip-claims", JSON, body(ds()), 405, id="post-to-item"),
]


@pytest.mark.parametrize(("method", "path", "headers", "content", "status"), CASES)
def test_bad_input_is_a_problem_and_writes_nothing(wapi: Api, method: str, path: str, headers: dict[str, str],
                                                   content: Any, status: int | tuple[int, ...]) -> None:
    auth = wapi.auth()  # made before the snapshot: a new token is a write of its own
    before = record_quads(wapi.registry)
    data = content() if callable(content) else content
    r = wapi.lenient.request(method, path, headers={**auth, **headers}, content=data)
    assert r.status_code != 500
    allowed = status if isinstance(status, tuple) else (status,)
    assert r.status_code in allowed, r.text
    problem = assert_problem(r, r.status_code)
    assert problem["type"].startswith("https://")
    assert record_quads(wapi.registry) == before


def test_violations_name_the_fields(wapi: Api) -> None:
    r = wapi.client.post("/datasets", json=ds(title=42, personal_information="yes", colour="red"),
                         headers=wapi.auth())
    problem = assert_problem(r, 422)
    by_field = {v["field"]: v for v in problem["violations"]}
    assert set(by_field) == {"title", "personal_information", "colour"}
    assert by_field["colour"]["message"] == "unknown field"
    assert all(v["severity"] == "Violation" for v in problem["violations"])
    assert by_field["title"]["focusNode"] == f"{BASE}/dataset/new-dataset"


def test_oversized_body_without_content_length_is_413(wapi: Api) -> None:
    """A chunked body is counted as it streams in, not trusted by its header."""
    auth = wapi.auth()
    before = record_quads(wapi.registry)

    def chunks() -> Iterator[bytes]:
        yield b'{"id": "x", "description": "'
        for _ in range(120):
            yield b"a" * 10_000
        yield b'"}'

    assert_problem(wapi.lenient.post("/datasets", content=chunks(), headers={**auth, **JSON}), 413)
    assert record_quads(wapi.registry) == before


def test_injection_in_search_is_just_text(wapi: Api) -> None:
    before = record_quads(wapi.registry)
    for q in ('x" } ; DROP ALL #', "') } DROP ALL", INJECTION):
        r = wapi.lenient.get("/datasets", params={"q": q, "keyword": q})
        assert r.status_code == 200 and r.json()["items"] == []
    assert record_quads(wapi.registry) == before
    assert wapi.client.get("/datasets").json()["total"] == len(WORLD["datasets"])


# --------------------------------------------------------------------------------- remote contexts
class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        type(self).hits.append(self.path)
        payload = json.dumps({"@context": {"dct": "http://purl.org/dc/terms/"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def context_server() -> Iterator[tuple[str, list[str]]]:
    """A local server that records every request: a fetched remote context shows up as a hit."""
    hits: list[str] = []
    handler = type("Recorder", (_Recorder,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


DATASET_NODE = {"@id": f"{BASE}/dataset/remote", "@type": "http://www.w3.org/ns/dcat#Dataset",
                "http://purl.org/dc/terms/identifier": "remote"}


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda url: {**DATASET_NODE, "@context": url + "/a"}, id="context-string"),
        pytest.param(lambda url: {**DATASET_NODE, "@context": [{"x": "http://x/"}, url + "/b"]}, id="context-list"),
        pytest.param(lambda url: {"@context": {"x": "http://x/"}, "@graph": [{**DATASET_NODE, "@context": url + "/c"}]},
                     id="context-in-graph"),
        pytest.param(lambda url: {**DATASET_NODE, "@context": {"@import": url + "/d"}}, id="context-import"),
        pytest.param(lambda url: {**DATASET_NODE, "@context": {"t": {"@id": "http://x/t", "@context": url + "/e"}},
                                  "t": {"@id": "http://x/y", "http://x/p": "v"}}, id="scoped-context"),
    ],
)
def test_remote_json_ld_context_is_refused_not_fetched(wapi: Api, context_server: tuple[str, list[str]],
                                                       make: Callable[[str], Any]) -> None:
    url, hits = context_server
    auth = wapi.auth()
    before = record_quads(wapi.registry)
    r = wapi.lenient.post("/datasets", content=body(make(url)), headers={**auth, **JSONLD})
    assert hits == [], "the server fetched a remote context"
    problem = assert_problem(r, 400)
    assert "context" in problem["detail"]
    assert record_quads(wapi.registry) == before


def test_lone_surrogate_in_json_is_422_not_500(api: Any) -> None:
    """Regression: an escaped lone surrogate parsed as JSON and failed later in the store (500). It is
    text XML cannot carry either: a 422 naming the field (tests/security/test_xml_characters.py)."""
    before = len(list(api.registry.store.quads()))
    resp = api.client.post("/datasets", content=b'{"id": "x", "title": "\\ud800"}',
                           headers={**api.auth(), "content-type": "application/json"})
    assert resp.status_code == 422
    assert [v["field"] for v in resp.json()["violations"]] == ["title"]
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert len(list(api.registry.store.quads())) == before
