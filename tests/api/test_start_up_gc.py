"""A served registry's start-up leaves what it built (the projections, the register's facts and kept parts) out
of the cyclic garbage collector's later passes once the register's first answer is made (api/app.py), and
hands them back when the server stops."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import load_world
from registry.api import app as app_module
from registry.api import create_app
from registry.config import Settings
from registry.services.registry import open_registry


def _walked(objects: list[object]) -> list[bool]:
    """Whether the collector's passes walk each object (a frozen one is left out of `gc.get_objects`)."""
    tracked = {id(o) for o in gc.get_objects()}
    return [id(o) in tracked for o in objects]


def test_the_start_up_structures_are_left_out_of_the_collectors_passes(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    settled: list[tuple[bool, bool]] = []  # (collect, whether the collector was on) at each freeze
    settle = app_module._settle

    def recorded(*, collect: bool = True) -> None:
        settled.append((collect, gc.isenabled()))
        settle(collect=collect)

    monkeypatch.setattr(app_module, "_settle", recorded)
    data = str(tmp_path / "store")
    reg = open_registry(Settings(data=data))
    try:
        load_world(reg)
    finally:
        reg.close()
    with TestClient(create_app(Settings(data=data))) as client:
        deadline = time.monotonic() + 120
        while [t for t in threading.enumerate() if t.name == "warm"]:
            assert time.monotonic() < deadline, "the warm-up ends"
            time.sleep(0.05)
        assert client.get("/health").json()["ready"] is True
        served = client.app.state.registry  # type: ignore[attr-defined]
        register = served.register
        assert register.builds == 1 and register.carry.get("parts") is not None, "the register's first answer"
        kept = [served, register, register.carry["parts"], register.carry["parts"].order, served.lineage,
                served.index]
        assert _walked(kept) == [False] * len(kept)
        # once ready, collected and frozen; after the register's first answer, frozen with the collector still
        # off as it was for the answer (no pass walked what the answer made before the freeze took it)
        assert settled == [(True, True), (False, False)] and gc.isenabled()
        assert client.get("/reports/flows").status_code == 200
        assert register.builds == 1, "the warm-up's answer is the one served"
    assert gc.get_freeze_count() == 0, "a stopped server hands them back"
    assert _walked(kept) == [True] * len(kept)
