"""Catalogue import (`registry import-catalog`): the DCAT-AP 3.0.0 examples (read from ../shared/external),
a CKAN package_search answer shaped like open.canada.ca's and data.ontario.ca's, the same catalogues in other
serialisations and over HTTP, and broken ones."""

from __future__ import annotations

import copy
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph
from typer.testing import CliRunner

from conftest import DATA, EXTERNAL
from registry.cli.main import app
from registry.config import Settings
from registry.domain.model import DATASET, ORGANIZATION
from registry.services.ingest.catalog_import import ImportOptions, import_catalog, slugify, stable_id
from registry.services.ingest.loader import SYSTEM
from registry.services.registry import Registry, open_registry

EXAMPLES = EXTERNAL / "dcat-ap-3.0.0" / "examples"
BEES = EXAMPLES / "example-bee-population-2022-2023.ttl"
CKAN = DATA / "ckan-package-search.json"
STEWARD = ("Open Data Desk", "opendata@example.gr")

pytestmark = pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared/external/dcat-ap-3.0.0 is not beside the checkout")


def ckan_doc() -> dict[str, Any]:
    return json.loads(CKAN.read_text(encoding="utf-8"))


def write_json(path: Path, doc: Any) -> str:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def dataset(registry: Registry, rid: str) -> dict[str, Any]:
    return registry.records.get(DATASET, rid, full=True)


def ids(entries: list[dict[str, Any]]) -> set[str]:
    return {e["id"] for e in entries}


# ------------------------------------------------------------------------------- ids and slugs
def test_ids_are_readable_stable_and_distinct() -> None:
    assert slugify("BeePopulation2022") == "bee-population-2022"
    assert slugify("Santé publique — Ontario") == "sante-publique-ontario"
    assert stable_id("BeePopulation", "https://data.gov.gr/id/dataset/BeePopulation") == \
        stable_id("BeePopulation", "https://data.gov.gr/id/dataset/BeePopulation")
    assert stable_id("population", "https://a.example/population") != stable_id("population", "https://b.example/population")


# ------------------------------------------------------------------------------- DCAT-AP examples
def test_the_dcat_ap_examples(registry: Registry) -> None:
    report = import_catalog(registry, str(BEES), ImportOptions(steward_default=STEWARD))
    assert report.format == "turtle" and report.found == 2
    assert {e["source"] for e in report.created} == {"https://data.gov.gr/id/dataset/BeePopulation2022",
                                                      "https://data.gov.gr/id/dataset/BeePopulation2023"}
    assert report.organizations_created == [{"id": "greek-environment-agency", "name": "Greek Environment Agency",
                                             "kind": "external",
                                             "source": "https://agencies.gov.gr/id/GreekEnvironmentAgency"}]
    got = dataset(registry, stable_id("BeePopulation2022", "https://data.gov.gr/id/dataset/BeePopulation2022"))
    assert got["title"] == "Bee population 2022"
    assert got["description"] == "A dataset about bee population in Greece in 2022"
    assert got["publisher"] == "greek-environment-agency"
    assert got["access"] == "public" and got["personal_information"] is False and got["sensitivity"] == "unclassified"
    assert got["steward"] == {"name": STEWARD[0], "email": STEWARD[1]}
    org = registry.records.get(ORGANIZATION, "greek-environment-agency", full=True)
    assert org["kind"] == "external" and org["name"] == "Greek Environment Agency"


def test_the_examples_without_a_contact_are_rejected_by_shacl_with_the_reason(registry: Registry) -> None:
    report = import_catalog(registry, str(EXAMPLES / "example-bee-population.ttl"))
    assert report.created == [] and len(report.rejected) == 1
    rejected = report.rejected[0]
    assert rejected["source"] == "https://data.gov.gr/id/dataset/BeePopulation"
    assert "steward" in rejected["reason"]
    assert [v["field"] for v in rejected["violations"]] == ["steward"]
    assert not registry.records.exists(DATASET, rejected["id"]), "nothing written"


def test_the_dataset_series_example_has_datasets_without_titles(registry: Registry) -> None:
    """The series example names its datasets only by their series: no title, no publisher."""
    report = import_catalog(registry, str(EXAMPLES / "example-bee-population-dataset-series.ttl"),
                            ImportOptions(steward_default=STEWARD))
    assert report.found == 2 and len(report.rejected) == 2, "the dcat:DatasetSeries itself is not a dataset"
    for r in report.rejected:
        fields = {v["field"] for v in r["violations"]}
        assert {"title", "publisher"} <= fields, r
        assert "title is required" in r["reason"]
    # with a default publisher, only the missing titles remain
    again = import_catalog(registry, str(EXAMPLES / "example-bee-population-dataset-series.ttl"),
                           ImportOptions(steward_default=STEWARD, publisher_default="greek-environment-agency"))
    assert {v["field"] for r in again.rejected for v in r["violations"]} == {"title"}


