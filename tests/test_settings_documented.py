"""Every setting of config.py is in the README's settings table, with its default."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from helpers import ROOT
from registry.api import create_app
from registry.config import Settings
from registry.services.registry import open_registry


def table() -> dict[str, str]:
    """variable -> its default cell, from the README's Configuration table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^\| `(REGISTRY_[A-Z_]+)` \| ([^|]*) \|", section, re.M)}


def test_every_setting_is_documented_with_its_default() -> None:
    rows = table()
    for name, field in Settings.model_fields.items():
        var = f"REGISTRY_{name.upper()}"
        assert var in rows, f"{var} is not in the README's settings table"
        default = field.default
        if default is None:
            continue  # "none", or what happens instead ("the checkout")
        shown = f"{default:g}" if isinstance(default, float) else str(default)
        assert rows[var] == f"`{shown}`", f"{var}: the README says {rows[var]}, config.py {shown!r}"
    assert set(rows) <= {f"REGISTRY_{n.upper()}" for n in Settings.model_fields}, "documented but not read"


def test_the_limits_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Body size, query time, result rows and rate per token come from REGISTRY_* variables (issue 6);
    the routes apply them (tests: test_roles for the rate, test_sparql for time and rows, below the body)."""
    for var, value in (("MAX_BODY_BYTES", "64"), ("SPARQL_TIMEOUT_SECONDS", "0.5"), ("SPARQL_MAX_ROWS", "7"),
                       ("RATE_PER_MINUTE", "9"), ("DATA", "memory")):
        monkeypatch.setenv(f"REGISTRY_{var}", value)
    s = Settings()
    assert (s.max_body_bytes, s.sparql_timeout_seconds, s.sparql_max_rows, s.rate_per_minute) == (64, 0.5, 7, 9)
    reg = open_registry(s)
    try:
        with TestClient(create_app(registry=reg)) as client:
            token = reg.tokens.create("admin")[1]
            r = client.post("/share-checks", content=b"{" + b" " * 100 + b"}",
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            assert r.status_code == 413 and r.json()["limit"] == 64
    finally:
        reg.close()
