"""Disposals: a recipient's record that it disposed of datasets received under an agreement (a PROV activity,
attested by a vCard individual). A restricted record with no public graph, written and read under its
agreement (services/disposals.py), not one of the REST collections of KINDS."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import StringConstraints, field_validator
from rdflib import Graph, Literal, URIRef

from registry.domain.model.common import (
    Input,
    RecordGraphs,
    RecordKind,
    ShortText,
    Slug,
    Text,
    code_iri,
    code_of,
    ids,
    lit_date,
    one,
    text,
)
from registry.iris import Iris
from registry.namespaces import DCTERMS, DISPOSAL_METHOD, PROV, RDF, REG, VCARD

#: an e-mail address that is also a valid IRI once written as mailto: (no space, quote or angle bracket)
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s<>\"{}|\\^`]+@[^@\s<>\"{}|\\^`]+\.[^@\s<>\"{}|\\^`]+$")]
#: the most datasets one disposal names
MAX_DATASETS = 1000


class AttesterIn(Input):
    """Who attests the disposal."""

    name: ShortText | None = None
    email: Email | None = None


class DisposalIn(Input):
    """A disposal as its recorder sends it (POST /agreements/{id}/disposals); what is required is the shapes'
    business (shapes/disposal.ttl), so every missing field is reported at once."""

    datasets: list[Slug] = []
    date: dt.date | None = None
    method: Slug | None = None
    attested_by: AttesterIn | None = None
    note: Text | None = None

    @field_validator("datasets")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(v) > MAX_DATASETS:
            raise ValueError(f"at most {MAX_DATASETS} datasets in one disposal")
        return list(dict.fromkeys(v))


class Disposal(DisposalIn):
    """A disposal as it is stored: what was sent, the agreement it is under, who recorded it and when."""

    id: Slug
    agreement: Slug
    recipient: Slug | None = None
    recorded_by: ShortText
    recorded_on: dt.date


def to_rdf(d: Disposal, iris: Iris) -> RecordGraphs:
    """Every triple is restricted: a disposal has no public graph."""
    s = iris.record("disposal", d.id)
    rg = RecordGraphs(s)
    res = rg.restricted
    res.add((s, RDF.type, REG.Disposal))
    res.add((s, RDF.type, PROV.Activity))
    res.add((s, DCTERMS.identifier, Literal(d.id)))
    res.add((s, REG.disposalUnder, iris.record("agreement", d.agreement)))
    if d.recipient is not None:
        res.add((s, PROV.wasAssociatedWith, iris.record("organization", d.recipient)))
    for ds in d.datasets:
        res.add((s, REG.disposedOf, iris.record("dataset", ds)))
    if d.date is not None:
        res.add((s, REG.disposalDate, lit_date(d.date)))
    if d.method is not None:
        res.add((s, REG.disposalMethod, code_iri(DISPOSAL_METHOD, d.method)))
    if d.attested_by is not None:
        a = URIRef(f"{s}/attester")
        res.add((s, REG.attestedBy, a))
        res.add((a, RDF.type, VCARD.Individual))
        if d.attested_by.name is not None:
            res.add((a, VCARD.fn, Literal(d.attested_by.name)))
        if d.attested_by.email is not None:
            res.add((a, VCARD.hasEmail, URIRef("mailto:" + d.attested_by.email)))
    if d.note is not None:
        res.add((s, REG.disposalNote, Literal(d.note)))
    res.add((s, REG.recordedBy, Literal(d.recorded_by)))
    res.add((s, REG.recordedOn, lit_date(d.recorded_on)))
    return rg


def from_rdf(g: Graph, s: URIRef, iris: Iris) -> dict[str, Any]:
    agreement, recipient, method = one(g, s, REG.disposalUnder), one(g, s, PROV.wasAssociatedWith), one(g, s, REG.disposalMethod)
    out: dict[str, Any] = {
        "id": iris.id_of(s),
        "agreement": iris.id_of(agreement) if agreement is not None else None,
        "recipient": iris.id_of(recipient) if recipient is not None else None,
        "datasets": ids(g, s, REG.disposedOf, iris),
        "date": text(g, s, REG.disposalDate),
        "method": code_of(DISPOSAL_METHOD, method) if method is not None else None,
    }
    a = one(g, s, REG.attestedBy)
    if a is not None:
        email = text(g, a, VCARD.hasEmail)
        out["attested_by"] = {"name": text(g, a, VCARD.fn), "email": email.removeprefix("mailto:") if email else None}
    if (note := text(g, s, REG.disposalNote)) is not None:
        out["note"] = note
    out["recorded_by"] = text(g, s, REG.recordedBy)
    out["recorded_on"] = text(g, s, REG.recordedOn)
    return out


def references(d: Disposal) -> Iterable[tuple[str, str]]:
    yield "agreement", d.agreement
    for ds in d.datasets:
        yield "dataset", ds


DISPOSAL = RecordKind(
    name="disposal",
    collection="disposals",
    rdf_type=REG.Disposal,
    model=Disposal,
    to_rdf=to_rdf,
    from_rdf=from_rdf,
    fields={
        DCTERMS.identifier: "id",
        REG.disposalUnder: "agreement",
        REG.disposedOf: "datasets",
        REG.disposalDate: "date",
        REG.disposalMethod: "method",
        REG.attestedBy: "attested_by",
        VCARD.fn: "attested_by.name",
        VCARD.hasEmail: "attested_by.email",
        REG.disposalNote: "note",
        REG.recordedBy: "recorded_by",
        REG.recordedOn: "recorded_on",
    },
    references=references,
    owner_fields=("recipient",),
)
