"""Round trip: a real export imported into one registry, served as /catalog (Turtle, through the app), and
that catalogue imported into an empty registry: every dataset comes out the same, field for field, and the
publishers with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DATA, EXTERNAL, Api
from helpers import records_api
from registry.config import Settings
from registry.domain.model import DATASET, ORGANIZATION
from registry.domain.model.dcat import THEMES
from registry.services.ingest.catalog_import import ImportOptions, ImportReport, import_catalog
from registry.services.registry import Registry, open_registry

CATALOGS = EXTERNAL / "catalogs"


@pytest.mark.skipif(not CATALOGS.is_dir(), reason="../shared/external/catalogs is not beside the checkout")
@pytest.mark.parametrize("name", ["ckan-package_search-data.birmingham.gov.uk.json", "dcat-us-data.json-fcc.gov.json",
                                  "dcat-ap-trig-data.gov.be-ldes-fragment-138.trig"])
def test_an_export_through_catalog_into_an_empty_registry(api: Api, tmp_path: Path, name: str) -> None:
    first = import_catalog(api.registry, str(CATALOGS / name))
    assert first.created
    answer = api.client.get("/catalog", headers={"Accept": "text/turtle"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/turtle")
    served = tmp_path / "catalog.ttl"
    served.write_bytes(answer.content)

    empty = open_registry(Settings(data="memory"))
    try:
        check(api, empty, served, first)
    finally:
        empty.close()


def check(api: Api, empty: Registry, served: Path, first: ImportReport) -> None:
    second = import_catalog(empty, str(served))
    assert second.format == "turtle" and second.rejected == [] and second.not_kept == {}, second.as_json()["rejected"][:2]
    assert sorted(e["id"] for e in second.created) == sorted(e["id"] for e in first.created), "the same ids"
    for e in first.created:
        assert empty.records.get(DATASET, e["id"], full=True) == \
            api.registry.records.get(DATASET, e["id"], full=True), e["id"]
    for org in first.organizations_created:
        assert empty.records.get(ORGANIZATION, org["id"], full=False)["name"] == org["name"]

    again = import_catalog(empty, str(served))
    assert again.created == again.updated == [] and len(again.unchanged) == len(first.created)


def test_records_with_every_dcat_field_through_catalog(tmp_path: Path) -> None:
    """Records written through the API with every public DCAT field (tests/data/dcat-records.json) come back
    from /catalog the same; a theme outside the registry's vocabulary comes back a keyword, as /catalog
    exports it; the restricted fields (never in /catalog) take the import's defaults; lineage is not
    imported (counted as not kept)."""
    with records_api(DATA / "dcat-records.json") as source:
        answer = source.client.get("/catalog", headers={"Accept": "text/turtle"})
        served = tmp_path / "catalog.ttl"
        served.write_bytes(answer.content)
        empty = open_registry(Settings(data="memory"))
        try:
            steward = ("Data desk", "desk@example.org")  # the steward is restricted: never in /catalog
            report = import_catalog(empty, str(served), ImportOptions(steward_default=steward))
            assert report.rejected == [], report.as_json()["rejected"]
            assert report.not_kept == {"prov:wasDerivedFrom": 1, "prov:wasGeneratedBy": 1}
            for rid in ("shelter-usage", "shelter-clients", "shelter-capacity"):
                was = source.registry.records.get(DATASET, rid, full=False)
                now = empty.records.get(DATASET, rid, full=False)
                words = [t for t in was.get("themes", []) if t not in THEMES]
                assert now.get("themes", []) == [t for t in was.get("themes", []) if t in THEMES]
                assert now["keywords"] == sorted(was["keywords"] + words)
                iri = f"{source.registry.iris.base}/dataset/{rid}"
                assert now["source"] == was.get("source", {"catalogue": f"{source.registry.iris.base}/catalog",
                                                           "id": iri, "url": iri}), "its source, else this catalogue"
                for k in set(was) | set(now):
                    if k not in ("themes", "keywords", "derived_from", "generated_by", "source"):
                        assert now.get(k) == was.get(k), (rid, k)
        finally:
            empty.close()
