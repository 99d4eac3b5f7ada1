"""/catalog: DCAT 3 in Turtle, JSON-LD and RDF/XML, valid against the DCAT-AP 3.0.0 shapes read from
../shared/external/dcat-ap-3.0.0/ (never copied here).

Shapes loaded: `shapes.ttl` (the mandatory constraints and cardinalities), `range.ttl` (the classes
of values) and `shapes_recommended.ttl` (recommended properties, as warnings); the release's combined
`dcat-ap-SHACL.ttl` is checked too. Skipped: `mdr-vocabularies.shape.ttl`, which checks that values
come from the EU controlled vocabularies named in `mdr_imports.ttl` (languages, corporate bodies, data
themes, ...), and `imports.ttl`; those vocabularies are not in ../shared/external and are not fetched.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import pytest
from pyshacl import validate
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SH

from conftest import EXTERNAL, Api
from helpers import assert_xml, world_api

DCAT_AP = EXTERNAL / "dcat-ap-3.0.0"
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")

pytestmark = pytest.mark.skipif(not (DCAT_AP / "shapes.ttl").is_file(), reason=f"no DCAT-AP shapes at {DCAT_AP}")


@pytest.fixture(scope="module")
def wapi() -> Iterator[Api]:
    with world_api() as a:
        yield a


@cache
def shapes(*names: str) -> Graph:
    g = Graph()
    for n in names:
        g.parse(DCAT_AP / n, format="turtle")
    return g


def catalogue(api: Api, accept: str = "text/turtle") -> Graph:
    r = api.client.get("/catalog", headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(accept)
    fmt = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/rdf+xml": "xml"}[accept]
    if fmt == "xml":
        assert_xml(r.content, "/catalog as RDF/XML")
    return Graph().parse(data=r.text, format=fmt)


def results(report: Graph, severity: URIRef) -> list[str]:
    out = []
    for res in report.subjects(RDF.type, SH.ValidationResult):
        if report.value(res, SH.resultSeverity) == severity:
            out.append(f"{report.value(res, SH.focusNode)} {report.value(res, SH.resultPath)}: "
                       f"{report.value(res, SH.resultMessage)}")
    return sorted(out)


@pytest.mark.parametrize("files", [("shapes.ttl", "range.ttl"), ("dcat-ap-SHACL.ttl",)])
def test_catalog_conforms_to_dcat_ap(wapi: Api, files: tuple[str, ...]) -> None:
    data = catalogue(wapi)
    conforms, report, text = validate(data, shacl_graph=shapes(*files), inference="none", advanced=True)
    assert results(report, SH.Violation) == [], text
    assert conforms, text


def test_catalog_has_the_recommended_properties(wapi: Api) -> None:
    data = catalogue(wapi)
    _, report, text = validate(data, shacl_graph=shapes("shapes_recommended.ttl"), inference="none")
    # Recommended, not produced: dcat:theme (needs a theme vocabulary), dct:spatial / dct:temporal
    # (not recorded), dcat:distribution (the registry does not host data), and the catalogue's licence
    # and theme taxonomy; a publisher's dct:type (the ADMS publisher-type vocabulary is not recorded).
    allowed = {"theme", "spatial", "temporal", "distribution", "license", "themeTaxonomy", "dc/terms/type"}
    for w in results(report, SH.Warning) + results(report, SH.Violation):
        assert any(a in w for a in allowed), w


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json", "application/rdf+xml"])
def test_catalog_formats_are_the_same_graph(wapi: Api, accept: str) -> None:
    from rdflib.compare import isomorphic

    assert isomorphic(catalogue(wapi, accept), catalogue(wapi))


def test_catalog_lists_public_datasets_with_publishers_and_access(wapi: Api) -> None:
    g = catalogue(wapi)
    cat = next(g.subjects(RDF.type, DCAT.Catalog))
    ids = {str(g.value(d, DCTERMS.identifier)) for d in g.objects(cat, DCAT.dataset)}
    assert "ohip-claims" in ids and "road-collisions" in ids
    ohip = URIRef("https://registry.example.org/dataset/ohip-claims")
    publisher = g.value(ohip, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in g
    assert str(g.value(publisher, FOAF.name)) == "Ministry of Health"
    assert str(g.value(ohip, DCTERMS.accessRights)).endswith("/NON_PUBLIC")
    contact = g.value(ohip, DCAT.contactPoint)
    assert str(g.value(contact, VCARD.fn)) == "Ministry of Health"  # the publisher, never the steward
    assert not list(g.triples((None, VCARD.hasEmail, None)))


def test_retired_datasets_leave_the_catalog(wapi: Api) -> None:
    r = wapi.client.delete("/datasets/osap-loans", headers=wapi.auth())
    assert r.status_code == 204, r.text
    g = catalogue(wapi)
    ids = {str(o) for o in g.objects(None, DCTERMS.identifier)}
    assert "osap-loans" not in ids
