"""The remote SPARQL store against a real Virtuoso (tests/virtuoso.py starts one on loopback).

1. The Store contract (the abstract suite of test_store.py), and what only this backend needs:
   literals Virtuoso would change, blank nodes, large graphs, paging, its system graphs.
2. The registry over Virtuoso: every casebook case (test_legal.test_casebook) and the records API's
   round trips (tests/api/test_records_api.py), run unchanged on a Virtuoso-backed registry by
   overriding the fixtures they ask for (`registry`, `world_registry`, `wapi`) in this module; an
   admin's /sparql, answered from a local copy of the store.
3. Locations, options and errors, with a mock transport (no server needed).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rdflib import BNode, Literal, URIRef

import virtuoso
from api.test_records_api import (  # noqa: F401 - collected here again, over Virtuoso
    test_delete_retires,
    test_duplicate_post_is_409_and_changes_nothing,
    test_etag_and_if_match,
    test_list_filters_and_search,
    test_list_pages,
    test_post_creates_and_get_reads_back,
    test_post_json_ld_with_our_context,
    test_post_turtle,
    test_put_replaces,
    test_rdf_round_trip_get_then_put,
    test_turtle_and_json_ld_output,
)
from conftest import Api
from helpers import world_nquads
from registry.config import Settings
from registry.services.registry import Registry, open_registry
from registry.store import Store, open_store
from registry.store.sparql_http import ENCODED, SKOLEM, SparqlHttpStore, SparqlStoreError, VirtuosoCodec
from test_legal import test_casebook  # noqa: F401 - collected here again, over Virtuoso
from test_store import EX, G1, G2, G3, A, B, C, P, Q, StoreContract

#: a Virtuoso server (and the casebook and records API tests collected again over it)
pytestmark = pytest.mark.slow

XSD = "http://www.w3.org/2001/XMLSchema#"


def typed(lex: str, dt_name: str) -> Literal:
    return Literal(lex, datatype=URIRef(XSD + dt_name))


@pytest.fixture
def remote() -> Iterator[SparqlHttpStore]:
    """A SparqlHttpStore over the run's Virtuoso, emptied first."""
    s = open_store(virtuoso.server().location)
    assert isinstance(s, SparqlHttpStore)
    s.clear()
    yield s
    s.close()


