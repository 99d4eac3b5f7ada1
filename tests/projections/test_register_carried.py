"""The transparency register carried from one computation to the next (services/reports/register_parts.py:
only the parts a changed record touches are made again): after a write of each kind its answers, the JSON
and the English and French pages on two dates, are those made from scratch from the same records."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.synth import synthesize

from conftest import Api
from registry.config import Settings
from registry.domain.model import KINDS
from registry.projections.register import Facts
from registry.services.ingest.loader import SYSTEM, load_file, write_all
from registry.services.registry import open_registry
from registry.services.reports.register_parts import Parts
from registry.services.reports.transparency import Sources

HTML = {"Accept": "text/html"}
#: within the casebook's agreements, and after most of them ended (the flow no agreement covers)
DATES = ("2025-02-01", "2026-01-01")


def answers(api: Api) -> list[Any]:
    out: list[Any] = []
    for on in DATES:
        out.append(api.client.get("/reports/flows", params={"on": on, "limit": 1000}).json())
        for lang in ("en", "fr"):
            page = api.client.get(f"/{lang}/transparency", params={"on": on}, headers=HTML)
            assert page.status_code == 200
            out.append(page.text)
    return out


def carried_equals_fresh(api: Api) -> list[Any]:
    """The answers carried from the last computation, and made again from scratch: equal; the carried."""
    carried = answers(api)
    api.registry.register.rebuild()  # nothing kept: the facts read again, every part made again
    assert answers(api) == carried
    return carried


def write(api: Api, kind: str, data: dict[str, Any]) -> list[Any]:
    write_all(api.registry, [(KINDS[kind], data)], SYSTEM)
    return carried_equals_fresh(api)


def read(api: Api, kind: str, rid: str) -> dict[str, Any]:
    data, _etag = api.registry.records.read(KINDS[kind], rid, full=True)
    return data


def test_a_write_of_each_kind_changes_the_carried_register_as_a_computation_from_scratch(world_api: Api) -> None:
    api = world_api
    start = write(api, "dataset", {  # a personal-information flow no agreement covers (mccss -> mof)
        "id": "mof-linkage", "title": "Finance linkage", "publisher": "mof", "access": "non-public",
        "sensitivity": "high", "personal_information": True, "retention": "P1Y",
        "steward": {"name": "S", "email": "s@example.org"}, "derived_from": ["ow-caseload"],
        "generated_by": {"kind": "linkage", "by": "mof", "date": "2025-05-01"}})
    assert start[3]["personal_information_flows_without_agreement"]["total"], "a flow no agreement covers"
    # agreements: new (covering the flow), parties changed, status changed, retired
    new = {"id": "dsa-w-new", "title": "Caseload to finance", "provider": "mccss", "recipient": "mof",
           "datasets": ["ow-caseload"], "purposes": ["audit"], "legal_basis": ["fippa-42-1-e"],
           "valid_from": "2024-01-01", "valid_until": "2026-12-31", "status": "active"}
    after = write(api, "agreement", new)
    assert after[0]["total"] == start[0]["total"] + 1
    assert not after[3]["personal_information_flows_without_agreement"]["total"], "the new agreement covers it"
    assert write(api, "agreement", {**new, "recipient": "mof", "provider": "moh"})[0]["by_pair"] != after[0]["by_pair"]
    write(api, "agreement", {**read(api, "agreement", "dsa-moh-mto-2024"), "status": "suspended"})
    api.registry.records.retire(KINDS["agreement"], "dsa-w-new", SYSTEM)
    assert carried_equals_fresh(api)[0]["total"] == start[0]["total"] - 1
    # datasets: a new derived one, one retitled, one retired
    write(api, "dataset", {"id": "w-derived", "title": "Derived by W", "publisher": "mof", "access": "non-public",
                           "sensitivity": "high", "personal_information": True, "retention": "P1Y",
                           "steward": {"name": "S", "email": "s@example.org"}, "derived_from": ["ohip-claims"],
                           "generated_by": {"kind": "linkage", "by": "mof", "date": "2025-06-01"}})
    retitled = write(api, "dataset", {**read(api, "dataset", "ohip-claims"), "title": "Claims (retitled)"})
    assert "Claims (retitled)" in retitled[1] and "Claims (retitled)" in retitled[2]
    api.registry.records.retire(KINDS["dataset"], "w-derived", SYSTEM)
    carried_equals_fresh(api)
    # an organisation renamed
    renamed = write(api, "organization", {**read(api, "organization", "moh"), "name": "Health (renamed)"})
    assert "Health (renamed)" in str(renamed[0]) and "Health (renamed)" in renamed[4]


def every_record_changed(facts: Facts, id_of: Callable[[str], str]) -> Parts:
    """The parts made whole as before: every record's IRI (names, datasets, agreements, terms) a change."""
    parts = Parts()
    parts._all_datasets(facts, id_of)
    every = set(facts.names) | set(facts.datasets) | set(facts.agreements) | set(facts.terms)
    parts._agreements(Facts({}, {}, {}, {}), facts, every, id_of)
    return parts


def test_parts_made_whole_read_only_the_agreements_and_hold_what_every_record_changed_made(
        tmp_path: Path, world_api: Api) -> None:
    """`Parts.update` made whole looks at the agreements and their terms only: the same parts as with every
    record counted as changed, on the casebook and on synthetic registries (organisations renamed, datasets
    derived, agreements retired and with retention periods)."""
    registries = [world_api.registry]
    for n, seed in ((150, 3), (400, 11)):
        synth = tmp_path / f"synth-{seed}.nq"
        synthesize(synth, n, seed=seed)
        reg = open_registry(Settings(data=str(tmp_path / f"store-{seed}")))
        load_file(reg, synth, caller=SYSTEM, build=True)
        registries.append(reg)
    try:
        for reg in registries:
            facts = reg.register.facts()
            assert facts.agreements and facts.terms and facts.names and facts.datasets
            src = Sources(facts.agreements, facts.names, {}, [], facts.terms, reg.iris)
            made = Parts()
            made.update(facts, src.id_of)
            before = every_record_changed(facts, src.id_of)
            for part in ("flows", "derived", "first", "pairs", "terms", "naming", "order", "made", "dated"):
                assert getattr(made, part) == getattr(before, part), part
            assert made.order and made.terms and made.naming and made.pairs
    finally:
        for reg in registries[1:]:
            reg.close()
