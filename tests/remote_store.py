"""What every remote SPARQL server the registry is tested on must pass (Virtuoso: test_store_sparql.py,
Fuseki: test_store_fuseki.py). A server's test module subclasses `RemoteStoreContract`, takes the rest with
`from remote_store import *` and defines the module-scoped fixture `remote_location`, the `sparql+http://`
location of its server:

- `RemoteStoreContract`: the Store contract (test_store.StoreContract) and what only a remote store needs
  (literals a server would change, blank nodes, large graphs, paging, writes switched in whole);
- the fixtures `registry`, `world_registry`, `wapi` and `world_api`, which override conftest's, so the
  casebook (test_legal.test_casebook) and the records API's round trips run unchanged over the server;
- registry-level tests (`test_registry_*`) over the server.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import BNode, Literal, URIRef
from typer.testing import CliRunner

from api.test_records_api import (  # noqa: F401 - collected again by each server's module (__all__)
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
from helpers import DATA, world_nquads
from registry.cli.main import app
from registry.config import Settings
from registry.iris import Iris
from registry.resources import resources
from registry.services.reference import REFERENCE_MARKER
from registry.services.registry import Registry, open_registry
from registry.store import Store, open_store
from registry.store.sparql_http import ENCODED, SKOLEM, SparqlHttpStore, SparqlStoreError, ValueCodec
from registry.store.sparql_switch import STAGED, STAGING, staged_write
from test_legal import test_casebook  # noqa: F401 - collected again by each server's module (__all__)
from test_reference_graphs import ReferenceGraphsContract
from test_store import EX, G1, G2, G3, A, B, C, P, Q, StoreContract

#: what a server's test module takes with `from remote_store import *`: the fixtures that put the registry on
#: its server, and the tests collected again there (the casebook, the records API's, the registry's)
__all__ = ["registry", "world_registry", "wapi", "world_api", "read_only_world", "test_casebook", "test_delete_retires",
           "test_duplicate_post_is_409_and_changes_nothing", "test_etag_and_if_match", "test_list_filters_and_search",
           "test_list_pages", "test_post_creates_and_get_reads_back", "test_post_json_ld_with_our_context",
           "test_post_turtle", "test_put_replaces", "test_rdf_round_trip_get_then_put", "test_turtle_and_json_ld_output",
           "test_registry_keeps_the_audit_chain", "test_registry_admin_sparql_answers_from_a_local_copy",
           "test_registry_ancestors_of_an_organisation_at_every_depth",
           "test_registry_export_and_load_between_the_server_and_oxigraph",
           "test_registry_validate_agrees_with_oxigraph"]

XSD = "http://www.w3.org/2001/XMLSchema#"


def typed(lex: str, dt_name: str) -> Literal:
    return Literal(lex, datatype=URIRef(XSD + dt_name))


def open_remote(location: str) -> SparqlHttpStore:
    """A SparqlHttpStore over the server, emptied first (staging and all)."""
    s = open_store(location)
    assert isinstance(s, SparqlHttpStore)
    s.clear()
    return s


def empty_for_a_registry(location: str) -> None:
    """Empty the server but for the registry's reference graphs and their note (services/reference.py): the
    registry opened next finds them as its last open wrote them and keeps them (or writes them again where a
    test changed them), as a registry restarted on a server does."""
    s = open_store(location)
    assert isinstance(s, SparqlHttpStore)
    iris, res = Iris(Settings().base_iri), resources()
    kept = {iris.reference_graph(n) for n in res.reference_graphs()} | {iris.reference_graph(REFERENCE_MARKER)}
    dropped = [g for g in raw_graph_names(s) if g not in kept]
    try:
        for start in range(0, len(dropped), 500):
            s._update(" ;\n".join(f"DROP SILENT GRAPH {s._graph_name(g)}" for g in dropped[start:start + 500]))
    finally:
        s.close()


def raw_graph_names(store: SparqlHttpStore) -> list[str]:
    """Every graph the server holds for us, staging included."""
    return store._graph_names(ours=False)


# ------------------------------------------------------------------------------ the contract
class RemoteStoreContract(StoreContract, ReferenceGraphsContract):
    in_process = False
    # what the service decides from the marker alone is tested on Oxigraph (test_reference_graphs): each case
    # rewrites the reference graphs, seconds on a server
    test_a_lost_or_edited_marker_writes_them_again = None
    test_other_files_or_another_base_write_them_again = None

    @pytest.fixture
    def remote(self, remote_location: str) -> Iterator[SparqlHttpStore]:
        s = open_remote(remote_location)
        yield s
        s.close()

    @pytest.fixture
    def store(self, remote: SparqlHttpStore) -> Store:
        return remote

    def test_the_server_gets_the_value_codec(self, remote: SparqlHttpStore) -> None:
        assert isinstance(remote.codec, ValueCodec)

    def test_literals_a_server_would_change_come_back_exactly(self, remote: SparqlHttpStore) -> None:
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
            typed("042", "int"),
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
        remote.add_to_graph(G2, big[100:2200])  # more than one INSERT DATA: staged, then switched in
        assert set(remote.graph(G2)) == set(big[:3] + big[100:2200])
        assert raw_graph_names(remote) == [G1, G2]

    def test_graphs_given_as_an_empty_list_see_nothing(self, filled: Store) -> None:
        assert filled.select("SELECT ?s WHERE { ?s ?p ?o }", graphs=[]) == []

    def test_a_query_the_server_refuses_names_the_server(self, remote: SparqlHttpStore) -> None:
        with pytest.raises(SparqlStoreError) as e:
            remote.select("SELECT ?s WHERE { this is not sparql }")
        assert e.value.status == 400 and "SPARQL" in str(e.value)

    # ------------------------------------------------------- writes switched in whole
    def test_a_write_leaves_no_staging_behind(self, filled: SparqlHttpStore) -> None:
        filled.replace_graphs({G1: [(A, P, Literal("new"))], G2: []})
        assert raw_graph_names(filled) == [G1]
        assert filled.select(f"SELECT ?p WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?p), \"{STAGED}\")) }}") == []

    def test_a_write_cut_short_before_its_switch_changes_nothing_a_reader_sees(self, filled: SparqlHttpStore,
                                                                                remote_location: str) -> None:
        """The staging of a write whose switch never ran (the server died between them): the graphs, the
        union default graph, the graph names and the quads are as before; the next writer sweeps the staging
        once it is older than `stale_after`, and a write under way (younger) is left alone."""
        before = set(filled.quads())
        lines = [(f"<{A}>", f"<{P}>", '"staged"'), (f"<{C}>", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", f"<{Q}>")]
        started = filled._nt(typed(dt.datetime.now(dt.UTC).isoformat(), "dateTime"))
        ops = staged_write("cut", {f"<{G1}>": lines, f"<{G2}>": []}, replace=True, started=started, batch=1)
        filled._update(" ;\n".join(ops[:-1]))  # everything but the switch
        assert set(filled.quads()) == before and filled.graph_names() == [G1, G2]
        assert set(filled.graph(G1)) == {(A, P, Literal("one")), (A, Q, B)}
        assert filled.select("SELECT ?s WHERE { ?s a <http://example.org/q> }") == []
        assert filled.select("SELECT ?o WHERE { ?s <http://example.org/p> ?o }", {"s": A}) == [{"o": Literal("one")}]
        staging = [g for g in raw_graph_names(filled) if g.startswith(STAGING)]
        assert staging == [STAGING, STAGING + ":cut:0"], "the markers' graph and the write's staging graph"
        for stale_after, left in ((3600.0, staging), (0.0, [])):
            writer = open_store(remote_location)
            assert isinstance(writer, SparqlHttpStore)
            writer.stale_after = stale_after
            try:
                writer.replace_graphs({G3: [(C, P, Literal("a write after the crash"))]})
                writer.replace_graphs({G3: []})
            finally:
                writer.close()
            assert [g for g in raw_graph_names(filled) if g.startswith(STAGING)] == left
        assert raw_graph_names(filled) == [G1, G2]
        assert set(filled.graph(G1)) == {(A, P, Literal("one")), (A, Q, B)}


    def test_a_write_the_server_fails_part_way_shows_the_old_graphs_or_the_new(self, filled: SparqlHttpStore) -> None:
        """The server fails one operation of a write's request (a LOAD of nothing, put before each operation in
        turn): readers then see every graph as it was, or, when the failure comes after the switch, maybe every
        graph as written; never some of each (Virtuoso keeps the operations before a failed one)."""
        old = {g: set(filled.graph(g)) for g in (G1, G2, G3)}
        new = {G1: {(A, P, Literal("new"))}, G2: set(), G3: {(C, P, Literal("three"))}}
        operations = 3  # the write's marker, its staged triples, its switch
        for at in range(operations + 1):
            failing = SparqlHttpStore(filled.query_url, transport=FailingAt(at))
            try:
                with pytest.raises(SparqlStoreError):
                    failing.replace_graphs({g: list(t) for g, t in new.items()})
            finally:
                failing.close()
            now = {g: set(filled.graph(g)) for g in (G1, G2, G3)}
            # after the switch: the new graphs where the server keeps what came before a failure (Virtuoso),
            # the old where it rolls the request back (Fuseki)
            assert now == old if at < operations else now in (old, new), at
            assert filled.graph_names() == sorted(g for g, t in now.items() if t)
            filled.replace_graphs({g: list(t) for g, t in old.items()})


class FailingAt(httpx.HTTPTransport):
    """Sends an operation the server fails at (a LOAD from a closed loopback port) before operation `at` of the
    update requests it carries, counted across them (after the last when `at` is their number)."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at
        self.seen = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        form = httpx.QueryParams(request.content.decode())
        if "update" in form:
            ops = form["update"].split(" ;\n")
            at, self.seen = self.at - self.seen, self.seen + len(ops)
            if not 0 <= at <= len(ops):
                return super().handle_request(request)
            ops.insert(at, "LOAD <http://127.0.0.1:9/nothing>")
            headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length", "content-type")}
            request = httpx.Request("POST", request.url, headers=headers, data={"update": " ;\n".join(ops)})
        return super().handle_request(request)