# ------------------------------------------------------------------------------ 1. the contract
class TestSparqlHttpStore(StoreContract):
    in_process = False

    @pytest.fixture
    def store(self, remote: SparqlHttpStore) -> Store:
        return remote

    def test_virtuoso_is_recognised(self, remote: SparqlHttpStore) -> None:
        assert "virtuoso" in remote.server.lower()
        assert isinstance(remote.codec, VirtuosoCodec)

    def test_literals_virtuoso_would_change_come_back_exactly(self, remote: SparqlHttpStore) -> None:
        rng = random.Random(8)
        stamps = [dt.datetime(2024, 5, 1, 10, 0, 0, rng.randrange(1_000_000), tzinfo=dt.UTC).isoformat()
                  for _ in range(40)]
        stamps += [dt.datetime(2024, 5, 1, 10, 0, 0, micro, tzinfo=dt.UTC).isoformat()
                   for micro in (0, 100_000, 120_000, 1, 999_999)]
        values = [typed(s, "dateTime") for s in stamps] + [
            Literal(True), Literal(False), typed("1", "boolean"), typed("0", "boolean"),
            typed("P7Y", "duration"), typed("P1Y2M3DT4H", "duration"), typed("PT36H", "dayTimeDuration"),
            typed("1.50", "decimal"), typed("1.0", "decimal"), typed("1.5E2", "double"), typed("2.5", "float"),
            typed("01", "integer"), typed("+5", "integer"), typed("99999999999999999999999", "integer"),
            typed("abc", "integer"), typed("-5", "integer"), typed("0", "integer"), typed("42", "int"),
            typed("2024-05-01T10:00:00Z", "dateTime"), typed("2024-05-01T10:00:00-00:00", "dateTime"),
            typed("2024-05-01T10:00:00.100Z", "dateTime"), typed("2024-05-01T10:00:00", "dateTime"),
            typed("2020-01-01", "date"), typed("2020-01-01+00:00", "date"), typed("2020-01-01Z", "date"),
            typed("10:00:00", "time"), typed("2020", "gYear"), typed("x", "token"),
            Literal("<b>x</b>", datatype=URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#HTML")),
            Literal("v", datatype=URIRef("http://example.org/datatype")),
            Literal("hi", lang="en-gb"), Literal(""), Literal("tab\there\r\n\u0001 \U0001f600"),
        ]
        triples = [(URIRef(f"{EX}s{i}"), P, v) for i, v in enumerate(values)]
        remote.replace_graphs({G1: triples})
        got = set(remote.graph(G1))
        assert got == set(triples), sorted(got ^ set(triples))
        assert set(remote.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")) == set(triples)
        # timestamps, durations and strings can be bound and found again. (Virtuoso matches values,
        # not terms, and loosely: a bound 1 finds true, a bound date finds the gYear of its year.)
        for s, _p, o in triples[:45:7] + triples[49:52] + triples[-3:]:
            assert remote.select(f"SELECT ?s WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}", {"o": o}) == [{"s": s}]

    def test_timestamps_stay_comparable_date_times(self, remote: SparqlHttpStore) -> None:
        """The registry's timestamps (isoformat, UTC) are stored as xsd:dateTime the server compares
        and sorts (the audit log's as-of queries and the share-check list rely on it)."""
        times = [dt.datetime(2024, 5, 1, 10, 0, 0, tzinfo=dt.UTC) + dt.timedelta(microseconds=m)
                 for m in (0, 120_000, 500_000, 3_600_000_000)]
        remote.replace_graphs({G1: [(URIRef(f"{EX}t{i}"), Q, typed(t.isoformat(), "dateTime"))
                                    for i, t in enumerate(times)]})
        cut = typed(times[1].isoformat(), "dateTime")
        rows = remote.select("SELECT ?s WHERE { ?s <http://example.org/q> ?t FILTER(?t <= ?cut) }", {"cut": cut})
        assert {str(r["s"]) for r in rows} == {f"{EX}t0", f"{EX}t1"}
        rows = remote.select("SELECT ?s WHERE { ?s <http://example.org/q> ?t } ORDER BY DESC(?t)")
        assert [str(r["s"]) for r in rows] == [f"{EX}t3", f"{EX}t2", f"{EX}t1", f"{EX}t0"]
        raw = remote.select("SELECT (DATATYPE(?t) AS ?d) WHERE { ?s <http://example.org/q> ?t }")
        assert {str(r["d"]) for r in raw} == {XSD + "dateTime"}

    def test_booleans_and_integers_stay_native(self, remote: SparqlHttpStore) -> None:
        remote.replace_graphs({G1: [(A, P, Literal(True)), (B, P, Literal(False)), (C, Q, Literal(12))]})
        assert remote.ask("ASK { ?s ?p true }", {"s": A})
        assert remote.select("SELECT ?s WHERE { ?s <http://example.org/q> ?n FILTER(?n > 9) }") == [{"s": C}]

    def test_blank_nodes_keep_their_labels(self, remote: SparqlHttpStore) -> None:
        b1, b2 = BNode("shape1"), BNode()
        triples = [(A, P, b1), (b1, Q, Literal("x")), (b1, P, b2), (b2, Q, Literal("y"))]
        remote.replace_graphs({G1: triples})
        assert set(remote.graph(G1)) == set(triples)
        rows = remote.select("SELECT ?o WHERE { ?s ?p ?o }", {"s": b1, "p": Q})
        assert rows == [{"o": Literal("x")}]
        stored = remote.select(f"SELECT ?o WHERE {{ GRAPH <{G1}> {{ <{A}> ?p ?o }} }}")
        assert stored == [{"o": b1}]
        assert remote._results(f"ASK {{ <{A}> ?p <{SKOLEM}shape1> }}")["boolean"] is True

    def test_encoded_literals_are_only_on_the_server(self, remote: SparqlHttpStore) -> None:
        remote.replace_graphs({G1: [(A, P, typed("P7Y", "duration"))]})
        r = remote._results(f"SELECT (DATATYPE(?o) AS ?d) WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")
        assert r["results"]["bindings"][0]["d"]["value"] == ENCODED + XSD + "duration"
        assert remote.graph(G1) == [(A, P, typed("P7Y", "duration"))]

    def test_large_graphs_are_written_in_one_request_and_read_in_pages(self, remote: SparqlHttpStore) -> None:
        remote.page_size = 700
        big = [(URIRef(f"{EX}s{i}"), P, Literal(f"value {i} \u00e9")) for i in range(5200)]
        remote.replace_graphs({G1: big, G2: big[:3]})
        assert len(remote.graph(G1)) == 5200 and set(remote.graph(G1)) == set(big)
        assert sum(1 for q in remote.quads() if q[3] == URIRef(G1)) == 5200
        remote.replace_graphs({G1: big[:10]})
        assert len(remote.graph(G1)) == 10

    def test_the_servers_own_graphs_are_not_ours(self, remote: SparqlHttpStore) -> None:
        assert "http://www.openlinksw.com/schemas/virtrdf#" in remote.hidden_graphs
        assert any(g.endswith("/sparql") for g in remote.hidden_graphs), "its service description"
        assert remote.graph_names() == []
        assert list(remote.quads()) == []
        remote.add_to_graph(G1, [(A, P, B)])
        assert remote.graph_names() == [G1]

    def test_graphs_given_as_an_empty_list_see_nothing(self, filled: Store) -> None:
        assert filled.select("SELECT ?s WHERE { ?s ?p ?o }", graphs=[]) == []

    def test_a_query_the_server_refuses_names_the_server(self, remote: SparqlHttpStore) -> None:
        with pytest.raises(SparqlStoreError) as e:
            remote.select("SELECT ?s WHERE { this is not sparql }")
        assert e.value.status == 400 and "SPARQL" in str(e.value)


def test_credentials_on_virtuosos_authenticated_endpoint() -> None:
    """/sparql-auth answers Digest challenges: the location's credentials answer them."""
    server = virtuoso.server()
    s = open_store(f"sparql+http://dba:dba@127.0.0.1:{server.http_port}/sparql-auth")
    try:
        s.add_to_graph(G3, [(A, P, Literal("authenticated"))])
        assert s.graph(G3) == [(A, P, Literal("authenticated"))]
        s.replace_graphs({G3: []})
    finally:
        s.close()
    with pytest.raises(SparqlStoreError) as e:
        open_store(f"sparql+http://dba:wrong@127.0.0.1:{server.http_port}/sparql-auth")
    assert e.value.status == 401


# ------------------------------------------------------------------- 2. the registry on Virtuoso
def _virtuoso_registry() -> Registry:
    location = virtuoso.server().location
    s = open_store(location)
    assert isinstance(s, SparqlHttpStore)
    s.clear()
    s.close()
    return open_registry(Settings(data=location))


@pytest.fixture
def registry() -> Iterator[Registry]:
    """Overrides conftest's in-memory registry for this module: a registry on Virtuoso."""
    reg = _virtuoso_registry()
    yield reg
    reg.close()


@pytest.fixture
def world_registry(registry: Registry) -> Registry:
    """The casebook world (written once through the write path, then bulk-loaded per test)."""
    registry.store.bulk_load(world_nquads(), "nquads")
    registry.lineage.rebuild()
    return registry


@pytest.fixture
def wapi(world_registry: Registry) -> Iterator[Api]:
    """What test_records_api's `wapi` is, on Virtuoso."""
    a = Api(world_registry)
    yield a
    a.close()


def test_registry_on_virtuoso_keeps_the_audit_chain(wapi: Api) -> None:
    """Writes through the API leave an audit chain whose hashes match what Virtuoso returns."""
    ds = wapi.client.get("/datasets/ohip-claims", headers=wapi.auth()).json()
    ds.update(id="audited", title="Audited on Virtuoso", retention="P2Y6M")
    assert wapi.client.post("/datasets", json=ds, headers=wapi.auth()).status_code == 201
    got = wapi.client.get("/datasets/audited", headers=wapi.auth())
    assert got.json()["retention"] == "P2Y6M" and got.json()["personal_information"] is True
    assert wapi.client.delete("/datasets/audited", headers={**wapi.auth(), "If-Match": got.headers["etag"]}
                              ).status_code == 204
    report = wapi.registry.audit.verify()
    assert report.ok, report.as_json()


def test_admin_sparql_on_virtuoso_answers_from_a_local_copy(wapi: Api) -> None:
    """An admin's /sparql over a remote store is answered by the evaluator processes from a local copy of
    the whole store (Store.snapshot), never by the server: the answer holds the registry's own terms (a
    duration, which Virtuoso keeps only encoded, comes back as xsd:duration), the copy is made again only
    when the audit chain moved, and the system graphs are there (admins see the whole store)."""
    ds = wapi.client.get("/datasets/ohip-claims", headers=wapi.auth()).json()
    ds.update(id="copied", title="Copied for the admin", retention="P2Y6M")
    assert wapi.client.post("/datasets", json=ds, headers=wapi.auth()).status_code == 201
    query = ("PREFIX reg: <https://w3id.org/gov-data-registry/ns#> SELECT ?r (DATATYPE(?r) AS ?d) "
             "WHERE { ?ds reg:retentionPeriod ?r FILTER(STR(?r) = \"P2Y6M\") }")
    r = wapi.client.get("/sparql", params={"query": query}, headers=wapi.auth())
    assert r.status_code == 200, r.text
    assert r.headers["x-registry-view"] == "all"
    rows = r.json()["results"]["bindings"]
    assert rows and {b["d"]["value"] for b in rows} == {XSD + "duration"}
    service = wapi.client.app.state.sparql_service  # type: ignore[attr-defined]
    made = service.snapshots.made
    audit = "PREFIX reg: <https://w3id.org/gov-data-registry/ns#> ASK { ?e a reg:AuditEntry }"
    r = wapi.client.get("/sparql", params={"query": audit}, headers=wapi.auth())
    assert r.status_code == 200 and r.json()["boolean"] is True
    assert service.snapshots.made == made, "the same audit head: the same copy"
    wapi.client.delete("/datasets/copied", headers={**wapi.auth(), "If-Match": wapi.client.get(
        "/datasets/copied", headers=wapi.auth()).headers["etag"]})
    r = wapi.client.get("/sparql", params={"query": query}, headers=wapi.auth())
    assert r.status_code == 200 and service.snapshots.made == made + 1, "a write: a new copy"
    count = "SELECT (COUNT(?d) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }"
    r = wapi.client.get("/sparql", params={"query": count}, headers=wapi.auth("privacy-officer"))
    assert r.status_code == 200 and r.headers["x-registry-view"] == "officer"


def test_ancestors_of_an_organisation_at_every_depth(registry: Registry) -> None:
    """organization-facts.rq on Virtuoso: no ancestor, one, two (its transitive path in an OPTIONAL)."""
    org = URIRef("http://www.w3.org/ns/org#subOrganizationOf")
    rdf_type, organization = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), URIRef("http://www.w3.org/ns/org#Organization")
    a, b, c = (URIRef(f"{EX}org/{x}") for x in "abc")
    registry.store.replace_graphs({G1: [(a, rdf_type, organization), (b, rdf_type, organization), (c, rdf_type, organization),
                                        (b, org, a), (c, org, b)]})
    query = registry.resources.query("organization-facts")
    assert [r.get("ancestor") for r in registry.store.select(query, {"org": a})] == [None]
    assert {r["ancestor"] for r in registry.store.select(query, {"org": b})} == {a}
    assert {r["ancestor"] for r in registry.store.select(query, {"org": c})} == {a, b}


def test_export_and_load_between_virtuoso_and_oxigraph(world_registry: Registry, tmp_path: Path) -> None:
    out = tmp_path / "export.nq"
    n = world_registry.store.dump(out)
    expected = set(world_registry.store.quads())
    assert n == len(expected) > 100
    local = open_store("memory")
    try:
        assert local.bulk_load(out, "nquads") == n
        loaded = set(local.quads())
    finally:
        local.close()
    # Oxigraph renames blank nodes on loading (the shapes graph has some): compare the rest exactly
    assert len(loaded) == n
    assert {q for q in loaded if not any(isinstance(t, BNode) for t in q)} == \
        {q for q in expected if not any(isinstance(t, BNode) for t in q)}


# ---------------------------------------------------------- 3. locations and errors (no server)
def _mock(handler: object) -> httpx.MockTransport:
    return httpx.MockTransport(handler)  # type: ignore[arg-type]


def _ask_ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"head": {}, "boolean": True}, headers={"Server": "Test/1.0"})


