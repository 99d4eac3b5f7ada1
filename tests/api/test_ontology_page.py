"""GET /ontology: the HTML reference of the ontology and the authority catalogue, and the ontology as RDF."""

from __future__ import annotations

from html.parser import HTMLParser

from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS

from conftest import Api
from helpers import assert_xml
from registry.api.negotiation import JSONLD_CONTEXT
from registry.resources import resources
from registry.services.reference import authorities


class _Page(HTMLParser):
    """The ids, links and text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.text: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for k, v in attrs:
            if k == "id" and v:
                self.ids.add(v)
            if k in ("href", "src") and v:
                self.hrefs.append(v)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def page(api: Api) -> tuple[_Page, str]:
    r = api.client.get("/ontology", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    p = _Page()
    p.feed(r.text)
    return p, " ".join(" ".join(p.text).split())


def test_every_class_and_property_is_listed_with_label_comment_domain_and_range(api: Api) -> None:
    p, text = page(api)
    onto = resources(None).ontology()
    reg = "https://w3id.org/gov-data-registry/ns#"
    terms = [s for t in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty) for s in onto.subjects(RDF.type, t)]
    assert len(terms) > 50
    for s in terms:
        local = str(s)[len(reg):]
        assert local in p.ids, f"no entry for {s}"
        for label in onto.objects(s, RDFS.label):
            assert str(label) in text
        for comment in onto.objects(s, RDFS.comment):
            assert " ".join(str(comment).split()) in text
    # a property's domain and range are shown, linked to the class's entry when the ontology defines it
    assert "#LegalAuthority" in p.hrefs and "#DataIntegrationUnit" in p.hrefs
    assert "http://www.w3.org/2004/02/skos/core#Concept" in p.hrefs
    assert "xsd:duration" in text and "xsd:boolean" in text
    for href in (h for h in p.hrefs if h.startswith("#")):
        assert href[1:] in p.ids, f"a link to a missing entry: {href}"


def test_every_authority_shows_citation_summary_requirements_and_source(api: Api) -> None:
    p, text = page(api)
    items = authorities(resources(None))
    assert len(items) >= 10
    for a in items:
        assert f"authority-{a['id']}" in p.ids
        assert a["citation"] in text
        assert " ".join(a["summary"].split()) in text
        assert a["source"] in p.hrefs
    part31 = text[text.index("FIPPA Part III.1") if "FIPPA Part III.1" in text else text.index("fippa-part-3.1"):]
    assert "a public notice of the collection must be published" in part31[:3000]
    assert "only de-identified datasets leave it" in part31[:3000]
    assert "program-evaluation" in part31[:3000]


def test_the_page_loads_nothing_from_elsewhere(api: Api) -> None:
    p, _ = page(api)
    assert "script" not in p.tags
    assert not any(h.startswith("//") for h in p.hrefs)


def test_the_ontology_as_rdf(api: Api) -> None:
    onto = resources(None).ontology()
    for fmt, media, parse in (("ttl", "text/turtle", "turtle"), ("jsonld", "application/ld+json", "json-ld"),
                              ("rdf", "application/rdf+xml", "xml")):
        r = api.client.get(f"/ontology?format={fmt}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)
        if parse == "xml":
            assert_xml(r.content, "/ontology as RDF/XML")
        assert isomorphic(Graph().parse(data=r.text, format=parse), onto)
    r = api.client.get("/ontology", headers={"Accept": "application/ld+json"})
    assert r.json()["@context"] == JSONLD_CONTEXT
    data = api.client.get("/ontology", headers={"Accept": "application/json"}).json()
    assert {s["key"] for s in data["sections"]} >= {"classes", "object_properties", "datatype_properties"}
    assert URIRef(data["ontology"]["iri"]) in set(onto.subjects(RDF.type, OWL.Ontology))
