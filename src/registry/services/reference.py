"""The authority catalogue and the purpose vocabulary as plain data (read from the reference files)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from typing import Any

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from registry.domain.model.agreement import AGREEMENT, FINDINGS
from registry.domain.model.common import code_of
from registry.iris import Iris
from registry.namespaces import AUTHORITY, DCTERMS, INFO_KIND, ORG_KIND, PD_CATEGORY, PURPOSE, RDF, RDFS, REG, SKOS, STATUTE
from registry.resources import Resources
from registry.store.base import Store, Triple

_FLAGS = {
    "designation": REG.requiresDesignation,
    "same_institution": REG.requiresSameInstitution,
    "deidentification": REG.requiresDeidentification,
    "consent": REG.requiresConsent,
    "ethics_approval": REG.requiresEthicsApproval,
    "prohibits_onward_disclosure": REG.prohibitsOnwardDisclosure,
    "published_notice": REG.requiresPublishedNotice,
    "notify_individual": REG.requiresNoticeToIndividual,
    "confines_identifiable_data": REG.confinesIdentifiableData,
}


#: a message catalogue's gettext: the English sentence in, the reader's language out
Gettext = Callable[[str], str]


def _english(message: str) -> str:
    return message


def _str(g: Graph, s: Node, p: Node, lang: str = "en") -> str | None:
    """The value of `p` in `lang` (a literal tagged with it, else an untagged one, else English, else any):
    the English text stays the English text when a French one is written beside it."""
    values = list(g.objects(s, p))
    if len(values) <= 1:
        return None if not values else str(values[0])
    rank = {lang: 0, None: 1, "en": 2}
    return str(min(values, key=lambda v: (rank.get(v.language if isinstance(v, Literal) else None, 3), str(v))))


def labels_by_language(g: Graph, s: Node, p: Node) -> dict[str, str]:
    """Every language's value of `p` (an untagged literal counts as English)."""
    out: dict[str, str] = {}
    for v in sorted(g.objects(s, p), key=str):
        if isinstance(v, Literal):
            out.setdefault(v.language or "en", str(v))
    return out


def _flag(g: Graph, s: Node, p: Node) -> bool:
    v = g.value(s, p)
    return isinstance(v, Literal) and v.toPython() is True


def authority_json(g: Graph, s: URIRef, lang: str = "en") -> dict[str, Any]:
    return {
        "id": _str(g, s, DCTERMS.identifier) or code_of(AUTHORITY, s),
        "iri": str(s),
        "label": _str(g, s, SKOS.prefLabel, lang),
        "statute": _str(g, s, REG.statute),
        "statute_abbreviation": _str(g, s, REG.statuteAbbreviation),
        "section": _str(g, s, REG.section),
        "citation": _str(g, s, REG.citation),
        "summary": _str(g, s, REG.summary, lang),
        "purpose_note": _str(g, s, REG.purposeNote, lang),
        "source": _str(g, s, DCTERMS.source),
        "applies_to": sorted(code_of(INFO_KIND, o) for o in g.objects(s, REG.appliesToInformation)),
        "under_statute": code_of(STATUTE, u) if (u := g.value(s, REG.underStatute)) is not None else None,
        "verification": verification(g, s),
        "requirements": {
            # the agreement field that must record the finding (AGREEMENT.fields names it)
            "finding": AGREEMENT.fields.get(f) if isinstance(f := g.value(s, REG.requiresFinding), URIRef) else None,
            "purposes": sorted(code_of(PURPOSE, o) for o in g.objects(s, REG.permitsPurpose)),
            "recipient_kinds": sorted(code_of(ORG_KIND, o) for o in g.objects(s, REG.requiresRecipientKind)),
            "provider_kinds": sorted(code_of(ORG_KIND, o) for o in g.objects(s, REG.requiresProviderKind)),
            **{name: _flag(g, s, p) for name, p in _FLAGS.items()},
        },
    }


def verification(g: Graph, s: Node) -> dict[str, Any]:
    """How the entry was checked against the statute text: "verified" (a quotation read on an ontario.ca/laws
    page on a date) or "unverified" (with why); an entry that says neither is "unverified"."""
    status = _str(g, s, REG.verificationStatus)
    return {
        "status": "verified" if status == "verified" else "unverified",
        "excerpt": _str(g, s, REG.statuteExcerpt),
        "source": _str(g, s, REG.verifiedAgainst),
        "checked": _str(g, s, REG.verifiedOn),
        "note": _str(g, s, REG.verificationNote),
    }


@cache
def _authorities(res: Resources, lang: str = "en") -> tuple[dict[str, Any], ...]:
    g = res.authorities()
    items = [authority_json(g, s, lang) for s in g.subjects(RDF.type, REG.LegalAuthority) if isinstance(s, URIRef)]
    return tuple(sorted(items, key=lambda a: a["id"]))


