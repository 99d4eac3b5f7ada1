"""The remote SPARQL store against a real Virtuoso (tests/virtuoso.py starts one on loopback).

1. The remote store's contract (tests/remote_store.py: the Store contract and what a remote store needs), and
   what only Virtuoso needs: its system graphs, its Digest-authenticated endpoint.
2. The registry over Virtuoso: every casebook case (test_legal.test_casebook), the records API's round trips
   (tests/api/test_records_api.py) and remote_store's registry tests, run unchanged on a Virtuoso-backed
   registry through the fixtures remote_store overrides (`registry`, `world_registry`, `wapi`, `world_api`).
3. Locations, options and errors, with a mock transport (no server needed).
"""

from __future__ import annotations

import httpx
import pytest
from rdflib import BNode, Literal

import virtuoso
from registry.store import open_store
from registry.store.sparql_http import SKOLEM, SparqlHttpStore, SparqlStoreError
from registry.store.sparql_switch import STAGING
from remote_store import *  # noqa: F403 - fixtures and tests collected again over Virtuoso
from remote_store import RemoteStoreContract, typed
from test_store import G1, G3, A, B, P, Q

#: a Virtuoso server (and the casebook and records API tests collected again over it)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def remote_location() -> str:
    return virtuoso.server().location


# ------------------------------------------------------------------------------ 1. the contract
class TestVirtuosoStore(RemoteStoreContract):
    def test_virtuoso_is_recognised(self, remote: SparqlHttpStore) -> None:
        assert "virtuoso" in remote.server.lower()

    def test_the_servers_own_graphs_are_not_ours(self, remote: SparqlHttpStore) -> None:
        assert "http://www.openlinksw.com/schemas/virtrdf#" in remote.hidden_graphs
        assert any(g.endswith("/sparql") for g in remote.hidden_graphs), "its service description"
        assert remote.graph_names() == []
        assert list(remote.quads()) == []
        remote.add_to_graph(G1, [(A, P, B)])
        assert remote.graph_names() == [G1]


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
        if httpx.QueryParams(sent[-1]).get("query", "").startswith("SELECT"):  # the sweep finds nothing
            return httpx.Response(200, json={"head": {"vars": []}, "results": {"bindings": []}})
        return _ask_ok(request)

    s = SparqlHttpStore("http://test/sparql", transport=_mock(handler))
    assert s.codec.name == "exact" and s.hidden_graphs == ()
    s.replace_graphs({G1: [(A, P, typed("P7Y", "duration")), (A, Q, BNode("b1"))]})
    staging, switch = (httpx.QueryParams(body)["update"] for body in sent[-2:])
    assert '"P7Y"^^<http://www.w3.org/2001/XMLSchema#duration>' in staging
    assert f"<{SKOLEM}b1>" in staging
    assert staging.startswith(f"INSERT DATA {{ GRAPH <{STAGING}>"), "the write's marker first"
    assert switch.startswith("DELETE {") and f"VALUES ?old {{ <{G1}> }}" in switch, "then the switch, on its own"


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
