"""The lineage picture on a dataset page (templates/_lineage.html, static/lineage.js, Cytoscape.js vendored in
static/vendor/): Debian's headless Chromium via Playwright against the real server on a loopback port.
Screenshots go to tests/output/ (git-ignored). Playwright never downloads a browser: it launches /usr/bin/chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import MARKS, OUTPUT, chromium, serve, watched_page
from helpers import fresh_world_registry
from registry.domain.model import KINDS
from registry.services.auth import Caller
from registry.services.ingest.loader import write_all

STATIC = Path(__file__).resolve().parents[1] / "src" / "registry" / "web" / "static"
pytestmark = MARKS


def test_cytoscape_is_vendored_with_its_licence() -> None:
    js = (STATIC / "vendor" / "cytoscape.min.js").read_text(encoding="utf-8")
    assert "Cytoscape Consortium" in js[:400]
    assert "MIT" in (STATIC / "vendor" / "cytoscape.LICENSE").read_text() or "Permission is hereby granted" in (
        STATIC / "vendor" / "cytoscape.LICENSE").read_text()
    assert "//" not in (STATIC / "lineage.js").read_text().split("fetch(", 1)[1].split(",", 1)[0]  # same origin


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    reg = fresh_world_registry()
    admin = Caller(role="admin", token_id="lineage-picture-test")
    # one more step downstream of the casebook's linkage, so the picture has three generations
    write_all(reg, [(KINDS["dataset"], {
        "id": "health-social-research-extract", "title": "Research extract of de-identified health and social data",
        "publisher": "moh-idiu", "steward": {"name": "Test Steward", "email": "steward@example.org"},
        "access": "restricted", "sensitivity": "medium", "personal_information": False,
        "derived_from": ["health-social-deid"], "generated_by": {"kind": "extraction", "by": "moh-idiu",
                                                                  "date": "2025-02-01"}})], admin)
    with serve(reg) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    # cytoscape's warnings count too: they flag a picture drawn wrong
    with watched_page(browser, server, height=1000, console=("error", "warning")) as pg:
        yield pg


def shot(page: Any, name: str) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.locator("#lineage").screenshot(path=str(path))
    return path


def test_the_picture_draws_the_lineage_of_a_linked_dataset(page: Any) -> None:
    page.goto("/datasets/linked-health-social")
    holder = page.locator("#lineage-picture")
    holder.and_(page.locator("[data-state=ready]")).wait_for(timeout=10_000)
    ids = sorted(page.evaluate("window.registryLineage.nodes().map(function (n) { return n.id(); })"))
    assert ids == ["health-social-deid", "health-social-research-extract", "linked-health-social", "ohip-claims",
                   "ow-caseload"]
    assert holder.get_attribute("data-edges") == "4"
    labels = sorted(page.evaluate("window.registryLineage.edges().map(function (e) { return e.data('label'); })"))
    assert labels == ["de-identification", "extraction", "linkage", "linkage"]
    # laid out left to right: sources left of the dataset, derived datasets right of it
    x = page.evaluate("(function (cy) { var o = {}; cy.nodes().forEach(function (n) { o[n.id()] = n.position('x'); });"
                      " return o; })(window.registryLineage)")
    assert x["ohip-claims"] < x["linked-health-social"] < x["health-social-deid"] < x["health-social-research-extract"]
    box = page.locator(".lineage-canvas").bounding_box()
    assert box["width"] > 600 and box["height"] > 200
    assert page.locator("canvas").count() >= 1  # cytoscape's drawing surface
    assert "de-identification" in page.locator(".lineage-legend").inner_text()
    shot(page, "lineage-picture")


def test_clicking_a_dataset_opens_its_page(page: Any) -> None:
    page.goto("/datasets/linked-health-social")
    page.locator("#lineage-picture[data-state=ready]").wait_for(timeout=10_000)
    point = page.evaluate("(function (cy) { var p = cy.getElementById('ohip-claims').renderedPosition();"
                          " return {x: p.x, y: p.y}; })(window.registryLineage)")
    box = page.locator(".lineage-canvas").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_url("**/datasets/ohip-claims")
    page.locator("#lineage-picture[data-state=ready]").wait_for(timeout=10_000)
    assert page.locator("#lineage-picture").get_attribute("data-nodes") == "4"  # within 4 steps of ohip-claims


def test_a_dataset_without_lineage_shows_no_picture(page: Any) -> None:
    page.goto("/datasets/osap-loans")
    page.locator("#lineage-picture[data-state=empty]").wait_for(state="attached", timeout=10_000)
    assert not page.locator("#lineage-picture").is_visible()
    assert "No recorded sources." in page.locator("#lineage").inner_text()
