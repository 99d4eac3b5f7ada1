"""The audit chain: every write appends an entry; `registry audit verify` and GET /audit/verify recompute
the chain and every record's state, and name the first broken entry when the store was edited behind
the registry's back (a record graph, or an audit entry)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import Literal, URIRef
from typer.testing import CliRunner

from conftest import Api
from helpers import assert_problem, fresh_world_registry
from registry.config import Settings
from registry.namespaces import DCTERMS, PROV, REG
from registry.services.registry import Registry, open_registry
from registry.store.audit import state_hash

DATASET = {"id": "audit-test", "title": "Audit test", "description": "A dataset written by the audit tests.",
           "publisher": "moh", "steward": {"name": "A. Steward", "email": "a.steward@example.org"},
           "keywords": ["test"], "access": "non-public", "sensitivity": "low", "personal_information": False,
           "derived_from": ["ohip-claims"], "generated_by": {"kind": "extraction", "by": "moh", "date": "2024-05-01"}}
EVENT = {"eventType": "COMPLETE", "eventTime": "2025-01-01T00:00:00Z", "producer": "https://example.org/producer",
         "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
         "run": {"runId": "6c2a3f0e-9a55-4b52-a2a5-4f9e2f0f1d11"}, "job": {"namespace": "moh", "name": "extract"},
         "inputs": [{"namespace": "db", "name": "a"}], "outputs": [{"namespace": "db", "name": "b"}]}


def writes(api: Api) -> None:
    """A create, an update, a retirement, an agreement change, a share check and an OpenLineage event."""
    h, steward = api.auth(), api.auth("steward", "moh")  # tokens made first: making one is an entry of its own
    assert api.client.post("/datasets", json=DATASET, headers=h).status_code == 201
    assert api.client.put("/datasets/audit-test", json={**DATASET, "title": "Audit test, renamed"},
                          headers=h).status_code == 200
    assert api.client.delete("/datasets/collision-summary", headers=h).status_code == 204
    agreement = api.client.get("/agreements/dsa-mccss-idiu-2024", headers=h).json()
    agreement.pop("warnings", None)
    agreement["valid_until"] = "2026-03-31"
    assert api.client.put("/agreements/dsa-mccss-idiu-2024", json=agreement, headers=h).status_code == 200
    check = {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu", "purpose": "program-evaluation",
             "date": "2025-06-01"}
    assert api.client.post("/share-checks", json=check, headers=h).status_code == 201
    assert api.client.post("/api/v1/lineage", json=EVENT, headers=steward).status_code == 201


def cli(*args: str) -> Any:
    from registry.cli.main import app

    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def last_entry_of(registry: Registry, kind: str, rid: str) -> int:
    iri = str(registry.iris.record(kind, rid))
    items, _total = registry.audit.entries(limit=1000)
    return max(e["seq"] for e in items if e["record"] == iri)


@pytest.fixture
def api() -> Iterator[Api]:
    reg = fresh_world_registry()
    a = Api(reg)
    writes(a)
    yield a
    a.close()
    reg.close()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store on disk holding the casebook world and the writes above, built once and closed."""
    location = tmp_path_factory.mktemp("audit") / "store"
    reg = fresh_world_registry(str(location))
    a = Api(reg)
    try:
        writes(a)
    finally:
        a.close()
        reg.close()
    return location


@pytest.fixture
def store_dir(pristine: Path, tmp_path: Path) -> str:
    """A copy of the pristine store for one test to tamper with (ready for the CLI)."""
    location = tmp_path / "store"
    shutil.copytree(pristine, location)
    return str(location)


def tamper(location: str, change: Any) -> Any:
    reg = open_registry(Settings(data=location))
    try:
        return change(reg)
    finally:
        reg.close()


# --------------------------------------------------------------------------------------- intact
def test_every_write_is_an_entry_and_the_chain_verifies(api: Api) -> None:
    r = api.client.get("/audit/verify", headers=api.auth())
    assert r.status_code == 200
    report = r.json()
    assert report["ok"] is True and report["first_broken"] is None
    assert report["entries_checked"] == api.registry.audit.head().seq
    items = api.client.get("/audit?limit=6", headers=api.auth("privacy-officer")).json()["items"]
    assert [e["action"] for e in items] == ["create", "create", "create", "check", "update", "retire"]
    assert items[0]["agent"].endswith("(steward of moh)")
    assert all(e["previous_hash"] == prev["entry_hash"] for e, prev in zip(items, items[1:], strict=False))


