"""Data-sharing agreements as ODRL 2.2 agreements, with their legal basis and conditions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from pydantic import AnyHttpUrl, StrictBool
from rdflib import Graph, Literal, URIRef

from registry.domain.model.common import (
    Duration,
    Input,
    RecordGraphs,
    RecordKind,
    ShortText,
    Slug,
    boolean,
    code_iri,
    code_of,
    codes,
    ids,
    lit_date,
    lit_duration,
    one,
    text,
)
from registry.iris import Iris
from registry.namespaces import AGREEMENT_STATUS, AUTHORITY, DCTERMS, ODRL2, PURPOSE, RDF, REG, XSD


class ConditionsIn(Input):
    deidentify_before_use: StrictBool | None = None
    onward_disclosure: StrictBool | None = None
    retention: Duration | None = None


class NoticeIn(Input):
    """The public notice of a data integration unit's indirect collection (FIPPA Part III.1)."""

    url: AnyHttpUrl
    published: dt.date


class AgreementIn(Input):
    id: Slug
    title: ShortText | None = None
    provider: Slug | None = None
    recipient: Slug | None = None
    datasets: list[Slug] = []
    purposes: list[Slug] = []
    legal_basis: list[Slug] = []
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    status: Slug | None = None
    issued: dt.date | None = None
    conditions: ConditionsIn | None = None
    notice: NoticeIn | None = None
    enabling_act: ShortText | None = None
    consistent_purpose_finding: ShortText | None = None
    #: the researcher agreement a research disclosure rests on (FIPPA s. 21(1)(e), PHIPA s. 44)
    research_agreement: ShortText | None = None


#: the agreement fields that record a finding an authority may rest on (reg:requiresFinding), public text
FINDINGS = {
    REG.enablingAct: "enabling_act",
    REG.consistentPurposeFinding: "consistent_purpose_finding",
    REG.researchAgreement: "research_agreement",
}


def to_rdf(a: AgreementIn, iris: Iris) -> RecordGraphs:
    s = iris.record("agreement", a.id)
    rg = RecordGraphs(s)
    pub, res = rg.public, rg.restricted
    pub.add((s, RDF.type, REG.DataSharingAgreement))
    pub.add((s, RDF.type, ODRL2.Agreement))
    pub.add((s, DCTERMS.identifier, Literal(a.id)))
    if a.title is not None:
        pub.add((s, DCTERMS.title, Literal(a.title)))
    provider = iris.record("organization", a.provider) if a.provider else None
    recipient = iris.record("organization", a.recipient) if a.recipient else None
    if provider is not None:
        pub.add((s, ODRL2.assigner, provider))
    if recipient is not None:
        pub.add((s, ODRL2.assignee, recipient))
    targets = [iris.record("dataset", d) for d in a.datasets]
    for t in targets:
        pub.add((s, ODRL2.target, t))
    purposes = [code_iri(PURPOSE, p) for p in a.purposes]
    for p in purposes:
        pub.add((s, REG.purpose, p))
    for b in a.legal_basis:
        pub.add((s, REG.legalBasis, code_iri(AUTHORITY, b)))
    if a.valid_from is not None:
        pub.add((s, REG.validFrom, lit_date(a.valid_from)))
    if a.valid_until is not None:
        pub.add((s, REG.validUntil, lit_date(a.valid_until)))
    if a.status is not None:
        pub.add((s, REG.status, code_iri(AGREEMENT_STATUS, a.status)))
    if a.issued is not None:
        pub.add((s, DCTERMS.issued, lit_date(a.issued)))
    if a.notice is not None:
        pub.add((s, REG.noticeUrl, Literal(str(a.notice.url), datatype=XSD.anyURI)))
        pub.add((s, REG.noticePublished, lit_date(a.notice.published)))
    for p, v in FINDINGS.items():
        if (text_value := getattr(a, v)) is not None:
            pub.add((s, p, Literal(text_value)))
    # The same terms as an ODRL permission, for tools that read ODRL: use of the targets, for the
    # purposes, between the dates.
    perm = URIRef(f"{s}/permission")
    pub.add((s, ODRL2.permission, perm))
    pub.add((perm, RDF.type, ODRL2.Permission))
    pub.add((perm, ODRL2.action, ODRL2.use))
    for t in targets:
        pub.add((perm, ODRL2.target, t))
    if purposes:
        c = URIRef(f"{s}/permission/purpose")
        pub.add((perm, ODRL2.constraint, c))
        pub.add((c, ODRL2.leftOperand, ODRL2.purpose))
        pub.add((c, ODRL2.operator, ODRL2.isAnyOf))
        for p in purposes:
            pub.add((c, ODRL2.rightOperand, p))
    for name, op, value in (("from", ODRL2.gteq, a.valid_from), ("until", ODRL2.lteq, a.valid_until)):
        if value is not None:
            c = URIRef(f"{s}/permission/{name}")
            pub.add((perm, ODRL2.constraint, c))
            pub.add((c, ODRL2.leftOperand, ODRL2.dateTime))
            pub.add((c, ODRL2.operator, op))
            pub.add((c, ODRL2.rightOperand, lit_date(value)))
    # restricted: the conditions the parties signed up to
    cond = a.conditions
    if cond is not None:
        if cond.deidentify_before_use is not None:
            res.add((s, REG.deidentifyBeforeUse, Literal(cond.deidentify_before_use)))
            if cond.deidentify_before_use:
                duty = URIRef(f"{s}/duty/deidentify")
                res.add((perm, ODRL2.duty, duty))
                res.add((duty, RDF.type, ODRL2.Duty))
                res.add((duty, ODRL2.action, REG.deidentify))
        if cond.onward_disclosure is not None:
            res.add((s, REG.onwardDisclosure, Literal(cond.onward_disclosure)))
            if not cond.onward_disclosure:
                pro = URIRef(f"{s}/prohibition/onward-disclosure")
                res.add((s, ODRL2.prohibition, pro))
                res.add((pro, RDF.type, ODRL2.Prohibition))
                res.add((pro, ODRL2.action, ODRL2.distribute))
                for t in targets:
                    res.add((pro, ODRL2.target, t))
        if cond.retention is not None:
            res.add((s, REG.retentionPeriod, lit_duration(cond.retention)))
            duty = URIRef(f"{s}/duty/delete")
            res.add((perm, ODRL2.duty, duty))
            res.add((duty, RDF.type, ODRL2.Duty))
            res.add((duty, ODRL2.action, ODRL2.delete))
            c = URIRef(f"{s}/duty/delete/elapsed")
            res.add((duty, ODRL2.constraint, c))
            res.add((c, ODRL2.leftOperand, ODRL2.elapsedTime))
            res.add((c, ODRL2.operator, ODRL2.lteq))
            res.add((c, ODRL2.rightOperand, lit_duration(cond.retention)))
    return rg


