"""The facts the transparency register hands out (projections/register.py, `Register.facts`): read-only, and
as they were when handed out whatever is written afterwards (a computation reads them outside the log's lock,
and the kept parts compare them with the next ones)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from helpers import fresh_world_registry
from registry.domain.model import KINDS
from registry.services.ingest.loader import SYSTEM, write_all
from registry.services.registry import Registry


@pytest.fixture
def reg() -> Iterator[Registry]:
    r = fresh_world_registry()
    yield r
    r.close()


def write(reg: Registry, kind: str, rid: str, **changes: Any) -> None:
    data, _etag = reg.records.read(KINDS[kind], rid, full=True)
    write_all(reg, [(KINDS[kind], {**data, **changes})], SYSTEM)


def test_the_facts_handed_out_are_read_only_and_stay_as_they_were(reg: Registry) -> None:
    first = reg.register.facts()
    again = reg.register.facts()
    parts = ("agreements", "names", "datasets", "terms")
    before = {p: dict(getattr(first, p)) for p in parts}
    with pytest.raises(TypeError):
        first.names["x"] = "y"  # type: ignore[index]
    with pytest.raises(TypeError):
        del first.datasets[next(iter(first.datasets))]  # type: ignore[attr-defined]

    write(reg, "organization", "mof", name="Ministry of Finance (renamed)")
    write(reg, "agreement", "dsa-mcu-idiu-2025", title="Loans, again", datasets=["osap-loans"])
    write(reg, "dataset", "osap-loans", title="Loans, retitled")
    after = reg.register.facts()

    for facts in (first, again):
        assert {p: dict(getattr(facts, p)) for p in parts} == before
    mof, loans = reg.iris.record("organization", "mof"), reg.iris.record("dataset", "osap-loans")
    agreement = reg.iris.record("agreement", "dsa-mcu-idiu-2025")
    assert after.names[str(mof)] == "Ministry of Finance (renamed)" != first.names[str(mof)]
    assert after.agreements[str(agreement)].title == "Loans, again" != first.agreements[str(agreement)].title
    assert after.datasets[str(loans)].titles != first.datasets[str(loans)].titles
    assert after.changes[:len(first.changes)] == first.changes and len(after.changes) > len(first.changes)
