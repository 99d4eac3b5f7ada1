"""The legal rules (DESIGN.md section 5) as pure functions over facts: a share proposal and what the
records, the lineage and the reference catalogues say about it go in, an `Answer` comes out.

Open data needs no agreement; other data needs an agreement in force between these parties that covers
the dataset and the purpose; personal information also needs a cited authority whose requirements the
proposal meets. Every applicable reason is reported, and the duties of the agreement and the authority
become conditions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import StrictBool, field_validator

from registry.domain.model.common import Input, Slug
from registry.domain.model.organization import governed_by

PERMITTED, CONDITIONAL, NOT_PERMITTED = "permitted", "conditional", "not_permitted"


class ShareProposal(Input):
    """A proposed share, as a privacy officer would describe it."""

    datasets: list[Slug]
    provider: Slug
    recipient: Slug
    purpose: Slug
    date: dt.date | None = None
    deidentified: StrictBool = False
    onward_disclosure: StrictBool = False
    #: the individuals concerned have consented (for authorities that require consent)
    consent: StrictBool = False
    #: a research ethics board has approved the use (for authorities that require it)
    ethics_approval: StrictBool = False
    #: answer from the records as they stood at this moment (default: as they are now)
    as_of: dt.datetime | None = None

    @field_validator("datasets")
    @classmethod
    def _some(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("name at least one dataset")
        if len(v) > 200:
            raise ValueError("at most 200 datasets in one check")
        return list(dict.fromkeys(v))


#: what would be needed for the share to proceed, by failing reason code
REMEDIES = {
    "NO_AGREEMENT": "Negotiate and register a data-sharing agreement between the parties that covers the datasets "
                    "and purpose and cites a legal authority, then have a privacy officer approve it.",
    "AGREEMENT_NOT_IN_FORCE": "Renew or extend the agreement so that it is in force on the date of the share, or "
                              "share within its dates.",
    "AGREEMENT_NOT_APPROVED": "Have a privacy officer approve the agreement (status active), or reinstate it if "
                              "it is suspended.",
    "DATASET_NOT_COVERED": "Amend the agreement to add the dataset, or register a new agreement for it.",
    "PURPOSE_NOT_COVERED": "Amend the agreement to add this purpose (or a broader one that includes it), if the "
                           "cited authority permits it.",
    "RECIPIENT_NOT_ELIGIBLE": "Share with a recipient the authority allows (for Part III.1, a designated data "
                              "integration unit), or rely on a different authority.",
    "ONWARD_DISCLOSURE_PROHIBITED": "Drop the onward disclosure, or obtain a separate authority and agreement for it.",
    "NO_LEGAL_BASIS": "Cite an authority that permits this purpose for this recipient, and meet its requirements "
                      "(consent, ethics approval, de-identification) before sharing.",
    "INHERITED_PERSONAL_INFORMATION": "Treat the dataset as personal information, or de-identify it (record a "
                                      "de-identification activity in its lineage) before sharing it as non-personal.",
    "STATUTE_NOT_APPLICABLE": "Cite an authority of a statute that governs the provider (FIPPA for a provincial "
                              "institution, MFIPPA for a municipal one, PHIPA for a health information custodian), "
                              "or correct the provider's governed_by if it is wrong; a PHIPA provision applies "
                              "only to personal health information (a dataset with the health category).",
    "FINDING_REQUIRED": "Record in the agreement the finding the authority rests on (consistent_purpose_finding: why "
                        "the purpose is the purpose of collection or consistent with it; enabling_act: the Act, "
                        "agreement or treaty the disclosure complies with; research_agreement: the agreement the "
                        "researcher signed).",
    "NOTICE_NOT_PUBLISHED": "Publish the public notice of the data integration unit's collection and record it in "
                            "the agreement (notice: url and date published) before the unit collects.",
    "IDENTIFIABLE_DATA_LEAVING_UNIT": "Disclose a de-identified dataset instead: register it with a "
                                      "de-identification activity in its lineage. Identifiable or linked "
                                      "information stays in the data integration unit.",
}


#: Which restricted fields each reason's and condition's message (and its other keys) draws on, by code:
#: "dataset", the personal-information status or lineage path of the dataset it names (or, naming none, of
#: every dataset of the check); "agreement", the terms (de-identification, onward disclosure, retention) of
#: the agreement it names. A caller who cannot read those fields of that record gets the code, the ids and
#: the remedy, and "withheld" for the rest (`share_checks.withhold`). A new code must be declared here.
QUOTES: dict[str, frozenset[str]] = {
    # a provider's governed_by, an agreement's notice and findings are public
    **dict.fromkeys(("AGREEMENT_IN_FORCE", "AGREEMENT_NOT_IN_FORCE", "AGREEMENT_NOT_APPROVED", "DATASET_NOT_COVERED",
                     "PURPOSE_NOT_COVERED", "RECIPIENT_NOT_ELIGIBLE", "FINDING_REQUIRED",
                     "NOTICE_NOT_PUBLISHED", "RECORD_FINDING", "NOTIFY_INDIVIDUAL"), frozenset()),
    # STATUTE_NOT_APPLICABLE: the kinds of information a dataset carries follow its restricted categories
    **dict.fromkeys(("OPEN_DATA", "NO_AGREEMENT", "INHERITED_PERSONAL_INFORMATION", "NO_LEGAL_BASIS",
                     "IDENTIFIABLE_DATA_LEAVING_UNIT", "STATUTE_NOT_APPLICABLE"), frozenset({"dataset"})),
    # the presence of an agreement's variant of these (beside the authority's) tells its terms
    **dict.fromkeys(("ONWARD_DISCLOSURE_PROHIBITED", "DEIDENTIFY_BEFORE_USE", "RETENTION_LIMIT",
                     "NO_ONWARD_DISCLOSURE"), frozenset({"agreement"})),
}


def _declared(code: str) -> None:
    if code not in QUOTES:
        raise ValueError(f"declare in legal.QUOTES which restricted fields a {code} message quotes")


@dataclass
class Reason:
    code: str
    message: str
    dataset: str | None = None
    agreement: str | None = None
    authority: str | None = None
    path: list[str] | None = None

    def __post_init__(self) -> None:
        _declared(self.code)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        for k in ("dataset", "agreement", "authority", "path"):
            v = getattr(self, k)
            if v is not None:
                out[k] = v
        if self.code in REMEDIES:
            out["remedy"] = REMEDIES[self.code]
        return out


@dataclass
class Condition:
    code: str
    message: str
    agreement: str | None = None
    authority: str | None = None

    def __post_init__(self) -> None:
        _declared(self.code)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.agreement:
            out["agreement"] = self.agreement
        if self.authority:
            out["authority"] = self.authority
        return out


@dataclass
class Answer:
    decision: str
    reasons: list[Reason]
    conditions: list[Condition]
    basis: list[dict[str, Any]]
    datasets: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "reasons": [r.as_json() for r in self.reasons],
            "conditions": [c.as_json() for c in self.conditions],
            "basis": self.basis,
            "datasets": self.datasets,
        }


# ---------------------------------------------------------------------------------------------- facts


@dataclass
class DatasetFacts:
    id: str
    title: str
    publisher: str | None
    access: str | None
    declared_pi: bool
    effective_pi: bool
    inherited_from: list[str] | None  # the lineage path that carries personal information, if inherited
    #: the kinds of regulated information it carries (personal-information, personal-health-information)
    information: frozenset[str] = frozenset()

    @property
    def open(self) -> bool:
        return self.access == "public" and not self.effective_pi


@dataclass
class OrgFacts:
    id: str
    name: str
    kind: str | None
    designations: set[str]
    ancestors: set[str]
    #: the statutes its record states (None: the default of its kind)
    stated_statutes: frozenset[str] | None = None

    @property
    def statutes(self) -> list[str]:
        """The statutes that govern it as a discloser."""
        return governed_by(self.kind, self.stated_statutes)


@dataclass
class AgreementFacts:
    id: str
    title: str
    status: str | None
    valid_from: dt.date | None
    valid_until: dt.date | None
    datasets: set[str]
    purposes: set[str]
    authorities: list[str]
    deidentify: bool | None
    onward: bool | None
    retention: str | None
    retired: bool
    notice_published: dt.date | None = None
    #: the findings it records, by field (enabling_act, consistent_purpose_finding)
    findings: Mapping[str, str] = field(default_factory=dict)

    def in_force(self, on: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_until is None or on <= self.valid_until)

    def dates(self) -> str:
        until = self.valid_until.isoformat() if self.valid_until else "no end date"
        start = self.valid_from.isoformat() if self.valid_from else "its signature"
        return f"from {start} to {until}"


@dataclass(frozen=True)
class Requirements:
    """What an authority asks of a proposal (empty or false: no such requirement)."""

    purposes: tuple[str, ...] = ()
    recipient_kinds: tuple[str, ...] = ()
    #: the kinds of organisation that may disclose under it (empty: any the statute governs)
    provider_kinds: tuple[str, ...] = ()
    designation: bool = False
    same_institution: bool = False
    deidentification: bool = False
    consent: bool = False
    ethics_approval: bool = False
    prohibits_onward_disclosure: bool = False
    #: the agreement field that must record the finding an open-ended clause rests on
    finding: str | None = None
    #: a public notice of the collection published on or before the date of the share
    published_notice: bool = False
    #: the individual is notified of the disclosure
    notify_individual: bool = False
    #: an organisation designated under it discloses only de-identified data
    confines_identifiable_data: bool = False


@dataclass(frozen=True)
class AuthorityFacts:
    """One entry of the authority catalogue."""

    id: str
    label: str | None
    statute: str | None = None
    section: str | None = None
    citation: str | None = None
    source: str | None = None
    requirements: Requirements = Requirements()
    #: the statute it belongs to, which must govern the provider (fippa, mfippa, phipa)
    under_statute: str | None = None
    #: the kinds of information it governs (empty: any)
    applies_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Purposes:
    """The purpose vocabulary: each purpose's label and its broader purpose."""

    labels: Mapping[str, str] = field(default_factory=dict)
    broader: Mapping[str, str | None] = field(default_factory=dict)

    def label(self, pid: str) -> str:
        return self.labels.get(pid, pid)

    def ancestors(self, pid: str) -> list[str]:
        """The purpose itself and every broader purpose above it, nearest first (none if unknown)."""
        out: list[str] = []
        cur: str | None = pid if pid in self.broader else None
        while cur is not None and cur not in out:
            out.append(cur)
            nxt = self.broader.get(cur)
            cur = nxt if nxt in self.broader else None
        return out


