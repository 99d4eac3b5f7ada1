"""The public catalogue as DCAT 3, shaped to pass the DCAT-AP 3.0.0 shapes, built at read time from the
public view only, with what DCAT-AP asks of an exchange document that is derived, not recorded."""

from __future__ import annotations

from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef

from registry.config import Settings
from registry.iris import Iris
from registry.namespaces import DCAT, DCTERMS, FOAF, PREFIXES, PROV, RDF, RDFS, SKOS, VCARD
from registry.projections.views import GraphView
from registry.resources import Resources

EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
NO_DESCRIPTION = "No description was registered."


def catalog_graph(public: GraphView, iris: Iris, resources: Resources, settings: Settings, site: str) -> Graph:
    """The catalogue. `site` is the public address of this server (for landing pages and the endpoint)."""
    site = site.rstrip("/")
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.bind("vcard", VCARD)
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

    datasets: dict[URIRef, dict[str, Any]] = {}
    for r in public.select(resources.query("catalog-datasets")):
        d = r["dataset"]
        assert isinstance(d, URIRef)
        info = datasets.setdefault(d, {"row": r, "keywords": set(), "sources": set()})
        if "keyword" in r:
            info["keywords"].add(str(r["keyword"]))
        if "source" in r:
            info["sources"].add(r["source"])
    modified: list[str] = []
    for d, info in sorted(datasets.items()):
        r = info["row"]
        rid = str(r["id"])
        g.add((cat, DCAT.dataset, d))
        g.add((d, RDF.type, DCAT.Dataset))
        g.add((d, DCTERMS.identifier, Literal(rid)))
        g.add((d, DCTERMS.title, Literal(str(r.get("title", rid)))))
        g.add((d, DCTERMS.description, Literal(str(r["description"]) if "description" in r else NO_DESCRIPTION)))
        for k in sorted(info["keywords"]):
            g.add((d, DCAT.keyword, Literal(k)))
        for name in ("issued", "modified"):
            if name in r:
                g.add((d, DCTERMS[name], r[name]))
                modified.append(str(r[name]))
        if "access" in r:
            g.add((d, DCTERMS.accessRights, r["access"]))
            g.add((r["access"], RDF.type, DCTERMS.RightsStatement))
            g.add((r["access"], RDFS.label, Literal(str(r["access"]).rsplit("/", 1)[-1].replace("_", " ").lower(),
                                                   lang="en")))
        page = URIRef(f"{site}/datasets/{rid}")
        g.add((d, DCAT.landingPage, page))
        g.add((page, RDF.type, FOAF.Document))
        for src in sorted(info["sources"]):
            g.add((d, PROV.wasDerivedFrom, src))
        if "publisher" in r:
            org = r["publisher"]
            name = str(r.get("publisherName", iris.id_of(org)))
            g.add((d, DCTERMS.publisher, org))
            g.add((org, RDF.type, FOAF.Agent))
            g.add((org, RDF.type, FOAF.Organization))
            g.add((org, FOAF.name, Literal(name)))
            g.add((org, SKOS.prefLabel, Literal(name)))
            contact = BNode()
            g.add((d, DCAT.contactPoint, contact))
            g.add((contact, RDF.type, VCARD.Kind))
            g.add((contact, RDF.type, VCARD.Organization))
            g.add((contact, VCARD.fn, Literal(name)))
            g.add((contact, VCARD.hasURL, URIRef(f"{site}/organizations/{iris.id_of(org)}")))
        g.add((service, DCAT.servesDataset, d))
    if modified:  # the catalogue's dates: its earliest and latest dataset dates
        xsd_date = URIRef(str(PREFIXES["xsd"]) + "date")
        g.add((cat, DCTERMS.issued, Literal(min(modified)[:10], datatype=xsd_date)))
        g.add((cat, DCTERMS.modified, Literal(max(modified)[:10], datatype=xsd_date)))
    return g
