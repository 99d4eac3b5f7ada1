"""The public pages in a real browser: Debian's headless Chromium driven by Playwright, against the real
server (uvicorn in a thread on a free loopback port). Screenshots go to tests/output/ (git-ignored).

Playwright never downloads a browser here: it launches /usr/bin/chromium (`.ci/run` installs it).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import fresh_world_registry
from registry.api import create_app
from registry.auth import Caller
from registry.loader import write_all
from registry.model import KINDS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = Path(__file__).parent / "output"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    import uvicorn

    reg = fresh_world_registry()
    reg.lineage.rebuild()
    # an agreement ending soon and a personal-information flow with no agreement, so every part of the
    # transparency page has something to show
    admin = Caller(role="admin", token_id="browser-test")
    soon = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 30 * 86400))
    write_all(reg, [
        (KINDS["dataset"], {"id": "tax-linkage", "title": "Tax and social assistance linkage", "publisher": "mof",
                            "description": "Linked for the browser test.",
                            "steward": {"name": "Test Steward", "email": "steward@example.org"},
                            "access": "non-public", "sensitivity": "high", "personal_information": True,
                            "retention": "P2Y", "derived_from": ["ow-caseload"],
                            "generated_by": {"kind": "linkage", "by": "mof", "date": "2025-02-01"}}),
        (KINDS["agreement"], {"id": "dsa-soon", "title": "Collision data to health planning", "provider": "mto",
                              "recipient": "moh", "datasets": ["road-collisions"], "purposes": ["program-planning"],
                              "legal_basis": ["fippa-42-1-c"], "valid_from": "2024-01-01", "valid_until": soon,
                              "status": "active"}),
    ], admin)
    port = _free_port()
    config = uvicorn.Config(create_app(registry=reg), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    reg.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.outside = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("response", lambda r: pg.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    pg.on("request", lambda r: None if r.url.startswith(server) or r.url.startswith("data:")
          else pg.outside.append(r.url))
    yield pg
    assert pg.errors == [], pg.errors  # no script errors, no CSP violations
    assert pg.outside == [], pg.outside  # nothing loaded from anywhere else
    context.close()


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