@dataclass(frozen=True)
class Reference:
    """The reference data the rules read: the authority catalogue and the purpose vocabulary."""

    authorities: Mapping[str, AuthorityFacts]
    purposes: Purposes
    #: the label of each kind of regulated information
    information: Mapping[str, str] = field(default_factory=dict)
    #: what each finding field of an agreement records (from the ontology), by field
    findings: Mapping[str, str] = field(default_factory=dict)


@dataclass
class _Outcome:
    """The verdict on one dataset."""

    reasons: list[Reason] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    basis: list[dict[str, Any]] = field(default_factory=list)
    ok: bool = False


# ---------------------------------------------------------------------------------------------- rules


def needing_agreement(datasets: Sequence[DatasetFacts]) -> list[DatasetFacts]:
    """The datasets that are not open data, so need an agreement (none: the share is open data)."""
    return [d for d in datasets if not d.open]


def uncovered(datasets: Sequence[DatasetFacts], agreements: Sequence[AgreementFacts]) -> list[DatasetFacts]:
    """The datasets needing an agreement that no (unretired) agreement of `agreements` covers: only for
    these does `decide` need the ids of the other agreements between the parties."""
    live = [a for a in agreements if not a.retired]
    return [d for d in needing_agreement(datasets) if not any(d.id in a.datasets for a in live)]


