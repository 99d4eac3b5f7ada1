"""The public pages in a real browser: Debian's headless Chromium driven by Playwright, against the real
server (uvicorn in a thread on a free loopback port). Screenshots go to tests/output/ (git-ignored).

Playwright never downloads a browser here: it launches /usr/bin/chromium (`.ci/run` installs it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from browser import MARKS, OUTPUT, busy_registry, chromium, serve, watched_page

pytestmark = MARKS


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    reg = busy_registry()
    with serve(reg) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    with watched_page(browser, server, height=900) as pg:
        yield pg


def shot(page: Any, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def test_home_and_search(page: Any) -> None:
    page.goto("/")
    assert page.title().startswith("Government data-sharing registry")
    assert page.get_by_role("heading", level=1).inner_text() == "Government data-sharing registry"
    shot(page, "home")
    page.get_by_label("Search datasets, organisations and agreements").fill("claims")
    page.get_by_role("button", name="Search").last.click()
    page.wait_for_url("**/search?q=claims")
    assert "result" in page.locator("#result-count").inner_text()
    link = page.get_by_role("link", name="OHIP physician claims")
    assert link.count() == 1
    shot(page, "search")
    link.click()
    page.wait_for_url("**/datasets/ohip-claims")
    assert page.get_by_role("heading", level=1).inner_text() == "OHIP physician claims"


def test_dataset_page(page: Any) -> None:
    page.goto("/datasets/linked-health-social")
    assert page.get_by_role("heading", level=1).inner_text().strip()
    assert page.locator("#lineage-picture").count() == 1  # the place kept for the lineage picture
    lineage = page.locator("#lineage").inner_text()
    assert "OHIP physician claims" in lineage and "Derived from" in lineage
    assert "Restricted" in page.content()
    shot(page, "dataset")


def test_dataset_page_lists_its_distributions(page: Any) -> None:
    page.goto("/datasets/traffic-volumes")
    assert page.get_by_role("heading", level=1).inner_text() == "Highway traffic volumes"
    table = page.get_by_role("table", name="Where and in which form the data of Highway traffic volumes can be had")
    row = table.get_by_role("row", name="Annual counts")
    assert row.count() == 1
    cells = row.get_by_role("cell").all_inner_texts()
    assert cells[1].startswith("CSV") and cells[2] == "2.5 MB", cells
    assert row.get_by_role("link", name="Annual counts").get_attribute("href") == "https://data.example.org/traffic/counts.csv"
    assert "Volumes de circulation routière" in page.locator("main").inner_text()
    shot(page, "dataset-distributions")


def test_organization_and_agreement_pages(page: Any) -> None:
    page.goto("/organizations/moh")
    assert page.get_by_role("heading", level=1).inner_text() == "Ministry of Health"
    assert page.get_by_role("heading", name="Shares data with others").count() == 1
    shot(page, "organization")
    page.get_by_role("link", name="OHIP claims to the inter-ministerial data integration unit").first.click()
    page.wait_for_url("**/agreements/dsa-moh-idiu-2024")
    body = page.locator("main").inner_text()
    assert "FIPPA Part III.1" in body and "3 years" in body
    shot(page, "agreement")


def test_transparency_flow_diagram(page: Any) -> None:
    page.goto("/transparency")
    page.wait_for_selector("#flow-diagram svg.main-svg", timeout=15_000)
    nodes = page.locator("#flow-diagram .sankey-node")
    links = page.locator("#flow-diagram .sankey-link")
    assert nodes.count() >= 3 and links.count() >= 3
    labels = page.locator("#flow-diagram .sankey-node text").all_text_contents()
    assert any("Ministry of Health" in t for t in labels), labels
    assert "Collision data to health planning" in page.locator("#expiring-h + ul").inner_text()
    unmatched = page.locator("section[aria-labelledby=unmatched-h] table").inner_text()
    assert "Ministry of Finance" in unmatched
    shot(page, "transparency")


def test_lists_and_sparql_form(page: Any) -> None:
    page.goto("/datasets")
    assert page.get_by_role("heading", level=1).inner_text() == "Datasets"
    page.get_by_label("Filter by text in the title or description").fill("collision")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**q=collision**")
    assert page.locator("main table tbody tr").count() == 2
    page.goto("/sparql")
    assert page.get_by_label("Query").input_value().startswith("PREFIX")
    shot(page, "sparql")
