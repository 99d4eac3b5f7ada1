"""A dataset page for people and search engines: schema.org Dataset JSON-LD built from the public record only,
and the lineage picture's equivalent table (every derivation within four steps, in text, with links)."""

from __future__ import annotations

import json
import re
from typing import Any

from conftest import Api
from helpers import WORLD_FILE, load_json

HTML = {"Accept": "text/html"}


def schema_org(page: str) -> dict[str, Any]:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(found) == 1, "one schema.org block"
    data: dict[str, Any] = json.loads(found[0])
    return data


def test_every_dataset_page_carries_schema_org_json_ld_of_its_public_fields(world_api: Api) -> None:
    for d in load_json(WORLD_FILE)["datasets"]:
        page = world_api.client.get(f"/datasets/{d['id']}", headers=HTML).text
        data = schema_org(page)
        assert data["@context"] == "https://schema.org" and data["@type"] == "Dataset"
        assert data["identifier"] == d["id"] and data["url"].endswith(f"/datasets/{d['id']}")
        assert data["name"] == d["title"]
        text = json.dumps(data)
        steward = d.get("steward") or {}
        for restricted in (steward.get("name"), steward.get("email"), d.get("retention")):
            assert not restricted or restricted not in text, (d["id"], restricted)
        assert "personal" not in text.lower() or "personal" in json.dumps([d.get("title"), d.get("description")]).lower()
    linked = schema_org(world_api.client.get("/datasets/linked-health-social", headers=HTML).text)
    assert sorted(linked["isBasedOn"]) == ["http://testserver/datasets/ohip-claims", "http://testserver/datasets/ow-caseload"]
    assert linked["publisher"]["name"] == "Ministry of Health Inter-Ministerial Data Integration Unit"


def test_distributions_and_languages_reach_the_json_ld(world_api: Api) -> None:
    body = {"id": "shelter-use", "title": {"en": "Shelter use", "fr": "Utilisation des refuges"}, "publisher": "toronto",
            "access": "public", "sensitivity": "low", "personal_information": False, "language": ["en", "fr"],
            "steward": {"name": "Test Steward", "email": "steward@example.org"},
            "distributions": [{"title": "CSV", "download_url": "https://example.org/shelter.csv", "media_type": "text/csv",
                               "format": "CSV", "byte_size": 123456}]}
    assert world_api.client.post("/datasets", json=body, headers=world_api.auth()).status_code == 201
    data = schema_org(world_api.client.get("/fr/datasets/shelter-use").text)
    assert data["name"] == [{"@value": "Shelter use", "@language": "en"},
                            {"@value": "Utilisation des refuges", "@language": "fr"}]
    assert data["inLanguage"] == ["en", "fr"] and data["isAccessibleForFree"] is True
    assert data["distribution"] == [{"@type": "DataDownload", "contentUrl": "https://example.org/shelter.csv",
                                     "name": "CSV", "encodingFormat": "text/csv", "contentSize": 123456}]
    assert "Test Steward" not in json.dumps(data)


def test_the_lineage_table_says_what_the_picture_draws(world_api: Api) -> None:
    page = world_api.client.get("/datasets/linked-health-social", headers=HTML).text
    table = re.search(r'<table id="lineage-table".*?</table>', page, re.S)
    assert table, "the lineage table"
    rows = [re.sub(r"<[^>]+>", "", r) for r in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)[1:]]
    rows = [re.sub(r"\s+", " ", r).strip() for r in rows]
    answer = world_api.client.get("/datasets/linked-health-social/lineage?direction=both&depth=4").json()
    assert len(rows) == len(answer["edges"]) == 3
    assert any(r.startswith("OHIP physician claims Linked health and social assistance file linkage") for r in rows), rows
    # every other dataset is a link, in the page's language
    for other in ("ohip-claims", "ow-caseload", "health-social-deid"):
        assert f'href="/datasets/{other}"' in table.group(0)
    french = world_api.client.get("/fr/datasets/linked-health-social").text
    assert 'href="/fr/datasets/ohip-claims"' in french and "couplage" in french and "dépersonnalisation" in french
    # a dataset with no lineage has no table
    assert 'id="lineage-table"' not in world_api.client.get("/datasets/osap-loans", headers=HTML).text