def decide(p: ShareProposal, on: dt.date, provider: OrgFacts, recipient: OrgFacts, datasets: Sequence[DatasetFacts],
           agreements: Sequence[AgreementFacts], ref: Reference, between: Sequence[str] | None = None) -> Answer:
    """The answer to `p` on `on`. `agreements`: those from provider to recipient that cover a dataset of
    the proposal; `between`: the first ids (up to 11) of any unretired agreement between the parties,
    needed only when `uncovered(datasets, agreements)` names a dataset."""
    reasons: list[Reason] = []
    conditions: list[Condition] = []
    basis: list[dict[str, Any]] = []
    summary = [{"id": d.id, "title": d.title, "access": d.access, "personal_information": d.effective_pi,
                "inherited_from": d.inherited_from} for d in datasets]

    for d in datasets:
        if d.inherited_from:
            chain = " <- ".join(d.inherited_from)
            reasons.append(Reason(
                "INHERITED_PERSONAL_INFORMATION",
                f"“{d.title}” is not flagged as personal information, but it is derived from personal "
                f"information ({chain}) with no de-identification in between, so it is treated as "
                f"personal information.", dataset=d.id, path=d.inherited_from))

    shared = needing_agreement(datasets)
    if not shared:
        titles = ", ".join(f"“{d.title}”" for d in datasets)
        reasons.append(Reason("OPEN_DATA", f"{titles} {'is' if len(datasets) == 1 else 'are'} public and "
                              "carr" + ("ies" if len(datasets) == 1 else "y") + " no personal information: "
                              "open data needs no agreement."))
        return Answer(PERMITTED, reasons, [], [], summary)

    if between is None and uncovered(datasets, agreements):
        raise ValueError("a dataset no agreement covers: pass the ids of the agreements between the parties")
    live = [a for a in agreements if not a.retired]
    outcomes = [_dataset_outcome(p, on, provider, recipient, d, live, ref, between or ()) for d in shared]
    for o in outcomes:
        reasons += o.reasons
        conditions += o.conditions
        basis += o.basis
    ok = all(o.ok for o in outcomes)
    decision = (CONDITIONAL if conditions else PERMITTED) if ok else NOT_PERMITTED
    return Answer(decision, _unique(reasons), _unique(conditions) if ok else [], _unique(basis), summary)


