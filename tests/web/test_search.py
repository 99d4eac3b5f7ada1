"""The search page: facets (publisher, access, theme, keyword, language) counted over the matching records'
public form only, a sort order, pages of 20, and links that add or remove a facet value."""

from __future__ import annotations

import html
import re
from typing import Any

from conftest import Api
from helpers import WORLD_FILE, assert_problem, load_json

HTML = {"Accept": "text/html"}


def titles(page: str) -> list[str]:
    """The titles of the results listed, in order."""
    found = re.search(r'<ol class="results"[^>]*>(.*?)</ol>', page, re.S)
    assert found, page[:500]
    return [html.unescape(re.sub(r"<[^>]+>", "", t)).strip()
            for t in re.findall(r'<li class="result[^"]*">\s*<a href="[^"]*">(.*?)</a>', found.group(1), re.S)]


def facet(page: str, name: str) -> dict[str, int]:
    """A facet's values as shown (label -> count)."""
    block = re.search(rf'<h3 id="facet-{name}">.*?</ul>', page, re.S)
    if block is None:
        return {}
    items = re.findall(r"<li>(.*?)</li>", block.group(0), re.S)
    out = {}
    for item in items:
        text = html.unescape(re.sub(r"<[^>]+>", "", item.split('class="clear"')[0]))
        m = re.match(r"\s*(.*?)\s*\((\d+)\)", text, re.S)
        assert m, item
        out[m.group(1)] = int(m.group(2))
    return out


def add(api: Api, n: int, prefix: str, **fields: Any) -> None:
    for i in range(n):
        body = {"id": f"{prefix}-{i:02d}", "title": f"Traffic count {i:02d}", "publisher": "mto", "access": "public",
                "sensitivity": "low", "personal_information": False,
                "steward": {"name": "Test Steward", "email": "steward@example.org"}, **fields}
        r = api.client.post("/datasets", json=body, headers=api.auth())
        assert r.status_code == 201, r.text


def test_facets_count_the_matching_records_and_narrow_them(world_api: Api) -> None:
    page = world_api.client.get("/search", params={"type": "dataset"}, headers=HTML).text
    access = facet(page, "access")
    assert access == {"non-public": 6, "public": 2, "restricted": 2}
    assert facet(page, "publisher")["Ministry of Transportation"] == 3
    for label, count in access.items():  # each link narrows to exactly the records counted
        url = re.search(rf'<a href="([^"]+)">{re.escape(label)} <span class="count">', page).group(1)
        narrowed = world_api.client.get(html.unescape(url), headers=HTML).text
        assert len(titles(narrowed)) == count, label
        assert facet(narrowed, "access") == {label: count}
        assert "remove" in narrowed
    # a word narrows the counts too
    collisions = world_api.client.get("/search", params={"q": "collision"}, headers=HTML).text
    assert facet(collisions, "access") == {"public": 2} and len(titles(collisions)) == 2


def test_facets_never_count_what_is_restricted(world_api: Api) -> None:
    page = world_api.client.get("/search", params={"type": "dataset"}, headers=HTML).text
    # only the public facets; the steward, retention and categories of personal information are restricted
    assert re.findall(r'<h3 id="facet-([a-z_]+)">', page) == ["publisher", "access", "keyword"]
    for d in load_json(WORLD_FILE)["datasets"]:
        steward = d.get("steward") or {}
        for value in (steward.get("name"), steward.get("email"), d.get("retention")):
            assert not value or value not in page, value
    # a retired dataset is counted no more
    assert world_api.client.delete("/datasets/osap-loans", headers=world_api.auth()).status_code == 204
    page = world_api.client.get("/search", params={"type": "dataset"}, headers=HTML).text
    assert sum(facet(page, "access").values()) == 9 and "loans" not in facet(page, "keyword")


def test_theme_and_language_facets(world_api: Api) -> None:
    add(world_api, 2, prefix="fr-only", title={"fr": "Comptage routier"}, language=["fr"], themes=["transport"])
    add(world_api, 1, prefix="both", title={"en": "Road counts", "fr": "Comptages"}, language=["en", "fr"],
        themes=["transport", "environment"])
    page = world_api.client.get("/search", params={"type": "dataset"}, headers=HTML).text
    assert facet(page, "language") == {"French": 3, "English": 1}
    assert facet(page, "theme") == {"Transport": 3, "Environment": 1}
    fr = world_api.client.get("/fr/search", params={"type": "dataset", "language": "fr"}, headers=HTML).text
    assert facet(fr, "language") == {"français": 3, "anglais": 1} and len(titles(fr)) == 3
    assert facet(fr, "theme") == {"Transports": 3, "Environnement": 1}
    assert "Comptages" in titles(fr)  # the title in the reader's language


def test_sort_orders_and_pages(world_api: Api) -> None:
    api = world_api
    add(api, 25, prefix="count", modified="2024-01-01", keywords=["traffic"])
    add(api, 1, prefix="newest", title="Zebra crossings", modified="2025-06-01", keywords=["traffic"])
    first = api.client.get("/search", params={"type": "dataset", "keyword": "traffic"}, headers=HTML).text
    shown = titles(first)
    assert len(shown) == 20 and shown == sorted(shown) and shown[0] == "Traffic count 00"
    assert "Showing 1 to 20." in first and 'rel="next"' in first and 'rel="prev"' not in first
    nxt = html.unescape(re.search(r'<a href="([^"]+)" rel="next">', first).group(1))
    second = api.client.get(nxt, headers=HTML).text
    assert titles(second) == ["Traffic count 20", "Traffic count 21", "Traffic count 22", "Traffic count 23",
                              "Traffic count 24", "Zebra crossings"] and 'rel="prev"' in second
    newest = api.client.get("/search", params={"type": "dataset", "sort": "newest"}, headers=HTML).text
    assert titles(newest)[0] == "Zebra crossings"
    relevant = api.client.get("/search", params={"q": "zebra"}, headers=HTML).text
    assert titles(relevant) == ["Zebra crossings"]


def test_bad_search_parameters_are_problems_naming_the_field(world_api: Api) -> None:
    for params, field in (({"publisher": "Not A Slug"}, "publisher"), ({"access": "x" * 300}, "access"),
                          ({"type": "token"}, "type"), ({"sort": "DROP TABLE"}, "sort"), ({"offset": "-1"}, "offset"),
                          ({"type": "organization", "kind": "<script>"}, "kind")):
        r = world_api.client.get("/search", params=params, headers=HTML)
        body = assert_problem(r, r.status_code)
        assert 400 <= r.status_code < 500 and field in r.text, (params, body)
    # a facet of another kind is ignored, not an error
    assert world_api.client.get("/search", params={"type": "organization", "access": "public"},
                                headers=HTML).status_code == 200