def from_rdf(g: Graph, s: URIRef, iris: Iris) -> dict[str, Any]:
    provider = one(g, s, ODRL2.assigner)
    recipient = one(g, s, ODRL2.assignee)
    status = one(g, s, REG.status)
    vf, vu = one(g, s, REG.validFrom), one(g, s, REG.validUntil)
    out: dict[str, Any] = {
        "id": iris.id_of(s),
        "title": text(g, s, DCTERMS.title),
        "provider": iris.id_of(provider) if provider is not None else None,
        "recipient": iris.id_of(recipient) if recipient is not None else None,
        "datasets": ids(g, s, ODRL2.target, iris),
        "purposes": codes(g, s, REG.purpose, PURPOSE),
        "legal_basis": codes(g, s, REG.legalBasis, AUTHORITY),
        "valid_from": str(vf) if vf is not None else None,
        "valid_until": str(vu) if vu is not None else None,
        "status": code_of(AGREEMENT_STATUS, status) if status is not None else None,
    }
    if (i := text(g, s, DCTERMS.issued)) is not None:
        out["issued"] = i
    url, published = text(g, s, REG.noticeUrl), text(g, s, REG.noticePublished)
    if url is not None or published is not None:
        out["notice"] = {"url": url, "published": published}
    for p, name in FINDINGS.items():
        if (v := text(g, s, p)) is not None:
            out[name] = v
    deid = boolean(g, s, REG.deidentifyBeforeUse)
    onward = boolean(g, s, REG.onwardDisclosure)
    retention = text(g, s, REG.retentionPeriod)
    if deid is not None or onward is not None or retention is not None:
        out["conditions"] = {"deidentify_before_use": deid, "onward_disclosure": onward, "retention": retention}
    if (ret := text(g, s, REG.retired)) is not None:
        out["retired"] = ret
    return out


def references(a: AgreementIn) -> Iterable[tuple[str, str]]:
    for o in (a.provider, a.recipient):
        if o:
            yield "organization", o
    for d in a.datasets:
        yield "dataset", d


AGREEMENT = RecordKind(
    name="agreement",
    collection="agreements",
    rdf_type=REG.DataSharingAgreement,
    model=AgreementIn,
    to_rdf=to_rdf,
    from_rdf=from_rdf,
    fields={
        DCTERMS.identifier: "id",
        DCTERMS.title: "title",
        ODRL2.assigner: "provider",
        ODRL2.assignee: "recipient",
        ODRL2.target: "datasets",
        REG.purpose: "purposes",
        REG.legalBasis: "legal_basis",
        REG.validFrom: "valid_from",
        REG.validUntil: "valid_until",
        REG.status: "status",
        REG.deidentifyBeforeUse: "conditions.deidentify_before_use",
        REG.onwardDisclosure: "conditions.onward_disclosure",
        REG.retentionPeriod: "conditions.retention",
        REG.noticeUrl: "notice.url",
        REG.noticePublished: "notice.published",
        **FINDINGS,
    },
    references=references,
    filters={
        "provider": (ODRL2.assigner, None),
        "recipient": (ODRL2.assignee, None),
        "dataset": (ODRL2.target, None),
        "status": (REG.status, AGREEMENT_STATUS),
        "legal_basis": (REG.legalBasis, AUTHORITY),
        "purpose": (REG.purpose, PURPOSE),
    },
    owner_fields=("provider",),
    approved_by_officers=True,
)
