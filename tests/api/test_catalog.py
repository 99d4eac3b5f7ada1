"""/catalog: DCAT 3 in Turtle, JSON-LD and RDF/XML, valid against the DCAT-AP 3.0.0 shapes read from
../shared/external/dcat-ap-3.0.0/ (never copied here), for the casebook world, the demo (datasets with
distributions, landing pages, bilingual titles) and a registry of datasets using every field.

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
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SH, SKOS

from conftest import DATA, EXTERNAL, Api
from helpers import DEMO_FILE, assert_xml, records_api, world_api

DCAT_AP = EXTERNAL / "dcat-ap-3.0.0"
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU_LANG = "http://publications.europa.eu/resource/authority/language/"

pytestmark = pytest.mark.skipif(not (DCAT_AP / "shapes.ttl").is_file(), reason=f"no DCAT-AP shapes at {DCAT_AP}")


@pytest.fixture(scope="module")
def wapi() -> Iterator[Api]:
    with world_api() as a:
        yield a


#: the files of the release the suite validates with, and those it skips (the controlled vocabularies)
USED = {"shapes.ttl", "range.ttl", "shapes_recommended.ttl", "dcat-ap-SHACL.ttl"}
SKIPPED = {"mdr-vocabularies.shape.ttl": "values from the EU controlled vocabularies (not in ../shared/external)",
           "mdr_imports.ttl": "the list of those vocabularies, to fetch",
           "imports.ttl": "the ontologies DCAT-AP reuses, to fetch"}


@pytest.fixture(scope="module")
def fapi() -> Iterator[Api]:
    """The app over datasets using every DCAT field (tests/data/dcat-records.json)."""
    with records_api(DATA / "dcat-records.json") as a:
        yield a


@pytest.fixture(scope="module", params=["demo", "every-field"])
def dapi(request: pytest.FixtureRequest, fapi: Api) -> Iterator[Api]:
    """The app over the demo registry, or over datasets using every DCAT field."""
    if request.param == "every-field":
        yield fapi
        return
    with records_api(DEMO_FILE) as a:
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


def test_the_suite_skips_only_the_controlled_vocabulary_shapes() -> None:
    files = {f.name for f in DCAT_AP.glob("*.ttl")}
    print("DCAT-AP 3.0.0 shapes used:", ", ".join(sorted(USED)))
    print("skipped:", "; ".join(f"{name} ({why})" for name, why in sorted(SKIPPED.items())))
    assert files == USED | set(SKIPPED), files


@pytest.mark.parametrize("files", [("dcat-ap-SHACL.ttl",), ("dcat-ap-SHACL.ttl", "range.ttl")])
def test_catalog_with_distributions_conforms_to_dcat_ap(dapi: Api, files: tuple[str, ...]) -> None:
    data = catalogue(dapi)
    assert list(data.subjects(RDF.type, DCAT.Distribution)), "the catalogue lists distributions"
    assert list(data.objects(None, DCAT.byteSize)), "and their sizes"
    conforms, report, text = validate(data, shacl_graph=shapes(*files), inference="none", advanced=True)
    assert results(report, SH.Violation) == [], text
    assert conforms, text


def test_shapes_ttl_differs_from_the_release_shapes_only_on_the_type_of_sizes(dapi: Api) -> None:
    """The release's shapes.ttl types dcat:byteSize as xsd:decimal, its dcat-ap-SHACL.ttl (and DCAT 3) as
    xsd:nonNegativeInteger: one literal cannot be both, and the catalogue follows the release shapes.
    Every other constraint of shapes.ttl and range.ttl holds."""
    data = catalogue(dapi)
    _, report, _ = validate(data, shacl_graph=shapes("shapes.ttl", "range.ttl"), inference="none", advanced=True)
    found = results(report, SH.Violation)
    sizes = {str(d) for d in data.subjects(DCAT.byteSize, None)}
    assert found and {f.split(" ", 1)[0] for f in found} == sizes, found
    assert all(f" {DCAT.byteSize}: " in f and "decimal" in f for f in found), found


def test_a_dataset_with_every_field_has_every_recommended_property(fapi: Api) -> None:
    """The recommended properties a record gives are all in the catalogue: the dataset with every field
    draws no warning; its nodes only for what the registry does not record (a distribution's
    availability, a named place's geometry) or the record leaves out (a distribution's description or
    licence)."""
    data = catalogue(fapi)
    _, report, _ = validate(data, shacl_graph=shapes("shapes_recommended.ttl"), inference="none")
    full = "https://registry.example.org/dataset/shelter-usage"
    assert (URIRef(full), RDF.type, DCAT.Dataset) in data
    about = [w for w in results(report, SH.Warning) + results(report, SH.Violation) if w.startswith(full)]
    assert not [w for w in about if w.startswith(full + " ")], about
    unrecorded = ("r5r/availability", "dcat#bbox", "dcat#centroid")
    left_out = {f"{full}/distribution/2": ("terms/description",), f"{full}/distribution/3": ("terms/description",
                                                                                             "terms/license")}
    for w in about:
        focus = w.split(" ", 1)[0]
        assert any(u in w for u in (*unrecorded, *left_out.get(focus, ()))), w


def test_catalog_carries_every_public_field(fapi: Api) -> None:
    g = catalogue(fapi)
    d = URIRef("https://registry.example.org/dataset/shelter-usage")
    assert {(str(t), t.language) for t in g.objects(d, DCTERMS.title)} == {
        ("Shelter system usage", "en"), ("Utilisation du système d'hébergement", "fr")}
    assert str(g.value(d, DCAT.landingPage)) == "https://open.toronto.ca/dataset/shelter-system-usage/"
    assert {str(x) for x in g.objects(d, DCTERMS.language)} == {EU_LANG + "ENG", EU_LANG + "FRA"}
    assert str(g.value(d, DCTERMS.accrualPeriodicity)).endswith("/frequency/DAILY")
    themes = {str(x) for x in g.objects(d, DCAT.theme)}
    assert "http://publications.europa.eu/resource/authority/data-theme/HEAL" in themes
    assert "https://w3id.org/gov-data-registry/vocab/theme/health" in themes
    assert "Housing and shelter" in {str(k) for k in g.objects(d, DCAT.keyword)}  # a theme that is a text
    period = g.value(d, DCTERMS.temporal)
    assert (str(g.value(period, DCAT.startDate)), str(g.value(period, DCAT.endDate))) == ("2015-01-01", "2024-12-31")
    places = list(g.objects(d, DCTERMS.spatial))
    assert "https://sws.geonames.org/6167865/" in {str(p) for p in places}
    assert "Toronto" in {str(g.value(p, SKOS.prefLabel)) for p in places}
    contact = g.value(d, DCAT.contactPoint)
    assert str(g.value(contact, VCARD.hasEmail)) == "mailto:opendata@toronto.example.ca"
    dists = {str(x): x for x in g.objects(d, DCAT.distribution)}
    assert sorted(dists) == [f"{d}/distribution/{n}" for n in (1, 2, 3)]
    csv = dists[f"{d}/distribution/1"]
    assert str(g.value(csv, DCAT.downloadURL)) == "https://open.toronto.ca/dataset/shelter-system-usage/usage.csv"
    assert str(g.value(csv, DCAT.mediaType)) == "https://www.iana.org/assignments/media-types/text/csv"
    assert str(g.value(csv, DCTERMS.format)).endswith("/file-type/CSV")
    assert g.value(csv, DCAT.byteSize).toPython() == 123456  # type: ignore[union-attr]
    json_only = dists[f"{d}/distribution/3"]  # a download URL only: it is the access URL too
    assert g.value(json_only, DCAT.accessURL) == g.value(json_only, DCAT.downloadURL)
    text = fapi.client.get("/catalog", headers={"Accept": "text/turtle"}).text.lower()
    for restricted in ("zqx", "p913y", "p917y", "containspersonalinformation", "haspersonaldatacategory", "ns#steward",
                       "/steward>"):
        assert restricted not in text, restricted


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
