"""Catalogue import of the five real exports in ../shared/external/catalogs (SOURCES.md says where each came
from): exact counts created, unchanged on a second import (from another folder) and rejected, with spot
checks of fields against the source file itself, the warnings and the fields not kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from conftest import EXTERNAL
from registry.domain.model import DATASET, ORGANIZATION
from registry.services.ingest.catalog_import import ImportOptions, ImportReport, import_catalog
from registry.services.registry import Registry

CATALOGS = EXTERNAL / "catalogs"
BIRMINGHAM = CATALOGS / "ckan-package_search-data.birmingham.gov.uk.json"
CANADA = CATALOGS / "ckan-package_show-list-open.canada.ca-csa.json"
FCC = CATALOGS / "dcat-us-data.json-fcc.gov.json"
FOGGIA = CATALOGS / "dcat-ap-it-rdfxml-ComuneFoggia.rdf"
BELGIUM = CATALOGS / "dcat-ap-trig-data.gov.be-ldes-fragment-138.trig"

pytestmark = pytest.mark.skipif(not CATALOGS.is_dir(), reason="../shared/external/catalogs is not beside the checkout")


def by_source(report: ImportReport) -> dict[str, str]:
    """Source identifier -> registry id, of the records created."""
    return {e["source"]: e["id"] for e in report.created}


def dataset(registry: Registry, rid: str) -> dict[str, Any]:
    return registry.records.get(DATASET, rid, full=True)


def distributions(registry: Registry, report: ImportReport) -> int:
    return sum(len(dataset(registry, e["id"]).get("distributions", [])) for e in report.created)


def warned(report: ImportReport, field: str) -> list[dict[str, Any]]:
    return [w for w in report.warnings if w.get("field") == field]


def again_elsewhere(registry: Registry, source: Path, tmp_path: Path) -> ImportReport:
    """The same file imported again from another folder (under another name): nothing may change."""
    elsewhere = tmp_path / "elsewhere" / "deeper"
    elsewhere.mkdir(parents=True)
    copy = elsewhere / ("copy-" + source.name)
    shutil.copyfile(source, copy)
    return import_catalog(registry, str(copy))


def test_birmingham_ckan_package_search(registry: Registry, tmp_path: Path) -> None:
    doc = json.loads(BIRMINGHAM.read_text(encoding="utf-8"))
    report = import_catalog(registry, str(BIRMINGHAM))
    assert report.format == "ckan" and report.found == 10
    assert (len(report.created), len(report.rejected)) == (10, 0), report.rejected
    assert report.catalogues == ["https://data.birmingham.gov.uk"], "the portal its `help` names"
    assert report.gone is None, "a page of 10 of 38 packages cannot tell what is gone"
    assert report.organizations_created == [{"id": "birmingham-city-council", "name": "Birmingham City Council",
                                             "kind": "external", "source": "4eda0082-f593-489e-b66a-8fe8274cfc94"}]
    assert distributions(registry, report) == 54

    pkg = next(p for p in doc["result"]["results"] if p["name"] == "purchase-card-transactions")
    got = dataset(registry, by_source(report)[pkg["id"]])
    assert got["id"].startswith("purchase-card-transactions-"), "the CKAN name, with the hash of the package id"
    assert got["title"] == pkg["title"] and got["publisher"] == "birmingham-city-council"
    assert len(got["distributions"]) == len(pkg["resources"]) == 45, "all 45 download links"
    first, resource = got["distributions"][0], pkg["resources"][0]
    assert first == {"title": resource["name"].strip(), "download_url": resource["url"],
                     "format": "XLS", "checksum": {"algorithm": "md5", "value": resource["hash"]}}, "uploaded: a download"
    assert got["contact_point"] == {"name": "Ian Martin", "email": "ian.martin@birmingham.gov.uk"}
    assert got["landing_page"] == "https://data.birmingham.gov.uk/dataset/purchase-card-transactions"
    assert got["source"] == {"catalogue": "https://data.birmingham.gov.uk", "id": pkg["id"],
                             "url": "https://data.birmingham.gov.uk/dataset/purchase-card-transactions"}
    assert got["issued"] == "2014-12-01" and got["modified"] == "2021-01-15"
    assert len(warned(report, "issued")) == len(warned(report, "modified")) == 10, "CKAN's timestamps keep their dates"
    assert report.not_kept == {"url": 9}, "`url` holds a name there, not an address"

    again = again_elsewhere(registry, BIRMINGHAM, tmp_path)
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 10)


def test_open_canada_list_of_package_show_answers(registry: Registry, tmp_path: Path) -> None:
    answers = json.loads(CANADA.read_text(encoding="utf-8"))
    report = import_catalog(registry, str(CANADA))
    assert report.format == "ckan" and report.found == 127, "the list is unwrapped: one record per answer"
    assert (len(report.created), len(report.rejected)) == (127, 0), [r["reason"][:200] for r in report.rejected[:3]]
    assert report.catalogues == ["https://open.canada.ca/data/en"]
    assert [o["id"] for o in report.organizations_created] == ["csa-asc"]
    assert registry.records.get(ORGANIZATION, "csa-asc", full=False)["name"] == "Canadian Space Agency"
    # 1,001 resources: the 54 at ftp:// addresses (which the registry cannot hold) are left out, with a warning each
    assert distributions(registry, report) == 1001 - 54
    assert len(warned(report, "distributions")) == 54 == report.not_kept["distributions (no http or https URL)"]

    ids = by_source(report)
    for e in report.created:  # every name there is a UUID: the title gives the id
        assert e["source"][:8] not in e["id"] and e["source"][:5] not in e["id"].replace("-", ""), e
    pkg = answers[0]["result"]
    got = dataset(registry, ids[pkg["id"]])
    assert got["id"].startswith("canadian-space-agency-2021-22-departmental-results-report-")
    assert got["title"] == pkg["title_translated"] and got["description"] == pkg["notes_translated"]
    assert got["title"]["fr"] == "Rapport sur les résultats ministériels de l'Agence spatiale canadienne 2021-2022"
    assert got["keywords"] == sorted(pkg["keywords"]["en"])
    assert got["themes"] == ["economy", "government"], "open.canada.ca's subjects, as the registry's themes"
    assert got["frequency"] == "irregular" and got["language"] == ["en", "fr"]
    assert got["license"] == "http://open.canada.ca/en/open-government-licence-canada"
    assert got["issued"] == "2022-12-02", "date_published 2022-12-02 00:00:00: its date, with a warning"
    assert got["contact_point"] == {"email": "open-ouvert@tbs-sct.gc.ca"}
    assert got["steward"] == {"name": "Canadian Space Agency", "email": "open-ouvert@tbs-sct.gc.ca"}
    resource = pkg["resources"][0]
    assert got["distributions"][0] == {"title": {"en": "2021–22 Departmental Results Report",
                                                 "fr": "Rapport sur les résultats ministériels 2021–2022"},
                                       "access_url": resource["url"], "format": "HTML", "language": ["en"],
                                       "issued": "2022-12-02"}

    covered = next(a["result"] for a in answers if a["result"]["id"] == "dd18f931-a23e-4126-874f-68e1bc73851b")
    got = dataset(registry, ids[covered["id"]])
    assert got["temporal"] == {"start": "2012-01-01", "end": "2015-12-31"}
    assert len(got["distributions"]) == 1, "four of its five resources are at ftp:// addresses"
    sized = next(a["result"] for a in answers if a["result"]["id"] == "4501efc8-9fe0-4a52-9a60-f2657a969c0b")
    big = next(d for d in dataset(registry, ids[sized["id"]])["distributions"] if d.get("byte_size"))
    assert big["byte_size"] == 410169376768 and big["format"] == "CSV"
    assert sum(1 for e in report.created if "temporal" in dataset(registry, e["id"])) == 59, "59 time ranges"
    assert report.not_kept["resources/resource_type"] == 1001 and report.not_kept["collection"] == 127

    again = again_elsewhere(registry, CANADA, tmp_path)
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 127)
    assert again.gone == []


def test_fcc_dcat_us_data_json(registry: Registry, tmp_path: Path) -> None:
    doc = json.loads(FCC.read_text(encoding="utf-8"))
    report = import_catalog(registry, str(FCC))
    assert report.format == "dcat-us" and report.found == 59
    assert (len(report.created), len(report.rejected)) == (59, 0), report.rejected
    assert report.catalogues == ["https://opendata.fcc.gov/data.json"], "the data.json's @id"
    assert report.organizations_created == [{"id": "opendata.fcc.gov", "name": "opendata.fcc.gov",
                                             "kind": "external", "source": "opendata.fcc.gov"}]
    assert distributions(registry, report) == 225 - 1, "one distribution is at an ftp:// address"
    assert report.not_kept["pod:bureauCode"] == 58 and report.not_kept["pod:programCode"] == 58

    ids = by_source(report)
    first = doc["dataset"][0]
    got = dataset(registry, ids[first["identifier"]])
    assert got["id"].startswith("linked-station-neighbors-"), "the title: the Socrata view id is no name"
    assert got["title"] == first["title"] and got["access"] == "public" and got["publisher"] == "opendata.fcc.gov"
    assert got["landing_page"] == first["landingPage"] and got["license"] == first["license"]
    assert got["issued"] == first["issued"] and got["modified"] == first["modified"]
    assert got["contact_point"] == {"name": "Humza Riaz", "email": "no-reply@opendata.fcc.gov"}
    csv = next(d for d in got["distributions"] if d.get("media_type") == "text/csv")
    assert csv == {"download_url": first["distribution"][0]["downloadURL"], "media_type": "text/csv"}
    assert got["source"] == {"catalogue": "https://opendata.fcc.gov/data.json", "id": first["identifier"],
                             "url": first["identifier"]}

    again = again_elsewhere(registry, FCC, tmp_path)
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 59)
    assert again.gone == []


def test_comune_di_foggia_dcat_ap_it_rdf_xml(registry: Registry, tmp_path: Path) -> None:
    report = import_catalog(registry, str(FOGGIA))
    assert report.format == "xml" and report.found == 7
    assert (len(report.created), len(report.rejected)) == (7, 0), report.rejected
    assert report.catalogues == ["https://github.com/ComuneFoggia/OpenData-Comune-di-Foggia"]
    assert report.warnings == []
    iri = "https://github.com/ComuneFoggia/OpenData-Comune-di-Foggia/elenco-matrimoni-non-residenti-foggia"
    got = dataset(registry, by_source(report)[iri])
    assert got["id"].startswith("elenco-matrimoni-non-residenti-foggia-")
    assert got["title"] == {"it": "Elenco Matrimoni Non Residenti Foggia"}, "untagged text in the record's one language"
    assert got["language"] == ["it"] and got["themes"] == ["society"] and got["frequency"] == "never"
    # a relative link <servizi.informatici@comune.foggia.it> is an e-mail address, never a path
    assert got["contact_point"] == {"name": "Stato Civile", "email": "servizi.informatici@comune.foggia.it"}
    assert got["license"] == "https://creativecommons.org/licenses/by/4.0/", "the non-empty licence wins over <dct:license/>"
    assert got["distributions"] == [{
        "title": "Elenco dei matrimoni non residenti - formato csv", "format": "CSV",
        "description": "File in formato CSV per l'interoperabilità",
        "access_url": "https://raw.githubusercontent.com/ComuneFoggia/OpenData-Comune-di-Foggia/1957ea410f3e1462bf3a99c94"
                      "ee20fb86617f209/Matrimoni/Elenco%20Matrimoni%20Non%20Residenti%20Foggia.csv",
        "license": "https://creativecommons.org/publicdomain/zero/1.0/"}]
    assert report.not_kept == {"contact_point/vcard:hasTelephone": 7, "contact_point/vcard:hasURL": 7,
                               "dct:rightsHolder": 7, "dct:subject": 7, "distribution/dct:rights": 7}

    again = again_elsewhere(registry, FOGGIA, tmp_path)
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 7), "nothing holds the file's path"
    assert again.gone == []


def test_data_gov_be_trig_fragment(registry: Registry, tmp_path: Path) -> None:
    source = Dataset()
    source.parse(BELGIUM, format="trig")
    quads = list(source.quads((None, None, None, None)))
    titled = {s for s, p, _, _ in quads if p == DCTERMS.title}
    untitled = [s for s, p, o, _ in quads if p == RDF.type and o == DCAT.Dataset and s not in titled]
    report = import_catalog(registry, str(BELGIUM))
    assert report.format == "trig" and report.found == 100, "datasets in named graphs"
    assert (len(report.created), len(report.rejected)) == (99, 1)
    assert [r["source"] for r in report.rejected] == [str(s) for s in untitled]
    assert "title" in report.rejected[0]["reason"]
    assert report.gone is None, "an LDES fragment is one page of its stream"
    assert distributions(registry, report) == 1297
    assert sum(1 for e in report.created if "temporal" in dataset(registry, e["id"])) == 23
    assert sum(1 for e in report.created if "spatial" in dataset(registry, e["id"])) == 99
    # the publisher has no label: named from its IRI (not "2146814391"), with a warning on every record
    assert report.organizations_created == [{
        "id": "cbe-establishment-unit-2146814391-org.belgif.be", "name": "Cbe Establishment Unit 2146814391 (org.belgif.be)",
        "kind": "external", "source": "https://org.belgif.be/id/CbeEstablishmentUnit/2146814391"}]
    assert len(warned(report, "publisher")) == 100

    node = URIRef("https://statbel.fgov.be/node/2164")
    got = dataset(registry, by_source(report)[str(node)])
    assert got["title"]["fr"] == next(str(o) for s, p, o, _ in quads if s == node and p == DCTERMS.title
                                      and isinstance(o, Literal) and o.language == "fr")
    assert set(got["title"]) == {"en", "fr", "nl", "de-t-en"}
    assert got["temporal"] == {"start": "2014-01-01", "end": "2014-12-31"}
    assert got["spatial"] == ["https://sws.geonames.org/2802361/"] and got["language"] == ["en", "fr", "nl"]
    assert got["landing_page"] == "https://statbel.fgov.be/en/open-data/first-names-total-population-municipality-4"
    assert {"access_url": "https://statbel.fgov.be/sites/default/files/files/opendata/Voornamen%20bevolking%20per%20"
                          "gemeente/TA_POP_2014_F.xlsx"} in got["distributions"], "known by its IRI only"
    assert len(got["distributions"]) == 4
    assert got["contact_point"] == {"name": "Statbel (Directorate General Statistics - Statistics Belgium)",
                                    "email": "statbel@economie.fgov.be"}
    assert report.not_kept == {"dcat:landingPage": 267, "contact_point/vcard:hasURL": 92, "dct:alternative": 92,
                               "foaf:Page": 41}, "one landing page of three (one per language) is kept"

    again = import_catalog(registry, str(BELGIUM), ImportOptions(format="trig"))
    assert (len(again.created), len(again.updated), len(again.unchanged), len(again.rejected)) == (0, 0, 99, 1)
