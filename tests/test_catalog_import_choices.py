"""Catalogue import: each mapping choice (a relative mailto, the non-empty licence, date-times, publishers
without a label, readable ids, fields not kept), records gone from the source, and broken inputs
(truncated files, the wrong format flag, empty catalogues, hostile values): a clear message, exit 2,
nothing written, never a traceback."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import DATA, EXTERNAL
from helpers import record_quads
from registry.cli.main import app
from registry.domain.model import DATASET, ORGANIZATION
from registry.services.ingest.catalog.harvest import CatalogError
from registry.services.ingest.catalog.importer import read
from registry.services.ingest.catalog.source import Source
from registry.services.ingest.catalog_import import ImportOptions, import_catalog
from registry.services.registry import Registry

CATALOGS = EXTERNAL / "catalogs"
CKAN = DATA / "ckan-package-search.json"
PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def turtle(path: Path, body: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PREFIXES + body, encoding="utf-8")
    return str(path)


def one(registry: Registry, report: Any) -> dict[str, Any]:
    assert len(report.created) == 1 and report.rejected == [], report.as_json()
    return registry.records.get(DATASET, report.created[0]["id"], full=True)


def imported(registry: Registry, tmp_path: Path, body: str) -> tuple[Any, dict[str, Any]]:
    """The report of importing a catalogue of one dataset, and the dataset."""
    report = import_catalog(registry, turtle(tmp_path / "catalog.ttl", body))
    return report, one(registry, report)


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, ["import-catalog", *args])


DATASET_TTL = """
<https://data.example.org/dataset/{name}> a dcat:Dataset ; dct:title "{title}"@en ;
  dct:publisher [ foaf:name "Example Office" ] ;
  dcat:contactPoint [ vcard:fn "Data desk" ; vcard:hasEmail <desk@example.org> ] {extra} .
