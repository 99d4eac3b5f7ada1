"""What the transparency register reads of each record, kept per record (projections/register.py): after each
kind of write the register computed from the kept facts equals the one computed from scratch from the public
view (tests/register_oracle.py, the computation it replaced), on every date; the facts read from a catalogue
index that lags the log or is rebuilt; after a restart, with the index and the facts kept on disk (more in
test_register_file.py); writes made while it is computed; and nothing restricted in what it hands out."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from helpers import fresh_world_registry
from register_oracle import sources_from_view
from registry.config import Settings
from registry.domain.model import KINDS
from registry.services.auth import Caller
from registry.services.ingest.loader import SYSTEM, write_all
from registry.services.registry import Registry, open_registry
from registry.services.reports.transparency import Report, Transparency

OFFICER = Caller(role="privacy-officer", token_id="test")
#: before, within and after the casebook's agreements, and far enough on for its shares to be due
DATES = (dt.date(2024, 6, 1), dt.date(2025, 2, 1), dt.date(2026, 1, 1), dt.date(2027, 12, 31), dt.date(2031, 1, 1))


@pytest.fixture
def reg() -> Iterator[Registry]:
    r = fresh_world_registry()
    # a personal-information flow no agreement covers, and shares whose disposal falls due
    write(r, "dataset", {"id": "mof-linkage", "title": "Finance linkage", "publisher": "mof", "access": "non-public",
                         "sensitivity": "high", "personal_information": True, "retention": "P1Y",
                         "steward": {"name": "S", "email": "steward-secret@example.org"},
                         "derived_from": ["ow-caseload"],
                         "generated_by": {"kind": "linkage", "by": "mof", "date": "2025-05-01"}})
    for provider, recipient, dataset in (("moh", "moh-idiu", "ohip-claims"), ("moh", "mto", "ohip-claims")):
        r.share_checks.run({"datasets": [dataset], "provider": provider, "recipient": recipient,
                            "purpose": "program-planning", "date": "2025-02-01"}, OFFICER)
    yield r
    r.close()


def write(reg: Registry, kind: str, data: dict[str, Any]) -> None:
    write_all(reg, [(KINDS[kind], data)], SYSTEM)


def read(reg: Registry, kind: str, rid: str) -> dict[str, Any]:
    data, _etag = reg.records.read(KINDS[kind], rid, full=True)
    return data


def kept_equals_scratch(reg: Registry) -> dict[dt.date, Report]:
    """The register from the kept facts and from scratch, on each date: equal; the kept ones."""
    t = Transparency(reg, reg.views.public)
    out = {}
    for on in DATES:
        kept, scratch = t._report(on), t._report(on, sources_from_view(t))
        assert kept == scratch, on
        assert kept.as_json() == scratch.as_json()
        out[on] = kept
    return out


def listed(report: Report, aid: str) -> Any:
    return next((e for e in report.agreements if e.id == aid), None)


def test_the_world_as_loaded_and_the_facts_read_once(reg: Registry) -> None:
    reports = kept_equals_scratch(reg)
    on = dt.date(2025, 2, 1)
    assert len(reports[on].agreements) >= 5 and reports[on].by_pair and reports[on].sankey["links"]
    assert reports[dt.date(2026, 1, 1)].unmatched_flows, "the flow no agreement covers"
    assert reports[dt.date(2031, 1, 1)].disposals, "the shares due for disposal"
    assert reports[dt.date(2027, 12, 31)].expiring
    builds = reg.register.builds
    write(reg, "organization", {**read(reg, "organization", "mof"), "name": "Ministry of Finance (renamed)"})
    kept_equals_scratch(reg)
    assert reg.register.builds == builds, "a write is applied to the kept facts, not read again from the store"


def test_an_agreement_created_updated_and_retired(reg: Registry) -> None:
    kept_equals_scratch(reg)
    new = {"id": "dsa-mccss-mof", "title": "Caseload to finance", "provider": "mccss", "recipient": "mof",
           "datasets": ["ow-caseload", "mof-linkage"], "purposes": ["audit"], "legal_basis": ["fippa-42-1-e"],
           "valid_from": "2025-01-01", "valid_until": "2025-12-31", "status": "active"}
    write(reg, "agreement", new)
    reports = kept_equals_scratch(reg)
    assert listed(reports[dt.date(2025, 2, 1)], "dsa-mccss-mof").datasets[0]["title"] == "Finance linkage"
    assert not reports[dt.date(2026, 1, 1)].unmatched_flows, "the new agreement covers the flow"

    # its parties, datasets, dates, status and authorities change
    write(reg, "agreement", {**read(reg, "agreement", "dsa-mccss-mof"), "recipient": "univ-research",
                             "datasets": ["osap-loans"], "valid_until": "2026-02-01"})
    reports = kept_equals_scratch(reg)
    assert listed(reports[dt.date(2025, 2, 1)], "dsa-mccss-mof").recipient.id == "univ-research"
    write(reg, "agreement", {**read(reg, "agreement", "dsa-moh-mto-2024"), "status": "suspended"})
    assert listed(kept_equals_scratch(reg)[dt.date(2025, 2, 1)], "dsa-moh-mto-2024") is None

    reg.records.retire(KINDS["agreement"], "dsa-mccss-mof", SYSTEM)
    reg.records.retire(KINDS["agreement"], "dsa-moh-idiu-2024", SYSTEM)  # under which shares were made
    reports = kept_equals_scratch(reg)
    assert listed(reports[dt.date(2025, 2, 1)], "dsa-mccss-mof") is None
    assert reports[dt.date(2031, 1, 1)].disposals, "the shares of a retired agreement are still counted"


def test_an_organisation_renamed(reg: Registry) -> None:
    kept_equals_scratch(reg)
    write(reg, "organization", {**read(reg, "organization", "moh-idiu"), "name": "Integration unit (renamed)"})
    write(reg, "organization", {**read(reg, "organization", "mccss"), "name": "Social services (renamed)"})
    reports = kept_equals_scratch(reg)
    assert listed(reports[dt.date(2025, 2, 1)], "dsa-moh-idiu-2024").recipient.name == "Integration unit (renamed)"
    assert reports[dt.date(2026, 1, 1)].unmatched_flows[0]["provider_name"] == "Social services (renamed)"
    assert "Integration unit (renamed)" in {d["recipient_name"] for d in reports[dt.date(2031, 1, 1)].disposals}


def test_datasets_retitled_restricted_made_public_derived_and_retired(reg: Registry) -> None:
    kept_equals_scratch(reg)
    write(reg, "dataset", {**read(reg, "dataset", "ohip-claims"), "title": "Claims (retitled)"})
    reports = kept_equals_scratch(reg)
    assert listed(reports[dt.date(2025, 2, 1)], "dsa-moh-mto-2024").datasets == [{"id": "ohip-claims",
                                                                                  "title": "Claims (retitled)"}]
    write(reg, "dataset", {**read(reg, "dataset", "osap-loans"), "access": "restricted", "sensitivity": "high"})
    kept_equals_scratch(reg)
    write(reg, "dataset", {**read(reg, "dataset", "osap-loans"), "access": "public", "sensitivity": "low"})
    kept_equals_scratch(reg)
    # the upstream of the unmatched flow stops, then starts again, carrying personal information
    ow = read(reg, "dataset", "ow-caseload")
    write(reg, "dataset", {**ow, "personal_information": False, "personal_data_categories": []})
    assert not kept_equals_scratch(reg)[dt.date(2026, 1, 1)].unmatched_flows
    write(reg, "dataset", ow)
    assert kept_equals_scratch(reg)[dt.date(2026, 1, 1)].unmatched_flows
    # the flow's recipient, date and source change
    linkage = read(reg, "dataset", "mof-linkage")
    write(reg, "dataset", {**linkage, "derived_from": ["ohip-claims", "osap-loans"],
                           "generated_by": {"kind": "linkage", "by": "toronto", "date": "2024-03-01"}})
    kept_equals_scratch(reg)
    reg.records.retire(KINDS["dataset"], "mof-linkage", SYSTEM)
    assert not kept_equals_scratch(reg)[dt.date(2026, 1, 1)].unmatched_flows
    reg.records.retire(KINDS["dataset"], "ohip-claims", SYSTEM)
    kept_equals_scratch(reg)


def test_a_bulk_load_or_rebuild_reads_the_facts_again(reg: Registry) -> None:
    kept_equals_scratch(reg)
    builds = reg.register.builds
    reg.follower.invalidate()  # as a bulk load does: it writes no entries
    write(reg, "agreement", {**read(reg, "agreement", "dsa-moh-mto-2024"), "title": "After the load"})
    reports = kept_equals_scratch(reg)
    assert reg.register.builds == builds + 1
    assert listed(reports[dt.date(2025, 2, 1)], "dsa-moh-mto-2024").title == "After the load"


def test_the_facts_read_from_an_index_that_lags_the_log_or_is_rebuilt(reg: Registry) -> None:
    kept_equals_scratch(reg)
    held, release = threading.Event(), threading.Event()

    def hold_the_index() -> None:  # a reader of the index: the writes below cannot apply their entries to it
        with reg.follower.reading(reg.index):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=hold_the_index)
    thread.start()
    assert held.wait(30)
    try:
        write(reg, "organization", {**read(reg, "organization", "moh-idiu"), "name": "Written while the index lagged"})
        write(reg, "agreement", {**read(reg, "agreement", "dsa-moh-mto-2024"), "title": "Also while it lagged"})
        reg.follower.close([reg.register])  # forgets its facts: the next read reads them all again
        lag = reg.follower.head().seq - reg.index.applied()
    finally:
        release.set()
        thread.join(30)
    assert lag == 2
    reports = kept_equals_scratch(reg)
    entry = listed(reports[dt.date(2025, 2, 1)], "dsa-moh-idiu-2024")
    assert entry.recipient.name == "Written while the index lagged"
    assert listed(reports[dt.date(2025, 2, 1)], "dsa-moh-mto-2024").title == "Also while it lagged"
    assert reg.register.position() == reg.index.position() == reg.follower.head()

    # an index forgotten (as after a bulk load) is rebuilt from the store before the facts are read from it
    builds = reg.register.builds
    reg.index.invalidate()
    reg.follower.close([reg.register])
    write(reg, "dataset", {**read(reg, "dataset", "ohip-claims"), "title": "After the index was forgotten"})
    reports = kept_equals_scratch(reg)
    assert reg.register.builds == builds + 1
    assert listed(reports[dt.date(2025, 2, 1)], "dsa-moh-mto-2024").datasets == [
        {"id": "ohip-claims", "title": "After the index was forgotten"}]


def test_a_restart_reads_neither_the_facts_nor_the_index_again(tmp_path: Any) -> None:
    location = str(tmp_path / "store")
    first = fresh_world_registry(location)
    try:
        write(first, "agreement", {**read(first, "agreement", "dsa-moh-mto-2024"), "title": "Before the restart"})
        before = kept_equals_scratch(first)
        first.index.sync()
    finally:
        first.close()
    again = open_registry(Settings(data=location))
    try:
        kept = again.index.position()
        assert kept is not None and kept == again.follower.head(), "the index was kept between the runs"
        after = kept_equals_scratch(again)
        assert again.index.position() == kept, "and not rebuilt to read the facts"
        assert after == before and again.register.builds == 0, "the facts kept in their file (test_register_file)"
        assert listed(after[dt.date(2025, 2, 1)], "dsa-moh-mto-2024").title == "Before the restart"
        write(again, "organization", {**read(again, "organization", "mto"), "name": "Transportation (renamed)"})
        assert listed(kept_equals_scratch(again)[dt.date(2025, 2, 1)], "dsa-moh-mto-2024").recipient.name == (
            "Transportation (renamed)")
    finally:
        again.close()


def test_writes_while_the_register_is_computed(reg: Registry) -> None:
    t = Transparency(reg, reg.views.public)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(12):
                write(reg, "organization", {**read(reg, "organization", "mof"), "name": f"Finance {i}"})
                write(reg, "agreement", {**read(reg, "agreement", "dsa-mcu-idiu-2025"), "title": f"Loans {i}",
                                         "datasets": ["osap-loans"] if i % 2 else ["osap-loans", "ohip-claims"]})
                write(reg, "dataset", {**read(reg, "dataset", "osap-loans"), "title": f"Loans dataset {i}"})
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            stop.set()

    thread = threading.Thread(target=writer)
    thread.start()
    computed = 0
    while not stop.is_set() or computed == 0:
        t.report(dt.date(2025, 2, 1))
        computed += 1
    thread.join(60)
    assert not errors
    reports = kept_equals_scratch(reg)
    assert t.report(dt.date(2025, 2, 1)) == reports[dt.date(2025, 2, 1)]
    entry = listed(reports[dt.date(2025, 2, 1)], "dsa-mcu-idiu-2025")
    assert entry.title == "Loans 11" and entry.datasets == [{"id": "osap-loans", "title": "Loans dataset 11"}]


def test_nothing_restricted_in_what_the_register_hands_out(reg: Registry) -> None:
    t = Transparency(reg, reg.views.public)
    for on in DATES:
        report = t.report(on)
        text = json.dumps(report.as_json()) + t.csv(report) + t.graph(report).serialize(format="turtle")
        for secret in ("steward-secret@example.org", "P3Y", "P1Y", "retention"):
            assert secret not in text, (on, secret)
    assert t.report(dt.date(2031, 1, 1)).disposals, "the counts are there: the test reads what could leak"
    # the facts are read from the public forms: only the agreements' retention periods are restricted, and
    # the disposal counts alone read them
    facts = reg.register.facts()
    public = repr((facts.agreements, facts.names, facts.datasets))
    for secret in ("steward-secret@example.org", "P3Y", "P1Y"):
        assert secret not in public, secret
    assert any("P1Y" in retention or "P3Y" in retention for retention, _p, _r in facts.terms.values())


def test_an_answer_is_kept_across_writes_that_change_nothing_it_reads(reg: Registry) -> None:
    t, on = Transparency(reg, reg.views.public), dt.date(2026, 1, 1)
    first = t.report(on)
    assert first.unmatched_flows
    # a dataset no agreement or derivation names, then a change of its title: nothing the register reads
    write(reg, "dataset", {**read(reg, "dataset", "road-collisions"), "id": "standalone", "title": "Alone"})
    write(reg, "dataset", {**read(reg, "dataset", "standalone"), "title": "Still alone"})
    assert t.report(on) is first
    assert t.report(dt.date(2026, 1, 2)) is not first, "another date, another answer"
    # upstream of the unmatched flow, a restricted flag: the public graphs are unchanged, the answer is not
    write(reg, "dataset", {**read(reg, "dataset", "ow-caseload"), "personal_information": False,
                           "personal_data_categories": []})
    second = t.report(on)
    assert second is not first and not second.unmatched_flows
    assert second == kept_equals_scratch(reg)[on]
    write(reg, "organization", {**read(reg, "organization", "toronto"), "name": "City of Toronto (renamed)"})
    third = t.report(on)
    assert third is not second and third == kept_equals_scratch(reg)[on]


# ---------------------------------------------------------------- answers kept (Register.answer)


def organization(registry: Registry, rid: str) -> None:
    data = {"id": rid, "name": f"Organisation {rid}", "kind": "ministry"}
    registry.records.write(KINDS["organization"], data, SYSTEM, create=True, rid=rid)


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_an_answer_is_kept_until_a_record_changes(reg: Registry) -> None:
    memo, compute = reg.register, Counting()
    assert memo.answer("k", compute) == 1 and memo.answer("k", compute) == 1
    assert memo.answer("other", compute) == 2, "each key its own answer"
    reg.tokens.create("admin")  # a token changes no record a report reads
    assert memo.answer("k", compute) == 1
    organization(reg, "org-one")
    assert memo.answer("k", compute) == 3 and memo.answer("other", compute) == 4
    reg.follower.invalidate()  # as a bulk load does: it writes no entries
    assert memo.answer("k", compute) == 5


def test_a_change_made_while_an_answer_is_computed_is_not_hidden_by_it(reg: Registry) -> None:
    memo = reg.register
    first = [True]

    def compute() -> str:
        if first[0]:  # another caller writes while this answer is computed (from what it read before)
            first[0] = False
            t = threading.Thread(target=organization, args=(reg, "org-meanwhile"))
            t.start()
            t.join()
            return "stale"
        return "fresh"

    assert memo.answer("k", compute) == "stale"  # the caller gets what it computed ...
    assert memo.answer("k", compute) == "fresh"  # ... but it was not kept


def test_callers_wait_for_one_computation_instead_of_repeating_it(reg: Registry) -> None:
    memo = reg.register
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        started.set()
        release.wait(10)
        return "answer"

    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(memo.answer("k", slow))) for _ in range(4)]
    threads[0].start()
    assert started.wait(10)
    for t in threads[1:]:
        t.start()
    release.set()
    for t in threads:
        t.join(10)
    assert got == ["answer"] * 4 and len(calls) == 1


def test_the_register_keeps_at_most_its_number_of_answers(reg: Registry) -> None:
    memo = reg.register
    memo.keep = 2
    compute = Counting()
    for key in ("a", "b", "c"):
        memo.answer(key, compute)
    assert memo.answer("c", compute) == 3 and memo.answer("b", compute) == 2
    assert memo.answer("a", compute) == 4, "the least recently used answer was let go"


def test_the_register_is_computed_once_per_change_and_shows_every_change(reg: Registry) -> None:
    on = dt.date(2025, 2, 1)
    t = Transparency(reg, reg.views.public)
    first = t.report(on)
    assert t.report(on) is first, "the same answer while nothing changed"
    proposal = {"datasets": ["ohip-claims"], "provider": "moh", "recipient": "moh-idiu",
                "purpose": "program-planning", "date": "2025-02-01"}
    reg.share_checks.run(proposal, OFFICER)  # recorded in the audit log, but no record of the register's
    assert t.report(on) is first
    assert t.report(dt.date(2025, 6, 1)) is not first, "another date, another answer"

    agreement, _etag = reg.records.read(KINDS["agreement"], "dsa-moh-mto-2024", full=True)
    agreement["title"] = "Renamed while the register was kept"
    reg.records.write(KINDS["agreement"], agreement, SYSTEM, create=False, rid="dsa-moh-mto-2024")
    again = t.report(on)
    assert again is not first
    assert next(e.title for e in again.agreements if e.id == "dsa-moh-mto-2024") == "Renamed while the register was kept"
