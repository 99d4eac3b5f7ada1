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


# ---------------------------------------------------------------- issue 16: statutes, findings, Part III.1

#: Part III.1 as the catalogue states it now: the unit collects identifiable data after a public notice,
#: and only de-identified datasets leave it
PART31 = replace(DIU, under_statute="fippa", requirements=replace(
    DIU.requirements, deidentification=False, published_notice=True, confines_identifiable_data=True))
CONSISTENT = AuthorityFacts("fippa-42-1-c", "FIPPA s. 42(1)(c)", citation="FIPPA, s. 42(1)(c)", under_statute="fippa",
                            requirements=Requirements(finding="consistent_purpose_finding"))
COMPLY = AuthorityFacts("fippa-42-1-e", "FIPPA s. 42(1)(e)", citation="FIPPA, s. 42(1)(e)", under_statute="fippa",
                        requirements=Requirements(finding="enabling_act"))
INVESTIGATION = AuthorityFacts("fippa-42-1-g", "FIPPA s. 42(1)(g)", citation="FIPPA, s. 42(1)(g)",
                               under_statute="fippa", requirements=Requirements(
                                   recipient_kinds=("ministry", "agency", "law-enforcement-agency")))
SAFETY = AuthorityFacts("fippa-42-1-h", "FIPPA s. 42(1)(h)", citation="FIPPA, s. 42(1)(h)", under_statute="fippa",
                        requirements=Requirements(notify_individual=True))
PRESCRIBED = AuthorityFacts("phipa-45", "PHIPA s. 45(1)", citation="PHIPA, s. 45(1)", under_statute="phipa")
REF16 = Reference({a.id: a for a in (PART31, CONSISTENT, COMPLY, INVESTIGATION, SAFETY, PRESCRIBED)}, PURPOSES)
IDIU16 = OrgFacts("moh-idiu", "MOH Integration Unit", "data-integration-unit", {"fippa-part-3.1"}, {"moh"})
TORONTO = OrgFacts("toronto", "City of Toronto", "municipality", set(), set())
POLICE = OrgFacts("tps", "Toronto Police Service", "law-enforcement-agency", set(), set())
UNIVERSITY = OrgFacts("univ", "A university", "external", set(), set())
NOTICE = dt.date(2024, 12, 1)


def ask16(authority: str, *, provider: OrgFacts = MOH, recipient: OrgFacts = MTO, on: dt.date = ON,
          datasets: Sequence[DatasetFacts] | None = None, agreements: Sequence[AgreementFacts] | None = None,
          between: Sequence[str] | None = None, **over: Any) -> Answer:
    a = agreement(**{"authorities": [authority], "onward": True, **over})  # onward: no condition of its own
    return decide(proposal(provider=provider.id, recipient=recipient.id), on, provider, recipient,
                  [dataset()] if datasets is None else datasets, [a] if agreements is None else agreements,
                  REF16, between)


def test_the_statute_of_the_authority_must_govern_the_provider() -> None:
    assert ask16("fippa-42-1-c", findings={"consistent_purpose_finding": "why"}).decision == PERMITTED
    municipal = ask16("fippa-42-1-c", provider=TORONTO, findings={"consistent_purpose_finding": "why"})
    assert municipal.decision == NOT_PERMITTED
    assert codes(municipal) == ["STATUTE_NOT_APPLICABLE"]
    assert municipal.reasons[0].authority == "fippa-42-1-c" and "MFIPPA" in municipal.reasons[0].message


def test_phipa_needs_a_custodian_as_provider() -> None:
    not_custodian = ask16("phipa-45")  # a ministry: FIPPA by default
    assert codes(not_custodian) == ["STATUTE_NOT_APPLICABLE"]
    custodian = replace(MOH, stated_statutes=frozenset({"fippa", "phipa"}))
    assert ask16("phipa-45", provider=custodian).decision == PERMITTED
    assert custodian.statutes == ["fippa", "phipa"] and MOH.statutes == ["fippa"] and TORONTO.statutes == ["mfippa"]
    assert UNIVERSITY.statutes == []


@pytest.mark.parametrize(("authority", "finding"), [("fippa-42-1-c", "consistent_purpose_finding"),
                                                    ("fippa-42-1-e", "enabling_act")])