"""


def dataset_ttl(name: str = "water-quality", title: str = "Water quality", extra: str = "") -> str:
    return DATASET_TTL.format(name=name, title=title, extra=extra)


# -------------------------------------------------------------------------------- mapping choices
def test_a_relative_mailto_stays_an_address_wherever_the_file_lies(registry: Registry, tmp_path: Path) -> None:
    first = import_catalog(registry, turtle(tmp_path / "a" / "catalog.ttl", dataset_ttl()))
    got = one(registry, first)
    assert got["contact_point"] == {"name": "Data desk", "email": "desk@example.org"}
    assert got["steward"] == {"name": "Data desk", "email": "desk@example.org"}
    assert str(tmp_path) not in json.dumps(got), "no path of the file in the record"
    again = import_catalog(registry, turtle(tmp_path / "b" / "c" / "other-name.ttl", dataset_ttl()))
    assert [e["id"] for e in again.unchanged] == [e["id"] for e in first.created] and again.updated == []


def test_a_contact_without_an_address_is_the_public_contact_only(registry: Registry, tmp_path: Path) -> None:
    """The steward (restricted, who answers for the data) is the source's contact only when it can be
    reached; otherwise --steward names one, or the record is rejected for the want of one."""
    body = dataset_ttl().replace("vcard:hasEmail <desk@example.org>", 'vcard:hasTelephone "555"')
    report = import_catalog(registry, turtle(tmp_path / "catalog.ttl", body))
    assert [v["field"] for v in report.rejected[0]["violations"]] == ["steward"]
    report = import_catalog(registry, turtle(tmp_path / "catalog.ttl", body), ImportOptions(steward_default=("A", "a@b.org")))
    got = one(registry, report)
    assert got["contact_point"] == {"name": "Data desk"} and got["steward"] == {"name": "A", "email": "a@b.org"}
    assert report.not_kept == {"contact_point/vcard:hasTelephone": 1}


def test_the_non_empty_licence_wins(registry: Registry, tmp_path: Path) -> None:
    body = dataset_ttl(extra='; dct:license "" , <https://creativecommons.org/licenses/by/4.0/>')
    _, got = imported(registry, tmp_path, body)
    assert got["license"] == "https://creativecommons.org/licenses/by/4.0/"


def test_a_licence_all_distributions_agree_on_is_the_datasets(registry: Registry, tmp_path: Path) -> None:
    lic = "dct:license <https://creativecommons.org/licenses/by/4.0/>"
    body = dataset_ttl(extra=f"; dcat:distribution [ dcat:accessURL <https://data.example.org/a.csv> ; {lic} ] , "
                             f"[ dcat:accessURL <https://data.example.org/b.csv> ; {lic} ]")
    _, got = imported(registry, tmp_path, body)
    assert got["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert {d["license"] for d in got["distributions"]} == {got["license"]}


def test_a_date_time_where_a_date_is_expected_keeps_its_date_with_a_warning(
        registry: Registry, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    body = dataset_ttl(extra='; dct:issued "2024-01-15T09:00:00Z"^^xsd:date ; dct:modified "2024-06-30T00:00:00"^^xsd:dateTime')
    path = turtle(tmp_path / "catalog.ttl", body)
    with caplog.at_level(logging.DEBUG):
        report = import_catalog(registry, path)
    got = one(registry, report)
    assert (got["issued"], got["modified"]) == ("2024-01-15", "2024-06-30")
    assert sorted((w["field"], w["message"]) for w in report.warnings) == [
        ("issued", "a date-time (2024-01-15T09:00:00Z) where a date is expected: its date 2024-01-15 is kept"),
        ("modified", "a date-time (2024-06-30T00:00:00) where a date is expected: its date 2024-06-30 is kept")]
    assert [r for r in caplog.records if r.name.startswith("rdflib")] == [], "nothing logged (rdflib logs a traceback)"
    result = cli(path, "--data", str(tmp_path / "store"))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.stderr and "warnings: issued (1), modified (1)" in result.stderr


@pytest.mark.parametrize("publisher,name,warns", [
    ('<https://org.example.org/id/7> foaf:name "Water Board"', "Water Board", False),
    ('<https://org.example.org/id/7> skos:prefLabel "Water Board"@en', "Water Board", False),
    ('<https://org.example.org/id/7> vcard:fn "Water Board"', "Water Board", False),
    ("<https://org.example.org/id/WaterBoard> a foaf:Agent", "Water Board", True),
    ("<https://org.example.org/id/Agency/2146814391> a foaf:Agent", "Agency 2146814391 (org.example.org)", True),
], ids=["foaf-name", "skos-prefLabel", "vcard-fn", "readable-iri", "number-iri"])
def test_a_publisher_is_named_by_its_label_else_from_its_iri(registry: Registry, tmp_path: Path, publisher: str,
                                                            name: str, warns: bool) -> None:
    node = publisher.split(" ", 1)[0]
    body = f"""<https://data.example.org/dataset/w> a dcat:Dataset ; dct:title "Water" ; dct:publisher {node} ;
      dcat:contactPoint [ vcard:hasEmail <mailto:desk@example.org> ] .
    {publisher} ."""
    report, got = imported(registry, tmp_path, body)
    assert registry.records.get(ORGANIZATION, got["publisher"], full=False)["name"] == name
    assert got["steward"] == {"name": name, "email": "desk@example.org"}, "a nameless contact: the publisher's desk"
    assert [w["field"] for w in report.warnings] == (["publisher"] if warns else [])


@pytest.mark.parametrize("identifier,iri_tail,prefix", [
    ("water-quality-2024", "ds1", "water-quality-2024-"),
    ("0f7a2b8e-6c1d-4a43-9d41-2b1f8f0a3c11", "ds1", "rivers-and-lakes-"),
    (None, "8f14e45fceea167a5a36dedd4bea2543", "rivers-and-lakes-"),
    (None, "RiverSurvey", "river-survey-"),
    ("geo:lakes-and-rivers", "x", "lakes-and-rivers-"),
], ids=["identifier", "uuid-identifier", "hash-iri", "readable-iri", "prefixed-identifier"])
def test_ids_are_readable(registry: Registry, tmp_path: Path, identifier: str | None, iri_tail: str, prefix: str) -> None:
    ident = f'; dct:identifier "{identifier}"' if identifier else ""
    body = dataset_ttl(name=iri_tail, title="Rivers and lakes", extra=ident)
    rid = imported(registry, tmp_path, body)[1]["id"]
    assert rid.startswith(prefix) and len(rid) == len(prefix) + 8, rid


def test_fields_with_no_place_are_counted_never_silently_dropped(registry: Registry, tmp_path: Path) -> None:
    body = dataset_ttl(extra='; dct:alternative "WQ" , "Eau" ; foaf:page <https://data.example.org/doc> ; '
                             'dcat:distribution [ dcat:accessURL <https://data.example.org/w.csv> ; dct:rights "open" ] ; '
                             'dcat:landingPage <https://data.example.org/en/w> , <https://data.example.org/fr/w>')
    report, got = imported(registry, tmp_path, body)
    assert got["landing_page"] == "https://data.example.org/en/w", "of several, the one in --lang's path"
    assert report.not_kept == {"dct:alternative": 2, "foaf:page": 1, "distribution/dct:rights": 1, "dcat:landingPage": 1}
    result = cli(turtle(tmp_path / "catalog.ttl", body), "--data", str(tmp_path / "store"))
    assert "fields not kept: dct:alternative (2), dcat:landingPage (1), distribution/dct:rights (1), foaf:page (1)" \
        in result.stderr
    assert json.loads(result.stdout)["fields_not_kept"] == {"dct:alternative": 2, "dcat:landingPage": 1,
                                                            "distribution/dct:rights": 1, "foaf:page": 1}


def test_a_url_the_registry_cannot_hold_is_left_out_with_a_warning(registry: Registry, tmp_path: Path) -> None:
    body = dataset_ttl(extra='; dcat:distribution [ dcat:accessURL <ftp://ftp.example.org/w.csv> ; dct:title "FTP" ] , '
                             '[ dcat:accessURL "https://data.example.org/w data.csv" ; '
                             'dcat:mediaType "text/csv; charset=utf-8" ]')
    report, got = imported(registry, tmp_path, body)
    assert got["distributions"] == [{"access_url": "https://data.example.org/w%20data.csv", "media_type": "text/csv"}]
    assert [w["message"] for w in report.warnings] == [
        "a distribution whose URL is not http or https (ftp://ftp.example.org/w.csv): not kept"]


# ------------------------------------------------------------------------------ gone from the source
def test_a_record_gone_from_the_source_is_reported_and_kept(registry: Registry, tmp_path: Path) -> None:
    doc = json.loads(CKAN.read_text(encoding="utf-8"))
    first = import_catalog(registry, str(CKAN))
    assert len(first.created) == 4 and first.gone == []
    gone = doc["result"]["results"].pop()
    doc["result"]["count"] = 3
    path = tmp_path / "later.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    later = import_catalog(registry, str(path))
    rid = next(e["id"] for e in first.created if e["source"] == gone["id"])
    assert later.gone == [{"id": rid, "source": gone["id"], "catalogue": "https://open.canada.ca/data",
                           "reason": "gone from the source: kept in the registry"}]
    assert "retired" not in registry.records.get(DATASET, rid, full=False), "never deleted, nor retired"
    result = cli(str(path), "--data", "memory")
    assert "gone from the source" not in result.stderr, "a fresh registry: nothing gone"
    doc["result"]["count"] = 38  # one page of a larger answer: what it does not list is not gone
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert import_catalog(registry, str(path)).gone is None


# ----------------------------------------------------------------------------------- broken inputs
EXPORTS = ["ckan-package_search-data.birmingham.gov.uk.json", "ckan-package_show-list-open.canada.ca-csa.json",
           "dcat-us-data.json-fcc.gov.json", "dcat-ap-it-rdfxml-ComuneFoggia.rdf",
           "dcat-ap-trig-data.gov.be-ldes-fragment-138.trig"]


@pytest.mark.skipif(not CATALOGS.is_dir(), reason="../shared/external/catalogs is not beside the checkout")
@pytest.mark.parametrize("name", EXPORTS)
def test_a_truncated_export_is_refused_whole(registry: Registry, tmp_path: Path, name: str) -> None:
    content = (CATALOGS / name).read_bytes()
    cut = tmp_path / name
    cut.write_bytes(content[: len(content) // 2])
    before = record_quads(registry)
    with pytest.raises(CatalogError) as e:
        import_catalog(registry, str(cut))
    assert e.value.detail.startswith(f"not a catalogue: the file {name} (")
    assert " is not valid " in e.value.detail and " at line " in e.value.detail, e.value.detail
    assert record_quads(registry) == before, "nothing written"
    result = cli(str(cut), "--data", "memory")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert e.value.detail in result.stderr


@pytest.mark.parametrize("name,fmt,message", [
    ("dcat-us-data.json-fcc.gov.json", "turtle", "the catalogue is not valid turtle at line 1"),
    ("dcat-ap-trig-data.gov.be-ldes-fragment-138.trig", "ckan", "the CKAN answer is not valid JSON at line 1"),
    ("ckan-package_search-data.birmingham.gov.uk.json", "dcat-us", 'not a DCAT-US data.json: expected {"dataset": '),
    ("dcat-ap-it-rdfxml-ComuneFoggia.rdf", "trig", "the catalogue is not valid trig"),
    ("dcat-us-data.json-fcc.gov.json", "ckan", "not a CKAN package_search answer"),
    ("dcat-ap-it-rdfxml-ComuneFoggia.rdf", "csv", "unknown format 'csv': use one of turtle, xml, json-ld, nt, trig, "
                                                  "nquads, dcat-us, ckan"),
])
@pytest.mark.skipif(not CATALOGS.is_dir(), reason="../shared/external/catalogs is not beside the checkout")
def test_the_wrong_format_flag(tmp_path: Path, name: str, fmt: str, message: str) -> None:
    store = tmp_path / "store"
    result = cli(str(CATALOGS / name), "--format", fmt, "--data", str(store))
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert result.stdout == "", "no report: nothing was imported"


@pytest.mark.parametrize("content,message", [
    (json.dumps({"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": []}),
     "the data.json lists no dataset"),
    (json.dumps({"success": True, "result": {"count": 0, "results": []}}), "the CKAN answer lists no package"),
    (json.dumps([]), "the CKAN answer lists no package"),
    (PREFIXES + "<https://data.example.org/catalog> a dcat:Catalog ; dct:title \"Nothing yet\" .",
     "describes no dcat:Dataset"),
    ("", "describes no dcat:Dataset"),
], ids=["data.json", "package_search", "empty-list", "dcat-catalog", "empty-file"])
def test_an_empty_catalogue(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / ("catalog.json" if content.startswith(("{", "[")) else "catalog.ttl")
    f.write_text(content, encoding="utf-8")
    result = cli(str(f), "--data", "memory")
    assert result.exit_code == 2 and message in result.stderr, result.output


HOSTILE: list[Any] = [None, 0, -1, 1.5, True, "", " ", "x" * 3000, [], [None], [[1]], {}, {"a": {"b": []}}, "\u0000",
                      "2024-13-45", "mailto:", "http://", "R/P1Y", "/", "@", {"@id": "_:b0"}, {"@value": 3}]


def hostile_variants(base: dict[str, Any], keys: list[str], ident: str) -> list[dict[str, Any]]:
    """`base` with each key (a.b.0.c for nested ones) replaced by each hostile value, each under its own id."""
    out = []
    for key in keys:
        for i, value in enumerate(HOSTILE):
            d = copy.deepcopy(base)
            d[ident] = f"{key.replace('.', '-')}-{i}"
            *path, last = key.split(".")
            node: Any = d
            for step in path:
                node = node[int(step)] if step.isdigit() else node[step]
            if key != ident:
                node[last] = value
            out.append(d)
    return out


def test_hostile_values_in_ckan_packages_never_crash(registry: Registry, tmp_path: Path) -> None:
    """Every field of a package, and of its resource, replaced by values of every JSON type: each package is
    read (the reader never raises), then created or rejected with its reasons."""
    pkg = json.loads(CKAN.read_text(encoding="utf-8"))["result"]["results"][0]
    keys = [k for k in pkg if k != "id"] + [f"resources.0.{k}" for k in pkg["resources"][0]]
    variants = hostile_variants(pkg, keys, "id")
    harvest = read(Source(json.dumps({"result": {"results": variants}}).encode(), None, "hostile.json"), "ckan", "en")
    assert len(harvest.records) == len(variants)
    json.dumps([h.data for h in harvest.records])  # plain JSON, whatever came in
    sample = variants[:: max(1, len(variants) // 40)]
    report = import_catalog(registry, str(write_json(tmp_path / "hostile.json", {"result": {"results": sample}})))
    assert report.found == len(sample) == len(report.created) + len(report.rejected)
    assert report.created and report.rejected


def test_hostile_values_in_dcat_us_datasets_never_crash(registry: Registry, tmp_path: Path) -> None:
    base = {"title": "T", "identifier": "id", "accessLevel": "public", "description": "D", "modified": "2024-01-01",
            "contactPoint": {"fn": "A", "hasEmail": "mailto:a@example.org"}, "publisher": {"name": "P"},
            "distribution": [{"downloadURL": "https://example.org/a.csv", "mediaType": "text/csv"}],
            "temporal": "2000/2001", "issued": "2024-01-01", "accrualPeriodicity": "R/P1Y", "language": "en",
            "landingPage": "https://example.org/", "theme": ["t"], "keyword": ["k"], "spatial": "s"}
    keys = [*base, "contactPoint.fn", "contactPoint.hasEmail", "publisher.name", "distribution.0.downloadURL",
            "distribution.0.mediaType"]
    datasets: list[Any] = ["not an object", 7, *hostile_variants(base, keys, "identifier")]
    doc = {"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": datasets}
    harvest = read(Source(json.dumps(doc).encode(), None, "data.json"), "dcat-us", "en")
    assert len(harvest.records) == len(datasets)
    sample = datasets[:2] + datasets[2:: max(1, len(datasets) // 40)]
    report = import_catalog(registry, str(write_json(tmp_path / "data.json", {**doc, "dataset": sample})))
    assert report.found == len(sample) == len(report.created) + len(report.rejected)
    assert {"dataset #1 of the data.json is not an object", "dataset #2 of the data.json is not an object"} <= \
        {r["reason"] for r in report.rejected}
    assert report.created


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_bad_options_and_missing_files_are_named(registry: Registry) -> None:
    result = cli(str(CKAN), "--org-kind", "ministry", "--data", "memory")
    assert result.exit_code == 2 and "external or agency" in result.stderr
    with pytest.raises(CatalogError, match="no such file"):
        import_catalog(registry, "/nonexistent/catalog.ttl", ImportOptions())