# ------------------------------------------------------------- the registry over the server
@pytest.fixture
def registry(remote_location: str) -> Iterator[Registry]:
    """Overrides conftest's in-memory registry: a registry on the module's server, emptied first (but for the
    reference graphs, `empty_for_a_registry`)."""
    empty_for_a_registry(remote_location)
    reg = open_registry(Settings(data=remote_location))
    yield reg
    reg.close()


def _load_world(registry: Registry) -> Registry:
    registry.store.bulk_load(world_nquads(), "nquads")
    registry.lineage.rebuild()
    return registry


@pytest.fixture
def world_registry(registry: Registry) -> Registry:
    """The casebook world (written once through the write path, then bulk-loaded per test)."""
    return _load_world(registry)


@pytest.fixture(scope="module")
def world_api(remote_location: str) -> Iterator[Api]:
    """The casebook's: one world for all of a module's cases, as each case only records its share check (a
    fresh registry on a server per case would cost the suite minutes)."""
    empty_for_a_registry(remote_location)
    reg = _load_world(open_registry(Settings(data=remote_location)))
    a = Api(reg)
    yield a
    a.close()
    reg.close()


#: the records API's tests that only read (GETs without a token): one world on the server serves them while
#: the server holds it unchanged (each of the others gets a fresh one, as a fresh registry costs seconds)
READ_ONLY = frozenset({"test_list_pages", "test_list_filters_and_search", "test_turtle_and_json_ld_output"})


