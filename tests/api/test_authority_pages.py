"""The authority catalogue for people and programs: /authorities and each authority's page show what the
provision asks in plain language, the statute's words with their verification status, and the agreements
that cite it; JSON carries the same verification."""

from __future__ import annotations

import html
import re

from conftest import Api

HTML = {"Accept": "text/html"}


def text_of(body: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def test_every_entry_says_how_it_was_verified(world_api: Api) -> None:
    items = world_api.client.get("/authorities").json()["items"]
    assert items
    for a in items:
        v = a["verification"]
        assert v["status"] in ("verified", "unverified"), a["id"]
        if v["status"] == "verified":
            assert v["excerpt"] and v["checked"] and v["source"].startswith("https://www.ontario.ca/laws/"), a["id"]


def test_the_catalogue_page_lists_every_entry_with_its_status(world_api: Api) -> None:
    items = world_api.client.get("/authorities").json()["items"]
    resp = world_api.client.get("/authorities", headers=HTML)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    for a in items:
        assert f'href="/authorities/{a["id"]}"' in resp.text
    shown = text_of(resp.text)
    assert shown.count("unverified") == sum(a["verification"]["status"] == "unverified" for a in items)


def test_an_authority_page_shows_requirements_text_status_and_citing_agreements(world_api: Api) -> None:
    entry = world_api.client.get("/authorities/fippa-part-3.1").json()
    resp = world_api.client.get("/authorities/fippa-part-3.1", headers=HTML)
    assert resp.status_code == 200
    page = text_of(resp.text)
    assert entry["summary"] in page
    # the requirements, in plain language, from the catalogue entry
    assert "The recipient must be designated under this provision." in page
    assert "A public notice of the collection must be published on or before the date of the share." in page
    assert "identifiable or linked information stays with it" in page
    assert "The provider must be governed by FIPPA." in page
    # the statute's words and their status
    v = entry["verification"]
    if v["status"] == "verified":
        assert v["excerpt"] in page and "Verified against" in page and v["checked"] in page
    else:
        assert "Unverified" in page
    # the agreements of the casebook that cite Part III.1, linked
    for aid in ("dsa-moh-idiu-2024", "dsa-mccss-idiu-2024", "dsa-idiu-mof-2025"):
        assert f'href="/agreements/{aid}"' in resp.text, aid
    # an agreement citing another authority is not listed
    assert 'href="/agreements/dsa-mcu-mof-2024"' not in resp.text


def test_an_authority_nobody_cites_says_so_and_an_unknown_one_is_404(world_api: Api) -> None:
    page = text_of(world_api.client.get("/authorities/fippa-42-1-b", headers=HTML).text)
    assert "No registered agreement cites it." in page
    assert world_api.client.get("/authorities/no-such-clause", headers=HTML).status_code == 404
    assert world_api.client.get("/authorities/no-such-clause").status_code == 404


def test_agreement_pages_link_their_authorities(world_api: Api) -> None:
    resp = world_api.client.get("/agreements/dsa-mcu-mof-2024", headers=HTML)
    assert 'href="/authorities/fippa-42-1-e"' in resp.text
