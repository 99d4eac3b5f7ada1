"""A dataset's distributions (dcat:Distribution): where and in which form its data can be had. Each is a
node of its own under the dataset, `{dataset}/distribution/{n}` (n from 1, in the order given), so
that the catalogue and SPARQL can address it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field, StrictInt, StringConstraints
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from registry.domain.model.common import Input, ShortText, Slug, Triples, lit_date, one, text
from registry.domain.model.dcat import (
    SPDX,
    LangShortText,
    LangText,
    Url,
    add_texts,
    checksum_iri,
    checksum_name,
    format_term,
    format_value,
    iri_or_text,
    lang_value,
    language_iri,
    language_tag,
    media_type_term,
    media_type_value,
    url_term,
)
from registry.namespaces import DCAT, DCTERMS, RDF, XSD

#: a language tag as JSON input (the shapes check it names a language the registry knows)
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$", max_length=3)]


class ChecksumIn(Input):
    algorithm: Slug
    #: hexadecimal digits, kept in lower case (the shapes check their number fits the algorithm)
    value: Annotated[str, StringConstraints(pattern=r"^(?:[0-9a-fA-F]{2})+$", max_length=256, to_lower=True)]


class DistributionIn(Input):
    title: LangShortText | None = None
    description: LangText | None = None
    access_url: Url | None = None
    download_url: Url | None = None
    media_type: ShortText | None = None
    format: ShortText | None = None
    byte_size: Annotated[StrictInt, Field(ge=0, le=2**63 - 1)] | None = None
    license: ShortText | None = None
    checksum: ChecksumIn | None = None
    language: list[LanguageTag] = []
    issued: dt.date | None = None
    modified: dt.date | None = None


def distribution_iri(dataset: URIRef, n: int) -> URIRef:
    """The IRI of a dataset's n-th distribution (n from 1)."""
    return URIRef(f"{dataset}/distribution/{n}")


def index_of(dataset: str, node: str) -> int | None:
    """The JSON index (from 0) of the distribution `node` of `dataset`, or None when it is no distribution."""
    head = f"{dataset}/distribution/"
    if not node.startswith(head):
        return None
    n = node[len(head):].split("/", 1)[0]
    return int(n) - 1 if n.isdigit() and int(n) > 0 else None


def to_rdf(d: DistributionIn, node: URIRef, g: Triples) -> None:
    """The distribution's triples, added to `g` (the dataset's public graph)."""
    g.add((node, RDF.type, DCAT.Distribution))
    add_texts(g, node, (DCTERMS.title, d.title), (DCTERMS.description, d.description))
    if d.access_url is not None:
        g.add((node, DCAT.accessURL, url_term(d.access_url)))
    if d.download_url is not None:
        g.add((node, DCAT.downloadURL, url_term(d.download_url)))
    if d.media_type is not None:
        g.add((node, DCAT.mediaType, media_type_term(d.media_type)))
    if d.format is not None:
        term, about = format_term(d.format, URIRef(f"{node}/format"))
        g.add((node, DCTERMS.format, term))
        for t in about:
            g.add(t)
    if d.byte_size is not None:
        # an integer: stores keep DCAT's xsd:nonNegativeInteger as xsd:integer (the catalogue restores it)
        g.add((node, DCAT.byteSize, Literal(str(d.byte_size), datatype=XSD.integer)))
    if d.license is not None:
        g.add((node, DCTERMS.license, iri_or_text(d.license)))
    if d.checksum is not None:
        c = URIRef(f"{node}/checksum")
        g.add((node, SPDX.checksum, c))
        g.add((c, RDF.type, SPDX.Checksum))
        g.add((c, SPDX.algorithm, checksum_iri(d.checksum.algorithm)))
        g.add((c, SPDX.checksumValue, Literal(d.checksum.value, datatype=XSD.hexBinary)))
    for tag in d.language:
        g.add((node, DCTERMS.language, language_iri(tag)))
    for p, day in ((DCTERMS.issued, d.issued), (DCTERMS.modified, d.modified)):
        if day is not None:
            g.add((node, p, lit_date(day)))


def from_rdf(g: Graph, node: Node) -> dict[str, Any]:
    """A distribution as JSON (absent fields left out)."""
    out: dict[str, Any] = {}
    for name, p in (("title", DCTERMS.title), ("description", DCTERMS.description)):
        if (v := lang_value(g, node, p)) is not None:
            out[name] = v
    for name, p in (("access_url", DCAT.accessURL), ("download_url", DCAT.downloadURL),
                    ("license", DCTERMS.license), ("issued", DCTERMS.issued), ("modified", DCTERMS.modified)):
        if (s := text(g, node, p)) is not None:
            out[name] = s
    if (m := one(g, node, DCAT.mediaType)) is not None:
        out["media_type"] = media_type_value(m)
    if (f := one(g, node, DCTERMS.format)) is not None:
        out["format"] = format_value(g, f)
    if (size := one(g, node, DCAT.byteSize)) is not None:
        out["byte_size"] = int(str(size)) if str(size).isdigit() else str(size)
    if (c := one(g, node, SPDX.checksum)) is not None:
        alg = one(g, c, SPDX.algorithm)
        out["checksum"] = {k: v for k, v in (("algorithm", checksum_name(alg) if alg is not None else None),
                                              ("value", text(g, c, SPDX.checksumValue))) if v is not None}
    languages = sorted(language_tag(o) for o in g.objects(node, DCTERMS.language))
    if languages:
        out["language"] = languages
    return out


def distributions_of(g: Graph, dataset: URIRef) -> list[dict[str, Any]]:
    """A dataset's distributions in their order (by their number; others after, by IRI)."""
    nodes = list(g.objects(dataset, DCAT.distribution))

    def order(n: Node) -> tuple[int, str]:
        i = index_of(str(dataset), str(n))
        return (i if i is not None else 1 << 62, str(n))

    return [from_rdf(g, n) for n in sorted(nodes, key=order)]
