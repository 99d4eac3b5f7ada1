"""Catalogue import, format by format: one DCAT catalogue in every RDF syntax (named graphs included), DCAT-US
data.json with the official context (by its URL, never fetched), with none and without @type, and each
shape of CKAN answer."""

from __future__ import annotations

import copy
import fnmatch
import json
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph
from rdflib.namespace import DCAT, RDF

from conftest import DATA, EXTERNAL, ROOT
from registry.domain.model import DATASET
from registry.services.ingest.catalog.dcat import RELATIVE
from registry.services.ingest.catalog.dcat_us import CONTEXT_FILE
from registry.services.ingest.catalog_import import ImportOptions, import_catalog
from registry.services.registry import Registry

FOGGIA = EXTERNAL / "catalogs" / "dcat-ap-it-rdfxml-ComuneFoggia.rdf"
CKAN = DATA / "ckan-package-search.json"
OFFICIAL = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"


def write(path: Path, doc: Any) -> str:
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return str(path)


def only(registry: Registry, report: Any) -> dict[str, Any]:
    assert len(report.created) == 1 and report.rejected == [], report.as_json()
    return registry.records.get(DATASET, report.created[0]["id"], full=True)


# ------------------------------------------------------------------------------------ RDF syntaxes
@pytest.mark.skipif(not FOGGIA.is_file(), reason="../shared/external/catalogs is not beside the checkout")
@pytest.mark.parametrize("fmt,suffix", [("turtle", ".ttl"), ("nt", ".nt"), ("json-ld", ".jsonld"), ("trig", ".trig"),
                                        ("nquads", ".nq")])
def test_one_catalogue_in_every_rdf_syntax(registry: Registry, tmp_path: Path, fmt: str, suffix: str) -> None:
    """The RDF/XML catalogue, written again in another syntax (for TriG and N-Quads the datasets in one
    named graph, everything else in another), gives the same records: none created, none changed."""
    first = import_catalog(registry, str(FOGGIA))
    assert len(first.created) == 7
    g = Graph().parse(FOGGIA, format="xml", publicID=RELATIVE)
    other = tmp_path / f"foggia{suffix}"
    if fmt in ("trig", "nquads"):
        datasets = set(g.subjects(RDF.type, DCAT.Dataset))
        parts: dict[str, Graph] = {"<urn:example:datasets>": Graph(), "<urn:example:the-rest>": Graph()}
        for t in g:
            parts["<urn:example:datasets>" if t[0] in datasets else "<urn:example:the-rest>"].add(t)
        text = ""
        for name, part in parts.items():
            lines = part.serialize(format="nt", encoding="utf-8").decode().splitlines()
            text += "".join(f"{line[:-1]}{name} .\n" for line in lines if line) if fmt == "nquads" else \
                f"{name} {{\n" + "\n".join(lines) + "\n}\n"
        other.write_text(text, encoding="utf-8")
    else:
        g.serialize(other, format=fmt, encoding="utf-8")
    again = import_catalog(registry, str(other))
    assert again.format == fmt, "told by the name"
    assert again.created == again.updated == again.rejected == []
    assert {e["id"] for e in again.unchanged} == {e["id"] for e in first.created}


