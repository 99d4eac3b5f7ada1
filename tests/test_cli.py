"""The `registry` command line: load, validate, export, demo and tokens, over a store on disk."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from helpers import DATA, DEMO_FILE, WORLD_FILE, load_json, world_nquads
from registry.api import create_app
from registry.config import Settings
from registry.domain.model import KINDS
from registry.services.registry import open_registry

BASE = "https://registry.example.org"
WORLD = load_json(WORLD_FILE)
WORLD_COUNT = sum(len(v) for v in WORLD.values())


@pytest.fixture
def store_dir(tmp_path: Path) -> str:
    return str(tmp_path / "store")


def run(*args: str) -> Any:
    """Run the CLI in this process (typer's runner); stdout and stderr are kept apart."""
    from registry.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def summary(result: Any) -> dict[str, Any]:
    """The JSON summary `registry load` prints as its last line on stdout."""
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def existing(store_dir: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (kind, id) pairs that are records of the store."""
    reg = open_registry(Settings(data=store_dir))
    try:
        return [(kind, rid) for kind, rid in pairs if reg.records.exists(KINDS[kind], rid)]
    finally:
        reg.close()


def exists(store_dir: str, kind: str, rid: str) -> bool:
    return bool(existing(store_dir, [(kind, rid)]))


def load_world_quads(store_dir: str) -> None:
    """The casebook world, bulk-loaded (the write path of `load` is tested on its own)."""
    summary(run("load", world_nquads(), "--data", store_dir))


def by_graph(path: Path) -> dict[str, Graph]:
    ds = Dataset()
    ds.parse(path, format="nquads")
    out: dict[str, Graph] = defaultdict(Graph)
    for s, p, o, g in ds.quads((None, None, None, None)):
        out[str(g)].add((s, p, o))
    return dict(out)


# ------------------------------------------------------------------------------------------- load
def test_load_world(store_dir: str) -> None:
    result = run("load", WORLD_FILE, "--data", store_dir)
    report = summary(result)
    assert report["created"] == WORLD_COUNT and report["updated"] == 0
    # dsa-moh-mto-2024: recipient not designated, not of the required kind (2); dsa-idiu-mof-2025 the same (2);
    # dsa-mccss-univ-42g: recipient not of the kind s. 42(1)(g) requires (1); dsa-toronto-mof-2025: FIPPA does not
    # govern a municipality (1)
    assert report["warnings"] == 6
    for agreement in ("dsa-moh-mto-2024", "dsa-idiu-mof-2025", "dsa-mccss-univ-42g", "dsa-toronto-mof-2025"):
        assert agreement in result.stderr
    pairs = [(collection[:-1], r["id"]) for collection, items in WORLD.items() for r in items]
    assert existing(store_dir, pairs) == pairs
    again = summary(run("load", WORLD_FILE, "--data", store_dir))
    assert again["created"] == 0 and again["updated"] == WORLD_COUNT


def test_load_broken_world_fails_and_skips_the_broken_record(store_dir: str) -> None:
    result = run("load", DATA / "world-broken.json", "--data", store_dir)
    assert result.exit_code != 0
    assert result.stdout.strip() == ""
    assert "cli-broken" in result.stderr
    for field in ("title", "publisher", "access"):
        assert field in result.stderr
    assert not exists(store_dir, "dataset", "cli-broken")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["organizations"]', "JSON object"),
        ('{"organisations": []}', "unknown keys"),
        ('{"datasets": {"id": "x"}}', "must be a list"),
        ('{"datasets": ["just a string"]}', "JSON object"),
    ],
    ids=["not-json", "a-list", "unknown-key", "not-a-list", "record-not-an-object"],
)
def test_load_malformed_world_file(store_dir: str, tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "bad.json"
    f.write_text(content)
    result = run("load", f, "--data", store_dir)
    assert result.exit_code == 1
    assert message in result.stderr


def test_load_missing_file(store_dir: str, tmp_path: Path) -> None:
    result = run("load", tmp_path / "nowhere.json", "--data", store_dir)
    assert result.exit_code == 1 and "no such file" in result.stderr


def test_load_unknown_format(store_dir: str, tmp_path: Path) -> None:
    f = tmp_path / "records.xlsx"
    f.write_text("x")
    result = run("load", f, "--data", store_dir)
    assert result.exit_code == 1 and "format" in result.stderr


def test_load_turtle(store_dir: str) -> None:
    report = summary(run("load", DATA / "records.ttl", "--data", store_dir))
    assert report["created"] == 2
    reg = open_registry(Settings(data=store_dir))
    try:
        got = reg.records.get(KINDS["dataset"], "ttl-dataset", full=True)
    finally:
        reg.close()
    assert got["publisher"] == "ttl-agency"
    assert got["steward"] == {"name": "Turtle Steward", "email": "turtle.steward@example.org"}


def test_load_malformed_turtle(store_dir: str, tmp_path: Path) -> None:
    f = tmp_path / "bad.ttl"
    f.write_text("@prefix : <http://x/> . :a :b")
    result = run("load", f, "--data", store_dir)
    assert result.exit_code == 1 and "not valid turtle" in result.stderr


# --------------------------------------------------------------------------------------- validate
def test_validate_the_world(store_dir: str) -> None:
    load_world_quads(store_dir)
    result = run("validate", "--data", store_dir)
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["conforms"] is True and report["violations"] == []
    assert {w["focusNode"] for w in report["warnings"]} == {
        f"{BASE}/agreement/{a}" for a in ("dsa-moh-mto-2024", "dsa-idiu-mof-2025", "dsa-mccss-univ-42g",
                                          "dsa-toronto-mof-2025")}


def test_validate_finds_a_broken_bulk_loaded_record(store_dir: str) -> None:
    load_world_quads(store_dir)
    bulk = summary(run("load", DATA / "broken-record.nq", "--data", store_dir))
    assert bulk["quads"] == 9 and bulk["created"] == 0
    result = run("validate", "--data", store_dir)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["conforms"] is False
    broken = [v for v in report["violations"] if v["focusNode"] == f"{BASE}/dataset/bulk-broken"]
    assert {v["field"] for v in broken} == {"title", "access"}
    assert all(v["severity"] == "Violation" and v["message"] for v in broken)
    assert {v["focusNode"] for v in report["violations"]} == {f"{BASE}/dataset/bulk-broken"}


def test_a_bulk_load_with_a_bad_line_fails_cleanly_and_loads_nothing(store_dir: str, tmp_path: Path) -> None:
    load_world_quads(store_dir)
    before = set(open_store_quads(store_dir))
    lines = world_nquads().read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.nq"
    bad.write_text("\n".join([*lines, '<https://x.example/a> <https://x.example/p> "unterminated .', *lines]) + "\n")
    result = run("load", bad, "--data", store_dir)
    assert result.exit_code == 1
    assert f"bad.nq: Parser error at line {len(lines) + 1} " in result.stderr
    assert "nothing was loaded" in result.stderr and "Traceback" not in result.stderr
    assert set(open_store_quads(store_dir)) == before
    assert not list(Path(store_dir).parent.glob("store.*-load")), "no checkpoint left behind"


def open_store_quads(store_dir: str) -> list[tuple[object, ...]]:
    """The quads of the records in a store (not the reference graphs, rewritten with new blank nodes
    at each start)."""
    from registry.store import open_store

    store = open_store(store_dir)
    try:
        return [q for q in store.quads() if "/graph/reference/" not in str(q[3])]
    finally:
        store.close()


# ----------------------------------------------------------------------------------------- export
def test_export_then_load_into_a_fresh_store_gives_the_same_quads(tmp_path: Path) -> None:
    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    load_world_quads(first)
    run("token", "create", "--role", "admin", "--data", first)
    out1 = tmp_path / "first.nq"
    result = run("export", "--data", first, "--out", out1)
    assert result.exit_code == 0 and "quads" in result.stderr
    assert summary(run("load", out1, "--data", second))["quads"] > 0
    out2 = tmp_path / "second.nq"
    assert run("export", "--data", second, "--out", out2).exit_code == 0
    g1, g2 = by_graph(out1), by_graph(out2)
    assert set(g1) == set(g2)
    ref = f"{BASE}/graph/reference/"
    for name in g1:
        if name.startswith(ref):  # re-read from the repository's files at each start: blank nodes differ
            assert isomorphic(g1[name], g2[name]), name
        else:
            assert set(g1[name]) == set(g2[name]), name
    # the copy is a working registry
    assert exists(second, "agreement", "dsa-moh-idiu-2024")


def test_export_to_standard_output(store_dir: str, tmp_path: Path) -> None:
    summary(run("load", DATA / "records.ttl", "--data", store_dir))
    result = run("export", "--data", store_dir)
    assert result.exit_code == 0
    f = tmp_path / "stdout.nq"
    f.write_text(result.stdout)
    graphs = by_graph(f)
    assert f"{BASE}/graph/dataset/ttl-dataset" in graphs
    assert f"{BASE}/graph/dataset/ttl-dataset/restricted" in graphs


# ------------------------------------------------------------------------------------------- demo
def test_demo_loads_and_is_idempotent(store_dir: str) -> None:
    demo = load_json(DEMO_FILE)
    count = sum(len(v) for v in demo.values())
    first = run("demo", "--data", store_dir)
    assert first.exit_code == 0, first.stderr
    assert f"{count} created, 0 updated" in first.stderr

    def record_graphs() -> set[Any]:
        reg = open_registry(Settings(data=store_dir))
        try:
            return {q for q in reg.store.quads() if any(f"{BASE}/graph/{k}/" in str(q[3]) for k in KINDS)}
        finally:
            reg.close()

    before = record_graphs()
    second = run("demo", "--data", store_dir)
    assert second.exit_code == 0, second.stderr
    assert f"0 created, {count} updated" in second.stderr
    assert record_graphs() == before


# ----------------------------------------------------------------------------------------- tokens
def test_token_create_list_revoke(store_dir: str) -> None:
    load_world_quads(store_dir)
    created = run("token", "create", "--role", "admin", "--data", store_dir)
    assert created.exit_code == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("dsr_") and len(secret) > 20
    steward = run("token", "create", "--role", "steward", "--org", "moh", "--data", store_dir)
    assert steward.exit_code == 0, steward.stderr

    listed = run("token", "list", "--data", store_dir)
    assert listed.exit_code == 0
    tokens = json.loads(listed.stdout)
    assert {(t["role"], t["org"]) for t in tokens} == {("admin", None), ("steward", "moh")}
    assert secret not in listed.stdout and "hash" not in listed.stdout.lower()
    admin_id = next(t["id"] for t in tokens if t["role"] == "admin")
    assert admin_id in created.stderr
    assert all(t["revoked"] is None for t in tokens)

    def status_with(token: str) -> int:
        with TestClient(create_app(Settings(data=store_dir))) as client:
            r = client.get("/datasets/ohip-claims", headers={"Authorization": f"Bearer {token}"})
            if r.status_code == 200:
                assert "steward" in r.json(), "a token sees restricted fields"
            else:
                assert r.headers["content-type"].startswith("application/problem+json")
            return r.status_code

    assert status_with(secret) == 200
    revoked = run("token", "revoke", admin_id, "--data", store_dir)
    assert revoked.exit_code == 0, revoked.stderr
    assert status_with(secret) == 401
    tokens = json.loads(run("token", "list", "--data", store_dir).stdout)
    assert next(t for t in tokens if t["id"] == admin_id)["revoked"]
    # revoking again is harmless
    assert run("token", "revoke", admin_id, "--data", store_dir).exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ("--role", "emperor"),
        ("--role", "steward"),
        # regression: the refused command used to leave the store locked for the next one
        ("--role", "steward", "--org", "no-such-org"),
    ],
    ids=["unknown-role", "steward-without-org", "steward-of-unknown-org"],
)
def test_token_create_refuses(store_dir: str, args: tuple[str, ...]) -> None:
    result = run("token", "create", *args, "--data", store_dir)
    assert result.exit_code == 1
    assert result.stdout.strip() == "", "no secret is printed"
    assert result.stderr.startswith("error:")
    listed = run("token", "list", "--data", store_dir)
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout) == []


def test_token_revoke_unknown(store_dir: str) -> None:
    result = run("token", "revoke", "no-such-token", "--data", store_dir)
    assert result.exit_code == 1 and "no-such-token" in result.stderr


# ------------------------------------------------------------------------------------- disposals
def test_disposals_overdue(store_dir: str) -> None:
    """A share under an agreement with a retention of one year, overdue the day after it is due."""
    from registry.services.ingest.loader import SYSTEM

    load_world_quads(store_dir)
    reg = open_registry(Settings(data=store_dir))
    try:
        agreement = {**next(a for a in WORLD["agreements"] if a["id"] == "dsa-moh-idiu-2024"), "id": "dsa-cli-2020",
                     "valid_from": "2020-01-01", "valid_until": "2022-12-31",
                     "notice": {"url": "https://www.ontario.ca/page/notices", "published": "2019-12-01"},
                     "conditions": {"deidentify_before_use": True, "onward_disclosure": False, "retention": "P1Y"}}
        reg.records.write(KINDS["agreement"], agreement, SYSTEM, create=True)
        check = reg.share_checks.run({"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu",
                                      "purpose": "program-evaluation", "date": "2020-02-29"}, SYSTEM)
        assert check["decision"] != "not_permitted"
    finally:
        reg.close()
    on_time = run("disposals", "overdue", "--data", store_dir, "--as-of", "2021-02-28")
    assert on_time.exit_code == 0, on_time.stderr
    assert on_time.stdout.startswith("0 share(s) overdue for disposal as of 2021-02-28")
    late = run("disposals", "overdue", "--data", store_dir, "--as-of", "2021-03-01")
    assert late.exit_code == 0, late.stderr
    assert "dsa-cli-2020  moh-idiu  shared 2020-02-29, due 2021-02-28, 1 day(s) overdue: ohip-claims" in late.stdout
    as_json = json.loads(run("disposals", "overdue", "--data", store_dir, "--as-of", "2021-03-01", "--json").stdout)
    assert [(s["agreement"], s["days_overdue"], s["checks"]) for s in as_json["items"]] == [("dsa-cli-2020", 1, [check["id"]])]
    bad = run("disposals", "overdue", "--data", store_dir, "--as-of", "2021-02-30")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr


# ------------------------------------------------------------------------------ the console script
@pytest.mark.slow
def test_console_script_runs(tmp_path: Path) -> None:
    """The installed `registry` script (next to this Python) loads a file in a process of its own."""
    script = Path(sys.executable).parent / "registry"
    store = str(tmp_path / "store")
    done = subprocess.run([str(script), "load", str(DATA / "records.ttl"), "--data", store],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["created"] == 2
    broken = subprocess.run([str(script), "load", str(DATA / "world-broken.json"), "--data", store],
                            capture_output=True, text=True, timeout=120, check=False)
    assert broken.returncode == 1
    assert "cli-broken" in broken.stderr and "Traceback" not in broken.stderr
