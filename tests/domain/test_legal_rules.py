"""The legal rules as pure functions: hand-built facts in, an answer out, no store. One test (or a few)
per rule and reason code; the casebook over HTTP is tests/test_legal.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from registry.domain.legal import (
    CONDITIONAL,
    NOT_PERMITTED,
    PERMITTED,
    AgreementFacts,
    Answer,
    AuthorityFacts,
    DatasetFacts,
    OrgFacts,
    Purposes,
    Reason,
    Reference,
    Requirements,
    ShareProposal,
    decide,
    needing_agreement,
    uncovered,
)

ON = dt.date(2025, 6, 1)

PURPOSES = Purposes(
    labels={"program-management": "Program management", "program-planning": "Program planning",
            "program-evaluation": "Program evaluation", "research": "Research"},
    broader={"program-management": None, "program-planning": "program-management",
             "program-evaluation": "program-management", "research": None},
)
DIU = AuthorityFacts("fippa-part-3.1", "FIPPA Part III.1", statute="FIPPA", section="Part III.1",
                     citation="FIPPA, Part III.1", source="https://www.ontario.ca/laws/statute/90f31",
                     requirements=Requirements(purposes=("program-evaluation", "program-planning"),
                                               recipient_kinds=("data-integration-unit",), designation=True,
                                               deidentification=True, prohibits_onward_disclosure=True))
CONSENT = AuthorityFacts("fippa-42-1-b", "FIPPA s. 42(1)(b)", citation="FIPPA, s. 42(1)(b)",
                         requirements=Requirements(consent=True))
RESEARCH = AuthorityFacts("fippa-42-1-research", "Research", citation="FIPPA, s. 21(1)(e)",
                          requirements=Requirements(purposes=("research",), ethics_approval=True))
INSTITUTION = AuthorityFacts("fippa-42-1-d", "FIPPA s. 42(1)(d)", citation="FIPPA, s. 42(1)(d)",
                             requirements=Requirements(same_institution=True))
OPEN = AuthorityFacts("open", "No requirement", citation="none")
REF = Reference({a.id: a for a in (DIU, CONSENT, RESEARCH, INSTITUTION, OPEN)}, PURPOSES)

MOH = OrgFacts("moh", "Ministry of Health", "ministry", set(), set())
IDIU = OrgFacts("moh-idiu", "MOH Integration Unit", "data-integration-unit", {"fippa-part-3.1"}, {"moh"})
MTO = OrgFacts("mto", "Ministry of Transportation", "ministry", set(), set())


def dataset(rid: str = "claims", *, pi: bool = True, access: str = "non-public",
            inherited: list[str] | None = None) -> DatasetFacts:
    return DatasetFacts(id=rid, title=rid.title(), publisher="moh", access=access, declared_pi=pi and not inherited,
                        effective_pi=pi, inherited_from=inherited)


def agreement(rid: str = "dsa-1", **over: Any) -> AgreementFacts:
    a = AgreementFacts(id=rid, title=f"Agreement {rid}", status="active", valid_from=dt.date(2024, 1, 1),
                       valid_until=dt.date(2025, 12, 31), datasets={"claims"}, purposes={"program-planning"},
                       authorities=["fippa-part-3.1"], deidentify=None, onward=None, retention=None, retired=False)
    return replace(a, **over)


def proposal(**over: Any) -> ShareProposal:
    return ShareProposal.model_validate({"datasets": ["claims"], "provider": "moh", "recipient": "moh-idiu",
                                         "purpose": "program-planning", **over})


def ask(p: ShareProposal | None = None, *, datasets: Sequence[DatasetFacts] | None = None,
        agreements: Sequence[AgreementFacts] | None = None, provider: OrgFacts = MOH, recipient: OrgFacts = IDIU,
        between: Sequence[str] | None = None, on: dt.date = ON) -> Answer:
    return decide(p or proposal(), on, provider, recipient, [dataset()] if datasets is None else datasets,
                  [agreement()] if agreements is None else agreements, REF, between)


def codes(answer: Answer) -> list[str]:
    return [r.code for r in answer.reasons]


def conditions(answer: Answer) -> set[str]:
    return {c.code for c in answer.conditions}


# ---------------------------------------------------------------- open data


def test_open_data_needs_no_agreement() -> None:
    roads = dataset("roads", pi=False, access="public")
    answer = ask(datasets=[roads], agreements=[])
    assert answer.decision == PERMITTED
    assert codes(answer) == ["OPEN_DATA"]
    assert answer.conditions == [] and answer.basis == []
    assert needing_agreement([roads]) == [] and uncovered([roads], []) == []


def test_public_data_with_personal_information_is_not_open() -> None:
    assert needing_agreement([dataset(access="public")]) == [dataset(access="public")]
    assert needing_agreement([dataset(pi=False)]) == [dataset(pi=False)]  # non-public


# ---------------------------------------------------------------- the agreement


def test_agreement_in_force_grants_with_its_authority_as_basis() -> None:
    answer = ask()
    assert answer.decision == CONDITIONAL
    assert codes(answer) == ["AGREEMENT_IN_FORCE"]
    reason = answer.reasons[0]
    assert (reason.agreement, reason.authority, reason.dataset) == ("dsa-1", "fippa-part-3.1", "claims")
    assert "FIPPA Part III.1 (FIPPA, Part III.1)" in reason.message
    assert answer.basis == [{"agreement": "dsa-1", "authority": "fippa-part-3.1", "clause": "Part III.1",
                             "statute": "FIPPA", "citation": "FIPPA, Part III.1",
                             "source": "https://www.ontario.ca/laws/statute/90f31"}]


def test_agreement_not_in_force() -> None:
    answer = ask(on=dt.date(2026, 1, 1))
    assert answer.decision == NOT_PERMITTED
    assert codes(answer) == ["AGREEMENT_NOT_IN_FORCE"]
    assert "from 2024-01-01 to 2025-12-31" in answer.reasons[0].message
    assert answer.conditions == [], "no conditions when the share may not proceed"


@pytest.mark.parametrize(("on", "in_force"), [
    (dt.date(2023, 12, 31), False), (dt.date(2024, 1, 1), True),
    (dt.date(2025, 12, 31), True), (dt.date(2026, 1, 1), False),
])
def test_date_boundaries_are_inclusive(on: dt.date, in_force: bool) -> None:
    answer = ask(on=on)
    assert ("AGREEMENT_NOT_IN_FORCE" not in codes(answer)) is in_force
    assert (answer.decision != NOT_PERMITTED) is in_force


def test_open_ended_agreement_runs_from_its_signature_with_no_end_date() -> None:
    a = agreement(valid_from=None, valid_until=None)
    assert a.in_force(dt.date(1900, 1, 1)) and a.in_force(dt.date(2999, 1, 1))
    assert a.dates() == "from its signature to no end date"


@pytest.mark.parametrize(("status", "says"), [("draft", "is draft"), ("suspended", "is suspended"),
                                              (None, "is without a status")])
def test_agreement_not_approved(status: str | None, says: str) -> None:
    answer = ask(agreements=[agreement(status=status)])
    assert answer.decision == NOT_PERMITTED
    assert codes(answer) == ["AGREEMENT_NOT_APPROVED"]
    assert says in answer.reasons[0].message


def test_a_failing_agreement_beside_one_that_works_is_not_reported() -> None:
    answer = ask(agreements=[agreement("dsa-0", status="draft"), agreement("dsa-1")])
    assert answer.decision == CONDITIONAL
    assert codes(answer) == ["AGREEMENT_IN_FORCE"]


def test_every_failing_agreement_is_reported() -> None:
    answer = ask(agreements=[agreement("dsa-0", status="draft"), agreement("dsa-1", valid_until=dt.date(2025, 1, 1))])
    assert [(r.code, r.agreement) for r in answer.reasons] == [("AGREEMENT_NOT_APPROVED", "dsa-0"),
                                                               ("AGREEMENT_NOT_IN_FORCE", "dsa-1")]


# ---------------------------------------------------------------- coverage


def test_no_agreement_between_the_parties() -> None:
    answer = ask(agreements=[], between=[])
    assert answer.decision == NOT_PERMITTED
    assert codes(answer) == ["NO_AGREEMENT"]
    assert "personal information" in answer.reasons[0].message


def test_dataset_not_covered_names_the_other_agreements() -> None:
    claims, other = dataset(), dataset("drugs")
    assert uncovered([claims, other], [agreement()]) == [other]
    answer = ask(datasets=[claims, other], between=["dsa-1"])
    assert answer.decision == NOT_PERMITTED
    assert codes(answer) == ["AGREEMENT_IN_FORCE", "DATASET_NOT_COVERED"]
    assert answer.reasons[1].agreement == "dsa-1" and answer.reasons[1].dataset == "drugs"


def test_dataset_not_covered_by_many_agreements_names_ten() -> None:
    ids = [f"dsa-{i:02}" for i in range(11)]
    answer = ask(agreements=[], between=ids)
    assert codes(answer) == ["DATASET_NOT_COVERED"]
    assert answer.reasons[0].agreement is None
    assert "(dsa-00, dsa-01, dsa-02, dsa-03, dsa-04, dsa-05, dsa-06, dsa-07, dsa-08, dsa-09 and more)" in \
        answer.reasons[0].message


def test_a_retired_agreement_covers_nothing() -> None:
    retired = agreement(retired=True)
    assert uncovered([dataset()], [retired]) == [dataset()]
    assert codes(ask(agreements=[retired], between=[])) == ["NO_AGREEMENT"]


def test_the_other_agreements_are_needed_only_for_an_uncovered_dataset() -> None:
    assert uncovered([dataset()], [agreement()]) == []
    assert ask(between=None).decision == CONDITIONAL
    with pytest.raises(ValueError, match="agreements between the parties"):
        ask(agreements=[], between=None)


@pytest.mark.parametrize(("agreed", "asked", "covered"), [
    ("program-planning", "program-planning", True),
    ("program-management", "program-planning", True),  # the agreement's broader purpose covers a narrower one
    ("program-planning", "program-management", False),  # never the other way
    ("program-evaluation", "program-planning", False),  # nor a sibling
    ("program-planning", "unknown-purpose", False),
])
def test_purpose_coverage_narrower_and_broader(agreed: str, asked: str, covered: bool) -> None:
    answer = ask(proposal(purpose=asked), agreements=[agreement(purposes={agreed}, authorities=["open"])])
    assert ("PURPOSE_NOT_COVERED" not in codes(answer)) is covered
    if covered and agreed != asked:
        assert "Program planning (within its purpose Program management)" in answer.reasons[0].message
    if not covered:
        assert answer.decision == NOT_PERMITTED


def test_purpose_ancestors_nearest_first() -> None:
    assert PURPOSES.ancestors("program-planning") == ["program-planning", "program-management"]
    assert PURPOSES.ancestors("nothing") == []
    assert PURPOSES.label("nothing") == "nothing"


# ---------------------------------------------------------------- the authority


def test_recipient_not_eligible_kind_and_designation() -> None:
    answer = ask(recipient=MTO)
    assert answer.decision == NOT_PERMITTED
    assert codes(answer) == ["RECIPIENT_NOT_ELIGIBLE", "RECIPIENT_NOT_ELIGIBLE"]
    assert "only to a data integration unit; Ministry of Transportation is a ministry" in answer.reasons[0].message
    assert "designated" in answer.reasons[1].message
    assert {r.authority for r in answer.reasons} == {"fippa-part-3.1"}


def test_within_the_institution_only() -> None:
    inside = agreement(authorities=["fippa-42-1-d"])
    assert ask(agreements=[inside]).decision == CONDITIONAL  # the unit is part of the ministry
    answer = ask(agreements=[inside], recipient=MTO)
    assert codes(answer) == ["RECIPIENT_NOT_ELIGIBLE"]
    assert "not part of Ministry of Health" in answer.reasons[0].message


def test_no_legal_basis_when_no_authority_is_cited() -> None:
    answer = ask(agreements=[agreement(authorities=[])])
    assert codes(answer) == ["NO_LEGAL_BASIS"] and answer.decision == NOT_PERMITTED
    # data that is not personal information needs an agreement, not an authority
    answer = ask(datasets=[dataset(pi=False)], agreements=[agreement(authorities=[])])
    assert answer.decision == CONDITIONAL
    assert answer.basis == [{"agreement": "dsa-1", "authority": None, "clause": None, "statute": None,
                             "citation": None, "source": None}]


def test_no_legal_basis_for_an_authority_outside_the_catalogue() -> None:
    answer = ask(agreements=[agreement(authorities=["made-up"])])
    assert codes(answer) == ["NO_LEGAL_BASIS"]
    assert answer.reasons[0].authority == "made-up"


def test_no_legal_basis_purpose_consent_and_ethics() -> None:
    research = agreement(purposes={"research"}, authorities=["fippa-42-1-b", "fippa-42-1-research"])
    answer = ask(proposal(purpose="research"), agreements=[research])
    assert codes(answer) == ["NO_LEGAL_BASIS", "NO_LEGAL_BASIS"]  # no ethics approval, no consent
    assert ask(proposal(purpose="research", consent=True), agreements=[research]).decision == CONDITIONAL
    granted = ask(proposal(purpose="research", ethics_approval=True), agreements=[research])
    assert granted.decision == CONDITIONAL
    assert [b["authority"] for b in granted.basis] == ["fippa-42-1-b", "fippa-42-1-research"]
    wrong_purpose = ask(agreements=[agreement(authorities=["fippa-42-1-research"])],
                        p=proposal(ethics_approval=True))
    assert codes(wrong_purpose) == ["NO_LEGAL_BASIS"]
    assert "only for Research, not for Program planning" in wrong_purpose.reasons[0].message


# ---------------------------------------------------------------- onward disclosure


@pytest.mark.parametrize(("onward", "says"), [(None, "does not allow"), (False, "forbids")])
def test_onward_disclosure_the_agreement_does_not_allow(onward: bool | None, says: str) -> None:
    answer = ask(proposal(onward_disclosure=True), agreements=[agreement(onward=onward, authorities=["open"])])
    assert codes(answer) == ["ONWARD_DISCLOSURE_PROHIBITED"]
    assert says in answer.reasons[0].message and answer.reasons[0].authority is None


def test_onward_disclosure_the_authority_prohibits() -> None:
    answer = ask(proposal(onward_disclosure=True), agreements=[agreement(onward=True)])
    assert codes(answer) == ["ONWARD_DISCLOSURE_PROHIBITED"]
    assert answer.reasons[0].authority == "fippa-part-3.1"


def test_onward_disclosure_allowed() -> None:
    answer = ask(proposal(onward_disclosure=True), agreements=[agreement(onward=True, authorities=["open"])])
    assert answer.decision == PERMITTED
    assert conditions(answer) == set()


# ---------------------------------------------------------------- lineage


def test_inherited_personal_information() -> None:
    summary = dataset("claims", pi=True, access="public", inherited=["claims", "raw-claims"])
    assert not summary.open and not summary.declared_pi
    answer = ask(datasets=[summary], agreements=[], between=[])
    assert codes(answer) == ["INHERITED_PERSONAL_INFORMATION", "NO_AGREEMENT"]
    assert answer.reasons[0].path == ["claims", "raw-claims"]
    assert "(claims <- raw-claims)" in answer.reasons[0].message
    assert answer.datasets == [{"id": "claims", "title": "Claims", "access": "public", "personal_information": True,
                                "inherited_from": ["claims", "raw-claims"]}]


# ---------------------------------------------------------------- conditions


def test_deidentify_before_use_from_the_authority_and_the_agreement() -> None:
    def deidentify(answer: Answer) -> list[tuple[str | None, str | None]]:
        return [(c.agreement, c.authority) for c in answer.conditions if c.code == "DEIDENTIFY_BEFORE_USE"]

    assert deidentify(ask()) == [("dsa-1", "fippa-part-3.1")]  # the authority requires it
    assert deidentify(ask(agreements=[agreement(deidentify=True)])) == [("dsa-1", None)]  # the agreement's term
    assert deidentify(ask(agreements=[agreement(deidentify=True, authorities=["open"])])) == [("dsa-1", None)]
    assert deidentify(ask(proposal(deidentified=True), agreements=[agreement(deidentify=True)])) == []


def test_retention_limit() -> None:
    answer = ask(agreements=[agreement(retention="P7Y", authorities=["open"])])
    assert answer.decision == CONDITIONAL
    [retention] = [c for c in answer.conditions if c.code == "RETENTION_LIMIT"]
    assert "limits retention to 7 years (P7Y)" in retention.message
    one = ask(agreements=[agreement(retention="P1Y6M", authorities=["open"])])
    assert any("1 year 6 months (P1Y6M)" in c.message for c in one.conditions)
    odd = ask(agreements=[agreement(retention="PT36H", authorities=["open"])])
    assert any("retention to PT36H (PT36H)" in c.message for c in odd.conditions)


def test_no_onward_disclosure_unless_the_agreement_allows_it() -> None:
    assert conditions(ask(agreements=[agreement(authorities=["open"])])) == {"NO_ONWARD_DISCLOSURE"}
    assert conditions(ask(agreements=[agreement(onward=False, authorities=["open"])])) == {"NO_ONWARD_DISCLOSURE"}
    assert ask(agreements=[agreement(onward=True, authorities=["open"])]).decision == PERMITTED


def test_conditions_and_reasons_are_listed_once() -> None:
    two = [dataset(), dataset("drugs")]
    answer = ask(datasets=two, agreements=[agreement(datasets={"claims", "drugs"}, authorities=["open"])])
    assert [c.code for c in answer.conditions] == ["NO_ONWARD_DISCLOSURE"]
    assert [r.dataset for r in answer.reasons] == ["claims", "drugs"]
    assert answer.basis == [{"agreement": "dsa-1", "authority": "open", "clause": None, "statute": None,
                             "citation": "none", "source": None}]


def test_every_code_declares_what_it_quotes() -> None:
    with pytest.raises(ValueError, match="QUOTES"):
        Reason("SOMETHING_NEW", "not declared")
