"""The ontology and the authority catalogue as plain data for their HTML reference (GET /ontology).

Everything is read from the reference files (ontology/registry.ttl, authorities.ttl, vocabularies), so the
page changes when they do: classes, object and datatype properties with their labels, comments, domains and
ranges; each legal authority with its citation, summary, requirements and source; the vocabularies.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from registry.namespaces import DCTERMS, PREFIXES, REG, SKOS
from registry.resources import Resources
from registry.services.reference import authorities

#: requirement flags of an authority, in the words the page uses
FLAG_LABELS = {
    "designation": "the recipient must be designated under this authority",
    "same_institution": "the recipient must be within the disclosing institution",
    "deidentification": "the data must be de-identified before use",
    "consent": "the individuals must have consented",
    "ethics_approval": "a research ethics board must have approved the use",
    "prohibits_onward_disclosure": "onward disclosure is prohibited",
    "finding": "the agreement must record the finding the disclosure rests on (the consistent purpose, or the Act "
               "it complies with)",
    "published_notice": "a public notice of the collection must be published on or before the date of the share",
    "notify_individual": "the individual must be notified of the disclosure at their last known address",
    "confines_identifiable_data": "identifiable or linked information stays in the designated unit: only "
                                  "de-identified datasets leave it",
}
_KINDS: list[tuple[str, str, tuple[URIRef, ...]]] = [
    ("classes", "Classes", (OWL.Class, RDFS.Class)),
    ("object_properties", "Object properties", (OWL.ObjectProperty,)),
    ("datatype_properties", "Datatype properties", (OWL.DatatypeProperty,)),
    ("annotation_properties", "Annotation properties", (OWL.AnnotationProperty, RDF.Property)),
]


_CURIE_PREFIXES = {**{p: str(ns) for p, ns in PREFIXES.items()}, "owl": str(OWL)}


def curie(iri: Node) -> str:
    s = str(iri)
    best, name = "", ""
    for prefix, ns in _CURIE_PREFIXES.items():
        if s.startswith(ns) and len(ns) > len(best):
            best, name = ns, prefix
    return f"{name}:{s[len(best):]}" if best else s


def _text(g: Graph, s: Node, p: Node) -> str | None:
    values = list(g.objects(s, p))
    if not values:
        return None
    english = [v for v in values if isinstance(v, Literal) and v.language in (None, "en")]
    return str((english or values)[0])


class _Terms:
    def __init__(self, g: Graph) -> None:
        self.g = g
        self.defined = {s for s in g.subjects(RDF.type, None) if isinstance(s, URIRef) and str(s).startswith(str(REG))}

    def ref(self, iri: Node) -> dict[str, Any]:
        """A link to a term: an anchor on this page when the ontology defines it, else the IRI itself."""
        own = iri in self.defined
        return {"curie": curie(iri), "iri": str(iri), "href": f"#{curie(iri).split(':', 1)[1]}" if own else str(iri),
                "own": own}

    def term(self, s: URIRef) -> dict[str, Any]:
        g = self.g
        return {
            "id": curie(s).split(":", 1)[1] if curie(s).startswith("reg:") else curie(s),
            "curie": curie(s),
            "iri": str(s),
            "label": _text(g, s, RDFS.label),
            "comment": _text(g, s, RDFS.comment),
            "superclasses": [self.ref(o) for o in sorted(g.objects(s, RDFS.subClassOf), key=str)],
            "subclasses": [self.ref(x) for x in sorted(g.subjects(RDFS.subClassOf, s), key=str)],
            "superproperties": [self.ref(o) for o in sorted(g.objects(s, RDFS.subPropertyOf), key=str)],
            "domain": [self.ref(o) for o in sorted(g.objects(s, RDFS.domain), key=str)],
            "range": [self.ref(o) for o in sorted(g.objects(s, RDFS.range), key=str)],
            "types": [self.ref(o) for o in sorted(g.objects(s, RDF.type), key=str)],
        }


@cache
def _reference(res: Resources) -> dict[str, Any]:
    g = res.ontology()
    terms = _Terms(g)
    onto = next((s for s in g.subjects(RDF.type, OWL.Ontology)), None)
    sections: list[dict[str, Any]] = []
    seen: set[Node] = set()
    for key, title, types in _KINDS:
        subjects = {s for t in types for s in g.subjects(RDF.type, t) if isinstance(s, URIRef) and s not in seen}
        seen |= subjects
        items = sorted((terms.term(s) for s in subjects), key=lambda t: str(t["label"] or t["curie"]).lower())
        sections.append({"key": key, "title": title, "items": items})
    others = {s for s in terms.defined if s not in seen and s != onto}
    sections.append({"key": "other_terms", "title": "Other terms",
                     "items": sorted((terms.term(s) for s in others), key=lambda t: t["curie"])})
    vocab = res.vocabularies()
    labels = {str(s): _text(vocab, s, SKOS.prefLabel) or "" for s in set(vocab.subjects(SKOS.prefLabel, None))}
    auths = []
    for a in authorities(res):
        req = a["requirements"]
        auths.append({**a,
                      "purposes": [{"id": p, "label": _label(labels, "purpose", p)} for p in req["purposes"]],
                      "recipient_kinds": [{"id": k, "label": _label(labels, "org-kind", k)} for k in req["recipient_kinds"]],
                      "flags": [text for name, text in FLAG_LABELS.items() if req.get(name)],
                      "applies_to_labels": [_label(labels, "information-kind", i) for i in a["applies_to"]]})
    schemes = []
    for scheme in sorted(vocab.subjects(RDF.type, SKOS.ConceptScheme), key=str):
        concepts = []
        for c in sorted(vocab.subjects(SKOS.inScheme, scheme), key=str):
            broader = vocab.value(c, SKOS.broader)
            concepts.append({"iri": str(c), "code": str(c).rsplit("/", 1)[-1], "label": _text(vocab, c, SKOS.prefLabel),
                             "definition": _text(vocab, c, SKOS.definition),
                             "broader": str(broader).rsplit("/", 1)[-1] if broader is not None else None})
        schemes.append({"iri": str(scheme), "label": _text(vocab, scheme, SKOS.prefLabel), "concepts": concepts})
    return {
        "ontology": {
            "iri": str(onto) if onto is not None else str(REG),
            "namespace": str(REG),
            "title": _text(g, onto, DCTERMS.title) if onto is not None else None,
            "description": _text(g, onto, DCTERMS.description) if onto is not None else None,
            "version": _text(g, onto, OWL.versionInfo) if onto is not None else None,
            "license": _text(g, onto, DCTERMS.license) if onto is not None else None,
        },
        "sections": sections,
        "authorities": auths,
        "vocabularies": schemes,
        "prefixes": dict(sorted(_CURIE_PREFIXES.items())),
    }


def _label(labels: dict[str, str], scheme: str, code: str) -> str:
    return labels.get(f"https://w3id.org/gov-data-registry/vocab/{scheme}/{code}", code)


def ontology_reference(res: Resources) -> dict[str, Any]:
    """The page's data (cached per set of reference files, which are read once per process)."""
    return _reference(res)
