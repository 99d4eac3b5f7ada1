"""The public catalogue as DCAT 3, shaped to pass the DCAT-AP 3.0.0 shapes, built at read time from the
public view only: each dataset's public graph (distributions, period, places, contact point, source
identifier, activity) as recorded, with what DCAT-AP asks of an exchange document that is derived, not
recorded (the classes of values, an access URL for a distribution that has only a download URL, the EU
data theme of each registry theme, a publisher's contact when the record names none)."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from registry.config import Settings
from registry.domain.model.dcat import DATA_THEME, EU_LANGUAGE, SPDX, THEME, THEME_SCHEME, eu_theme, theme_value
from registry.iris import Iris
from registry.namespaces import DCAT, DCTERMS, FOAF, PREFIXES, RDF, RDFS, SKOS, VCARD, XSD
from registry.projections.views import GraphView
from registry.resources import Resources

NO_DESCRIPTION = "No description was registered."


def catalog_graph(public: GraphView, iris: Iris, resources: Resources, settings: Settings, site: str) -> Graph:
    """The catalogue. `site` is the public address of this server (for landing pages and the endpoint)."""
    site = site.rstrip("/")
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.bind("vcard", VCARD)
    g.bind("spdx", SPDX)
    cat = URIRef(f"{iris.base}/catalog")
    publisher = URIRef(f"{iris.base}/catalog#publisher")
    g.add((cat, RDF.type, DCAT.Catalog))
    g.add((cat, DCTERMS.title, Literal(settings.catalog_title, lang="en")))
    g.add((cat, DCTERMS.description, Literal(
        "Datasets registered with the government data-sharing registry: what they are, who publishes them "
        "and where they came from. Restricted details (stewards, retention, personal information) are not "
        "published.", lang="en")))
    g.add((cat, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal(settings.catalog_publisher)))
    english = EU_LANGUAGE.ENG
    g.add((cat, DCTERMS.language, english))
    g.add((english, RDF.type, DCTERMS.LinguisticSystem))
    home = URIRef(site + "/")
    g.add((cat, FOAF.homepage, home))
    g.add((home, RDF.type, FOAF.Document))

    service = URIRef(f"{iris.base}/catalog#sparql")
    g.add((cat, DCAT.service, service))
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal("SPARQL endpoint of the registry's public graphs", lang="en")))
    endpoint = URIRef(site + "/sparql")  # the endpoint describes itself (a service description) on a bare GET
    g.add((service, DCAT.endpointURL, endpoint))
    g.add((service, DCAT.endpointDescription, endpoint))
    g.add((endpoint, RDF.type, RDFS.Resource))  # DCAT-AP's range, stated: its shapes run without inference
    protocol = URIRef("https://www.w3.org/TR/sparql11-protocol/")
    g.add((service, DCTERMS.conformsTo, protocol))
    g.add((service, DCTERMS.publisher, publisher))
    for k in ("SPARQL", "linked data", "data-sharing agreements"):
        g.add((service, DCAT.keyword, Literal(k, lang="en")))
    desk = URIRef(f"{iris.base}/catalog#contact")
    g.add((service, DCAT.contactPoint, desk))
    g.add((desk, RDF.type, VCARD.Kind))
    g.add((desk, VCARD.fn, Literal(settings.catalog_publisher)))
    g.add((desk, VCARD.hasURL, home))
    g.add((protocol, RDF.type, DCTERMS.Standard))

    triples: dict[URIRef, list[tuple[Node, Node, Node]]] = {}
    for r in public.select(resources.query("catalog-datasets")):
        d = r["dataset"]
        assert isinstance(d, URIRef)
        triples.setdefault(d, []).append((r["s"], r["p"], r["o"]))
    names = {r["publisher"]: str(r["name"]) for r in public.select(resources.query("catalog-publishers"))}
    vocab = resources.vocabularies()
    dates: list[str] = []
    languages: set[Node] = {english}
    for d, own in sorted(triples.items()):
        g.add((cat, DCAT.dataset, d))
        g.add((service, DCAT.servesDataset, d))
        _dataset(g, d, own, vocab, names, iris, site)
        dates += [str(o) for p in (DCTERMS.issued, DCTERMS.modified) for o in g.objects(d, p)]
        languages |= set(g.objects(d, DCTERMS.language))
    for lang in sorted(languages, key=str):
        g.add((cat, DCTERMS.language, lang))
        g.add((lang, RDF.type, DCTERMS.LinguisticSystem))
    for scheme, title in ((THEME_SCHEME, "Themes of the registry"), (DATA_THEME_SCHEME, "Data theme")):
        g.add((cat, DCAT.themeTaxonomy, scheme))
        g.add((scheme, RDF.type, SKOS.ConceptScheme))
        g.add((scheme, DCTERMS.title, Literal(title, lang="en")))
    if dates:  # the catalogue's dates: its earliest and latest dataset dates
        g.add((cat, DCTERMS.issued, Literal(min(dates)[:10], datatype=XSD.date)))
        g.add((cat, DCTERMS.modified, Literal(max(dates)[:10], datatype=XSD.date)))
    return g


DATA_THEME_SCHEME = URIRef(str(DATA_THEME).rstrip("/"))
#: the class DCAT-AP gives the values of a property (its shapes run without inference, so it is stated)
RANGES: dict[Node, URIRef] = {
    DCTERMS.language: DCTERMS.LinguisticSystem, DCTERMS.accrualPeriodicity: DCTERMS.Frequency,
    DCTERMS.conformsTo: DCTERMS.Standard, DCTERMS.spatial: DCTERMS.Location, DCAT.mediaType: DCTERMS.MediaType,
    DCTERMS.format: DCTERMS.MediaTypeOrExtent, DCAT.landingPage: FOAF.Document,
    DCTERMS.accessRights: DCTERMS.RightsStatement, DCAT.accessURL: RDFS.Resource, DCAT.downloadURL: RDFS.Resource,
    SPDX.algorithm: SPDX.ChecksumAlgorithm,
}


def _dataset(g: Graph, d: URIRef, own: Iterable[tuple[Node, Node, Node]], vocab: Graph, names: dict[Node, str],
             iris: Iris, site: str) -> None:
    """One dataset's public triples, with the classes, labels and derived values DCAT-AP asks for."""
    for s, p, o in own:
        if p == DCAT.theme:
            _theme(g, d, o, vocab)
        elif p == DCAT.byteSize:  # DCAT's type, and that of DCAT-AP 3.0.0's release shapes
            g.add((s, p, Literal(str(o), datatype=XSD.nonNegativeInteger)))
        elif p == DCTERMS.license:
            g.add((s, p, _licence(g, o)))
        else:
            g.add((s, p, o))
            if p in RANGES and not isinstance(o, Literal):
                g.add((o, RDF.type, RANGES[p]))
    rid = str(g.value(d, DCTERMS.identifier))
    if g.value(d, DCTERMS.description) is None:
        g.add((d, DCTERMS.description, Literal(NO_DESCRIPTION, lang="en")))
    if g.value(d, DCAT.landingPage) is None:  # the registry's page of the dataset
        page = URIRef(f"{site}/datasets/{rid}")
        g.add((d, DCAT.landingPage, page))
        g.add((page, RDF.type, FOAF.Document))
    for dist in list(g.objects(d, DCAT.distribution)):
        download = g.value(dist, DCAT.downloadURL)
        if g.value(dist, DCAT.accessURL) is None and download is not None:  # DCAT-AP: an access URL always
            g.add((dist, DCAT.accessURL, download))
    for period in g.objects(d, DCTERMS.temporal):
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
    org = g.value(d, DCTERMS.publisher)
    if org is None:
        return
    name = names.get(org) or iris.id_of(org)
    g.add((org, RDF.type, FOAF.Agent))
    g.add((org, RDF.type, FOAF.Organization))
    g.add((org, FOAF.name, Literal(name)))
    g.add((org, SKOS.prefLabel, Literal(name)))
    if g.value(d, DCAT.contactPoint) is None:  # no public contact recorded: the publisher's
        contact = BNode()
        g.add((d, DCAT.contactPoint, contact))
        g.add((contact, RDF.type, VCARD.Kind))
        g.add((contact, RDF.type, VCARD.Organization))
        g.add((contact, VCARD.fn, Literal(name)))
        g.add((contact, VCARD.hasURL, URIRef(f"{site}/organizations/{iris.id_of(org)}")))


def _theme(g: Graph, d: URIRef, theme: Node, vocab: Graph) -> None:
    """A registry theme and the EU data theme it matches, as concepts; a theme that is only a text (a
    catalogue's own label) is a keyword."""
    code = theme_value(theme)
    eu = eu_theme(code)
    if eu is None:
        g.add((d, DCAT.keyword, Literal(code)))
        return
    concept = THEME[code]
    for node, scheme in ((concept, THEME_SCHEME), (eu, DATA_THEME_SCHEME)):
        g.add((d, DCAT.theme, node))
        g.add((node, RDF.type, SKOS.Concept))
        g.add((node, SKOS.inScheme, scheme))
        for label in vocab.objects(concept, SKOS.prefLabel):
            g.add((node, SKOS.prefLabel, label))
    g.add((concept, SKOS.exactMatch, eu))


def _licence(g: Graph, licence: Node) -> Node:
    """A licence as a licence document: its IRI, or a node labelled with its name."""
    node: Node = licence
    if isinstance(licence, Literal):
        node = BNode()
        g.add((node, RDFS.label, licence))
    g.add((node, RDF.type, DCTERMS.LicenseDocument))
    return node
