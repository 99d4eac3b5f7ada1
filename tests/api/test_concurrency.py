"""Optimistic concurrency under load: writers in parallel threads against the real app over an on-disk
store, each reading a record, changing it and writing it back with If-Match, retrying on 412. No update
is lost, every refused one was refused whole, and the audit chain has exactly one entry per update."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Api
from helpers import assert_problem, fresh_world_registry

WRITERS = 6
EACH = 4
#: a guard against a hang, not a measure: the storm takes a few seconds
DEADLINE = 90.0


@pytest.fixture
def disk_world(tmp_path: Path) -> Iterator[Api]:
    reg = fresh_world_registry(str(tmp_path / "store"))
    api = Api(reg)
    try:
        yield api
    finally:
        api.close()
        reg.close()


def read_modify_write(api: Api, path: str, headers: dict[str, str], change: Any, stats: Counter[str],
                      lock: threading.Lock, stop: float) -> None:
    """GET -> change -> PUT with If-Match until it is not 412 (every other answer is final)."""
    while time.monotonic() < stop:
        got = api.client.get(path, headers=headers)
        assert got.status_code == 200, got.text
        data = got.json()
        data.pop("warnings", None)
        change(data)
        r = api.client.put(path, json=data, headers={**headers, "If-Match": got.headers["etag"]})
        with lock:
            stats[str(r.status_code)] += 1
        if r.status_code == 412:
            assert_problem(r, 412)
            continue
        assert r.status_code == 200, r.text
        return
    raise AssertionError(f"{path}: no write got through before the deadline")


def storm(api: Api, jobs: list[tuple[str, dict[str, str], Any]]) -> Counter[str]:
    stats: Counter[str] = Counter()
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))
    stop = time.monotonic() + DEADLINE

    def run(path: str, headers: dict[str, str], changes: list[Any]) -> None:
        try:
            start.wait()
            for change in changes:
                read_modify_write(api, path, headers, change, stats, lock, stop)
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE + 10)
    assert not errors, errors[0]
    assert not any(t.is_alive() for t in threads)
    return stats


def add_keyword(word: str) -> Any:
    return lambda data: data.__setitem__("keywords", sorted({*data.get("keywords", []), word}))


def test_parallel_writers_lose_no_update(disk_world: Api) -> None:
    api = disk_world
    roles = [api.auth(), api.auth("privacy-officer"), api.auth("steward", "moh")]
    head = api.registry.audit.head().seq
    original = set(api.client.get("/datasets/ohip-claims").json()["keywords"])
    jobs = [("/datasets/ohip-claims", roles[w % len(roles)], [add_keyword(f"w{w}-k{k}") for k in range(EACH)])
            for w in range(WRITERS)]
    stats = storm(api, jobs)

    final = set(api.client.get("/datasets/ohip-claims").json()["keywords"])
    wanted = {f"w{w}-k{k}" for w in range(WRITERS) for k in range(EACH)}
    assert final == original | wanted, f"lost: {sorted(wanted - final)}"
    assert stats["200"] == WRITERS * EACH
    assert stats["412"] > 0, "the writers never raced: the test proved nothing"
    # exactly one audit entry per update that got through, and the chain holds
    items, total = api.registry.audit.entries(limit=1000)
    assert total - head == WRITERS * EACH
    assert {e["action"] for e in items[: WRITERS * EACH]} == {"update"}
    report = api.client.get("/audit/verify", headers=api.auth()).json()
    assert report["ok"] is True, report


def test_parallel_writers_on_several_records_and_share_checks(disk_world: Api) -> None:
    """Writers on different records and share checks at the same time: all land, in one intact chain."""
    api = disk_world
    admin = api.auth()
    checks: list[int] = []

    def checker() -> None:
        body = {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu",
                "purpose": "program-evaluation", "date": "2025-06-01"}
        for _ in range(EACH):
            checks.append(api.client.post("/share-checks", json=body, headers=admin).status_code)

    t = threading.Thread(target=checker)
    t.start()
    jobs = [(f"/datasets/{rid}", admin, [add_keyword(f"{rid}-{k}") for k in range(EACH)])
            for rid in ("ohip-claims", "ow-caseload", "osap-loans")]
    jobs += [("/datasets/ohip-claims", api.auth("steward", "moh"), [add_keyword(f"steward-{k}") for k in range(EACH)])]
    storm(api, jobs)
    t.join(DEADLINE)
    assert checks == [201] * EACH
    for rid in ("ow-caseload", "osap-loans"):
        assert {f"{rid}-{k}" for k in range(EACH)} <= set(api.client.get(f"/datasets/{rid}").json()["keywords"])
    ohip = set(api.client.get("/datasets/ohip-claims").json()["keywords"])
    assert {f"ohip-claims-{k}" for k in range(EACH)} | {f"steward-{k}" for k in range(EACH)} <= ohip
    assert api.client.get("/audit/verify", headers=admin).json()["ok"] is True