def test_re_import_updates_and_never_duplicates(registry: Registry, tmp_path: Path) -> None:
    options = ImportOptions(steward_default=STEWARD)
    first = import_catalog(registry, str(BEES), options)
    count = len(registry.records.list(DATASET, limit=500).items)
    second = import_catalog(registry, str(BEES), options)
    assert second.created == [] and second.updated == [] and ids(second.unchanged) == ids(first.created)
    assert second.organizations_created == []
    assert len(registry.records.list(DATASET, limit=500).items) == count
    changed = tmp_path / "bees.ttl"
    changed.write_text(BEES.read_text(encoding="utf-8").replace('"Bee population 2023"@en', '"Bee population, 2023"@en'),
                       encoding="utf-8")
    third = import_catalog(registry, str(changed), options)
    assert len(third.updated) == 1 and len(third.unchanged) == 1
    assert dataset(registry, third.updated[0]["id"])["title"] == "Bee population, 2023"
    assert len(registry.records.list(DATASET, limit=500).items) == count


def test_a_retired_dataset_is_not_brought_back(registry: Registry) -> None:
    options = ImportOptions(steward_default=STEWARD)
    first = import_catalog(registry, str(BEES), options)
    rid = sorted(ids(first.created))[0]
    registry.records.retire(DATASET, rid, SYSTEM)
    again = import_catalog(registry, str(BEES), options)
    assert ids(again.skipped) == {rid} and "retired" in again.skipped[0]["reason"]
    assert "retired" in dataset(registry, rid)


@pytest.mark.parametrize("fmt,suffix", [("xml", ".rdf"), ("json-ld", ".jsonld")])
def test_the_same_catalogue_as_rdf_xml_and_json_ld(registry: Registry, tmp_path: Path, fmt: str, suffix: str) -> None:
    other = tmp_path / f"bees{suffix}"
    Graph().parse(BEES).serialize(other, format=fmt)
    report = import_catalog(registry, str(other), ImportOptions(steward_default=STEWARD))
    assert report.format == fmt
    again = import_catalog(registry, str(BEES), ImportOptions(steward_default=STEWARD))
    assert ids(again.unchanged) == ids(report.created) and len(report.created) == 2, "the same ids from every syntax"