def _dataset_outcome(p: ShareProposal, on: dt.date, provider: OrgFacts, recipient: OrgFacts, d: DatasetFacts,
                     agreements: list[AgreementFacts], ref: Reference, between: Sequence[str]) -> _Outcome:
    out = _Outcome()
    parties = f"{provider.name} to {recipient.name}"
    covering = [a for a in agreements if d.id in a.datasets]
    leaving = _leaving_unit(provider, recipient, d, ref)
    if leaving is not None and not covering:
        out.reasons.append(leaving)
    if not covering:
        if not between:
            out.reasons.append(Reason(
                "NO_AGREEMENT", f"No data-sharing agreement from {parties} is registered, so “{d.title}” "
                f"({'personal information' if d.effective_pi else 'not open data'}) cannot be shared.",
                dataset=d.id))
            return out
        names = ", ".join(between[:10]) + (" and more" if len(between) > 10 else "")
        out.reasons.append(Reason(
            "DATASET_NOT_COVERED", f"Agreements exist from {parties} ({names}), but none of them covers "
            f"“{d.title}”.", dataset=d.id, agreement=between[0] if len(between) == 1 else None))
        return out

    label = ref.purposes.label
    ancestors = ref.purposes.ancestors(p.purpose)
    candidates: list[list[Reason]] = []
    for a in covering:
        fails = []
        if a.status != "active":
            fails.append(Reason(
                "AGREEMENT_NOT_APPROVED", f"Agreement {a.id} (“{a.title}”) is {a.status or 'without a status'}, "
                "not active: only an approved, active agreement gives authority to share.",
                dataset=d.id, agreement=a.id))
        if not a.in_force(on):
            fails.append(Reason(
                "AGREEMENT_NOT_IN_FORCE", f"Agreement {a.id} (“{a.title}”) runs {a.dates()}, so it is not "
                f"in force on {on.isoformat()}.", dataset=d.id, agreement=a.id))
        covered_by = [x for x in ancestors if x in a.purposes]
        if not covered_by:
            fails.append(Reason(
                "PURPOSE_NOT_COVERED", f"Agreement {a.id} (“{a.title}”) is for "
                f"{', '.join(label(x) for x in sorted(a.purposes)) or 'no stated purpose'}, which does "
                f"not include {label(p.purpose)} (an agreement covers the narrower purposes of its own, "
                "never a broader one).",
                dataset=d.id, agreement=a.id))
        if not fails:
            conditions: list[Condition] = []
            notes: list[Reason] = []
            fails = _terms(p, on, recipient, provider, d, a, ref, conditions, notes)
            if leaving is not None:
                fails.insert(0, Reason(leaving.code, leaving.message, dataset=d.id, agreement=a.id))
            if not fails:
                return _granted(on, parties, label(p.purpose), d, a, label(covered_by[0]), ref, conditions, notes)
        candidates.append(fails)
    # No agreement works: report what fails for each candidate.
    if leaving is not None and not any(r.code == leaving.code for fails in candidates for r in fails):
        out.reasons.append(leaving)
    for fails in candidates:
        out.reasons += fails
    return out


