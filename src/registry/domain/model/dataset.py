"""Datasets (DCAT 3), their steward (vCard) and how they were made (PROV-O)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import StrictBool, StringConstraints
from rdflib import Graph, Literal, URIRef

from registry.domain.model.common import (
    Duration,
    Input,
    RecordGraphs,
    RecordKind,
    ShortText,
    Slug,
    Text,
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
from registry.namespaces import (
    ACCESS_RIGHT,
    ACTIVITY_KIND,
    ADMS,
    DCAT,
    DCTERMS,
    DPV,
    PD_CATEGORY,
    PROV,
    RDF,
    REG,
    SENSITIVITY,
    SKOS,
    VCARD,
)

ACCESS_CODES = {"public": "PUBLIC", "restricted": "RESTRICTED", "non-public": "NON_PUBLIC"}
ACCESS_BY_IRI = {str(ACCESS_RIGHT[v]): k for k, v in ACCESS_CODES.items()}
ACTIVITY_CLASSES = {
    "linkage": REG.LinkageActivity,
    "deidentification": REG.DeidentificationActivity,
    "aggregation": REG.AggregationActivity,
    "extraction": REG.ExtractionActivity,
}


class StewardIn(Input):
    name: ShortText | None = None
    email: ShortText | None = None


class GeneratedByIn(Input):
    kind: Slug | None = None
    by: Slug | None = None
    date: dt.date | None = None


class LineageIdIn(Input):
    """The name of a dataset in data pipelines: an OpenLineage (namespace, name) pair."""

    namespace: Annotated[str, StringConstraints(min_length=1, max_length=1_000)]
    name: Annotated[str, StringConstraints(min_length=1, max_length=1_000)]


def lineage_key(namespace: str, name: str) -> str:
    """A stable short hash of an OpenLineage (namespace, name) pair."""
    return hashlib.sha256(f"{namespace}\n{name}".encode()).hexdigest()[:16]


class DatasetIn(Input):
    id: Slug
    title: ShortText | None = None
    description: Text | None = None
    publisher: Slug | None = None
    steward: StewardIn | None = None
    keywords: list[ShortText] = []
    themes: list[ShortText] = []
    access: Slug | None = None
    sensitivity: Slug | None = None
    personal_information: StrictBool | None = None
    personal_data_categories: list[Slug] = []
    retention: Duration | None = None
    issued: dt.date | None = None
    modified: dt.date | None = None
    derived_from: list[Slug] = []
    generated_by: GeneratedByIn | None = None
    #: the dataset's names in data pipelines (OpenLineage), to match pipeline events to it
    openlineage: list[LineageIdIn] = []
    #: the licence: the IRI of a licence document (dct:license), or its name when it has none
    licence: ShortText | None = None


def access_iri(code: str) -> URIRef:
    return ACCESS_RIGHT[ACCESS_CODES.get(code, "unknown-" + code)]


def to_rdf(d: DatasetIn, iris: Iris) -> RecordGraphs:
    s = iris.record("dataset", d.id)
    rg = RecordGraphs(s)
    pub, res = rg.public, rg.restricted
    pub.add((s, RDF.type, DCAT.Dataset))
    pub.add((s, DCTERMS.identifier, Literal(d.id)))
    if d.title is not None:
        pub.add((s, DCTERMS.title, Literal(d.title)))
    if d.description is not None:
        pub.add((s, DCTERMS.description, Literal(d.description)))
    if d.publisher is not None:
        pub.add((s, DCTERMS.publisher, iris.record("organization", d.publisher)))
    for k in d.keywords:
        pub.add((s, DCAT.keyword, Literal(k)))
    for t in d.themes:
        pub.add((s, DCAT.theme, Literal(t)))
    if d.access is not None:
        pub.add((s, DCTERMS.accessRights, access_iri(d.access)))
    if d.sensitivity is not None:
        pub.add((s, REG.sensitivity, code_iri(SENSITIVITY, d.sensitivity)))
    if d.issued is not None:
        pub.add((s, DCTERMS.issued, lit_date(d.issued)))
    if d.modified is not None:
        pub.add((s, DCTERMS.modified, lit_date(d.modified)))
    if d.licence is not None:
        is_iri = re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", d.licence) is not None
        pub.add((s, DCTERMS.license, URIRef(d.licence) if is_iri else Literal(d.licence)))
    sources = [iris.record("dataset", x) for x in d.derived_from]
    for src in sources:
        pub.add((s, PROV.wasDerivedFrom, src))
    if d.generated_by is not None:
        gb = d.generated_by
        act = URIRef(f"{s}/activity")
        pub.add((s, PROV.wasGeneratedBy, act))
        pub.add((act, RDF.type, PROV.Activity))
        if gb.kind is not None:
            pub.add((act, REG.activityKind, code_iri(ACTIVITY_KIND, gb.kind)))
            if gb.kind in ACTIVITY_CLASSES:
                pub.add((act, RDF.type, ACTIVITY_CLASSES[gb.kind]))
        if gb.by is not None:
            pub.add((act, PROV.wasAssociatedWith, iris.record("organization", gb.by)))
        if gb.date is not None:
            pub.add((act, REG.activityDate, lit_date(gb.date)))
        for src in sources:
            pub.add((act, PROV.used, src))
    # restricted: who to call, what kind of personal data, how long it is kept
    if d.personal_information is not None:
        res.add((s, REG.containsPersonalInformation, Literal(d.personal_information)))
    for c in d.personal_data_categories:
        res.add((s, DPV.hasPersonalDataCategory, code_iri(PD_CATEGORY, c)))
    if d.retention is not None:
        res.add((s, REG.retentionPeriod, lit_duration(d.retention)))
    if d.steward is not None:
        st = URIRef(f"{s}/steward")
        res.add((s, REG.steward, st))
        res.add((s, DCAT.contactPoint, st))
        res.add((st, RDF.type, REG.Steward))
        res.add((st, RDF.type, VCARD.Individual))
        if d.steward.name is not None:
            res.add((st, VCARD.fn, Literal(d.steward.name)))
        if d.steward.email is not None:
            res.add((st, VCARD.hasEmail, URIRef("mailto:" + d.steward.email.replace(" ", "%20"))))
    for ol in d.openlineage:  # restricted: pipeline namespaces often name internal hosts
        node = URIRef(f"{s}/openlineage/{lineage_key(ol.namespace, ol.name)}")
        res.add((s, ADMS.identifier, node))
        res.add((node, RDF.type, ADMS.Identifier))
        res.add((node, ADMS.schemaAgency, Literal("OpenLineage")))
        res.add((node, REG.lineageNamespace, Literal(ol.namespace)))
        res.add((node, SKOS.notation, Literal(ol.name)))
    return rg


def from_rdf(g: Graph, s: URIRef, iris: Iris) -> dict[str, Any]:
    access = one(g, s, DCTERMS.accessRights)
    sens = one(g, s, REG.sensitivity)
    publisher = one(g, s, DCTERMS.publisher)
    issued = one(g, s, DCTERMS.issued)
    out: dict[str, Any] = {
        "id": iris.id_of(s),
        "title": text(g, s, DCTERMS.title),
        "description": text(g, s, DCTERMS.description),
        "publisher": iris.id_of(publisher) if publisher is not None else None,
        "keywords": sorted(str(k) for k in g.objects(s, DCAT.keyword)),
        "access": ACCESS_BY_IRI.get(str(access), str(access)) if access is not None else None,
        "sensitivity": code_of(SENSITIVITY, sens) if sens is not None else None,
        "issued": str(issued) if issued is not None else None,
        "derived_from": ids(g, s, PROV.wasDerivedFrom, iris),
        "generated_by": None,
    }
    themes = sorted(str(t) for t in g.objects(s, DCAT.theme))
    if themes:
        out["themes"] = themes
    if (m := one(g, s, DCTERMS.modified)) is not None:
        out["modified"] = str(m)
    if (lic := one(g, s, DCTERMS.license)) is not None:
        out["licence"] = str(lic)
    act = one(g, s, PROV.wasGeneratedBy)
    if act is not None:
        kind = one(g, act, REG.activityKind)
        by = one(g, act, PROV.wasAssociatedWith)
        when = one(g, act, REG.activityDate)
        out["generated_by"] = {
            "kind": code_of(ACTIVITY_KIND, kind) if kind is not None else None,
            "by": iris.id_of(by) if by is not None else None,
            "date": str(when) if when is not None else None,
        }
    # restricted fields appear only when the caller's view holds them
    if (pi := boolean(g, s, REG.containsPersonalInformation)) is not None:
        out["personal_information"] = pi
        out["personal_data_categories"] = codes(g, s, DPV.hasPersonalDataCategory, PD_CATEGORY)
    if (r := text(g, s, REG.retentionPeriod)) is not None:
        out["retention"] = r
    st = one(g, s, REG.steward)
    if st is not None:
        email = text(g, st, VCARD.hasEmail)
        out["steward"] = {
            "name": text(g, st, VCARD.fn),
            "email": email.removeprefix("mailto:").replace("%20", " ") if email else None,
        }
    lineage_ids = [{"namespace": text(g, n, REG.lineageNamespace), "name": text(g, n, SKOS.notation)}
                   for n in g.objects(s, ADMS.identifier) if (n, REG.lineageNamespace, None) in g]
    if lineage_ids:
        out["openlineage"] = sorted(lineage_ids, key=lambda x: (x["namespace"] or "", x["name"] or ""))
    if (ret := text(g, s, REG.retired)) is not None:
        out["retired"] = ret
    return out


def references(d: DatasetIn) -> Iterable[tuple[str, str]]:
    if d.publisher:
        yield "organization", d.publisher
    for x in d.derived_from:
        yield "dataset", x
    if d.generated_by is not None and d.generated_by.by:
        yield "organization", d.generated_by.by


DATASET = RecordKind(
    name="dataset",
    collection="datasets",
    rdf_type=DCAT.Dataset,
    model=DatasetIn,
    to_rdf=to_rdf,
    from_rdf=from_rdf,
    fields={
        DCTERMS.identifier: "id",
        DCTERMS.title: "title",
        DCTERMS.description: "description",
        DCTERMS.publisher: "publisher",
        REG.steward: "steward",
        DCAT.contactPoint: "steward",
        VCARD.fn: "steward.name",
        VCARD.hasEmail: "steward.email",
        DCAT.keyword: "keywords",
        DCAT.theme: "themes",
        DCTERMS.accessRights: "access",
        REG.sensitivity: "sensitivity",
        REG.containsPersonalInformation: "personal_information",
        DPV.hasPersonalDataCategory: "personal_data_categories",
        REG.retentionPeriod: "retention",
        DCTERMS.issued: "issued",
        DCTERMS.modified: "modified",
        DCTERMS.license: "licence",
        PROV.wasDerivedFrom: "derived_from",
        PROV.wasGeneratedBy: "generated_by",
        REG.activityKind: "generated_by.kind",
        PROV.wasAssociatedWith: "generated_by.by",
        REG.activityDate: "generated_by.date",
        ADMS.identifier: "openlineage",
        REG.lineageNamespace: "openlineage.namespace",
        SKOS.notation: "openlineage.name",
    },
    references=references,
    filters={
        "publisher": (DCTERMS.publisher, None),
        "access": (DCTERMS.accessRights, ACCESS_RIGHT),
        "keyword": (DCAT.keyword, None),
        "sensitivity": (REG.sensitivity, SENSITIVITY),
    },
    in_lineage=True,
    owner_fields=("publisher",),
)