RICH_DCAT = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://data.example.ca/catalog> a dcat:Catalog ; dcat:dataset <https://data.example.ca/dataset/wait-times> .
<https://data.example.ca/dataset/wait-times> a dcat:Dataset ;
  dct:identifier "wait-times-2024" ;
  dct:title "Surgical wait times"@en , "Temps d'attente chirurgicaux"@fr ;
  dct:description "Wait times by hospital and procedure."@en ;
  dcat:keyword "hospitals"@en , "wait times"@en , "hôpitaux"@fr ;
  dct:publisher <https://data.example.ca/org/health-quality> ;
  dcat:contactPoint [ a vcard:Kind ; vcard:fn "Wait Times Team" ; vcard:hasEmail <mailto:waittimes@example.ca> ] ;
  dct:accessRights <http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC> ;
  dct:issued "2024-01-15T09:00:00Z"^^xsd:dateTime ; dct:modified "2024-06-30"^^xsd:date ;
  dcat:distribution [ a dcat:Distribution ; dct:license <https://creativecommons.org/licenses/by/4.0/> ] .
<https://data.example.ca/org/health-quality> a foaf:Agent ; foaf:name "Health Quality Agency"@en .
"""


def test_a_dcat_record_with_every_field(registry: Registry, tmp_path: Path) -> None:
    f = tmp_path / "catalog.ttl"
    f.write_text(RICH_DCAT, encoding="utf-8")
    report = import_catalog(registry, str(f), ImportOptions(org_kind="agency"))
    assert len(report.created) == 1, report.as_json()
    got = dataset(registry, report.created[0]["id"])
    assert report.created[0]["id"].startswith("wait-times-2024-")
    assert got["title"] == {"en": "Surgical wait times", "fr": "Temps d'attente chirurgicaux"}, "every language kept"
    assert got["keywords"] == ["hospitals", "wait times"]
    assert got["publisher"] == "health-quality-agency"
    assert registry.records.get(ORGANIZATION, "health-quality-agency", full=False)["kind"] == "agency"
    assert got["steward"] == {"name": "Wait Times Team", "email": "waittimes@example.ca"}
    assert got["access"] == "non-public" and got["personal_information"] is True and got["sensitivity"] == "high"
    assert got["issued"] == "2024-01-15" and got["modified"] == "2024-06-30"
    assert got["licence"] == "https://creativecommons.org/licenses/by/4.0/"
    french = import_catalog(registry, str(f), ImportOptions(lang="fr"))
    assert dataset(registry, french.updated[0]["id"])["keywords"] == ["hôpitaux"], "--lang picks the keywords"


# ------------------------------------------------------------------------------------------ CKAN
def test_a_ckan_package_search_answer(registry: Registry) -> None:
    report = import_catalog(registry, str(CKAN))
    assert report.format == "ckan" and report.found == 4
    assert report.rejected == [] and len(report.created) == 4, report.as_json()
    assert {o["id"]: o["name"] for o in report.organizations_created} == {
        "phac-aspc": "Public Health Agency of Canada", "health": "Health", "city-planning": "City Planning Division"}
    by_name = {e["id"].rsplit("-", 1)[0]: dataset(registry, e["id"]) for e in report.created}
    federal = by_name["canadian-notifiable-disease-surveillance-system"]
    assert federal["title"] == {"en": "Notifiable diseases: counts by year",
                                "fr": "Maladies à déclaration obligatoire : nombre de cas par année"}
    assert federal["keywords"] == ["notifiable diseases", "public health", "surveillance"]
    assert federal["licence"] == "https://open.canada.ca/en/open-government-licence-canada"
    assert federal["issued"] == "2019-05-01" and federal["modified"] == "2024-02-14"
    assert federal["access"] == "public" and federal["publisher"] == "phac-aspc"
    assert federal["steward"]["email"] == "cndss-scmdo@phac-aspc.gc.ca"
    ontario = by_name["covid-19-vaccine-uptake-by-public-health-unit"]
    assert ontario["steward"] == {"name": "Ministry of Health", "email": "opendata.health@ontario.ca"}
    # a group that is no theme of the registry's vocabulary is a keyword (as /catalog exports such themes)
    assert "themes" not in ontario and "Health and wellness" in ontario["keywords"] and ontario["access"] == "public"
    restricted = by_name["ontario-health-insurance-plan-claims-history"]
    assert restricted["access"] == "restricted" and restricted["personal_information"] is True
    assert restricted["licence"] == "License not specified"
    private = by_name["municipal-building-permits-internal"]
    assert private["access"] == "non-public" and private["steward"] == {"name": "Permits Office",
                                                                        "email": "permits@city.example.ca"}
    assert private["keywords"] == ["Infrastructure", "buildings", "permits"], "its group too"


def test_ckan_re_import_is_idempotent_and_follows_changes(registry: Registry, tmp_path: Path) -> None:
    first = import_catalog(registry, str(CKAN))
    again = import_catalog(registry, str(CKAN))
    assert ids(again.unchanged) == ids(first.created) and again.created == again.updated == []
    doc = ckan_doc()
    doc["result"]["results"][3]["private"] = False
    doc["result"]["results"][3]["name"] = "building-permits"  # renamed on the portal: same package id
    report = import_catalog(registry, write_json(tmp_path / "changed.json", doc))
    assert len(report.updated) == 1 and report.created == []
    assert ids(report.updated) <= ids(first.created), "renamed on the portal: found again by its package id"
    assert dataset(registry, report.updated[0]["id"])["access"] == "public"


def test_broken_ckan_records_are_rejected_each_with_its_reasons(registry: Registry, tmp_path: Path) -> None:
    doc = ckan_doc()
    packages = doc["result"]["results"]
    no_title = copy.deepcopy(packages[0])
    no_title.update(id="11111111-2222-4333-8444-555555555555", name="untitled")
    del no_title["title"], no_title["title_translated"]
    secret = copy.deepcopy(packages[1])
    secret.update(id="22222222-3333-4444-8555-666666666666", name="secret-one", access_level="top_secret")
    bad_date = copy.deepcopy(packages[3])
    bad_date.update(id="33333333-4444-4555-8666-777777777777", name="bad-date", metadata_created="someday soon")
    bad_email = copy.deepcopy(packages[0])
    bad_email.update(id="44444444-5555-4666-8777-888888888888", name="bad-email", maintainer_email="not an address")
    doc["result"]["results"] = [no_title, secret, bad_date, bad_email, packages[2]]
    report = import_catalog(registry, write_json(tmp_path / "broken.json", doc))
    assert len(report.created) == 1 and len(report.rejected) == 4
    reasons = {r["source"]: r for r in report.rejected}
    assert [v["field"] for v in reasons[no_title["id"]]["violations"]] == ["title"]
    assert [v["field"] for v in reasons[secret["id"]]["violations"]] == ["access"]
    assert "top_secret" in reasons[secret["id"]]["reason"]
    assert [v["field"] for v in reasons[bad_date["id"]]["violations"]] == ["issued"]
    assert "steward.email" in {v["field"] for v in reasons[bad_email["id"]]["violations"]}
    for r in report.rejected:
        assert not registry.records.exists(DATASET, r["id"])


def test_dcat_access_rights_the_registry_does_not_know(registry: Registry, tmp_path: Path) -> None:
    f = tmp_path / "sensitive.ttl"
    f.write_text(RICH_DCAT.replace("access-right/NON_PUBLIC", "access-right/SENSITIVE"), encoding="utf-8")
    report = import_catalog(registry, str(f))
    assert len(report.rejected) == 1
    assert "access" in {v["field"] for v in report.rejected[0]["violations"]}
    assert "SENSITIVE" in report.rejected[0]["reason"]


@pytest.mark.parametrize("content,message", [
    ("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<a> a dcat:Dataset ; <b> \"unclosed .\n", "not valid turtle"),
    ("<http://example.org/a> <http://example.org/b> \"c\" .\n", "no dcat:Dataset"),
    ('{"success": false, "error": {"message": "Access denied", "__type": "Authorization Error"}}', "failure"),
    ('{"result": {"count": 0}}', "not a CKAN package_search answer"),
    ('{"result": {"results": [', "not valid JSON"),
    ('{"@context": "https://example.org/remote.jsonld", "@id": "x"}', "remote @context"),
], ids=["malformed-turtle", "no-datasets", "ckan-failure", "not-ckan", "truncated-json", "remote-context"])
def test_a_source_that_cannot_be_read_is_refused_whole(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / ("source.ttl" if content.startswith(("@", "<")) else "source.json")
    f.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["import-catalog", str(f), "--data", "memory"])
    assert result.exit_code == 2, result.output
    assert message in result.output


# ------------------------------------------------------------------------------ over HTTP, CLI
class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, tuple[bytes, str]] = {}

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        found = self.files.get(self.path)
        if found is None:
            self.send_error(404)
            return
        body, media = found
        self.send_response(200)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def portal() -> Iterator[str]:
    """A CKAN-like portal on loopback: the package_search answer and a DCAT catalogue (no extension)."""
    _Handler.files = {
        "/api/3/action/package_search?rows=4": (CKAN.read_bytes(), "application/json;charset=utf-8"),
        "/catalog": (BEES.read_bytes(), "text/turtle"),
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_import_from_urls_with_the_cli(portal: str, tmp_path: Path) -> None:
    """The portal is on loopback, which an import reaches only with --allow-private-network
    (tests/security/test_import_catalog_ssrf.py)."""
    store = str(tmp_path / "store")
    runner = CliRunner()
    result = runner.invoke(app, ["import-catalog", f"{portal}/api/3/action/package_search?rows=4", "--data", store,
                                 "--allow-private-network"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[:result.output.rindex("}") + 1])
    assert report["format"] == "ckan" and report["counts"]["created"] == 4
    result = runner.invoke(app, ["import-catalog", f"{portal}/catalog", "--data", store, "--allow-private-network",
                                 "--steward", "Open Data Desk <opendata@example.gr>", "--org-kind", "agency"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[:result.output.rindex("}") + 1])
    assert report["format"] == "turtle" and report["counts"] == {
        "created": 2, "updated": 0, "unchanged": 0, "rejected": 0, "skipped": 0, "organizations_created": 1}
    result = runner.invoke(app, ["import-catalog", f"{portal}/catalog", "--data", store, "--allow-private-network"])
    assert result.exit_code == 1, "rejected records (no steward in the source, none given) exit 1"
    report = json.loads(result.output[:result.output.rindex("}") + 1])
    assert report["counts"]["rejected"] == 2 and "steward" in report["rejected"][0]["reason"]
    result = runner.invoke(app, ["import-catalog", f"{portal}/missing", "--data", store, "--allow-private-network"])
    assert result.exit_code == 2 and "404" in result.output
    reg = open_registry(Settings(data=store))
    try:
        assert len(reg.records.list(DATASET, limit=50).items) == 6
    finally:
        reg.close()
