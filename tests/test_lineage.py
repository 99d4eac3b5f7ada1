"""Lineage: cycles refused, the lineage route (directions, depth, JSON and Turtle), propagation of
personal information through several hops and its stop at de-identification, impact analysis, and
the index kept in step with the store equal to one rebuilt from it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import PROV

from conftest import Api
from helpers import assert_problem, record_quads, world_api
from registry.config import Settings
from registry.projections.lineage import LineageIndex
from registry.services.registry import Registry, open_registry

BASE = "https://registry.example.org"


def ds(rid: str, sources: list[str] | None = None, *, pi: bool = False, kind: str | None = "extraction",
       publisher: str = "moh") -> dict[str, Any]:
    sources = sources or []
    return {
        "id": rid, "title": rid.replace("-", " ").title(), "description": "Test dataset.", "publisher": publisher,
        "steward": {"name": "A. Steward", "email": "a.steward@example.org"}, "keywords": ["test"],
        "access": "non-public", "sensitivity": "high" if pi else "low", "personal_information": pi,
        "personal_data_categories": ["health"] if pi else [], "derived_from": sources,
        "generated_by": {"kind": kind, "by": publisher, "date": "2024-05-01"} if sources and kind else None,
    }


@pytest.fixture
def api() -> Iterator[Api]:
    with world_api() as a:
        a.auth()  # make the admin token before tests compare the store
        yield a


def put(api: Api, record: dict[str, Any]) -> Any:
    if api.registry.records.exists(api.registry.records.kind("dataset"), record["id"]):
        return api.client.put(f"/datasets/{record['id']}", json=record, headers=api.auth())
    return api.client.post("/datasets", json=record, headers=api.auth())


def write(api: Api, *records: dict[str, Any]) -> None:
    for r in records:
        resp = put(api, r)
        assert resp.status_code in (200, 201), resp.text


def lineage(api: Api, rid: str, **params: Any) -> dict[str, Any]:
    r = api.client.get(f"/datasets/{rid}/lineage", params=params)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def edges(answer: dict[str, Any]) -> set[tuple[str, str]]:
    return {(e["from"], e["to"]) for e in answer["edges"]}


def nodes(answer: dict[str, Any]) -> set[str]:
    return {n["id"] for n in answer["nodes"]}


# --------------------------------------------------------------------------------------- cycles
def refused_cycle(api: Api, record: dict[str, Any], cycle: str) -> None:
    before, head = record_quads(api.registry), api.registry.audit.head()
    index_before = api.registry.lineage.copy().g
    body = assert_problem(put(api, record), 422)
    messages = [v["message"] for v in body["violations"] if v["field"] == "derived_from"]
    assert any(cycle in m for m in messages), messages
    assert record_quads(api.registry) == before
    assert api.registry.audit.head() == head
    assert nx.utils.graphs_equal(api.registry.lineage.copy().g, index_before)


def test_a_dataset_derived_from_itself_is_refused(api: Api) -> None:
    write(api, ds("solo"))
    refused_cycle(api, ds("solo", ["solo"]), "solo -> solo")


def test_a_two_cycle_is_refused(api: Api) -> None:
    write(api, ds("a"), ds("b", ["a"]))
    refused_cycle(api, ds("a", ["b"]), "a -> b -> a")


def test_a_long_cycle_is_refused_and_named_whole(api: Api) -> None:
    chain = [f"c{i}" for i in range(1, 8)]
    write(api, ds(chain[0]), *(ds(c, [p]) for p, c in zip(chain, chain[1:], strict=False)))
    refused_cycle(api, ds("c1", ["c7"]), "c1 -> c2 -> c3 -> c4 -> c5 -> c6 -> c7 -> c1")


def test_a_new_dataset_cannot_close_a_cycle_either(api: Api) -> None:
    """A new dataset has nothing downstream yet; the same sources on an existing one do close a cycle."""
    write(api, ds("x"), ds("y", ["x"]))
    assert put(api, ds("z", ["y"])).status_code == 201
    refused_cycle(api, ds("x", ["z"]), "x -> y -> z -> x")


# -------------------------------------------------------------------------- directions and depth
@pytest.fixture(scope="module")
def chain() -> Iterator[Api]:
    """a <- b <- c <- d, and e derived from b (b has two children); shared by read-only tests."""
    with world_api() as api:
        write(api, ds("a"), ds("b", ["a"]), ds("c", ["b"]), ds("d", ["c"]), ds("e", ["b"]))
        yield api


@pytest.mark.parametrize(("direction", "depth", "want_nodes", "want_edges"), [
    ("upstream", None, {"a", "b", "c"}, {("a", "b"), ("b", "c")}),
    ("upstream", 1, {"b", "c"}, {("b", "c")}),
    ("downstream", None, {"c", "d"}, {("c", "d")}),
    ("both", None, {"a", "b", "c", "d"}, {("a", "b"), ("b", "c"), ("c", "d")}),
    ("both", 1, {"b", "c", "d"}, {("b", "c"), ("c", "d")}),
    ("both", 0, {"c"}, set()),
])
def test_directions_and_depth_from_the_middle(chain: Api, direction: str, depth: int | None,
                                              want_nodes: set[str], want_edges: set[tuple[str, str]]) -> None:
    params: dict[str, Any] = {"direction": direction}
    if depth is not None:
        params["depth"] = depth
    answer = lineage(chain, "c", **params)
    assert (answer["direction"], answer["depth"]) == (direction, depth)
    assert nodes(answer) == want_nodes
    assert edges(answer) == want_edges


def test_downstream_fans_out(chain: Api) -> None:
    assert edges(lineage(chain, "a", direction="downstream", depth=2)) == {("a", "b"), ("b", "c"), ("b", "e")}
    assert nodes(lineage(chain, "a", direction="downstream")) == {"a", "b", "c", "d", "e"}
    e = next(x for x in lineage(chain, "b", direction="upstream")["edges"])
    assert e == {"from": "a", "to": "b", "activity": "extraction", "by": "moh", "date": "2024-05-01"}


def test_the_default_is_both_directions_without_limit(chain: Api) -> None:
    assert nodes(lineage(chain, "b")) == {"a", "b", "c", "d", "e"}


@pytest.mark.parametrize(("params", "status"), [
    ({"direction": "sideways"}, 422), ({"depth": -1}, 422), ({"depth": 51}, 422), ({"depth": "x"}, 422)])
def test_bad_parameters_are_problems(chain: Api, params: dict[str, Any], status: int) -> None:
    assert_problem(chain.client.get("/datasets/c/lineage", params=params), status)


def test_an_unknown_dataset_is_404(chain: Api) -> None:
    assert_problem(chain.client.get("/datasets/nope/lineage"), 404)
    assert_problem(chain.client.get("/datasets/nope/impact"), 404)


def test_lineage_as_turtle_holds_the_same_edges(chain: Api) -> None:
    r = chain.client.get("/datasets/c/lineage", params={"direction": "upstream", "depth": 1},
                         headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    derived = {(str(o).rsplit("/", 1)[-1], str(s).rsplit("/", 1)[-1]) for s, o in g.subject_objects(PROV.wasDerivedFrom)}
    assert derived == {("b", "c")}
    r2 = chain.client.get("/datasets/c/lineage?format=ttl")
    g2 = Graph().parse(data=r2.text, format="turtle")
    assert (URIRef(f"{BASE}/dataset/d"), PROV.wasDerivedFrom, URIRef(f"{BASE}/dataset/c")) in g2
    assert len(set(g2.subject_objects(PROV.wasDerivedFrom))) == 3


# ---------------------------------------------------------------------- personal information
@pytest.fixture
def hops(api: Api) -> Api:
    """src (personal) <- h1 <- h2 <- h3 <- h4, none of h1..h4 declared personal."""
    write(api, ds("src", pi=True), ds("h1", ["src"]), ds("h2", ["h1"], kind="aggregation"),
          ds("h3", ["h2"], kind="linkage"), ds("h4", ["h3"]))
    return api


def test_personal_information_propagates_through_several_hops(hops: Api) -> None:
    d = hops.client.get("/datasets/h4", headers=hops.auth()).json()
    assert d["personal_information"] is False
    assert d["effective_personal_information"] is True
    assert d["personal_information_path"] == ["h4", "h3", "h2", "h1", "src"]
    declared = hops.client.get("/datasets/src", headers=hops.auth()).json()
    assert (declared["effective_personal_information"], declared["personal_information_path"]) == (True, None)


def test_deidentification_stops_the_propagation(hops: Api) -> None:
    write(hops, ds("h2", ["h1"], kind="deidentification"))
    for rid, effective in (("h1", True), ("h2", False), ("h3", False), ("h4", False)):
        d = hops.client.get(f"/datasets/{rid}", headers=hops.auth()).json()
        assert d["effective_personal_information"] is effective, rid
        assert (d["personal_information_path"] is None) is (not effective)
    # a second, non de-identified path from the source carries it again
    write(hops, ds("h4", ["h3", "h1"], kind="linkage"))
    d = hops.client.get("/datasets/h4", headers=hops.auth()).json()
    assert d["effective_personal_information"] is True
    assert d["personal_information_path"] == ["h4", "h1", "src"]


def test_the_effective_status_is_for_token_holders_only(hops: Api) -> None:
    anon = hops.client.get("/datasets/h4").json()
    for key in ("effective_personal_information", "personal_information_path", "personal_information"):
        assert key not in anon
    for role, org in (("privacy-officer", None), ("admin", None), ("steward", "moh")):
        d = hops.client.get("/datasets/h4", headers=hops.auth(role, org)).json()
        assert d["effective_personal_information"] is True, role
    # a steward sees the restricted part of its own organisation's records only
    other = hops.client.get("/datasets/h4", headers=hops.auth("steward", "mto")).json()
    assert "effective_personal_information" not in other
    public_lineage = lineage(hops, "h4")
    assert all("personal_information" not in n for n in public_lineage["nodes"])
    full = hops.client.get("/datasets/h4/lineage", headers=hops.auth()).json()
    assert {n["id"]: n["personal_information"] for n in full["nodes"]}["h4"] is True


def test_the_world_inherits_and_stops_as_the_casebook_says(api: Api) -> None:
    linked = api.client.get("/datasets/linked-health-social", headers=api.auth()).json()
    assert linked["effective_personal_information"] is True and linked["personal_information_path"] is None
    deid = api.client.get("/datasets/health-social-deid", headers=api.auth()).json()
    assert deid["effective_personal_information"] is False
    extract = api.client.get("/datasets/ow-extract", headers=api.auth()).json()
    assert extract["personal_information_path"] == ["ow-extract", "ow-caseload"]


# --------------------------------------------------------------------------------------- impact
def test_impact_lists_everything_downstream_and_the_agreements_covering_it(api: Api) -> None:
    r = api.client.get("/datasets/ohip-claims/impact")
    assert r.status_code == 200
    body = r.json()
    assert [d["id"] for d in body["downstream"]] == ["health-social-deid", "linked-health-social"]
    assert {a["id"]: a["datasets"] for a in body["agreements"]} == {
        "dsa-moh-idiu-2024": ["ohip-claims"], "dsa-moh-mto-2024": ["ohip-claims"],
        "dsa-idiu-mof-2025": ["health-social-deid", "linked-health-social"]}
    # an agreement that covers only a downstream dataset is part of the impact too
    agreement = {"id": "dsa-idiu-univ", "title": "De-identified data for research", "provider": "moh-idiu",
                 "recipient": "univ-research", "datasets": ["health-social-deid"], "purposes": ["research"],
                 "legal_basis": ["phipa-44"], "valid_from": "2025-01-01", "valid_until": "2027-12-31",
                 "status": "draft", "conditions": {"onward_disclosure": False}}
    assert api.client.post("/agreements", json=agreement, headers=api.auth()).status_code == 201
    body = api.client.get("/datasets/ohip-claims/impact").json()
    covering = {a["id"]: a for a in body["agreements"]}
    assert covering["dsa-idiu-univ"]["datasets"] == ["health-social-deid"]
    assert covering["dsa-idiu-univ"]["status"] == "draft"
    leaf = api.client.get("/datasets/health-social-deid/impact").json()
    assert leaf["downstream"] == [] and [a["id"] for a in leaf["agreements"]] == ["dsa-idiu-mof-2025", "dsa-idiu-univ"]


def test_impact_shows_personal_information_to_token_holders_only(api: Api) -> None:
    anon = api.client.get("/datasets/ow-caseload/impact").json()
    assert [d["id"] for d in anon["downstream"]] == ["health-social-deid", "linked-health-social", "ow-extract"]
    assert all("personal_information" not in d for d in anon["downstream"])
    full = api.client.get("/datasets/ow-caseload/impact", headers=api.auth()).json()
    assert {d["id"]: d["personal_information"] for d in full["downstream"]} == {
        "health-social-deid": False, "linked-health-social": True, "ow-extract": True}


# ------------------------------------------------------------------------ the index and the store
def index_state(index: LineageIndex) -> tuple[dict[str, dict[str, Any]], set[tuple[str, str]]]:
    g = index.copy().g
    return {n: dict(a) for n, a in g.nodes(data=True)}, set(g.edges())


def fresh(registry: Registry) -> LineageIndex:
    return LineageIndex(registry.store, registry.iris, registry.resources)


def churn(api: Api) -> None:
    """Creates, re-parenting, a kind change, a retirement, an OpenLineage event."""
    write(api, ds("p1", pi=True), ds("p2"), ds("k1", ["p1"]), ds("k2", ["k1", "p2"], kind="linkage"))
    write(api, ds("k1", ["p2"], kind="deidentification"))  # re-parented: the edge from p1 goes
    write(api, ds("k2", ["k1"]))  # generated_by kind changes, a source goes
    write(api, ds("k3", ["k2"], kind=None))  # derived without an activity
    assert api.client.delete("/datasets/k3", headers=api.auth()).status_code == 204
    event = {"eventType": "COMPLETE", "eventTime": "2025-01-01T00:00:00Z", "producer": "https://example.org",
             "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
             "run": {"runId": "11111111-2222-3333-4444-555555555555"}, "job": {"namespace": "j", "name": "agg"},
             "inputs": [{"namespace": "n", "name": "in"}], "outputs": [{"namespace": "n", "name": "out"}]}
    assert api.client.post("/api/v1/lineage", json=event, headers=api.auth("steward", "moh")).status_code == 201


def test_the_index_kept_in_step_equals_one_rebuilt_from_the_store(api: Api) -> None:
    churn(api)
    kept = index_state(api.registry.lineage)
    assert kept == index_state(fresh(api.registry))
    assert kept[0]["k3"]["retired"] is True and kept[0]["k1"]["kind"] == "deidentification"
    assert ("p1", "k1") not in kept[1] and ("p2", "k1") in kept[1]


def test_the_index_is_rebuilt_at_start_up(tmp_path: Path) -> None:
    from helpers import fresh_world_registry

    location = str(tmp_path / "store")
    reg = fresh_world_registry(location)
    a = Api(reg)
    try:
        churn(a)
        kept = index_state(reg.lineage)
    finally:
        a.close()
        reg.close()
    reopened = open_registry(Settings(data=location))
    try:
        assert index_state(reopened.lineage) == kept
    finally:
        reopened.close()


# -------------------------------------------------------------------------- a hub, page by page
@pytest.fixture(scope="module")
def hub() -> Iterator[Api]:
    """`hub` with 23 datasets derived from it, two of them with a child of their own, and an agreement
    covering one grandchild."""
    with world_api() as api:
        write(api, ds("hub"), *(ds(f"h{n:02d}", ["hub"]) for n in range(23)), ds("g1", ["h03"]), ds("g2", ["h17"]))
        resp = api.client.post("/agreements", headers=api.auth("admin"), json={
            "id": "dsa-g2", "title": "g2 out", "provider": "moh", "recipient": "mof", "datasets": ["g2"],
            "purposes": ["statistics"], "legal_basis": ["fippa-42-1-c"], "valid_from": "2024-01-01",
            "status": "active"})
        assert resp.status_code == 201, resp.text
        yield api


def test_a_hubs_lineage_comes_in_pages_that_add_up_to_the_whole(hub: Api) -> None:
    whole = lineage(hub, "hub", direction="downstream")
    assert whole["total"] == 26 and len(whole["nodes"]) == 26 and whole["nodes"][0]["id"] == "hub"
    seen_nodes: list[str] = []
    seen_edges: list[tuple[str, str]] = []
    for offset in range(0, 26, 7):
        page = lineage(hub, "hub", direction="downstream", limit=7, offset=offset)
        assert (page["total"], page["limit"], page["offset"]) == (26, 7, offset)
        assert len(page["nodes"]) == min(7, 26 - offset)
        shown = {n["id"] for n in page["nodes"]}
        assert all(e["to"] in shown for e in page["edges"]), "a page lists the edges into its own nodes"
        seen_nodes += [n["id"] for n in page["nodes"]]
        seen_edges += [(e["from"], e["to"]) for e in page["edges"]]
    assert seen_nodes[0] == "hub" and sorted(seen_nodes) == sorted(nodes(whole)) and len(set(seen_nodes)) == 26
    assert sorted(seen_edges) == sorted(edges(whole)) and len(seen_edges) == 25, "every edge once"
    assert lineage(hub, "hub", direction="downstream", offset=26)["nodes"] == []


def test_a_hubs_impact_comes_in_pages_with_every_covering_agreement_on_each(hub: Api) -> None:
    def impact(**params: Any) -> dict[str, Any]:
        resp = hub.client.get("/datasets/hub/impact", params=params)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    whole = impact()
    assert whole["total"] == 25 and len(whole["downstream"]) == 25
    ids = []
    for offset in (0, 10, 20):
        page = impact(limit=10, offset=offset)
        assert [a["id"] for a in page["agreements"]] == ["dsa-g2"] and page["agreements"][0]["datasets"] == ["g2"]
        ids += [d["id"] for d in page["downstream"]]
    assert ids == [d["id"] for d in whole["downstream"]] and len(set(ids)) == 25


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 5001}, {"offset": -1}, {"limit": "x"}])
def test_bad_pages_are_problems(hub: Api, params: dict[str, Any]) -> None:
    for path in ("/datasets/hub/lineage", "/datasets/hub/impact"):
        assert_problem(hub.client.get(path, params=params), 422)
