"""Issue 14, finding 3: an ETag must not leak what its caller may not read.

A record's ETag was the SHA-256 of its public and restricted triples, the same for every caller: an
anonymous caller could confirm guesses of a dataset's steward, e-mail, personal-information flag,
retention and categories (or an agreement's conditions) offline, by hashing candidates against it. An
ETag is now computed over exactly the caller's view: a caller who cannot read a record's restricted
part (anonymous, a steward of another organisation) gets a tag of the public graph alone, labelled so
it never equals a full-view tag; callers who see the whole record get the tag of the whole.
Conditional requests (If-None-Match, If-Match) compare against the caller's own view only.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from rdflib import Literal, URIRef

from conftest import Api
from helpers import assert_problem, record_quads
from registry.store import audit

MEDIA = ["application/json", "text/turtle", "application/ld+json", "application/n-triples"]
OWNER, OTHER = "moh", "mto"


def _dataset_restricted(d: dict[str, Any]) -> None:
    d["steward"] = {"name": "Someone Else", "email": "someone.else@example.org"}
    d["retention"] = "P1Y"
    d["personal_data_categories"] = ["financial"]


def _agreement_restricted(a: dict[str, Any]) -> None:
    a["conditions"] = {"deidentify_before_use": False, "onward_disclosure": True, "retention": "P1Y"}


def _title(r: dict[str, Any]) -> None:
    r["title"] = r["title"] + " (renamed)"


def _name(r: dict[str, Any]) -> None:
    r["name"] = r["name"] + " (renamed)"


# kind, path, a change of restricted fields only (None: the kind has no restricted field in its model),
# a change of a public field
RECORDS: list[tuple[str, str, Callable[[dict[str, Any]], None] | None, Callable[[dict[str, Any]], None]]] = [
    ("dataset", "/datasets/ohip-claims", _dataset_restricted, _title),
    ("agreement", "/agreements/dsa-moh-idiu-2024", _agreement_restricted, _title),
    ("organization", "/organizations/moh-idiu", None, _name),
]
IDS = [r[0] for r in RECORDS]


def callers(api: Api) -> dict[str, dict[str, str]]:
    return {"anonymous": {}, "other-steward": api.auth("steward", OTHER), "owner-steward": api.auth("steward", OWNER),
            "privacy-officer": api.auth("privacy-officer"), "admin": api.auth()}


BLIND = ("anonymous", "other-steward")  # who cannot read these records' restricted part
SEEING = ("owner-steward", "privacy-officer", "admin")


def etags(api: Api, path: str) -> dict[tuple[str, str], str]:
    """Every caller's ETag of the record, in every media type."""
    out = {}
    for who, h in callers(api).items():
        for media in MEDIA:
            r = api.client.get(path, headers={**h, "Accept": media})
            assert r.status_code == 200, r.text
            out[who, media] = r.headers["etag"]
    return out


def put_as_admin(api: Api, path: str, change: Callable[[dict[str, Any]], None]) -> None:
    got = api.client.get(path, headers=api.auth())
    data = got.json()
    change(data)
    r = api.client.put(path, json=data, headers={**api.auth(), "If-Match": got.headers["etag"]})
    assert r.status_code == 200, r.text


def add_restricted_triple(api: Api, kind: str, rid: str, value: str) -> None:
    """A restricted triple written behind the API (what a future restricted field would be)."""
    reg = api.registry
    graph = reg.iris.restricted_graph(kind, rid)
    reg.store.replace_graphs({graph: [*reg.store.graph(graph), (reg.iris.record(kind, rid),
                                                                 URIRef("https://example.org/secret"), Literal(value))]})


# --------------------------------------------------------------- (a) restricted changes stay unseen
@pytest.mark.parametrize(("kind", "path", "change", "_public"), [r for r in RECORDS if r[2] is not None],
                         ids=[r[0] for r in RECORDS if r[2] is not None])
def test_a_restricted_change_leaves_the_blind_callers_etag_unchanged(world_api: Api, kind: str, path: str,
                                                                     change: Callable[[dict[str, Any]], None],
                                                                     _public: Any) -> None:
    before = etags(world_api, path)
    put_as_admin(world_api, path, change)
    after = etags(world_api, path)
    for (who, media), tag in before.items():
        if who in BLIND:
            assert after[who, media] == tag, (who, media)
        else:
            assert after[who, media] != tag, (who, media)


