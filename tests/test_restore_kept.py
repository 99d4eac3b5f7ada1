"""`registry restore` over a store whose projections kept files beside it (the lineage graph, the register's
facts, the catalogue index): the files described the replaced store, so they are dropped, and a server over
the restored store answers lineage, impact and the register's reports from the restored data, as it did when
the backup was taken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from helpers import fresh_world_registry
from projections.test_register import read, write
from registry.api import create_app
from registry.cli.main import app as cli
from registry.config import Settings
from registry.services.registry import Registry, open_registry
from registry.store.backup import backup

ROUTES = ["/datasets/ohip-claims/lineage?direction=downstream", "/datasets/ow-caseload/lineage?direction=both",
          "/datasets/ohip-claims/impact", "/reports/flows?on=2025-02-01", "/reports/flows?on=2026-01-01",
          "/transparency?on=2025-02-01"]
KEPT = (".lineage", ".register", ".index.sqlite", ".views")


def served(reg: Registry) -> dict[str, Any]:
    with TestClient(create_app(registry=reg)) as client:
        out = {}
        for route in ROUTES:
            r = client.get(route, headers={"Accept": "application/json"})
            assert r.status_code == 200, (route, r.text[:300])
            out[route] = r.json() if "json" in r.headers["content-type"] else r.text
        return out


def test_a_restore_drops_the_files_kept_beside_the_replaced_store(tmp_path: Path) -> None:
    data = tmp_path / "store"
    reg = fresh_world_registry(str(data))
    try:
        at_backup = served(reg)
    finally:
        reg.close()
    backup(data, tmp_path / "backup")

    reg = open_registry(Settings(data=str(data)))
    try:
        write(reg, "dataset", {**read(reg, "dataset", "ow-caseload"), "id": "after-the-backup",
                               "title": "Derived after the backup", "derived_from": ["ohip-claims", "ow-caseload"]})
        write(reg, "agreement", {"id": "dsa-after-the-backup", "title": "Written after the backup",
                                 "provider": "mccss", "recipient": "mof", "datasets": ["ow-caseload"],
                                 "purposes": ["audit"], "legal_basis": ["fippa-42-1-e"], "valid_from": "2025-01-01",
                                 "valid_until": "2026-12-31", "status": "active"})
        later = served(reg)
    finally:
        reg.close()  # the lineage graph and the register's facts kept in their files, as they stand now
    assert all(later[r] != at_backup[r] for r in ROUTES), "each answer shows the writes after the backup"
    for suffix in KEPT:
        assert Path(f"{data}{suffix}").exists(), suffix

    done = CliRunner().invoke(cli, ["restore", str(tmp_path / "backup"), "--data", str(data), "--force"],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.stderr
    left = [suffix for suffix in KEPT if Path(f"{data}{suffix}").exists()]
    assert left == [], f"files kept for the replaced store are left beside the restored one: {left}"

    reg = open_registry(Settings(data=str(data)))
    try:
        assert served(reg) == at_backup, "the restored data's answers"
        assert "after-the-backup" not in reg.lineage.copy().g
    finally:
        reg.close()