def _leaving_unit(provider: OrgFacts, recipient: OrgFacts, d: DatasetFacts, ref: Reference) -> Reason | None:
    """The reason a data integration unit may not disclose `d`: an organisation designated under an
    authority that confines identifiable data (Part III.1) discloses only de-identified datasets."""
    if not d.effective_pi or recipient.id == provider.id or provider.id in recipient.ancestors:
        return None
    confining = [x for x in sorted(provider.designations)
                 if (e := ref.authorities.get(x)) is not None and e.requirements.confines_identifiable_data]
    if not confining:
        return None
    entry = ref.authorities[confining[0]]
    return Reason(
        "IDENTIFIABLE_DATA_LEAVING_UNIT", f"{provider.name} is designated under {entry.label or entry.id}: "
        f"identifiable or linked personal information stays in the unit, and “{d.title}” carries personal "
        "information (it is not a de-identified dataset).", dataset=d.id, authority=entry.id)


def _terms(p: ShareProposal, on: dt.date, recipient: OrgFacts, provider: OrgFacts, d: DatasetFacts,
           a: AgreementFacts, ref: Reference, conditions: list[Condition], notes: list[Reason]) -> list[Reason]:
    """Failures of the agreement's own terms and, for personal information, its legal basis.
    Conditions that attach are appended to `conditions`, reasons that do not fail it to `notes`."""
    fails: list[Reason] = []
    if p.onward_disclosure and a.onward is not True:
        fails.append(Reason(
            "ONWARD_DISCLOSURE_PROHIBITED", f"Onward disclosure is proposed, but agreement {a.id} "
            f"{'forbids' if a.onward is False else 'does not allow'} disclosing “{d.title}” further.",
            dataset=d.id, agreement=a.id))
    if d.effective_pi:
        authority_fails, satisfied = _authorities(p, on, recipient, provider, d, a, ref)
        if satisfied is None:
            fails += authority_fails
        else:
            _duties(satisfied, d, a, ref, conditions, notes)
            if p.onward_disclosure and satisfied.requirements.prohibits_onward_disclosure:
                fails.append(Reason(
                    "ONWARD_DISCLOSURE_PROHIBITED", f"Onward disclosure is proposed, but {satisfied.label} "
                    "does not allow the recipient to disclose the information further.",
                    dataset=d.id, agreement=a.id, authority=satisfied.id))
            if satisfied.requirements.deidentification and not p.deidentified and not a.deidentify:
                conditions.append(Condition(
                    "DEIDENTIFY_BEFORE_USE", f"{satisfied.label} requires the information to be "
                    "de-identified before it is used.", agreement=a.id, authority=satisfied.id))
    if a.deidentify and not p.deidentified:
        conditions.append(Condition(
            "DEIDENTIFY_BEFORE_USE", f"Agreement {a.id} requires the recipient to de-identify the "
            "data before use.", agreement=a.id))
    if a.retention:
        conditions.append(Condition(
            "RETENTION_LIMIT", f"Agreement {a.id} limits retention to {_duration(a.retention)} "
            f"({a.retention}); the recipient must then destroy or return the data.", agreement=a.id))
    if a.onward is not True and not p.onward_disclosure:
        conditions.append(Condition(
            "NO_ONWARD_DISCLOSURE", f"Under agreement {a.id} the recipient may not disclose the data to "
            "anyone else.", agreement=a.id))
    return fails


