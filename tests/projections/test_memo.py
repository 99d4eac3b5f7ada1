"""Answers computed from the whole registry (projections/memo.py): computed once per change of a record they
may read, computed again after one, never kept across a change made while they were computed, and computed
by one caller at a time; the transparency register is one of them."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest

from helpers import fresh_world_registry
from registry.domain.model import KINDS
from registry.projections.memo import Memo
from registry.services.auth import Caller
from registry.services.ingest.loader import SYSTEM
from registry.services.registry import Registry
from registry.services.reports.transparency import Transparency

OFFICER = Caller(role="privacy-officer", token_id="test")


def organization(registry: Registry, rid: str) -> None:
    data = {"id": rid, "name": f"Organisation {rid}", "kind": "ministry"}
    registry.records.write(KINDS["organization"], data, SYSTEM, create=True, rid=rid)


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_an_answer_is_kept_until_a_record_changes(registry: Registry) -> None:
    memo, compute = registry.reports, Counting()
    assert memo.get("k", compute) == 1 and memo.get("k", compute) == 1
    assert memo.get("other", compute) == 2, "each key its own answer"
    registry.tokens.create("admin")  # a token changes no record a report reads
    assert memo.get("k", compute) == 1
    organization(registry, "org-one")
    assert memo.get("k", compute) == 3 and memo.get("other", compute) == 4
    registry.follower.invalidate()  # as a bulk load does: it writes no entries
    assert memo.get("k", compute) == 5


def test_a_change_made_while_an_answer_is_computed_is_not_hidden_by_it(registry: Registry) -> None:
    memo = registry.reports
    first = [True]

    def compute() -> str:
        if first[0]:  # another caller writes while this answer is computed (from what it read before)
            first[0] = False
            t = threading.Thread(target=organization, args=(registry, "org-meanwhile"))
            t.start()
            t.join()
            return "stale"
        return "fresh"

    assert memo.get("k", compute) == "stale"  # the caller gets what it computed ...
    assert memo.get("k", compute) == "fresh"  # ... but it was not kept


def test_callers_wait_for_one_computation_instead_of_repeating_it(registry: Registry) -> None:
    memo = registry.reports
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        started.set()
        release.wait(10)
        return "answer"

    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(memo.get("k", slow))) for _ in range(4)]
    threads[0].start()
    assert started.wait(10)
    for t in threads[1:]:
        t.start()
    release.set()
    for t in threads:
        t.join(10)
    assert got == ["answer"] * 4 and len(calls) == 1


def test_a_memo_keeps_at_most_its_number_of_answers(registry: Registry) -> None:
    memo = registry.follower.add(Memo("small", registry.follower, frozenset(), keep=2))
    compute = Counting()
    for key in ("a", "b", "c"):
        memo.get(key, compute)
    assert memo.get("c", compute) == 3 and memo.get("b", compute) == 2
    assert memo.get("a", compute) == 4, "the least recently used answer was let go"


@pytest.fixture
def world() -> Iterator[Registry]:
    r = fresh_world_registry()
    yield r
    r.close()


def test_the_register_is_computed_once_per_change_and_shows_every_change(world: Registry) -> None:
    on = dt.date(2025, 2, 1)
    t = Transparency(world, world.views.public)
    first = t.report(on)
    assert t.report(on) is first, "the same answer while nothing changed"
    proposal = {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu",
                "purpose": "program-planning", "date": "2025-02-01"}
    world.share_checks.run(proposal, OFFICER)  # recorded in the audit log, but no record of the register's
    assert t.report(on) is first
    assert t.report(dt.date(2025, 6, 1)) is not first, "another date, another answer"

    agreement, _etag = world.records.read(KINDS["agreement"], "dsa-moh-mto-2024", full=True)
    agreement["title"] = "Renamed while the register was kept"
    world.records.write(KINDS["agreement"], agreement, SYSTEM, create=False, rid="dsa-moh-mto-2024")
    again = t.report(on)
    assert again is not first
    assert next(e.title for e in again.agreements if e.id == "dsa-moh-mto-2024") == "Renamed while the register was kept"
