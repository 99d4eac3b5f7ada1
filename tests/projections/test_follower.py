"""The follower of the audit log: a projection plugged into it gets every entry once, in order, whoever
wrote it and whenever it reads; a chain that went back or was replaced makes it rebuild; the log is read
once for all the projections it catches up."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest

from registry.domain.model import KINDS
from registry.projections.base import Entry, Head, Projection
from registry.projections.follower import Follower
from registry.services.ingest.loader import SYSTEM
from registry.services.registry import Registry
from registry.store.audit import EMPTY


class Recorder:
    """A projection that keeps what it was fed: the whole of a new derived index is this class."""

    def __init__(self, follower: Follower, name: str = "recorder") -> None:
        self.name, self.follower = name, follower
        self.fed: list[Entry] = []
        self.rebuilds = 0
        self._position: Head | None = None

    def position(self) -> Head | None:
        return self._position

    def open(self) -> None:
        pass

    def apply(self, entries: Sequence[Entry]) -> None:
        assert self._position is not None and entries[0].seq == self._position.seq + 1
        self.fed.extend(entries)
        self._position = entries[-1].position

    def rebuild(self) -> None:
        self.rebuilds += 1
        self._position = self.follower.head()

    def invalidate(self) -> None:
        self._position = None

    def close(self) -> None:
        pass


def seqs(rec: Recorder) -> list[int]:
    return [e.seq for e in rec.fed]


def read(rec: Recorder) -> None:
    with rec.follower.reading(rec):
        pass


def elsewhere(registry: Registry, tokens: int = 1) -> None:
    """Make tokens (audit entries) in another thread: one that holds no projection's lock."""
    t = threading.Thread(target=lambda: [registry.tokens.create("admin") for _ in range(tokens)])
    t.start()
    t.join()


def organization(registry: Registry, rid: str) -> None:
    data = {"id": rid, "name": f"Organisation {rid}", "kind": "ministry"}
    registry.records.write(KINDS["organization"], data, SYSTEM, create=True, rid=rid)


def test_a_new_projection_plugs_in_and_gets_every_entry_once_in_order(registry: Registry) -> None:
    rec = registry.follower.add(Recorder(registry.follower))
    _: Projection = rec  # it is a Projection, and nothing else had to change for it to follow the log
    read(rec)  # built on first read: from the empty chain
    assert rec.rebuilds == 1 and rec.position() == Head(0, EMPTY)

    registry.tokens.create("admin")
    organization(registry, "org-one")
    assert seqs(rec) == [1, 2], "a write of this process is applied when it returns, before any read"
    assert (rec.fed[1].kind, rec.fed[1].id, rec.fed[1].action) == ("organization", "org-one", "create")
    assert rec.fed[0].kind == "token"

    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            for j in range(5):
                registry.tokens.create("admin")
                if j == 2:
                    organization(registry, f"org-{i}")
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    def reader(stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                read(rec)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    readers = [threading.Thread(target=reader, args=(stop,)) for _ in range(2)]
    for t in [*readers, *threads]:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert not errors
    registry.follower.catch_up()
    head = registry.audit.head()
    assert head.seq == 2 + 4 * 6
    assert seqs(rec) == list(range(1, head.seq + 1)), "every entry once, in order"
    assert all(b.previous == a.hash for a, b in zip(rec.fed, rec.fed[1:], strict=False))
    assert rec.position() == head and rec.rebuilds == 1


def test_a_busy_projection_is_caught_up_at_its_next_read(registry: Registry) -> None:
    rec = registry.follower.add(Recorder(registry.follower))
    read(rec)
    with registry.follower.reading(rec):  # a long read holds the projection while another thread writes
        elsewhere(registry)
        assert seqs(rec) == []
    read(rec)
    assert seqs(rec) == [1]


def test_a_replaced_or_shortened_chain_rebuilds_the_projection(registry: Registry) -> None:
    rec = registry.follower.add(Recorder(registry.follower))
    read(rec)
    for _ in range(3):
        registry.tokens.create("admin")
    assert rec.position() == registry.audit.head() and rec.rebuilds == 1

    def replace_chain(entries: int) -> None:
        """Another chain in the store (a restore, say): the same positions, other hashes."""
        audit = registry.audit
        gone = {audit.entry_graph(seq): [] for seq in range(1, audit.head().seq + 1)}
        registry.store.replace_graphs({**gone, audit.head_graph: []})
        with registry.follower.reading(rec):  # held: the new entries are not applied as they are written
            elsewhere(registry, entries)

    replace_chain(3)  # as long: the hash at the position differs
    read(rec)
    assert rec.rebuilds == 2 and rec.position() == registry.audit.head()
    replace_chain(1)  # shorter: the chain went back
    read(rec)
    assert rec.rebuilds == 3 and rec.position() == registry.audit.head()
    replace_chain(4)  # longer, but it does not continue from the position
    read(rec)
    assert rec.rebuilds == 4 and rec.position() == registry.audit.head()
    fed = len(rec.fed)
    registry.tokens.create("admin")  # and from there it follows again
    assert len(rec.fed) == fed + 1 and rec.rebuilds == 4


def test_catching_up_reads_the_log_once_past_the_lowest_position(registry: Registry,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    behind = registry.follower.add(Recorder(registry.follower, "behind"))
    ahead = registry.follower.add(Recorder(registry.follower, "ahead"))
    read(behind)
    registry.tokens.create("admin")
    read(ahead)  # built at entry 1: it was not there when entry 1 was written
    with registry.follower.reading(behind), registry.follower.reading(ahead):
        elsewhere(registry, 3)  # both busy: neither is fed at once
    calls: list[tuple[Any, ...]] = []
    since = registry.audit.since

    def counting(after: int, upto: int) -> list[Entry]:
        calls.append((after, upto))
        return since(after, upto)

    monkeypatch.setattr(registry.audit, "since", counting)
    registry.follower.catch_up()
    assert calls == [(1, 4)], "one read of the log, from the lowest position"
    assert seqs(behind) == [1, 2, 3, 4] and seqs(ahead) == [2, 3, 4]


def test_invalidating_makes_every_projection_rebuild_at_its_next_read(registry: Registry) -> None:
    rec = registry.follower.add(Recorder(registry.follower))
    read(rec)
    registry.follower.invalidate()
    assert rec.position() is None
    registry.tokens.create("admin")  # not fed: it has no position
    assert seqs(rec) == []
    read(rec)
    assert rec.rebuilds == 2 and rec.position() == registry.audit.head()


def test_the_registry_s_own_projections_follow_one_log(registry: Registry) -> None:
    names = [p.name for p in registry.follower.projections()]
    assert {"catalog", "lineage"} <= set(names) and len(names) == len(set(names))
    with pytest.raises(ValueError, match="follows this log already"):
        registry.follower.add(Recorder(registry.follower, "catalog"))
