"""The transparency register (transparency.py) over the casebook world: which agreements it lists, its
counts, expiring agreements, and personal-information flows that no agreement covers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

import pytest
from rdflib import Graph

from helpers import fresh_world_registry
from registry.domain.model import KINDS
from registry.projections.views import Views
from registry.services.auth import Caller
from registry.services.ingest.loader import write_all
from registry.services.registry import Registry
from registry.services.reports.transparency import Transparency, duration

ADMIN = Caller(role="admin", token_id="test")


@pytest.fixture
def reg() -> Iterator[Registry]:
    r = fresh_world_registry()
    r.lineage.rebuild()
    yield r
    r.close()


def register(reg: Registry) -> Transparency:
    return Transparency(reg, Views(reg.store, reg.iris, reg.audit).public)


def test_duration_in_plain_words() -> None:
    d = dt.date.fromisoformat
    assert duration(d("2024-01-01"), d("2026-12-31")) == ("3 years", 1096)
    assert duration(d("2024-04-01"), d("2025-03-31")) == ("1 year", 365)
    assert duration(d("2024-01-01"), d("2025-06-30"))[0] == "18 months"
    assert duration(d("2024-01-01"), d("2024-01-10")) == ("10 days", 10)
    assert duration(None, d("2024-01-10")) == (None, None)


def test_only_active_agreements_in_force_or_ahead_are_listed(reg: Registry) -> None:
    report = register(reg).report(dt.date(2025, 2, 1))
    ids = [e.id for e in report.agreements]
    # dsa-mcu-mof-2024 is a draft; the others are active and not yet ended
    assert ids == ["dsa-idiu-mof-2025", "dsa-mccss-idiu-2024", "dsa-mccss-univ-42g", "dsa-mcu-idiu-2025",
                   "dsa-moh-idiu-2024", "dsa-moh-mto-2024", "dsa-mto-idiu-2025", "dsa-mto-mof-audit",
                   "dsa-toronto-mof-2025"]
    later = register(reg).report(dt.date(2025, 6, 1))
    assert "dsa-mccss-idiu-2024" not in [e.id for e in later.agreements]  # ended 2025-03-31


def test_entries_carry_the_register_fields(reg: Registry) -> None:
    e = next(x for x in register(reg).report(dt.date(2025, 2, 1)).agreements if x.id == "dsa-moh-idiu-2024")
    assert (e.provider.name, e.recipient.name) == ("Ministry of Health",  # type: ignore[union-attr]
                                                   "Ministry of Health Inter-Ministerial Data Integration Unit")
    assert [p["id"] for p in e.purposes] == ["program-evaluation", "program-planning"]
    a = e.legal_authorities[0]
    assert a["id"] == "fippa-part-3.1" and "F.31" in str(a["citation"]) and str(a["source"]).startswith("https://")
    assert e.datasets == [{"id": "ohip-claims", "title": "OHIP physician claims"}]
    assert (e.valid_from, e.valid_until, e.duration, e.in_force) == ("2024-01-01", "2026-12-31", "3 years", True)
    assert e.benefits is None
    assert not hasattr(e, "conditions")


def test_counts_and_expiring(reg: Registry) -> None:
    report = register(reg).report(dt.date(2025, 2, 1))
    assert report.by_authority[0]["id"] == "fippa-part-3.1" and report.by_authority[0]["count"] == 6
    assert [(a["id"], a["count"]) for a in report.by_authority[1:]] == [
        ("fippa-42-1-c", 1), ("fippa-42-1-e", 1), ("fippa-42-1-g", 1)]
    pairs = {(p["provider"], p["recipient"]): p["count"] for p in report.by_pair}
    assert pairs == {("mccss", "moh-idiu"): 1, ("mccss", "univ-research"): 1, ("mcu", "moh-idiu"): 1,
                     ("moh", "moh-idiu"): 1, ("moh", "mto"): 1, ("moh-idiu", "mof"): 1, ("mto", "mof"): 1,
                     ("mto", "moh-idiu"): 1, ("toronto", "mof"): 1}
    assert [(x["id"], x["days_left"]) for x in report.expiring] == [("dsa-mccss-idiu-2024", 58)]
    sankey = report.sankey
    assert len(sankey["nodes"]) == 8 and sum(link["value"] for link in sankey["links"]) == 9


def test_unmatched_personal_information_flows(reg: Registry) -> None:
    # the casebook's flows were all covered on the day they happened
    assert register(reg).unmatched_flows(dt.date(2026, 1, 1)) == []
    datasets = KINDS["dataset"]
    write_all(reg, [
        # personal information from mccss to mof, with no agreement: flagged
        (datasets, {"id": "mof-linkage", "title": "Finance linkage", "publisher": "mof", "access": "non-public",
                    "sensitivity": "high", "personal_information": True, "retention": "P1Y",
                    "steward": {"name": "S", "email": "s@example.org"}, "derived_from": ["ow-caseload"],
                    "generated_by": {"kind": "linkage", "by": "mof", "date": "2025-05-01"}}),
        # de-identified upstream: no personal information flows, not flagged
        (datasets, {"id": "mof-deid-use", "title": "Finance use of outcomes", "publisher": "mof", "access": "restricted",
                    "sensitivity": "low", "personal_information": False, "retention": "P1Y",
                    "steward": {"name": "S", "email": "s@example.org"}, "derived_from": ["health-social-deid"],
                    "generated_by": {"kind": "aggregation", "by": "mof", "date": "2025-05-01"}}),
    ], ADMIN)
    flows = register(reg).unmatched_flows(dt.date(2026, 1, 1))
    assert flows == [{"provider": "mccss", "provider_name": "Ministry of Children, Community and Social Services",
                      "recipient": "mof", "recipient_name": "Ministry of Finance", "count": 1}]
    # an agreement in force on the day of the linkage covers it
    write_all(reg, [(KINDS["agreement"], {
        "id": "dsa-mccss-mof", "title": "Caseload to finance", "provider": "mccss", "recipient": "mof",
        "datasets": ["ow-caseload"], "purposes": ["audit"], "legal_basis": ["fippa-42-1-e"],
        "valid_from": "2025-01-01", "valid_until": "2025-12-31", "status": "active"})], ADMIN)
    assert register(reg).unmatched_flows(dt.date(2026, 1, 1)) == []


def test_csv_and_rdf_forms(reg: Registry) -> None:
    t = register(reg)
    report = t.report(dt.date(2025, 2, 1))
    rows = list(csv.DictReader(io.StringIO(t.csv(report, "http://example.org"))))
    assert [r["agreement"] for r in rows] == [e.id for e in report.agreements]
    assert rows[0]["url"].startswith("http://example.org/agreements/") and rows[0]["benefits"] == "not recorded"
    g = t.graph(report)
    text = g.serialize(format="json-ld")
    assert len(Graph().parse(data=text, format="json-ld")) == len(g) > 0
    assert "retention" not in g.serialize(format="turtle").lower()
