"""`registry token create|list|revoke`: expiry, refusals, and a store a running server holds."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from registry.config import Settings
from registry.services.registry import open_registry


def run(*args: str) -> Any:
    from registry.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_days_must_be_at_least_one(tmp_path: Path) -> None:
    """Regression: `--days 0` made a token that never expired, and a negative number one already expired."""
    store = str(tmp_path / "store")
    for days in ("0", "-1"):
        result = run("token", "create", "--role", "admin", "--days", days, "--data", store)
        assert result.exit_code == 2, result.stdout
        assert "dsr_" not in result.stdout
    assert json.loads(run("token", "list", "--data", store).stdout) == []
    made = run("token", "create", "--role", "admin", "--days", "2", "--data", store)
    assert made.exit_code == 0, made.stderr
    (token,) = json.loads(run("token", "list", "--data", store).stdout)
    left = dt.datetime.fromisoformat(token["expires"]) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=1, hours=23) < left <= dt.timedelta(days=2)


def test_a_store_held_by_a_server_is_named_as_such(tmp_path: Path) -> None:
    """While a process without a control socket (not a `registry serve`) holds the store, a command that
    writes cannot open it: it says why, and what to use. A command that only reads opens it read-only
    (tests/test_cli_beside_server.py: beside a real server, token commands go through its socket)."""
    store = str(tmp_path / "store")
    held = open_registry(Settings(data=store))  # what `registry serve` holds open
    try:
        for args in (("token", "revoke", "000000000000"), ("token", "list")):
            result = run(*args, "--data", store)
            assert result.exit_code == 1
            assert "another process holds it" in result.stderr
            assert "DELETE /tokens/ID" in result.stderr and "Traceback" not in result.stderr
        verified = run("audit", "verify", "--data", store)
        assert verified.exit_code == 0 and "read as it was at" in verified.stderr, verified.stderr
    finally:
        held.close()
    assert run("token", "list", "--data", store).exit_code == 0, "free again once the server stops"


def test_revoking_a_malformed_id_is_refused(tmp_path: Path) -> None:
    """Regression: an id that could not name a graph was a crash, not 'no token'."""
    store = str(tmp_path / "store")
    result = run("token", "revoke", "x> } ; DROP ALL #", "--data", store)
    assert result.exit_code == 1 and "no token" in result.stderr