@pytest.mark.parametrize(("kind", "path", "_r", "_p"), RECORDS, ids=IDS)
def test_any_restricted_triple_is_out_of_the_blind_callers_etag(world_api: Api, kind: str, path: str,
                                                               _r: Any, _p: Any) -> None:
    """The mechanism, not a list of fields: whatever the restricted graph holds (organisations have no
    restricted field yet) leaves the public-view tag alone and changes the full-view tag."""
    before = etags(world_api, path)
    add_restricted_triple(world_api, kind, path.rsplit("/", 1)[1], "first secret")
    middle = etags(world_api, path)
    add_restricted_triple(world_api, kind, path.rsplit("/", 1)[1], "second secret")
    after = etags(world_api, path)
    for key, tag in before.items():
        if key[0] in BLIND:
            assert tag == middle[key] == after[key], key
        elif key[0] in ("privacy-officer", "admin") or kind != "organization":
            assert len({tag, middle[key], after[key]}) == 3, key


# ------------------------------------------------------------------- (b) public changes are seen
@pytest.mark.parametrize(("kind", "path", "_r", "change"), RECORDS, ids=IDS)
def test_a_public_change_changes_every_callers_etag(world_api: Api, kind: str, path: str, _r: Any,
                                                   change: Callable[[dict[str, Any]], None]) -> None:
    before = etags(world_api, path)
    put_as_admin(world_api, path, change)
    after = etags(world_api, path)
    for key, tag in before.items():
        assert after[key] != tag, key


def test_views_have_distinct_etags(world_api: Api) -> None:
    """A public-view tag never equals a full-view tag, not even for a record whose restricted graph is empty
    (an organisation): the two cannot be confused, in If-None-Match or If-Match. The public JSON form has a
    tag of its own (a hash of its bytes, from the catalogue index), the public RDF forms another (the
    public graph's); the full view one tag in every form (the state hash)."""
    for _kind, path, _r, _p in RECORDS:
        tags = etags(world_api, path)
        blind_json = {tags[who, MEDIA[0]] for who in BLIND}
        blind = {tags[who, m] for who in BLIND for m in MEDIA[1:]}
        full = {tags[who, m] for who in ("privacy-officer", "admin") for m in MEDIA}
        assert len(blind_json) == 1 and len(blind) == 1 and len(full) == 1, path
        assert len(blind_json | blind | full) == 3, path
        assert next(iter(blind_json)).startswith('"public-json-') and next(iter(blind)).startswith('"public-')
        assert not any(t.startswith("W/") for t in blind_json | blind | full), "strong tags: If-Match uses them"


# ----------------------------------------------------- (c) nothing to tie to the restricted values
@pytest.mark.parametrize(("kind", "path", "change", "_p"), [r for r in RECORDS if r[2] is not None],
                         ids=[r[0] for r in RECORDS if r[2] is not None])
def test_the_blind_etag_is_no_function_of_restricted_data(world_api: Api, kind: str, path: str,
                                                          change: Callable[[dict[str, Any]], None], _p: Any) -> None:
    """The same record written with two sets of restricted values: equal public-view tags. And the tag
    is not the hash a guesser computes from public triples plus the right guess of the restricted ones."""
    c, admin = world_api.client, world_api.auth()
    original = c.get(path, headers=admin).json()
    first = c.get(path).headers["etag"]
    changed = copy.deepcopy(original)
    change(changed)
    assert c.put(path, json=changed, headers=admin).status_code == 200
    second = c.get(path).headers["etag"]
    assert first == second
    # the guesser's hash: every triple of the record, restricted ones included
    reg = world_api.registry
    rid = path.rsplit("/", 1)[1]
    pub, res = reg.iris.graphs(kind, rid)
    whole = audit.state_hash(reg.store.graph(pub) + reg.store.graph(res))
    assert whole not in second
    assert c.get(path, headers=admin).headers["etag"].strip('"') == whole, "the full view keeps the state hash"


# ------------------------------------------------------------- (d) conditional requests, per caller
@pytest.mark.parametrize("who", ["anonymous", "other-steward", "owner-steward", "admin"])
def test_if_none_match_answers_304_for_the_callers_own_etag(world_api: Api, who: str) -> None:
    c, h = world_api.client, callers(world_api)[who]
    path = "/datasets/ohip-claims"
    for media in MEDIA:
        got = c.get(path, headers={**h, "Accept": media})
        tag = got.headers["etag"]
        for header in (tag, "W/" + tag, f'"nothing", {tag}', "*"):
            r = c.get(path, headers={**h, "Accept": media, "If-None-Match": header})
            assert r.status_code == 304, (media, header, r.status_code)
            assert r.content == b"", "a 304 carries no body"
            assert r.headers["etag"] == tag
            assert "steward.moh@example.org" not in str(r.headers)
        assert c.get(path, headers={**h, "Accept": media, "If-None-Match": '"stale"'}).status_code == 200