# ---------------------------------------------------------------------------------------- DCAT-US
def data_json(**fields: Any) -> dict[str, Any]:
    """A DCAT-US 1.1 catalogue of one dataset, its fields given (None removes one)."""
    ds = {"@type": "dcat:Dataset", "title": "Broadband deployment", "description": "Where broadband reaches.",
          "keyword": ["broadband"], "modified": "2024-03-01", "identifier": "https://data.example.gov/id/bb-1",
          "accessLevel": "public", "publisher": {"@type": "org:Organization", "name": "Federal Example Commission"},
          "contactPoint": {"@type": "vcard:Contact", "fn": "Open Data Team", "hasEmail": "mailto:data@example.gov"},
          "distribution": [{"@type": "dcat:Distribution", "downloadURL": "https://data.example.gov/bb.csv",
                            "mediaType": "text/csv", "format": "CSV", "title": "Broadband (CSV)"},
                           {"@type": "dcat:Distribution", "accessURL": "https://data.example.gov/api/bb",
                            "format": "API", "title": "Broadband API"}],
          "temporal": "2000-01-15/2010-12-31", "accrualPeriodicity": "R/P1M", "language": ["en-US"],
          "landingPage": "https://data.example.gov/bb", "license": "https://creativecommons.org/publicdomain/zero/1.0/",
          "spatial": "United States", "theme": ["Telecommunications", "economy"], "bureauCode": ["000:00"]}
    for k, value in fields.items():
        if value is None:
            ds.pop(k, None)
        else:
            ds[k] = value
    return {"@context": OFFICIAL, "@id": "https://data.example.gov/data.json", "@type": "dcat:Catalog",
            "conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [ds]}


def test_a_dcat_us_record_with_every_field(registry: Registry, tmp_path: Path) -> None:
    report = import_catalog(registry, write(tmp_path / "data.json", data_json()))
    assert report.format == "dcat-us"
    got = only(registry, report)
    assert got["id"].startswith("broadband-deployment-"), "the identifier is a URL: the title names the record"
    assert (got["title"], got["access"], got["publisher"]) == ("Broadband deployment", "public",
                                                              "federal-example-commission")
    assert got["temporal"] == {"start": "2000-01-15", "end": "2010-12-31"}
    assert got["frequency"] == "monthly" and got["language"] == ["en"] and got["spatial"] == ["United States"]
    assert got["contact_point"] == {"name": "Open Data Team", "email": "data@example.gov"}
    assert sorted(got["distributions"], key=lambda d: d["title"]) == [
        {"title": "Broadband (CSV)", "download_url": "https://data.example.gov/bb.csv", "media_type": "text/csv",
         "format": "CSV"},
        {"title": "Broadband API", "access_url": "https://data.example.gov/api/bb", "format": "API"}]
    assert got["source"] == {"catalogue": "https://data.example.gov/data.json", "id": "https://data.example.gov/id/bb-1",
                             "url": "https://data.example.gov/id/bb-1"}
    assert got["keywords"] == ["Telecommunications", "broadband"], "a theme outside the vocabulary is a keyword"
    assert got["themes"] == ["economy"] and got["landing_page"] == "https://data.example.gov/bb"
    assert report.not_kept == {"pod:bureauCode": 1}


@pytest.mark.parametrize("level,access,personal", [("public", "public", False), ("restricted public", "restricted", True),
                                                   ("non-public", "non-public", True)])
def test_dcat_us_access_levels(registry: Registry, tmp_path: Path, level: str, access: str, personal: bool) -> None:
    got = only(registry, import_catalog(registry, write(tmp_path / "data.json", data_json(accessLevel=level))))
    assert got["access"] == access and got["personal_information"] is personal
    assert got["sensitivity"] == ("unclassified" if access == "public" else "high")


@pytest.mark.parametrize("context", [
    OFFICIAL, "http://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
    "https://www.project-open-data.cio.gov/v1.1/schema/catalog.jsonld", OFFICIAL + "#", [OFFICIAL],
    [OFFICIAL, {"ex": "https://example.org/ns#"}], None,
], ids=["https", "http", "www", "hash", "in-a-list", "beside-an-inline-one", "no-context"])
def test_dcat_us_context_by_url_or_none_never_fetched(registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      context: Any) -> None:
    def no_fetch(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"fetched {args[:1]}")

    monkeypatch.setattr(urllib.request, "urlopen", no_fetch)
    doc = data_json()
    if context is None:
        del doc["@context"], doc["@type"], doc["dataset"][0]["@type"]  # no context, no types at all
    else:
        doc["@context"] = context
    got = only(registry, import_catalog(registry, write(tmp_path / "data.json", doc)))
    assert got["title"] == "Broadband deployment" and len(got["distributions"]) == 2
    assert got["contact_point"]["email"] == "data@example.gov"


def test_dcat_us_datasets_without_type_among_typed_ones(registry: Registry, tmp_path: Path) -> None:
    doc = data_json()
    untyped = copy.deepcopy(doc["dataset"][0])
    del untyped["@type"]
    untyped.update(identifier="bb-2", title="Broadband adoption")
    doc["dataset"].append(untyped)
    report = import_catalog(registry, write(tmp_path / "data.json", doc))
    assert sorted(e["source"] for e in report.created) == ["bb-2", "https://data.example.gov/id/bb-1"]


@pytest.mark.parametrize("temporal,expected", [
    ("2000-01-15/2010-12-31", {"start": "2000-01-15", "end": "2010-12-31"}),
    ("2000-01-15T00:45:00Z/2010-01-15T00:06:00Z", {"start": "2000-01-15", "end": "2010-01-15"}),
    ("R/2000-01-15/P1Y", {"start": "2000-01-15", "end": "2001-01-14"}),
    ("R6/2008-03-01T13:00:00Z/P1M", {"start": "2008-03-01", "end": "2008-03-31"}),
    ("2000-01-15/P1W", {"start": "2000-01-15", "end": "2000-01-21"}),
    ("P1Y/2010-12-31", {"start": "2010-01-01", "end": "2010-12-31"}),
])
def test_dcat_us_temporal_intervals(registry: Registry, tmp_path: Path, temporal: str, expected: dict[str, str]) -> None:
    report = import_catalog(registry, write(tmp_path / "data.json", data_json(temporal=temporal)))
    assert only(registry, report)["temporal"] == expected
    if "T" in temporal:
        assert {w["field"] for w in report.warnings} == {"temporal"}, "a date-time keeps its date, with a warning"


def test_dcat_us_a_temporal_that_is_no_interval_is_counted_not_kept(registry: Registry, tmp_path: Path) -> None:
    report = import_catalog(registry, write(tmp_path / "data.json", data_json(temporal="the 1990s")))
    assert "temporal" not in only(registry, report)
    assert report.not_kept == {"pod:bureauCode": 1, "temporal": 1}
    assert [w["field"] for w in report.warnings] == ["temporal"]


def test_the_bundled_context_maps_every_dcat_us_field_and_ships_in_the_wheel() -> None:
    """Every field of the DCAT-US 1.1 schema (catalog, dataset, distribution, publisher, contact point) is a
    term of the bundled context, and the file matches the wheel's package data."""
    ctx = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    fields = {"conformsTo", "describedBy", "dataset",  # catalog
              "title", "description", "keyword", "modified", "publisher", "contactPoint", "identifier", "accessLevel",
              "bureauCode", "programCode", "license", "rights", "spatial", "temporal", "distribution",
              "accrualPeriodicity", "dataQuality", "describedByType", "isPartOf", "issued", "language",
              "landingPage", "primaryITInvestmentUII", "references", "systemOfRecords", "theme",  # dataset
              "accessURL", "downloadURL", "format", "mediaType",  # distribution
              "name", "subOrganizationOf", "fn", "hasEmail"}  # publisher, contact point
    assert fields <= set(ctx), sorted(fields - set(ctx))
    for term in ("title", "description", "keyword", "modified", "issued", "identifier", "license", "spatial",
                 "temporal", "distribution", "landingPage", "accessURL", "downloadURL", "mediaType", "format",
                 "language", "theme", "accrualPeriodicity", "contactPoint", "publisher", "fn", "hasEmail", "name"):
        iri = ctx[term]["@id"] if isinstance(ctx[term], dict) else ctx[term]
        assert iri.split(":")[0] in ("dct", "dcat", "foaf", "vcard"), (term, iri)
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["registry"]
    shipped = CONTEXT_FILE.relative_to(ROOT / "src" / "registry").as_posix()
    assert any(fnmatch.fnmatch(shipped, pattern) for pattern in package_data), (shipped, package_data)


# -------------------------------------------------------------------------------------------- CKAN
def packages() -> list[dict[str, Any]]:
    doc: dict[str, Any] = json.loads(CKAN.read_text(encoding="utf-8"))
    return list(doc["result"]["results"])


def show(pkg: dict[str, Any]) -> dict[str, Any]:
    return {"help": "https://open.canada.ca/data/api/3/action/help_show?name=package_show", "success": True,
            "result": pkg}


@pytest.mark.parametrize("shape", ["package_show", "bare-package", "current_package_list_with_resources"])
def test_ckan_answers_of_one_package(registry: Registry, tmp_path: Path, shape: str) -> None:
    pkg = packages()[0]
    doc = {"package_show": show(pkg), "bare-package": pkg,
           "current_package_list_with_resources": {"success": True, "result": [pkg]}}[shape]
    report = import_catalog(registry, write(tmp_path / "answer.json", doc))
    got = only(registry, report)
    assert report.format == "ckan"
    assert got["title"] == pkg["title_translated"] and got["source"]["id"] == pkg["id"]
    assert got["distributions"][0]["access_url"] == pkg["resources"][0]["url"]


def test_a_list_of_package_show_answers_judges_each_on_its_own(registry: Registry, tmp_path: Path) -> None:
    found = packages()
    doc = [show(found[0]), {"help": "...", "success": False, "error": {"message": "Not found"}}, show(found[1]),
           show({"nothing": "here"})]
    report = import_catalog(registry, write(tmp_path / "answers.json", doc))
    assert report.found == 4 and len(report.created) == 2
    assert {r["source"]: r["reason"] for r in report.rejected} == {
        "package #2": "package #2 of the answer reports a failure",
        "package #4": "package #4 of the answer is not a package"}
    assert report.catalogues == ["https://open.canada.ca/data"]


def test_ckan_ids_are_the_name_unless_it_is_a_uuid(registry: Registry, tmp_path: Path) -> None:
    named, anonymous = packages()[0], copy.deepcopy(packages()[1])
    anonymous["name"] = anonymous["id"]
    report = import_catalog(registry, write(tmp_path / "answer.json", [show(named), show(anonymous)]))
    ids = {e["source"]: e["id"] for e in report.created}
    assert ids[named["id"]].rsplit("-", 1)[0] == named["name"]
    assert ids[anonymous["id"]].rsplit("-", 1)[0] == "covid-19-vaccine-uptake-by-public-health-unit", "the title's slug"
    assert anonymous["id"][:8] not in ids[anonymous["id"]]


def test_ckan_multilingual_fields_become_language_maps(registry: Registry, tmp_path: Path) -> None:
    pkg = packages()[0]
    pkg["title_translated"] = {"en": "Notifiable diseases", "fr": "Maladies à déclaration obligatoire", "iu": ""}
    pkg["resources"][0]["name_translated"] = {"en": "Counts (CSV)", "fr": "Nombres (CSV)"}
    pkg["resources"][0]["description_translated"] = {"en": "One row a year", "fr": "Une ligne par année"}
    got = only(registry, import_catalog(registry, write(tmp_path / "answer.json", show(pkg))))
    assert got["title"] == {"en": "Notifiable diseases", "fr": "Maladies à déclaration obligatoire"}, "no empty text"
    assert got["distributions"][0]["title"] == {"en": "Counts (CSV)", "fr": "Nombres (CSV)"}
    assert got["distributions"][0]["description"] == {"en": "One row a year", "fr": "Une ligne par année"}
    french = import_catalog(registry, write(tmp_path / "answer.json", show(pkg)), ImportOptions(lang="fr"))
    assert registry.records.get(DATASET, french.updated[0]["id"], full=False)["keywords"] == sorted(pkg["keywords"]["fr"])
