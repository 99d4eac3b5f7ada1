"""Institutions and data integration units (W3C ORG)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib import Graph, Literal, URIRef

from registry.domain.model.common import Input, RecordGraphs, RecordKind, ShortText, Slug, code_iri, code_of, one, text
from registry.iris import Iris
from registry.namespaces import AUTHORITY, DCTERMS, ORG, ORG_KIND, RDF, REG, SKOS, STATUTE, UNIT_KIND

#: the kind of a data integration unit
UNIT = "data-integration-unit"
#: the statutes that govern an organisation of each kind as a discloser when its record names none
GOVERNED_BY_KIND: dict[str, tuple[str, ...]] = {
    "ministry": ("fippa",), "agency": ("fippa",), UNIT: ("fippa",), "municipality": ("mfippa",)}


def governed_by(kind: str | None, stated: Iterable[str] | None = None) -> list[str]:
    """The statutes that govern an organisation: those its record states, else the default of its kind."""
    chosen = list(stated) if stated is not None else list(GOVERNED_BY_KIND.get(kind or "", ()))
    return sorted(set(chosen))


class OrganizationIn(Input):
    id: Slug
    name: ShortText | None = None
    kind: Slug | None = None
    parent: Slug | None = None
    unit_kind: Slug | None = None
    designated_under: list[Slug] = []
    jurisdiction: ShortText | None = "Ontario"
    #: None: the default of the kind (`governed_by`)
    governed_by: list[Slug] | None = None
    designation_reference: ShortText | None = None


def to_rdf(o: OrganizationIn, iris: Iris) -> RecordGraphs:
    s = iris.record("organization", o.id)
    rg = RecordGraphs(s)
    g = rg.public
    g.add((s, RDF.type, ORG.Organization))
    g.add((s, DCTERMS.identifier, Literal(o.id)))
    if o.name is not None:
        g.add((s, SKOS.prefLabel, Literal(o.name)))
    if o.kind is not None:
        g.add((s, REG.orgKind, code_iri(ORG_KIND, o.kind)))
    if o.jurisdiction:
        g.add((s, REG.jurisdiction, Literal(o.jurisdiction)))
    parent = iris.record("organization", o.parent) if o.parent else None
    if parent is not None:
        g.add((s, ORG.subOrganizationOf, parent))
    # the type follows the kind alone: a unit kind or a designation makes no organisation a unit (a body's
    # own rdf:type is not read); a unit kind on another kind is written so the shapes refuse it
    if is_unit(o.kind):
        g.add((s, RDF.type, REG.DataIntegrationUnit))
        g.add((s, RDF.type, ORG.OrganizationalUnit))
        if parent is not None:
            g.add((s, ORG.unitOf, parent))
    if o.unit_kind:
        g.add((s, REG.unitKind, code_iri(UNIT_KIND, o.unit_kind)))
    for a in o.designated_under:
        g.add((s, REG.designatedUnder, code_iri(AUTHORITY, a)))
    for statute in governed_by(o.kind, o.governed_by):
        g.add((s, REG.governedBy, code_iri(STATUTE, statute)))
    if o.designation_reference is not None:
        g.add((s, REG.designationReference, Literal(o.designation_reference)))
    return rg


def is_unit(kind: str | None) -> bool:
    """Whether an organisation of this kind is a data integration unit (typed reg:DataIntegrationUnit)."""
    return kind == UNIT


def from_rdf(g: Graph, s: URIRef, iris: Iris) -> dict[str, Any]:
    parent = one(g, s, ORG.subOrganizationOf)
    out: dict[str, Any] = {
        "id": iris.id_of(s),
        "name": text(g, s, SKOS.prefLabel),
        "kind": code_of(ORG_KIND, k) if (k := one(g, s, REG.orgKind)) is not None else None,
        "parent": iris.id_of(parent) if parent is not None else None,
    }
    # read whatever the kind, so a unit kind on another kind reaches the shapes and a designation
    # of another kind (a prescribed entity's) is kept; a unit shows both fields, others those they have
    uk = one(g, s, REG.unitKind)
    designations = sorted(code_of(AUTHORITY, a) for a in g.objects(s, REG.designatedUnder))
    unit = is_unit(out["kind"])
    if unit or uk is not None:
        out["unit_kind"] = code_of(UNIT_KIND, uk) if uk is not None else None
    if unit or designations:
        out["designated_under"] = designations
    stated = [code_of(STATUTE, x) for x in g.objects(s, REG.governedBy)]
    out["governed_by"] = governed_by(out["kind"], stated or None)
    if (ref := text(g, s, REG.designationReference)) is not None:
        out["designation_reference"] = ref
    if (j := text(g, s, REG.jurisdiction)) is not None:
        out["jurisdiction"] = j
    if (ret := text(g, s, REG.retired)) is not None:
        out["retired"] = ret
    return out


def references(o: OrganizationIn) -> Iterable[tuple[str, str]]:
    if o.parent:
        yield "organization", o.parent


ORGANIZATION = RecordKind(
    name="organization",
    collection="organizations",
    rdf_type=ORG.Organization,
    model=OrganizationIn,
    to_rdf=to_rdf,
    from_rdf=from_rdf,
    fields={
        DCTERMS.identifier: "id",
        SKOS.prefLabel: "name",
        REG.orgKind: "kind",
        ORG.subOrganizationOf: "parent",
        ORG.unitOf: "parent",
        REG.unitKind: "unit_kind",
        REG.designatedUnder: "designated_under",
        REG.governedBy: "governed_by",
        REG.designationReference: "designation_reference",
    },
    references=references,
    filters={"kind": (REG.orgKind, ORG_KIND), "parent": (ORG.subOrganizationOf, None)},
    owner_fields=("parent", "id"),
    legal_status=True,
)