def _mark(registry: Registry) -> tuple[object, ...]:
    """What any change of the server's data changes: its graphs, its number of quads, the audit chain's head."""
    count = registry.store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    return registry.store.graph_names(), count, registry.audit.head()


@pytest.fixture(scope="module")
def read_only_world() -> Iterator[dict[str, Any]]:
    """The world the read-only tests share (`api`) and the server's `_mark` once it was written."""
    shared: dict[str, Any] = {}
    yield shared
    if "api" in shared:
        shared["api"].close()
        shared["api"].registry.close()


@pytest.fixture
def wapi(request: pytest.FixtureRequest, remote_location: str, read_only_world: dict[str, Any]) -> Iterator[Api]:
    """What test_records_api's `wapi` is, on the server: a fresh world, or for a test in READ_ONLY the shared
    one, written again unless the server holds exactly what it held when the shared world was written (a test
    in between, or a read that wrote, changed it)."""
    if request.node.originalname not in READ_ONLY:
        a = Api(request.getfixturevalue("world_registry"))
        yield a
        a.close()
        return
    shared = read_only_world
    if "api" in shared and _mark(shared["api"].registry) != shared["mark"]:
        stale = shared.pop("api")
        stale.close()
        stale.registry.close()
    if "api" not in shared:
        empty_for_a_registry(remote_location)
        shared["api"] = Api(_load_world(open_registry(Settings(data=remote_location))))
        shared["mark"] = _mark(shared["api"].registry)
    yield shared["api"]