def _duties(entry: AuthorityFacts, d: DatasetFacts, a: AgreementFacts, ref: Reference, conditions: list[Condition],
            notes: list[Reason]) -> None:
    """What the authority the share rests on still asks: a recorded finding for an open-ended clause
    (at most conditional until it is recorded), notice to the individual."""
    req, name = entry.requirements, entry.label or entry.id
    if req.finding and not a.findings.get(req.finding):
        what = ref.findings.get(req.finding) or req.finding.replace("_", " ")
        notes.append(Reason(
            "FINDING_REQUIRED", f"{name} rests on a finding the agreement must record: {what} ({req.finding}); "
            f"agreement {a.id} records none.", dataset=d.id, agreement=a.id, authority=entry.id))
        conditions.append(Condition(
            "RECORD_FINDING", f"Record in agreement {a.id} {what} ({req.finding}) before sharing under {name}.",
            agreement=a.id, authority=entry.id))
    if req.notify_individual:
        conditions.append(Condition(
            "NOTIFY_INDIVIDUAL", f"{name} requires notice of the disclosure to be sent to the individual the "
            "information is about, at their last known address.", agreement=a.id, authority=entry.id))


def _authorities(p: ShareProposal, on: dt.date, recipient: OrgFacts, provider: OrgFacts, d: DatasetFacts,
                 a: AgreementFacts, ref: Reference) -> tuple[list[Reason], AuthorityFacts | None]:
    """(failures, the first cited authority whose requirements the proposal meets, if any; one whose finding
    is recorded, or that needs none, before one whose finding is still to record)."""
    fails: list[Reason] = []
    pending: AuthorityFacts | None = None
    if not a.authorities:
        return [Reason("NO_LEGAL_BASIS", f"Agreement {a.id} cites no legal authority, and “{d.title}” is "
                       "personal information.", dataset=d.id, agreement=a.id)], None
    label = ref.purposes.label
    ancestors = ref.purposes.ancestors(p.purpose)
    for aid in a.authorities:
        entry = ref.authorities.get(aid)
        if entry is None:
            fails.append(Reason("NO_LEGAL_BASIS", f"Agreement {a.id} cites {aid}, which is not in the "
                                "authority catalogue.", dataset=d.id, agreement=a.id, authority=aid))
            continue
        req, name = entry.requirements, entry.label
        mine: list[Reason] = []
        if entry.under_statute and entry.under_statute not in provider.statutes:
            governing = ", ".join(x.upper() for x in provider.statutes) or "no privacy statute on record"
            mine.append(Reason(
                "STATUTE_NOT_APPLICABLE", f"{name} is a provision of {entry.under_statute.upper()}, which does "
                f"not govern {provider.name} as a discloser (governed by: {governing}).",
                dataset=d.id, agreement=a.id, authority=aid))
        if entry.applies_to and not d.information & set(entry.applies_to):
            governs = " or ".join(ref.information.get(k, k) for k in entry.applies_to)
            carried = " and ".join(ref.information.get(k, k) for k in sorted(d.information)) or "none"
            mine.append(Reason(
                "STATUTE_NOT_APPLICABLE", f"{name} applies only to {governs}; “{d.title}” carries {carried}, "
                f"not {governs}.", dataset=d.id, agreement=a.id, authority=aid))
        for code, kinds, org, says in (("STATUTE_NOT_APPLICABLE", req.provider_kinds, provider, "lets only a {} disclose"),
                                       ("RECIPIENT_NOT_ELIGIBLE", req.recipient_kinds, recipient,
                                        "allows disclosure only to a {}")):
            if kinds and org.kind not in kinds:
                mine.append(Reason(
                    code, f"{name} {says.format(' or '.join(k.replace('-', ' ') for k in kinds))}; {org.name} is "
                    f"{'a ' + org.kind.replace('-', ' ') if org.kind else 'of no recorded kind'}.",
                    dataset=d.id, agreement=a.id, authority=aid))
        if req.designation and aid not in recipient.designations:
            mine.append(Reason(
                "RECIPIENT_NOT_ELIGIBLE", f"{name} requires the recipient to be designated under it; "
                f"{recipient.name} is not.", dataset=d.id, agreement=a.id, authority=aid))
        if req.same_institution and not (recipient.id == provider.id or provider.id in recipient.ancestors):
            mine.append(Reason(
                "RECIPIENT_NOT_ELIGIBLE", f"{name} covers only disclosures within the institution; "
                f"{recipient.name} is not part of {provider.name}.", dataset=d.id, agreement=a.id,
                authority=aid))
        if req.purposes and not any(x in req.purposes for x in ancestors):
            mine.append(Reason(
                "NO_LEGAL_BASIS", f"{name} permits disclosure only for "
                f"{', '.join(label(x) for x in req.purposes)}, not for {label(p.purpose)}.",
                dataset=d.id, agreement=a.id, authority=aid))
        eligible = not any(r.code == "RECIPIENT_NOT_ELIGIBLE" for r in mine)
        if req.published_notice and eligible and (a.notice_published is None or on < a.notice_published):
            when = (f"was published only on {a.notice_published.isoformat()}" if a.notice_published
                    else "is not recorded in the agreement")
            mine.append(Reason(
                "NOTICE_NOT_PUBLISHED", f"{name} requires a public notice of the collection published on or "
                f"before the date of the share ({on.isoformat()}); the notice of agreement {a.id} {when}.",
                dataset=d.id, agreement=a.id, authority=aid))
        if req.consent and not p.consent:
            mine.append(Reason(
                "NO_LEGAL_BASIS", f"{name} rests on the consent of the individuals, and the proposal does "
                "not record consent.", dataset=d.id, agreement=a.id, authority=aid))
        if req.ethics_approval and not p.ethics_approval:
            mine.append(Reason(
                "NO_LEGAL_BASIS", f"{name} requires approval by a research ethics board, and the proposal "
                "does not record one.", dataset=d.id, agreement=a.id, authority=aid))
        if not mine:
            if not entry.requirements.finding or a.findings.get(entry.requirements.finding):
                return [], entry
            pending = pending or entry  # met, but its finding is not recorded: another may need none
        fails += mine
    return ([], pending) if pending is not None else (fails, None)