def authorities(res: Resources, lang: str = "en") -> list[dict[str, Any]]:
    """The catalogue's entries, their label, summary and purpose note in `lang` where written in it."""
    return [dict(a) for a in _authorities(res, lang)]


def authority(res: Resources, aid: str, lang: str = "en") -> dict[str, Any] | None:
    return next((a for a in _authorities(res, lang) if a["id"] == aid), None)


def authority_graph(res: Resources, aid: str) -> Graph:
    g = res.authorities()
    out = Graph()
    for t in g.triples((AUTHORITY[aid], None, None)):
        out.add(t)
    return out


@cache
def _purposes(res: Resources, lang: str = "en") -> tuple[dict[str, Any], ...]:
    g = res.vocabularies()
    items = []
    for s in g.subjects(SKOS.inScheme, URIRef(str(PURPOSE).rstrip("/"))):
        broader = g.value(s, SKOS.broader)
        items.append({
            "id": code_of(PURPOSE, s),
            "iri": str(s),
            "label": _str(g, s, SKOS.prefLabel, lang),
            "definition": _str(g, s, SKOS.definition, lang),
            "broader": code_of(PURPOSE, broader) if broader is not None else None,
        })
    return tuple(sorted(items, key=lambda p: p["id"]))


def purposes(res: Resources, lang: str = "en") -> list[dict[str, Any]]:
    return [dict(p) for p in _purposes(res, lang)]


@cache
def concept_labels(res: Resources, scheme: Namespace, lang: str = "en") -> dict[str, str]:
    """The label of each concept of one of the vocabularies (org kinds, statutes, ...) in `lang`, by code."""
    g = res.vocabularies()
    return {code_of(scheme, k): _str(g, k, SKOS.prefLabel, lang) or code_of(scheme, k)
            for k in g.subjects(SKOS.inScheme, URIRef(str(scheme).rstrip("/")))}


@cache
def notation_labels(res: Resources, scheme: Namespace, lang: str = "en") -> dict[str, str]:
    """The label of each concept of a vocabulary in `lang`, by its skos:notation (the code records use: `public`
    for the EU's access-right PUBLIC), else by its code."""
    g = res.vocabularies()
    out = {}
    for k in g.subjects(SKOS.inScheme, URIRef(str(scheme).rstrip("/"))):
        code = _str(g, k, SKOS.notation) or code_of(scheme, k)
        out[code] = _str(g, k, SKOS.prefLabel, lang) or code
    return out


def information_kinds(res: Resources) -> dict[str, str]:
    """The label of each kind of regulated information (personal information, personal health information)."""
    return concept_labels(res, INFO_KIND)


def plain_requirements(res: Resources, a: dict[str, Any], lang: str = "en", _: Gettext = _english) -> list[str]:
    """What an authority asks of a share, in plain sentences built from its catalogue entry (`authority_json`),
    in the order a privacy officer checks them. `_` is the reader's message catalogue (English by default),
    `lang` the language of the vocabulary labels and of the entry itself."""
    req, out = a["requirements"], []

    def label(scheme: Namespace, codes: list[str]) -> str:
        return ", ".join(concept_labels(res, scheme, lang).get(c, c) for c in codes)

    if a["under_statute"]:
        statute = concept_labels(res, STATUTE, lang).get(a["under_statute"], a["under_statute"])
        out.append(_("The provider must be governed by %(statute)s.") % {"statute": statute})
    if a["applies_to"]:
        out.append(_("It applies to %(kinds)s only.") % {"kinds": label(INFO_KIND, a["applies_to"])})
    if req["purposes"]:
        out.append(_("Permitted purposes: %(purposes)s (and their narrower purposes).")
                   % {"purposes": label(PURPOSE, req["purposes"])})
    if req["provider_kinds"]:
        out.append(_("Only one of these may disclose under it: %(kinds)s.")
                   % {"kinds": label(ORG_KIND, req["provider_kinds"])})
    if req["recipient_kinds"]:
        out.append(_("The recipient must be one of: %(kinds)s.") % {"kinds": label(ORG_KIND, req["recipient_kinds"])})
    sentences = {
        "designation": _("The recipient must be designated under this provision."),
        "same_institution": _("The recipient must be part of the providing institution."),
        "consent": _("The individuals the information is about must have consented."),
        "ethics_approval": _("A research ethics board must have approved the research."),
        "published_notice": _("A public notice of the collection must be published on or before the date of the share."),
        "notify_individual": _("The individual must be sent notice of the disclosure."),
        "deidentification": _("The information must be de-identified before it is used."),
        "prohibits_onward_disclosure": _("The recipient may not disclose the information further."),
        "confines_identifiable_data": _("An organisation designated under it discloses only de-identified datasets: "
                                        "identifiable or linked information stays with it."),
    }
    out += [text for key, text in sentences.items() if req.get(key)]
    if req["finding"]:
        # the finding's description is the ontology's rdfs:comment: the catalogue translates it as a whole
        what = _(finding_descriptions(res).get(req["finding"], req["finding"]))
        out.append(_("The agreement must record %(what)s (%(field)s).") % {"what": what, "field": req["finding"]})
    return out