def test_registry_keeps_the_audit_chain(wapi: Api) -> None:
    """Writes through the API leave an audit chain whose hashes match what the server returns."""
    ds = wapi.client.get("/datasets/ohip-claims", headers=wapi.auth()).json()
    ds.update(id="audited", title="Audited on a remote store", retention="P2Y6M")
    assert wapi.client.post("/datasets", json=ds, headers=wapi.auth()).status_code == 201
    got = wapi.client.get("/datasets/audited", headers=wapi.auth())
    assert got.json()["retention"] == "P2Y6M" and got.json()["personal_information"] is True
    assert wapi.client.delete("/datasets/audited", headers={**wapi.auth(), "If-Match": got.headers["etag"]}
                              ).status_code == 204
    report = wapi.registry.audit.verify()
    assert report.ok, report.as_json()


def test_registry_admin_sparql_answers_from_a_local_copy(wapi: Api) -> None:
    """An admin's /sparql over a remote store is answered by the evaluator processes from a local copy of
    the whole store (Store.snapshot), never by the server: the answer holds the registry's own terms (a
    duration, which the server keeps only encoded, comes back as xsd:duration), the copy is made again only
    when the audit chain moved, and the audit graphs are there (admins see the whole store)."""
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


def test_registry_ancestors_of_an_organisation_at_every_depth(registry: Registry) -> None:
    """organizations-facts.rq on the server: no ancestor, one, two (its transitive path in an OPTIONAL)."""
    org = URIRef("http://www.w3.org/ns/org#subOrganizationOf")
    rdf_type, organization = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), URIRef("http://www.w3.org/ns/org#Organization")
    a, b, c = (URIRef(f"{EX}org/{x}") for x in "abc")
    registry.store.replace_graphs({G1: [(a, rdf_type, organization), (b, rdf_type, organization), (c, rdf_type, organization),
                                        (b, org, a), (c, org, b)]})
    query = registry.resources.query("organizations-facts")
    assert [r.get("ancestor") for r in registry.store.select(query, {"org": a})] == [None]
    assert {r["ancestor"] for r in registry.store.select(query, {"org": b})} == {a}
    assert {r["ancestor"] for r in registry.store.select(query, {"org": c})} == {a, b}


def test_registry_export_and_load_between_the_server_and_oxigraph(world_registry: Registry, tmp_path: Path) -> None:
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


def test_registry_validate_agrees_with_oxigraph(world_registry: Registry, remote_location: str, tmp_path: Path) -> None:
    """`registry validate` over the server finds what it finds over Oxigraph: the world's warnings, a broken
    bulk-loaded record, and an organisation that is its own ancestor (the shapes' `subOrganizationOf+`, which
    Virtuoso 7.2 could not compile until the compiler wrote it as one step then `*`)."""
    cycle = tmp_path / "cycle.nq"
    base, org = "https://registry.example.org", "http://www.w3.org/ns/org#subOrganizationOf"
    cycle.write_text("".join(f"<{base}/organization/{a}> <{org}> <{base}/organization/{b}> <{base}/graph/organization/{a}> .\n"
                             for a, b in (("mof", "toronto"), ("toronto", "mof"))))
    local = open_registry(Settings(data="memory"))
    try:
        for reg in (world_registry, local):
            if reg is local:
                reg.store.bulk_load(world_nquads(), "nquads")
            reg.store.bulk_load(DATA / "broken-record.nq", "nquads")
            reg.store.bulk_load(cycle, "nquads")
        expected = [v.as_json() for v in local.records.validate_all()]
    finally:
        local.close()
    result = CliRunner().invoke(app, ["validate", "--data", remote_location], catch_exceptions=False)
    assert result.exit_code == 1, result.stdout
    report = json.loads(result.stdout)
    got = report["violations"] + report["warnings"]
    assert got == expected, ([v for v in got if v not in expected], [v for v in expected if v not in got])
    assert {v["message"] for v in report["violations"]} >= {"an organisation cannot be its own parent or ancestor"}
