"""/sitemap.xml lists every public page in English and French (each naming its twin), only live records, and
splits into a sitemap index of pages of 50,000 URLs at most."""

from __future__ import annotations

import re

from conftest import Api
from helpers import WORLD_FILE, assert_xml, load_json
from registry.services.reference import authorities
from registry.web.sitemap import Sitemap

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def locs(xml: str) -> list[str]:
    root = assert_xml(xml, "sitemap")
    return [e.text or "" for e in root.iter(f"{NS}loc")]


def test_the_sitemap_lists_every_public_page_in_both_languages(world_api: Api) -> None:
    r = world_api.client.get("/sitemap.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    urls = locs(r.text)
    assert len(urls) == len(set(urls))
    world = load_json(WORLD_FILE)
    paths = {u.removeprefix("http://testserver") for u in urls}
    for collection in ("datasets", "organizations", "agreements"):
        for rec in world[collection]:
            for lang in ("en", "fr"):
                assert f"/{lang}/{collection}/{rec['id']}" in paths
    for a in authorities(world_api.registry.resources):
        assert f"/fr/authorities/{a['id']}" in paths
    for page in ("/en/", "/fr/", "/fr/transparency", "/en/catalog", "/fr/search", "/en/sparql"):
        assert page in paths
    # each URL names both languages' versions
    assert r.text.count('hreflang="fr"') == len(urls)
    # and every one of them is a page
    for path in sorted(paths):
        page = world_api.client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), path


def test_a_retired_record_leaves_the_sitemap(world_api: Api) -> None:
    assert world_api.client.delete("/datasets/osap-loans", headers=world_api.auth()).status_code == 204
    assert not any("osap-loans" in u for u in locs(world_api.client.get("/sitemap.xml").text))


def test_many_pages_make_a_sitemap_index(world_api: Api) -> None:
    reg = world_api.registry
    ids = [a["id"] for a in authorities(reg.resources)]
    whole = Sitemap(reg.index, ids, "http://testserver").xml()
    assert whole is not None and "<urlset" in whole
    small = Sitemap(reg.index, ids, "http://testserver", per_file=20)
    index = small.xml()
    assert index is not None and "<sitemapindex" in index
    files = locs(index)
    assert len(files) == small.files() > 1 and files[0] == "http://testserver/sitemap.xml?page=1"
    parts = []
    for n in range(1, small.files() + 1):
        part = small.xml(n)
        assert part is not None and len(locs(part)) <= 20
        parts += locs(part)
    assert parts == locs(whole)  # every URL once, in the same order
    assert small.xml(small.files() + 1) is None
    assert world_api.client.get("/sitemap.xml", params={"page": 99}).status_code == 404
    assert world_api.client.get("/sitemap.xml", params={"page": 0}).status_code == 422
    assert re.search(r"<loc>http://testserver/en/</loc>", whole)