def _granted(on: dt.date, parties: str, purpose: str, d: DatasetFacts, a: AgreementFacts, via: str,
             ref: Reference, conditions: list[Condition], notes: Sequence[Reason] = ()) -> _Outcome:
    out = _Outcome(ok=True, conditions=conditions)
    cited = [c for c in (ref.authorities.get(x) for x in a.authorities) if c is not None]
    under = (" under " + "; ".join(f"{c.label} ({c.citation})" for c in cited)) if cited else ""
    purpose_note = purpose if via == purpose else f"{purpose} (within its purpose {via})"
    out.reasons.append(Reason(
        "AGREEMENT_IN_FORCE", f"Agreement {a.id} (“{a.title}”) is active and in force on {on.isoformat()} "
        f"({a.dates()}); it covers the disclosure of “{d.title}” from {parties} for {purpose_note}{under}.",
        dataset=d.id, agreement=a.id, authority=a.authorities[0] if len(a.authorities) == 1 else None))
    out.reasons += notes
    for c in cited:
        out.basis.append({"agreement": a.id, "authority": c.id, "clause": c.section,
                          "statute": c.statute, "citation": c.citation, "source": c.source})
    if not cited:
        out.basis.append({"agreement": a.id, "authority": None, "clause": None, "statute": None,
                          "citation": None, "source": None})
    return out


def _unique(items: list[Any]) -> list[Any]:
    seen, out = set(), []
    for i in items:
        key = repr(i)
        if key not in seen:
            seen.add(key)
            out.append(i)
    return out


def _duration(iso: str) -> str:
    units = {"Y": "year", "M": "month", "W": "week", "D": "day"}
    body = iso[1:] if iso.startswith("P") else iso
    if "T" in body or not body:
        return iso
    parts, num = [], ""
    for ch in body:
        if ch.isdigit():
            num += ch
        elif ch in units and num:
            parts.append(f"{num} {units[ch]}{'s' if num != '1' else ''}")
            num = ""
        else:
            return iso
    return " ".join(parts) or iso