def test_if_none_match_is_no_oracle_for_the_full_etag(world_api: Api) -> None:
    """The full-view tag (which a guesser would compute) never makes a blind caller's request a 304."""
    c = world_api.client
    for _kind, path, _r, _p in RECORDS:
        full = c.get(path, headers=world_api.auth()).headers["etag"]
        for h in ({}, world_api.auth("steward", OTHER)):
            for header in (full, "W/" + full):
                r = c.get(path, headers={**h, "If-None-Match": header})
                assert r.status_code == 200, (path, header)


def test_if_none_match_after_a_restricted_change(world_api: Api) -> None:
    """A cached public view stays fresh (304) after a restricted change; a cached full view goes stale."""
    c = world_api.client
    path = "/datasets/ohip-claims"
    anon = c.get(path).headers["etag"]
    full = c.get(path, headers=world_api.auth()).headers["etag"]
    put_as_admin(world_api, path, _dataset_restricted)
    assert c.get(path, headers={"If-None-Match": anon}).status_code == 304
    r = c.get(path, headers={**world_api.auth(), "If-None-Match": full})
    assert r.status_code == 200 and r.json()["retention"] == "P1Y"


@pytest.mark.parametrize("who", ["owner-steward", "privacy-officer", "admin"])
@pytest.mark.parametrize(("kind", "path", "_r", "change"), RECORDS, ids=IDS)
def test_if_match_per_writer(world_api: Api, who: str, kind: str, path: str, _r: Any,
                             change: Callable[[dict[str, Any]], None]) -> None:
    """A writer sees the whole record and uses the full-view tag: stale -> 412 and nothing written, fresh
    -> written; the public-view tag (which vouches for no restricted field) and a weak tag -> 412."""
    c, h = world_api.client, callers(world_api)[who]
    if kind == "agreement" and who == "owner-steward":  # a steward writes drafts only
        put_as_admin(world_api, path, lambda a: a.update(status="draft"))
    got = c.get(path, headers=h)
    stale = got.headers["etag"]
    data = got.json()
    change(data)
    r = c.put(path, json=data, headers={**h, "If-Match": stale})
    assert r.status_code == 200, r.text
    fresh = r.headers["etag"]
    assert fresh == c.get(path, headers=h).headers["etag"] != stale
    public = c.get(path).headers["etag"]
    before = record_quads(world_api.registry)
    change(data)
    for tag in (stale, public, "W/" + fresh):
        assert_problem(c.put(path, json=data, headers={**h, "If-Match": tag}), 412)
        assert_problem(c.delete(path, headers={**h, "If-Match": tag}), 412)
    assert record_quads(world_api.registry) == before
    r = c.put(path, json=data, headers={**h, "If-Match": f'"stale", {fresh}'})
    assert r.status_code == 200, r.text
    assert c.delete(path, headers={**h, "If-Match": r.headers["etag"]}).status_code == 204


def test_the_write_answer_carries_the_writers_etag(world_api: Api) -> None:
    c = world_api.client
    for who in ("owner-steward", "admin"):
        h = callers(world_api)[who]
        got = c.get("/datasets/ohip-claims", headers=h).json()
        got["title"] = f"renamed by {who}"
        r = c.put("/datasets/ohip-claims", json=got, headers=h)
        assert r.headers["etag"] == c.get("/datasets/ohip-claims", headers=h).headers["etag"]
        assert r.headers["etag"] != c.get("/datasets/ohip-claims").headers["etag"]


# ------------------------------------------------------------------- other routes that answer GET
OTHER_ROUTES = ["/datasets", "/agreements", "/organizations", "/datasets/ohip-claims/lineage",
                "/datasets/ohip-claims/impact", "/catalog", "/reports/flows", "/stats", "/search?q=claims", "/"]


def test_other_routes_send_no_etag_that_follows_restricted_data(world_api: Api) -> None:
    """Whatever other route sends an ETag (none does today), a blind caller's tag ignores restricted changes."""
    c = world_api.client
    before = {(who, p): c.get(p, headers=h).headers.get("etag")
              for who, h in callers(world_api).items() if who in BLIND for p in OTHER_ROUTES}
    put_as_admin(world_api, "/datasets/ohip-claims", _dataset_restricted)
    put_as_admin(world_api, "/agreements/dsa-moh-idiu-2024", _agreement_restricted)
    for (who, p), tag in before.items():
        assert c.get(p, headers=callers(world_api)[who]).headers.get("etag") == tag, (who, p)
