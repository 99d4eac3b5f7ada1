"""The audit log beyond tests/test_audit.py: what an entry says (who, when, what, which record, the record's
state before and after, linked per record and in one chain), that refused and unchanged writes append
nothing, that the command line's writes and share checks are entries too, that the entries are PROV an
admin can query, and that a missing entry, a cut chain and a deleted record are named by verify."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import Literal
from typer.testing import CliRunner

from conftest import Api
from helpers import WORLD_FILE, assert_problem, fresh_world_registry, load_json, record, record_quads
from registry.config import Settings
from registry.namespaces import REG
from registry.services.registry import Registry, open_registry
from registry.store.audit import EMPTY

WORLD = load_json(WORLD_FILE)
CHECK = {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu", "purpose": "program-evaluation",
         "date": "2025-06-01"}


@pytest.fixture
def api() -> Iterator[Api]:
    reg = fresh_world_registry()
    a = Api(reg)
    try:
        yield a
    finally:
        a.close()
        reg.close()


def cli(*args: str) -> Any:
    from registry.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def new_dataset(rid: str = "audited", **changes: Any) -> dict[str, Any]:
    return {**record(WORLD, "datasets", "ohip-claims"), "id": rid, **changes}


def entries(api: Api) -> list[dict[str, Any]]:
    body = api.client.get("/audit", params={"limit": 1000}, headers=api.auth()).json()
    assert body["total"] == api.registry.audit.head().seq
    return list(reversed(body["items"]))  # oldest first


# ---------------------------------------------------------------------------- what an entry says
def test_each_entry_names_who_when_what_and_the_states_of_its_record(api: Api) -> None:
    c = api.client
    steward, officer, admin = api.auth("steward", "moh"), api.auth("privacy-officer"), api.auth()
    first = len(entries(api))
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    assert c.post("/datasets", json=new_dataset(), headers=steward).status_code == 201
    assert c.put("/datasets/audited", json=new_dataset(title="Renamed"), headers=officer).status_code == 200
    assert c.post("/share-checks", json=CHECK, headers=officer).status_code == 201
    assert c.delete("/datasets/audited", headers=admin).status_code == 204
    new = entries(api)[first:]
    assert [e["action"] for e in new] == ["create", "update", "check", "retire"]
    token_ids = {role: api.registry.tokens.authenticate(api.token_for(*key)).token_id
                 for role, key in (("steward", ("steward", "moh")), ("privacy-officer", ("privacy-officer",)),
                                   ("admin", ("admin",)))}
    assert [e["agent"] for e in new] == [
        f"token {token_ids['steward']} (steward of moh)", f"token {token_ids['privacy-officer']} (privacy-officer)",
        f"token {token_ids['privacy-officer']} (privacy-officer)", f"token {token_ids['admin']} (admin)"]
    for e in new:
        assert started <= dt.datetime.fromisoformat(e["time"]) <= dt.datetime.now(dt.UTC)
    dataset = str(api.registry.iris.record("dataset", "audited"))
    create, update, check, retire = new
    assert create["record"] == update["record"] == retire["record"] == dataset
    assert check["record"].endswith(f"/share-check/{c.get('/share-checks', headers=officer).json()['items'][0]['id']}")
    # the record's states link up: each entry starts where the one before it for that record ended
    assert create["before_hash"] == EMPTY
    assert update["before_hash"] == create["after_hash"]
    assert retire["before_hash"] == update["after_hash"]
    assert retire["after_hash"] == api.registry.records.etag(api.registry.records.kind("dataset"), "audited")
    # and the entries make one chain
    chain = entries(api)
    assert chain[0]["previous_hash"] == EMPTY
    assert all(b["previous_hash"] == a["entry_hash"] for a, b in zip(chain, chain[1:], strict=False))
    assert [e["seq"] for e in chain] == list(range(1, len(chain) + 1))


def test_entries_are_prov_activities_only_an_admin_can_query(api: Api) -> None:
    assert api.client.post("/datasets", json=new_dataset(), headers=api.auth("steward", "moh")).status_code == 201
    dataset = api.registry.iris.record("dataset", "audited")
    query = ("PREFIX prov: <http://www.w3.org/ns/prov#> SELECT ?who ?when WHERE { ?e a prov:Activity ; "
             f"prov:used <{dataset}> ; prov:wasAssociatedWith ?who ; prov:endedAtTime ?when }}")

    def rows(headers: dict[str, str]) -> list[Any]:
        r = api.client.get("/sparql", params={"query": query}, headers=headers)
        assert r.status_code == 200, r.text
        return list(r.json()["results"]["bindings"])

    (row,) = rows(api.auth())
    assert row["who"]["value"].endswith("(steward of moh)")
    assert rows({}) == [] and rows(api.auth("privacy-officer")) == [] and rows(api.auth("steward", "moh")) == []


def test_audit_pages_newest_first(api: Api) -> None:
    total = api.registry.audit.head().seq
    assert total >= 5
    page = api.client.get("/audit", params={"limit": 2, "offset": 1}, headers=api.auth("privacy-officer")).json()
    assert [e["seq"] for e in page["items"]] == [total - 1, total - 2]
    assert (page["total"], page["limit"], page["offset"]) == (total, 2, 1)
    assert api.client.get("/audit", params={"offset": total + 5}, headers=api.auth()).json()["items"] == []


# -------------------------------------------------------------------------- what appends nothing
def test_refused_and_unchanged_writes_append_nothing(api: Api) -> None:
    c = api.client
    admin, other = api.auth(), api.auth("steward", "mto")  # tokens made first: each is a write of its own
    etag = c.get("/datasets/ohip-claims", headers=admin).headers["etag"]
    assert c.put("/datasets/ohip-claims", json=new_dataset("ohip-claims", title="Changed"),
                 headers={**admin, "If-Match": etag}).status_code == 200
    head, before = api.registry.audit.head(), record_quads(api.registry)
    current = c.get("/datasets/ohip-claims", headers=admin).json()
    refused = [
        c.post("/datasets", json=new_dataset()),  # 401
        c.post("/datasets", json=new_dataset(), headers=other),  # 403
        c.put("/datasets/ohip-claims", json=new_dataset("ohip-claims", title="Stale"),
              headers={**admin, "If-Match": etag}),  # 412
        c.post("/datasets", json=new_dataset(access="secret"), headers=admin),  # 422
        c.post("/datasets", json=new_dataset("ohip-claims"), headers=admin),  # 409
        c.delete("/datasets/no-such-dataset", headers=admin),  # 404
        c.post("/share-checks", json={**CHECK, "datasets": ["no-such-dataset"]}, headers=admin),  # 422
        c.post("/share-checks", json=CHECK),  # 401
    ]
    assert [r.status_code for r in refused] == [401, 403, 412, 422, 409, 404, 422, 401]
    for r in refused:
        assert_problem(r, r.status_code)
    # writing a record as it stands changes nothing, so nothing is logged
    unchanged = c.put("/datasets/ohip-claims", json=current, headers=admin)
    assert unchanged.status_code == 200 and unchanged.headers["etag"] == c.get("/datasets/ohip-claims",
                                                                                headers=admin).headers["etag"]
    assert api.registry.audit.head() == head
    assert record_quads(api.registry) == before


# ------------------------------------------------------------------------------- the command line
def test_the_command_lines_writes_and_checks_are_entries(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    assert cli("load", WORLD_FILE, "--data", store).exit_code == 0
    done = cli("check-share", "--datasets", "ohip-claims", "--provider", "moh", "--recipient", "moh-idiu",
               "--purpose", "program-evaluation", "--date", "2025-06-01", "--json", "--data", store)
    assert done.exit_code == 0, done.stderr
    check_id = json.loads(done.stdout)["id"]
    reg = open_registry(Settings(data=store))
    try:
        items, total = reg.audit.entries(limit=1000)
        assert total == sum(len(v) for v in WORLD.values()) + 1
        assert items[0]["action"] == "check" and items[0]["record"].endswith(f"/share-check/{check_id}")
        assert {e["agent"] for e in items} == {"token cli (admin)"}
        assert {e["action"] for e in items[1:]} == {"create"}
    finally:
        reg.close()
    verified = cli("audit", "verify", "--data", store)
    assert verified.exit_code == 0 and json.loads(verified.stdout)["entries_checked"] == total


# ------------------------------------------------------------------------------------- tampering
@pytest.fixture
def store_dir(tmp_path: Path) -> str:
    location = str(tmp_path / "store")
    reg = fresh_world_registry(location)
    a = Api(reg)
    try:
        h = a.auth()
        assert a.client.post("/datasets", json=new_dataset(), headers=h).status_code == 201
        assert a.client.put("/datasets/audited", json=new_dataset(title="Renamed"), headers=h).status_code == 200
        assert a.client.post("/share-checks", json=CHECK, headers=h).status_code == 201
    finally:
        a.close()
        reg.close()
    return location


def edit(location: str, change: Any) -> Any:
    reg = open_registry(Settings(data=location))
    try:
        return change(reg)
    finally:
        reg.close()


def verify(location: str) -> tuple[int, dict[str, Any], str]:
    result = cli("audit", "verify", "--data", location)
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_a_deleted_entry_is_named(store_dir: str) -> None:
    def drop(reg: Registry) -> int:
        seq = reg.audit.head().seq - 1
        reg.store.replace_graphs({reg.audit.entry_graph(seq): []})
        return seq

    seq = edit(store_dir, drop)
    code, report, err = verify(store_dir)
    assert code == 1 and report["first_broken"] == {"seq": seq, "problem": "the entry is missing"}
    assert f"audit chain broken at entry {seq}" in err


def test_a_cut_chain_is_named(store_dir: str) -> None:
    """Removing the last entries and moving the head back leaves records in states no entry recorded."""
    def cut(reg: Registry) -> tuple[int, int]:
        head = reg.audit.head()
        update = head.seq - 1  # the update of 'audited'; the check after it goes too
        triples = reg.store.graph(reg.audit.entry_graph(update - 1))
        digest = next(str(o) for _s, p, o in triples if p == REG.entryHash)
        h = reg.iris.record("system", "audit-head")
        reg.store.replace_graphs({reg.audit.entry_graph(update): [], reg.audit.entry_graph(head.seq): [],
                                  reg.audit.head_graph: [(h, REG.sequence, Literal(update - 1)),
                                                         (h, REG.entryHash, Literal(digest))]})
        return update - 1, update

    last, _gone = edit(store_dir, cut)
    code, report, _err = verify(store_dir)
    assert code == 1
    assert report["first_broken"]["seq"] == last
    assert report["first_broken"]["record"].endswith("/dataset/audited")
    assert "current state differs" in report["first_broken"]["problem"]


def test_a_head_that_does_not_match_the_last_entry_is_named(store_dir: str) -> None:
    def forge(reg: Registry) -> int:
        head = reg.audit.head()
        h = reg.iris.record("system", "audit-head")
        reg.store.replace_graphs({reg.audit.head_graph: [(h, REG.sequence, Literal(head.seq)),
                                                         (h, REG.entryHash, Literal("0" * 64))]})
        return head.seq

    seq = edit(store_dir, forge)
    code, report, _err = verify(store_dir)
    assert code == 1 and report["first_broken"] == {"seq": seq, "problem": "the chain's head does not match its last entry"}


def test_a_record_deleted_behind_the_registrys_back_is_named(store_dir: str) -> None:
    def delete(reg: Registry) -> None:
        reg.store.replace_graphs({g: [] for g in reg.iris.graphs("dataset", "audited")})

    edit(store_dir, delete)
    code, report, _err = verify(store_dir)
    assert code == 1 and report["first_broken"]["record"].endswith("/dataset/audited")


def test_an_edited_share_check_is_named(store_dir: str) -> None:
    def change(reg: Registry) -> str:
        check_id = reg.share_checks.list(1, 0).items[0]["id"]
        graph = reg.iris.restricted_graph("share-check", check_id)
        triples = [(s, p, Literal("permitted") if p == REG.decision else o) for s, p, o in reg.store.graph(graph)]
        reg.store.replace_graphs({graph: triples})
        return check_id

    check_id = edit(store_dir, change)
    code, report, _err = verify(store_dir)
    assert code == 1 and report["first_broken"]["record"].endswith(f"/share-check/{check_id}")