def carried_information(res: Resources, categories: list[str]) -> frozenset[str]:
    """The kinds of regulated information a dataset with personal information carries: personal information,
    the kinds its categories of personal information indicate (reg:indicatesInformation), and every broader
    kind of those (personal health information is personal information too)."""
    g = res.vocabularies()
    kinds = {INFO_KIND["personal-information"]}
    for c in categories:
        kinds.update(o for o in g.objects(PD_CATEGORY[c], REG.indicatesInformation) if isinstance(o, URIRef))
    closed = set(kinds)
    for k in kinds:
        closed.update(o for o in g.transitive_objects(k, SKOS.broader) if isinstance(o, URIRef))
    return frozenset(code_of(INFO_KIND, k) for k in closed)


@cache
def finding_descriptions(res: Resources) -> dict[str, str]:
    """What each agreement field that records a finding holds, in words (the property's rdfs:comment, its
    first letter lowered and its last full stop dropped), by field name."""
    g = res.ontology()
    out = {}
    for p, name in FINDINGS.items():
        text = _str(g, p, RDFS.comment) or name.replace("_", " ")
        out[name] = (text[:1].lower() + text[1:]).rstrip(".")
    return out


def purpose_ancestors(res: Resources, pid: str) -> list[str]:
    """The purpose itself and every broader purpose above it, nearest first."""
    by_id = {p["id"]: p for p in _purposes(res)}
    out, cur = [], by_id.get(pid)
    while cur is not None and cur["id"] not in out:
        out.append(cur["id"])
        cur = by_id.get(cur["broader"]) if cur["broader"] else None
    return out


def load_reference_graphs(store: Store, iris: Iris, res: Resources) -> None:
    """Reference graphs (ontology, authorities, vocabularies, shapes) come from the repository's files, so
    they are versioned with the code. They are written at an open only where the store does not hold them
    exactly already: the graph `reference/fingerprints` beside them notes, for each, the digest of the files it was written
    from and the fingerprint the store gave of it right after (`sparql/reference-fingerprint.rq`). A graph
    written from other files, missing, or changed since behind the registry's back (its fingerprint is not
    the one noted) is written again, all of them in one transaction, then noted again. On a remote store
    this saves a rewrite (0.35-0.45 s of Virtuoso's CPU, 0.15 s of this process's) at each open."""
    graphs = _reference_triples(res, iris.base)
    marker = iris.reference_graph(REFERENCE_MARKER)
    version = Literal(_files_digest(res, iris.base))
    noted = {(s, p): o for s, p, o in store.graph(marker)}
    if all(noted.get((URIRef(g), DCTERMS.hasVersion)) == version
           and noted.get((URIRef(g), DCTERMS.extent)) == _fingerprint(store, res, g) for g in graphs):
        return
    store.replace_graphs({**graphs, marker: [(URIRef(g), DCTERMS.hasVersion, version) for g in graphs]})
    store.add_to_graph(marker, [(URIRef(g), DCTERMS.extent, _fingerprint(store, res, g)) for g in graphs])


#: the reference graph that says what the others were written from (`load_reference_graphs`): among them, so
#: whatever leaves the reference graphs out (an export of the records, the bulk projections) leaves it out too
REFERENCE_MARKER = "fingerprints"
#: what the reference graphs are parsed from: every Turtle file under these folders of the resources
_REFERENCE_FOLDERS = ("ontology", "shapes")


def _fingerprint(store: Store, res: Resources, graph: str) -> Literal:
    """A graph's fingerprint as the store gives it now: its triple count and the sum of their hashes."""
    row = store.select(res.query("reference-fingerprint"), {"g": URIRef(graph)})[0]
    return Literal(f"{row.get('triples', 0)} {row.get('sum', '')}")


@cache
def _files_digest(res: Resources, base: str) -> str:
    """A digest of the reference files (every `*.ttl` under the folders they are read from, by path and
    content) and of the base IRI that names their graphs: the same digest, the same reference graphs. Read
    once per set of resources, as their graphs are."""
    h = hashlib.sha256(f"reference graphs 1\n{base}\n".encode())
    root = res.root
    for folder in _REFERENCE_FOLDERS:
        for f in sorted((root / folder).rglob("*.ttl")):
            data = f.read_bytes()
            h.update(f"{f.relative_to(root).as_posix()}\n{len(data)}\n".encode())
            h.update(data)
    return h.hexdigest()


@cache
def _reference_triples(res: Resources, base: str) -> dict[str, tuple[Triple, ...]]:
    """The reference graphs' triples by graph name, read once per set of resources and base IRI."""
    graphs: dict[str, Graph] = res.reference_graphs()
    return {Iris(base).reference_graph(name): tuple(g) for name, g in graphs.items()}
