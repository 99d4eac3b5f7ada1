"""Datasets (DCAT 3 / DCAT-AP), their steward (vCard) and how they were made (PROV-O). The DCAT fields
(distributions, landing page, languages, themes, licence, coverage, contact point, source) are public;
the steward, retention and personal-information fields live in the restricted graph."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import replace
from typing import Annotated, Any

from pydantic import PrivateAttr, StrictBool, StringConstraints, model_validator
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from registry.domain.model.common import (
    Duration,
    Input,
    RecordGraphs,
    RecordKind,
    ShortText,
    Slug,
    Triples,
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
from registry.domain.model.dcat import (
    DCAT_VERSION,
    SPDX,
    LangShortText,
    LangText,
    Url,
    add_texts,
    email_of,
    frequency_iri,
    frequency_name,
    iri_or_text,
    lang_value,
    language_iri,
    language_tag,
    mailto,
    theme_term,
    theme_value,
    url_term,
)
from registry.domain.model.distribution import (
    DistributionIn,
    LanguageTag,
    distribution_iri,
    distributions_of,
    index_of,
)
from registry.domain.model.distribution import to_rdf as distribution_rdf
from registry.errors import Violation
from registry.iris import Iris
from registry.namespaces import (
    ACCESS_RIGHT,
    ACTIVITY_KIND,
    ADMS,
    DCAT,
    DCTERMS,
    DPV,
    FOAF,
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


class ContactPointIn(Input):
    """The public contact of a dataset (a team's address, not the steward)."""

    name: ShortText | None = None
    email: ShortText | None = None


class TemporalIn(Input):
    start: dt.date | None = None
    end: dt.date | None = None


class SourceIn(Input):
    """Where an imported record came from: the catalogue, the record's id there, its page."""

    catalogue: ShortText | None = None
    id: ShortText | None = None
    url: Url | None = None


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
    title: LangShortText | None = None
    description: LangText | None = None
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
    license: ShortText | None = None
    #: the same, as the registry spelled it before DCAT-AP's `license` (read and written as an alias)
    licence: ShortText | None = None
    distributions: list[DistributionIn] = []
    landing_page: Url | None = None
    language: list[LanguageTag] = []
    frequency: Slug | None = None
    spatial: list[ShortText] = []
    temporal: TemporalIn | None = None
    version: ShortText | None = None
    conforms_to: list[Url] = []
    contact_point: ContactPointIn | None = None
    source: SourceIn | None = None
    #: the licence was given as `licence` only (results about it then name that field)
    _licence_spelling: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _one_licence(self) -> DatasetIn:
        if self.license is not None and self.licence is not None and self.license != self.licence:
            raise ValueError("license and licence (its other spelling) are given with different values")
        if self.license is None:
            self._licence_spelling = self.licence is not None
            self.license = self.licence
        self.licence = self.license
        return self


def access_iri(code: str) -> URIRef:
    return ACCESS_RIGHT[ACCESS_CODES.get(code, "unknown-" + code)]


def to_rdf(d: DatasetIn, iris: Iris) -> RecordGraphs:
    s = iris.record("dataset", d.id)
    rg = RecordGraphs(s)
    pub, res = rg.public, rg.restricted
    pub.add((s, RDF.type, DCAT.Dataset))
    pub.add((s, DCTERMS.identifier, Literal(d.id)))
    add_texts(pub, s, (DCTERMS.title, d.title), (DCTERMS.description, d.description))
    if d.publisher is not None:
        pub.add((s, DCTERMS.publisher, iris.record("organization", d.publisher)))
    for k in d.keywords:
        pub.add((s, DCAT.keyword, Literal(k)))
    for t in d.themes:
        pub.add((s, DCAT.theme, theme_term(t)))
    if d.access is not None:
        pub.add((s, DCTERMS.accessRights, access_iri(d.access)))
    if d.sensitivity is not None:
        pub.add((s, REG.sensitivity, code_iri(SENSITIVITY, d.sensitivity)))
    if d.issued is not None:
        pub.add((s, DCTERMS.issued, lit_date(d.issued)))
    if d.modified is not None:
        pub.add((s, DCTERMS.modified, lit_date(d.modified)))
    if d.license is not None:
        pub.add((s, DCTERMS.license, iri_or_text(d.license)))
    dcat_rdf(d, s, pub)
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


def dcat_rdf(d: DatasetIn, s: URIRef, pub: Triples) -> None:
    """The public DCAT fields: distributions, landing page, languages, frequency, coverage, version,
    standards, the public contact point and the source record."""
    for n, dist in enumerate(d.distributions, start=1):
        node = distribution_iri(s, n)
        pub.add((s, DCAT.distribution, node))
        distribution_rdf(dist, node, pub)
    if d.landing_page is not None:
        pub.add((s, DCAT.landingPage, url_term(d.landing_page)))
    for tag in d.language:
        pub.add((s, DCTERMS.language, language_iri(tag)))
    if d.frequency is not None:
        pub.add((s, DCTERMS.accrualPeriodicity, frequency_iri(d.frequency)))
    for n, place in enumerate(d.spatial, start=1):
        term = iri_or_text(place)
        if isinstance(term, Literal):  # a place by its name: a dct:Location of its own
            node = URIRef(f"{s}/spatial/{n}")
            pub.add((node, RDF.type, DCTERMS.Location))
            pub.add((node, SKOS.prefLabel, term))
            term = node
        pub.add((s, DCTERMS.spatial, term))
    if d.temporal is not None:
        period = URIRef(f"{s}/temporal")
        pub.add((s, DCTERMS.temporal, period))
        pub.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if d.temporal.start is not None:
            pub.add((period, DCAT.startDate, lit_date(d.temporal.start)))
        if d.temporal.end is not None:
            pub.add((period, DCAT.endDate, lit_date(d.temporal.end)))
    if d.version is not None:
        pub.add((s, DCAT_VERSION, Literal(d.version)))
    for standard in d.conforms_to:
        pub.add((s, DCTERMS.conformsTo, url_term(standard)))
    if d.contact_point is not None:
        cp = URIRef(f"{s}/contact-point")
        pub.add((s, DCAT.contactPoint, cp))
        pub.add((cp, RDF.type, VCARD.Kind))
        if d.contact_point.name is not None:
            pub.add((cp, VCARD.fn, Literal(d.contact_point.name)))
        if d.contact_point.email is not None:
            pub.add((cp, VCARD.hasEmail, mailto(d.contact_point.email)))
    if d.source is not None:  # the record's id in the catalogue it came from: an ADMS identifier
        src = URIRef(f"{s}/source")
        pub.add((s, ADMS.identifier, src))
        pub.add((src, RDF.type, ADMS.Identifier))
        if d.source.catalogue is not None:
            pub.add((src, ADMS.schemaAgency, Literal(d.source.catalogue)))
        if d.source.id is not None:
            pub.add((src, SKOS.notation, Literal(d.source.id)))
        if d.source.url is not None:
            pub.add((src, FOAF.page, url_term(d.source.url)))


def dcat_json(g: Graph, s: URIRef) -> dict[str, Any]:
    """The public DCAT fields as JSON (those present)."""
    out: dict[str, Any] = {}
    if dists := distributions_of(g, s):
        out["distributions"] = dists
    if (page := text(g, s, DCAT.landingPage)) is not None:
        out["landing_page"] = page
    if languages := sorted(language_tag(o) for o in g.objects(s, DCTERMS.language)):
        out["language"] = languages
    if (freq := one(g, s, DCTERMS.accrualPeriodicity)) is not None:
        out["frequency"] = frequency_name(freq)
    places = [_place(g, s, o) for o in g.objects(s, DCTERMS.spatial)]
    if places:
        out["spatial"] = [name for _, name in sorted(places)]
    if (period := one(g, s, DCTERMS.temporal)) is not None:
        out["temporal"] = _given({"start": text(g, period, DCAT.startDate), "end": text(g, period, DCAT.endDate)})
    if (version := text(g, s, DCAT_VERSION)) is not None:
        out["version"] = version
    if standards := sorted(str(o) for o in g.objects(s, DCTERMS.conformsTo)):
        out["conforms_to"] = standards
    stewards = set(g.objects(s, REG.steward))
    contact = next((c for c in sorted(g.objects(s, DCAT.contactPoint), key=str) if c not in stewards), None)
    if contact is not None:
        out["contact_point"] = _given({"name": text(g, contact, VCARD.fn),
                                       "email": email_of(one(g, contact, VCARD.hasEmail))})
    src = URIRef(f"{s}/source")
    if (s, ADMS.identifier, src) in g:
        out["source"] = _given({"catalogue": text(g, src, ADMS.schemaAgency), "id": text(g, src, SKOS.notation),
                                "url": text(g, src, FOAF.page)})
    return out


def _given(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields of a nested object that have a value."""
    return {k: v for k, v in fields.items() if v is not None}


def _place(g: Graph, s: URIRef, o: Node) -> tuple[tuple[int, str], str]:
    """A place as JSON (its name, or its IRI) with its sort key: named places in the order given, first."""
    head = f"{s}/spatial/"
    label = one(g, o, SKOS.prefLabel)
    if str(o).startswith(head) and label is not None:
        n = str(o)[len(head):]
        return (int(n) if n.isdigit() else 0, str(label)), str(label)
    return (1 << 62, str(o)), str(o)


def from_rdf(g: Graph, s: URIRef, iris: Iris) -> dict[str, Any]:
    access = one(g, s, DCTERMS.accessRights)
    sens = one(g, s, REG.sensitivity)
    publisher = one(g, s, DCTERMS.publisher)
    issued = one(g, s, DCTERMS.issued)
    out: dict[str, Any] = {
        "id": iris.id_of(s),
        "title": lang_value(g, s, DCTERMS.title),
        "description": lang_value(g, s, DCTERMS.description),
        "publisher": iris.id_of(publisher) if publisher is not None else None,
        "keywords": sorted(str(k) for k in g.objects(s, DCAT.keyword)),
        "access": ACCESS_BY_IRI.get(str(access), str(access)) if access is not None else None,
        "sensitivity": code_of(SENSITIVITY, sens) if sens is not None else None,
        "issued": str(issued) if issued is not None else None,
        "derived_from": ids(g, s, PROV.wasDerivedFrom, iris),
        "generated_by": None,
    }
    themes = sorted(theme_value(t) for t in g.objects(s, DCAT.theme))
    if themes:
        out["themes"] = themes
    if (m := one(g, s, DCTERMS.modified)) is not None:
        out["modified"] = str(m)
    if (lic := one(g, s, DCTERMS.license)) is not None:
        out["license"] = out["licence"] = str(lic)
    out.update(dcat_json(g, s))
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


#: the JSON fields of the predicates of a record's own nodes, by the kind of node
NODE_FIELDS: dict[str, dict[URIRef, str]] = {
    "distribution": {
        DCTERMS.title: "title", DCTERMS.description: "description", DCAT.accessURL: "access_url",
        DCAT.downloadURL: "download_url", DCAT.mediaType: "media_type", DCTERMS.format: "format",
        DCAT.byteSize: "byte_size", DCTERMS.license: "license", SPDX.checksum: "checksum",
        DCTERMS.language: "language", DCTERMS.issued: "issued", DCTERMS.modified: "modified"},
    "checksum": {SPDX.algorithm: "algorithm", SPDX.checksumValue: "value"},
    "contact-point": {VCARD.fn: "name", VCARD.hasEmail: "email"},
    "temporal": {DCAT.startDate: "start", DCAT.endDate: "end"},
    "source": {ADMS.schemaAgency: "catalogue", SKOS.notation: "id", FOAF.page: "url"},
}
_NODE_PREFIX = {"contact-point": "contact_point", "temporal": "temporal", "source": "source"}


def locate(v: Violation, d: DatasetIn, record: URIRef) -> Violation:
    """A result named by its place in the JSON record: `distributions.0.download_url`,
    `distributions.1.checksum.value`, `contact_point.email`, `spatial.2`; `license` as the record spelled
    it (`licence` when it gave that spelling only)."""
    field = _field_at(v, str(record))
    if field == "licence" and not d._licence_spelling:  # noqa: SLF001 - the model's own record of the spelling
        field = "license"
    return v if field == v.field else replace(v, field=field)


def _field_at(v: Violation, record: str) -> str | None:
    path = URIRef(v.path) if v.path else None
    focus = v.focus_node
    if focus == record:
        if v.value is not None and (i := index_of(record, v.value)) is not None:
            return f"distributions.{i}"
        if v.value == f"{record}/source":
            return "source"
        return v.field
    rest = focus[len(record) + 1:].split("/") if focus.startswith(record + "/") else []
    if len(rest) >= 2 and rest[0] == "distribution" and (i := index_of(record, focus)) is not None:
        if len(rest) == 2:
            return f"distributions.{i}" + (f".{NODE_FIELDS['distribution'][path]}" if path in
                                           NODE_FIELDS["distribution"] else "")
        if rest[2] == "checksum":
            name = NODE_FIELDS["checksum"].get(path) if path is not None else None
            return f"distributions.{i}.checksum" + (f".{name}" if name else "")
        return f"distributions.{i}.{rest[2]}"
    if len(rest) == 2 and rest[0] == "spatial" and rest[1].isdigit():
        return f"spatial.{int(rest[1]) - 1}"
    if len(rest) == 1 and rest[0] in _NODE_PREFIX:
        name = NODE_FIELDS[rest[0]].get(path) if path is not None else None
        return _NODE_PREFIX[rest[0]] + (f".{name}" if name else "")
    return v.field


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
        DCTERMS.license: "licence",  # its older spelling: `locate` names it as the record spelled it
        DCAT.distribution: "distributions",
        DCAT.accessURL: "distributions.access_url",
        DCAT.downloadURL: "distributions.download_url",
        DCAT.mediaType: "distributions.media_type",
        DCTERMS.format: "distributions.format",
        DCAT.byteSize: "distributions.byte_size",
        SPDX.checksum: "distributions.checksum",
        SPDX.algorithm: "distributions.checksum.algorithm",
        SPDX.checksumValue: "distributions.checksum.value",
        DCAT.landingPage: "landing_page",
        DCTERMS.language: "language",
        DCTERMS.accrualPeriodicity: "frequency",
        DCTERMS.spatial: "spatial",
        DCTERMS.temporal: "temporal",
        DCAT.startDate: "temporal.start",
        DCAT.endDate: "temporal.end",
        DCAT_VERSION: "version",
        DCTERMS.conformsTo: "conforms_to",
        ADMS.schemaAgency: "source.catalogue",
        FOAF.page: "source.url",
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
        "theme": (DCAT.theme, None),
        "language": (DCTERMS.language, None),
    },
    in_lineage=True,
    owner_fields=("publisher",),
    locate=locate,
)