def test_the_audit_routes_are_for_officers_and_admins(api: Api) -> None:
    assert_problem(api.client.get("/audit/verify"), 401)
    assert_problem(api.client.get("/audit", headers=api.auth("steward", "moh")), 403)
    assert api.client.get("/audit/verify", headers=api.auth("privacy-officer")).json()["ok"] is True


def test_the_cli_verifies_an_intact_store(store_dir: str) -> None:
    result = cli("audit", "verify", "--data", store_dir)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True


# -------------------------------------------------------------------------------------- tampered
def test_an_edited_record_graph_is_named(store_dir: str) -> None:
    def edit(reg: Registry) -> int:
        graph = reg.iris.public_graph("dataset", "audit-test")
        s = reg.iris.record("dataset", "audit-test")
        triples = [t for t in reg.store.graph(graph) if t[1] != DCTERMS.title]
        reg.store.replace_graphs({graph: [*triples, (s, DCTERMS.title, Literal("Quietly renamed"))]})
        return last_entry_of(reg, "dataset", "audit-test")

    seq = tamper(store_dir, edit)
    result = cli("audit", "verify", "--data", store_dir)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["first_broken"]["seq"] == seq
    assert report["first_broken"]["record"].endswith("/dataset/audit-test")
    assert "current state differs" in report["first_broken"]["problem"]
    assert f"audit chain broken at entry {seq}" in result.stderr


def test_an_edited_record_graph_is_named_by_the_api_too(api: Api) -> None:
    graph = api.registry.iris.restricted_graph("agreement", "dsa-mccss-idiu-2024")
    api.registry.store.replace_graphs({graph: api.registry.store.graph(graph)[1:]})  # one restricted triple gone
    report = api.client.get("/audit/verify", headers=api.auth()).json()
    assert report["ok"] is False
    assert report["first_broken"]["seq"] == last_entry_of(api.registry, "agreement", "dsa-mccss-idiu-2024")
    assert report["first_broken"]["record"].endswith("/agreement/dsa-mccss-idiu-2024")


def _edit_entry(reg: Registry, seq: int, *, rehash: bool) -> None:
    graph = reg.audit.entry_graph(seq)
    triples = []
    for s, p, o in reg.store.graph(graph):
        if p == PROV.wasAssociatedWith:
            o = Literal("someone else")
        triples.append((s, p, o))
    if rehash:  # a careful forger recomputes the entry's own hash: the next entry's link still breaks
        body = [t for t in triples if t[1] != REG.entryHash]
        e = URIRef(reg.audit.entry_iri(seq))
        triples = [*body, (e, REG.entryHash, Literal(state_hash(body)))]
    reg.store.replace_graphs({graph: triples})


@pytest.mark.parametrize(("rehash", "offset", "problem"), [
    (False, 0, "the entry's content does not match its hash"),
    (True, 1, "the entry does not follow the previous one"),
])
def test_an_edited_audit_entry_is_named(store_dir: str, rehash: bool, offset: int, problem: str) -> None:
    def edit(reg: Registry) -> int:
        seq = last_entry_of(reg, "dataset", "audit-test") - 1  # an entry in the middle of the chain
        _edit_entry(reg, seq, rehash=rehash)
        return seq

    seq = tamper(store_dir, edit)
    result = cli("audit", "verify", "--data", store_dir)
    assert result.exit_code == 1
    broken = json.loads(result.stdout)["first_broken"]
    assert broken == {"seq": seq + offset, "problem": problem}
    assert f"audit chain broken at entry {seq + offset}" in result.stderr


def test_an_edited_audit_entry_is_named_by_the_api_too(api: Api) -> None:
    seq = 3
    _edit_entry(api.registry, seq, rehash=False)
    report = api.client.get("/audit/verify", headers=api.auth()).json()
    assert report == {"ok": False, "entries_checked": seq - 1, "records_checked": 0,
                      "first_broken": {"seq": seq, "problem": "the entry's content does not match its hash"}}
