"""A write is acknowledged only once it is on disk (issue 14, finding 12): the store on disk syncs RocksDB's
write-ahead log (and its folder) after each commit and before the write returns, one sync covering every
write committed before it. What the store counts is the observable: writes committed, writes synced, syncs."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef

from conftest import Api
from registry.config import Settings
from registry.services.registry import Registry, open_registry
from registry.store.audit import Entry


def durability(registry: Registry) -> Any:
    d = registry.store.durability  # type: ignore[attr-defined]
    assert d is not None, "a store on disk keeps its writes durable"
    return d


def test_every_acknowledged_write_is_synced(disk_api: Api) -> None:
    d = durability(disk_api.registry)
    c = disk_api.client
    before = (d.committed, d.syncs)
    for i in range(3):
        r = c.post("/organizations", json={"id": f"unit-{i}", "name": f"Unit {i}", "kind": "agency", "parent": None},
                   headers=disk_api.auth())
        assert r.status_code == 201, r.text
        # the answer came after the sync that covers its write
        assert d.committed > before[0] + i and d.synced == d.committed
    made = c.post("/tokens", json={"role": "privacy-officer"}, headers=disk_api.auth())
    assert made.status_code == 201 and d.synced == d.committed
    assert c.delete(f"/tokens/{made.json()['id']}", headers=disk_api.auth()).status_code == 204
    assert d.synced == d.committed
    assert d.syncs >= before[1] + 5, "each write above waited for a sync"


def test_concurrent_writers_share_syncs(disk_registry: Registry) -> None:
    """Writers that commit while a sync runs wait for the next one, which covers them all."""
    d = durability(disk_registry)
    before = (d.committed, d.syncs)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                committed = d.committed
                disk_registry.store.replace_graphs({f"urn:test:graph:{n}:{i}": []})
                assert d.synced > committed, "a write returned before a sync covered it"
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert d.committed == before[0] + 80 and d.synced == d.committed
    assert d.syncs - before[1] <= 80  # fewer when writers shared a sync


def test_writes_in_a_deferred_block_are_synced_when_it_ends(disk_registry: Registry) -> None:
    """A writer that commits under a lock of its own waits for the disk after releasing it."""
    store, d = disk_registry.store, durability(disk_registry)
    with store.deferred_sync():
        with store.deferred_sync():
            store.replace_graphs({"urn:test:graph:a": []})
        store.replace_graphs({"urn:test:graph:b": []})
        assert d.synced < d.committed, "inside the block, the writes are committed, not yet waited for"
    assert d.synced == d.committed


def test_a_logged_write_is_synced_while_the_projections_apply_it(disk_registry: Registry) -> None:
    """The audit log's writer starts its sync at the commit (in the store's sync thread): a subscriber of
    the log (the projections' follower) sees the write reach the disk while it works, before the write
    returns; without the early start the sync would wait for the subscribers."""
    d = durability(disk_registry)
    seen: list[bool] = []

    def subscriber(entry: Entry) -> None:
        deadline = time.monotonic() + 30
        while d.synced < d.committed and time.monotonic() < deadline:
            time.sleep(0.005)
        seen.append(d.synced == d.committed)

    disk_registry.audit.subscribe(subscriber)
    disk_registry.tokens.create("admin")
    assert seen == [True]
    assert d.synced == d.committed


def test_the_folder_is_synced_when_a_new_log_appears(disk_registry: Registry) -> None:
    """A sync fsyncs the store's folder only when it holds a write-ahead log its last folder sync did not
    see (the name of a new log must reach the disk with the writes in it); otherwise the logs alone."""
    store, d = disk_registry.store, durability(disk_registry)
    triple = (URIRef("urn:test:s"), URIRef("urn:test:p"), Literal("o"))
    store.replace_graphs({"urn:test:graph:a": [triple]})
    before = (d.folder_syncs, d.syncs)
    store.replace_graphs({"urn:test:graph:b": [triple]})
    assert d.syncs == before[1] + 1 and d.folder_syncs == before[0], "the same log: only the log is synced"
    logs = {p.name for p in Path(d.folder).glob("*.log")}
    store.flush()  # RocksDB writes its memtable out and starts a new log
    assert {p.name for p in Path(d.folder).glob("*.log")} - logs, "a new write-ahead log"
    store.replace_graphs({"urn:test:graph:c": [triple]})
    assert d.synced == d.committed and d.folder_syncs == before[0] + 1, "a new log: the folder is synced too"


def test_a_store_in_memory_has_nothing_to_sync() -> None:
    reg = open_registry(Settings(data="memory"))
    try:
        assert reg.store.durability is None  # type: ignore[attr-defined]
    finally:
        reg.close()


def test_the_command_line_syncs_its_writes(tmp_path: Path) -> None:
    reg = open_registry(Settings(data=str(tmp_path / "store")))
    try:
        d = durability(reg)
        reg.tokens.create("admin")
        assert d.committed >= 1 and d.synced == d.committed and d.syncs >= 1
    finally:
        reg.close()
