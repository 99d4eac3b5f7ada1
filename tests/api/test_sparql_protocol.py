"""The W3C SPARQL 1.1 Protocol tests that apply to a read-only endpoint, read from
../shared/external/w3c-sparql11-protocol/manifest.ttl (never copied here).

Every test of the manifest runs. Its data files are loaded into a fresh store as named graphs that
the public view is told to show (as public record graphs are). Adaptations, each for a reason:

- Update requests (`update=` or application/sparql-update) must be refused with a 4xx, since the
  endpoint is read-only; the requests after a refused update in the same test only check the
  update's effect, so they are skipped.
- `ht:absolutePath` starts with `/sparql/`; it is mapped to our `/sparql`.
- Requests whose body the manifest gives in another encoding (UTF-16) are sent in that encoding.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from conftest import EXTERNAL
from helpers import assert_xml
from registry.api import create_app
from registry.api.public_deps import build_sparql, get_sparql, get_views
from registry.config import Settings
from registry.projections.views import Views
from registry.services.registry import Registry, open_registry

SUITE = EXTERNAL / "w3c-sparql11-protocol"
MANIFEST = SUITE / "manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")

TABULAR = {"application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"}
RDF_TYPES = {"text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json", "text/plain"}

pytestmark = pytest.mark.skipif(not MANIFEST.is_file(), reason=f"the W3C protocol suite is not at {SUITE}")


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]
    fmt: str | None
    boolean: bool | None


@dataclass
class Case:
    name: str
    iri: str
    graphs: dict[str, Path] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)


def _list(g: Graph, head: Node | None) -> list[Node]:
    return list(Collection(g, head)) if head is not None else []


def load_cases() -> list[Case]:
    if not MANIFEST.is_file():
        return []
    g = Graph()
    g.parse(MANIFEST, format="turtle", publicID=MANIFEST.as_uri())
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    cases = []
    for test in _list(g, g.value(manifest, MF.entries)):
        case = Case(name=str(g.value(test, MF.name)), iri=str(test))
        for gd in g.objects(test, UT.graphData):
            file_iri = str(g.value(gd, UT.graph))
            case.graphs[str(g.value(gd, RDFS.label))] = Path(file_iri.removeprefix("file://"))
        action = g.value(test, MF.action)
        for req in _list(g, g.value(action, HT.requests)):
            headers = {str(g.value(h, HT.fieldName)): str(g.value(h, HT.fieldValue))
                       for h in _list(g, g.value(req, HT.headers))}
            body_node = g.value(req, HT.body)
            body = None
            if body_node is not None:
                encoding = str(g.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(g.value(body_node, CNT.chars)).encode(encoding)
            resp = g.value(req, HT.resp)
            expected_bool = g.value(resp, MF.expectedBoolean)
            case.requests.append(Request(
                method=str(g.value(req, HT.methodName)),
                path=str(g.value(req, HT.absolutePath)),
                headers=headers,
                body=body,
                statuses={str(s).rsplit("#", 1)[-1] for s in g.objects(resp, MF.expectedStatus)},
                fmt=str(g.value(resp, MF.expectedFormat)) if g.value(resp, MF.expectedFormat) is not None else None,
                boolean=expected_bool.toPython() if expected_bool is not None else None,
            ))
        cases.append(case)
    return cases


CASES = load_cases()


def is_update(req: Request) -> bool:
    ct = req.headers.get("content-type", "")
    body = (req.body or b"").decode("utf-8", "replace") if ct != "application/sparql-update; charset=UTF-16" else ""
    return (ct.startswith("application/sparql-update") or "update=" in req.path
            or (ct == "application/x-www-form-urlencoded" and body.startswith("update=")))


@pytest.fixture
def registry_for(request: pytest.FixtureRequest) -> Iterator[tuple[Registry, TestClient]]:
    case: Case = request.param
    reg = open_registry(Settings(data="memory"))
    graphs = {}
    for name, path in case.graphs.items():
        g = Graph()
        g.parse(path, format="nt")
        graphs[name] = list(g)
    reg.store.replace_graphs(graphs)
    app = create_app(registry=reg)
    views = Views(reg.store, reg.iris, reg.audit, extra_public=case.graphs)
    sparql = build_sparql(reg, views)
    app.dependency_overrides[get_views] = lambda: views
    app.dependency_overrides[get_sparql] = lambda: sparql
    with TestClient(app) as client:
        yield reg, client
    sparql.close()
    reg.close()


def _status_class(code: int) -> str:
    return f"StatusCode{code // 100}xx"


def _boolean(resp: Any) -> bool:
    ct = resp.headers["content-type"].split(";")[0]
    if "json" in ct:
        return bool(json.loads(resp.text)["boolean"])
    assert "xml" in ct, ct
    return "<boolean>true</boolean>" in resp.text


def test_the_manifest_was_read() -> None:
    assert len(CASES) == 34
    assert sum(1 for c in CASES for r in c.requests if is_update(r)) >= 10


@pytest.mark.parametrize("registry_for", CASES, ids=[c.iri.rsplit("#", 1)[-1] for c in CASES], indirect=True)
def test_w3c_protocol(registry_for: tuple[Registry, TestClient], request: pytest.FixtureRequest) -> None:
    _, client = registry_for
    case: Case = request.node.callspec.params["registry_for"]
    for req in case.requests:
        path = "/sparql" + req.path.removeprefix("/sparql/").removeprefix("/sparql")
        if path.startswith("/sparql") and not path.startswith("/sparql?") and path != "/sparql":
            path = "/sparql?" + path[len("/sparql"):]
        resp = client.request(req.method, path, headers=req.headers, content=req.body)
        if is_update(req):
            # read-only endpoint: every update is refused with a 4xx, as problem+json
            assert 400 <= resp.status_code < 500, (case.name, resp.status_code, resp.text)
            assert resp.headers["content-type"].startswith("application/problem+json")
            break  # the rest of the test checks the update's effect
        assert _status_class(resp.status_code) in req.statuses, (case.name, resp.status_code, resp.text)
        if resp.status_code >= 400:
            assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers
            continue
        ct = resp.headers["content-type"].split(";")[0]
        if ct in ("application/rdf+xml", "application/sparql-results+xml"):
            assert_xml(resp.content, case.name)
        if req.fmt == "tabular":
            assert ct in TABULAR, ct
        elif req.fmt == "RDF":
            assert ct in RDF_TYPES, ct
            Graph().parse(data=resp.text, format={"text/turtle": "turtle", "application/rdf+xml": "xml",
                                                  "application/ld+json": "json-ld"}.get(ct, "nt"))
        elif req.fmt == "boolean":
            assert ct in {"application/sparql-results+json", "application/sparql-results+xml"}, ct
        if req.boolean is not None:
            assert _boolean(resp) is req.boolean, (case.name, resp.text)


def test_protocol_graphs_outside_the_view_are_empty(registry_for_public: Any = None) -> None:
    """default-graph-uri naming a graph that is not in the caller's view gives an empty graph."""
    reg = open_registry(Settings(data="memory"))
    secret = URIRef("http://example.org/not-public")
    reg.store.replace_graphs({str(secret): [(secret, RDF.type, URIRef("http://example.org/Secret"))]})
    with TestClient(create_app(registry=reg)) as client:
        for params in ({"default-graph-uri": str(secret)}, {"named-graph-uri": str(secret)}, {}):
            q = "ASK { { ?s a <http://example.org/Secret> } UNION { GRAPH ?g { ?s a <http://example.org/Secret> } } }"
            r = client.get("/sparql", params={"query": q, **params})
            assert r.status_code == 200 and r.json()["boolean"] is False, (params, r.text)
    reg.close()