def test_location_options_are_read_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def init(self: SparqlHttpStore, query_url: str, update_url: str | None = None, **kw: object) -> None:
        seen.update(query_url=query_url, update_url=update_url, **kw)

    monkeypatch.setattr(SparqlHttpStore, "__init__", init)
    SparqlHttpStore.from_location("sparql+https://reg:s%40cret@db.example.org:8443/repo/query?"
                                  "update=/repo/update&timeout=5&literals=exact&infer=false")
    assert seen["query_url"] == "https://db.example.org:8443/repo/query?infer=false"
    assert seen["update_url"] == "https://db.example.org:8443/repo/update"
    assert seen["timeout"] == 5.0 and seen["literals"] == "exact"
    assert seen["auth"] is not None


@pytest.mark.parametrize("bad", ["sparql+ftp://x/sparql", "sparql+http:///sparql"])
def test_bad_locations_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        SparqlHttpStore.from_location(bad)


def test_an_unreachable_server_is_an_os_error() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(OSError, match="cannot reach the SPARQL server"):
        SparqlHttpStore("http://127.0.0.1:9/sparql", transport=_mock(down))


def test_exact_servers_get_literals_as_they_are() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content.decode())
        return _ask_ok(request)

    s = SparqlHttpStore("http://test/sparql", transport=_mock(handler))
    assert s.codec.name == "exact" and s.hidden_graphs == ()
    s.replace_graphs({G1: [(A, P, typed("P7Y", "duration")), (A, Q, BNode("b1"))]})
    body = httpx.QueryParams(sent[-1])["update"]
    assert '"P7Y"^^<http://www.w3.org/2001/XMLSchema#duration>' in body
    assert f"<{SKOLEM}b1>" in body and body.startswith(f"DROP SILENT GRAPH <{G1}>")


@pytest.mark.parametrize("challenge", ['Digest realm="SPARQL", nonce="abc", qop="auth"', 'Basic realm="x"'])
def test_credentials_answer_the_servers_challenge(challenge: str) -> None:
    schemes: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("authorization")
        if auth is None:
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        schemes.append(auth.split()[0])
        return _ask_ok(request)

    store = SparqlHttpStore.from_location("sparql+http://dba:pw@test/sparql-auth", transport=_mock(handler))
    store.ask("ASK { }")
    store.ask("ASK { }")
    assert schemes == [challenge.split()[0]] * 3, "the scheme the server asked for, on every request"