def test_an_open_ended_authority_needs_a_recorded_finding(authority: str, finding: str) -> None:
    missing = ask16(authority)
    assert missing.decision == CONDITIONAL
    assert codes(missing) == ["AGREEMENT_IN_FORCE", "FINDING_REQUIRED"]
    assert "RECORD_FINDING" in conditions(missing)
    assert finding in missing.reasons[1].message
    other = "enabling_act" if finding != "enabling_act" else "consistent_purpose_finding"
    assert "FINDING_REQUIRED" in codes(ask16(authority, findings={other: "not the one asked"}))
    recorded = ask16(authority, findings={finding: "Highway Traffic Act, R.S.O. 1990, c. H.8"})
    assert recorded.decision == PERMITTED and codes(recorded) == ["AGREEMENT_IN_FORCE"]


def test_a_part_31_collection_needs_a_notice_published_on_or_before_the_date() -> None:
    def collect(published: dt.date | None, on: dt.date = ON) -> Answer:
        return ask16("fippa-part-3.1", recipient=IDIU16, on=on, notice_published=published)

    assert collect(NOTICE, on=NOTICE).decision == PERMITTED  # published on the date counts
    day_before = collect(NOTICE + dt.timedelta(days=1), on=NOTICE)
    assert day_before.decision == NOT_PERMITTED and codes(day_before) == ["NOTICE_NOT_PUBLISHED"]
    assert "2024-12-02" in day_before.reasons[0].message
    none = collect(None)
    assert none.decision == NOT_PERMITTED and codes(none) == ["NOTICE_NOT_PUBLISHED"]


def test_the_notice_is_not_asked_of_a_share_the_authority_does_not_cover_anyway() -> None:
    answer = ask16("fippa-part-3.1", recipient=MTO, notice_published=None)
    assert set(codes(answer)) == {"RECIPIENT_NOT_ELIGIBLE"}


def test_part_31_attaches_no_de_identification_of_its_own_on_the_way_in() -> None:
    answer = ask16("fippa-part-3.1", recipient=IDIU16, notice_published=NOTICE)
    assert answer.decision == PERMITTED and "DEIDENTIFY_BEFORE_USE" not in conditions(answer)
    # the agreement's own duty still attaches
    assert "DEIDENTIFY_BEFORE_USE" in conditions(ask16("fippa-part-3.1", recipient=IDIU16, notice_published=NOTICE,
                                                       deidentify=True))


def test_identifiable_data_stays_in_the_unit() -> None:
    answer = ask16("fippa-42-1-e", provider=IDIU16, recipient=MTO, findings={"enabling_act": "An Act"})
    assert answer.decision == NOT_PERMITTED
    assert codes(answer) == ["IDENTIFIABLE_DATA_LEAVING_UNIT"]
    assert answer.reasons[0].dataset == "claims" and answer.reasons[0].agreement == "dsa-1"
    # also where no agreement covers the dataset: both reasons
    none = ask16("fippa-42-1-e", provider=IDIU16, recipient=MTO, agreements=[], between=[])
    assert codes(none) == ["IDENTIFIABLE_DATA_LEAVING_UNIT", "NO_AGREEMENT"]
    # a de-identified dataset leaves it
    deid = ask16("fippa-42-1-e", provider=IDIU16, recipient=MTO, datasets=[dataset(pi=False)])
    assert deid.decision == PERMITTED and "IDENTIFIABLE_DATA_LEAVING_UNIT" not in codes(deid)
    # an organisation designated under no confining authority is not held to it
    assert "IDENTIFIABLE_DATA_LEAVING_UNIT" not in codes(ask16("fippa-42-1-e", findings={"enabling_act": "An Act"}))


def test_investigation_disclosures_go_to_institutions_or_law_enforcement_only() -> None:
    assert ask16("fippa-42-1-g", recipient=POLICE).decision == PERMITTED
    assert ask16("fippa-42-1-g", recipient=MTO).decision == PERMITTED
    university = ask16("fippa-42-1-g", recipient=UNIVERSITY)
    assert university.decision == NOT_PERMITTED and codes(university) == ["RECIPIENT_NOT_ELIGIBLE"]


def test_compelling_health_or_safety_requires_notice_to_the_individual() -> None:
    answer = ask16("fippa-42-1-h")
    assert answer.decision == CONDITIONAL and conditions(answer) == {"NOTIFY_INDIVIDUAL"}
    assert answer.conditions[0].authority == "fippa-42-1-h"


def test_a_cited_authority_with_its_finding_recorded_carries_the_share_before_one_without() -> None:
    both = ask16("fippa-42-1-c", authorities=["fippa-42-1-c", "fippa-42-1-e"], findings={"enabling_act": "An Act"})
    assert both.decision == PERMITTED and "FINDING_REQUIRED" not in codes(both)
    neither = ask16("fippa-42-1-c", authorities=["fippa-42-1-c", "fippa-42-1-e"])
    assert neither.decision == CONDITIONAL and neither.reasons[1].authority == "fippa-42-1-c"
