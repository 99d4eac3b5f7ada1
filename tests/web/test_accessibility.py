"""Accessibility in a real browser (Debian's Chromium through Playwright, tests/browser.py): axe-core, vendored
from npm in tests/vendor/, finds no WCAG 2.1 AA violation (tags wcag2a, wcag2aa, wcag21a, wcag21aa) on any public
page in English or French, the error page included; and a keyboard-only walk goes through search, a dataset, its
lineage and back with Tab, Enter and Alt+Left, a screenshot of each step kept in tests/output/.

Chromium driven through the DevTools protocol does not act on browser shortcuts (Alt+Left among them: the key
reaches the page, not the browser's history), so where Alt+Left leaves the page where it was, the walk goes back
through the browser's history itself (what Alt+Left does), and says so in its screenshots' names."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import MARKS, OUTPUT, busy_registry, chromium, serve, watched_page
from web.test_i18n import PAGES

pytestmark = MARKS

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: what each page shows only once its script has drawn it
DRAWN = {"/transparency": "#flow-diagram svg.main-svg", "/datasets/linked-health-social": "#lineage-picture[data-state=ready]"}
#: every public page, and the error page
CHECKED = [*PAGES, "/datasets/traffic-volumes", "/search?type=agreement&status=active", "/transparency?from=moh",
           "/datasets/no-such-dataset"]


def test_axe_is_vendored_with_its_licence_and_version() -> None:
    source = AXE.read_bytes()
    assert hashlib.sha256(source).hexdigest() == AXE_SHA256, "update tests/vendor/README.md with the new file"
    assert source.startswith(b"/*! axe v4.14.1")
    readme = (AXE.parent / "README.md").read_text()
    assert "4.14.1" in readme and AXE_SHA256 in readme
    assert "Mozilla Public License" in (AXE.parent / "axe-core.LICENSE").read_text()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    reg = busy_registry()
    with serve(reg) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 AA violations on the page as it stands (its rule, impact, the elements)."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}))""",
        WCAG_21_AA)
    return found


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_public_page_has_no_wcag_21_aa_violation(browser: Any, server: str, lang: str) -> None:
    with watched_page(browser, server, height=900) as page:
        failures = {}
        for path in CHECKED:
            response = page.goto(f"/{lang}{path}")
            assert response is not None and response.status in (200, 404), path
            if response.status == 404:  # the error page itself, and the browser's note of its status
                page.errors[:] = [e for e in page.errors if not e.startswith("404 ") and "status of 404" not in e]
            drawn = DRAWN.get(path)
            if drawn:
                page.wait_for_selector(drawn, timeout=15_000)
            assert page.locator("html").get_attribute("lang") == lang, path
            found = violations(page)
            if found:
                failures[path] = found
        assert failures == {}, failures
        # the check itself finds what it should: an image with no text, text too faint to read
        page.evaluate("""() => document.querySelector('main').insertAdjacentHTML('beforeend',
            '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="9" height="9"><p style="color:#bbb">faint</p>')""")
        assert {v["id"] for v in violations(page)} >= {"image-alt", "color-contrast"}


def focused(page: Any) -> dict[str, Any]:
    info: dict[str, Any] = page.evaluate("""() => { const e = document.activeElement; const s = getComputedStyle(e);
        return {tag: e.tagName.toLowerCase(), id: e.id, text: (e.innerText || e.value || '').trim(),
                href: e.getAttribute('href'), outline: s.outlineStyle, outlineWidth: s.outlineWidth}; }""")
    return info


def tab_to(page: Any, want: Any, limit: int = 80) -> dict[str, Any]:
    """Press Tab until the focused element is the one `want` accepts; every element reached shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["tag"] in ("a", "input", "button", "select", "textarea"):
            assert now["outline"] != "none" and now["outlineWidth"] != "0px", f"focus not visible on {now}"
        if want(now):
            return now
    raise AssertionError(f"no element found by Tab within {limit} presses")


def shot(page: Any, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"keyboard-{name}.png"))


def back(page: Any, expected: str) -> str:
    """Alt+Left; through the browser's history when the key did not reach it (see the module's docstring)."""
    before = page.url
    page.keyboard.press("Alt+ArrowLeft")
    page.wait_for_timeout(300)
    how = "alt-left"
    if page.url == before:
        page.go_back()
        how = "history"
    page.wait_for_url(expected)
    return how


def test_a_keyboard_alone_walks_search_a_dataset_its_lineage_and_back(browser: Any, server: str) -> None:
    with watched_page(browser, server, height=900) as page:
        page.goto("/")
        shot(page, "1-home")
        first = focused(page)
        tab_to(page, lambda f: f["tag"] == "a" and f["href"] == "#main")  # the skip link comes first
        assert first["tag"] == "body"
        tab_to(page, lambda f: f["id"] == "home-q")
        page.keyboard.type("claims")
        page.keyboard.press("Enter")
        page.wait_for_url("**/search?q=claims")
        shot(page, "2-search")
        tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "OHIP physician claims")
        page.keyboard.press("Enter")
        page.wait_for_url("**/datasets/ohip-claims")
        page.locator("#lineage-picture[data-state=ready]").wait_for(timeout=10_000)
        shot(page, "3-dataset")
        # the lineage, by its table: the dataset derived from this one
        link = tab_to(page, lambda f: f["tag"] == "a" and f["href"] == "/datasets/linked-health-social"
                      and page.evaluate("document.activeElement.closest('#lineage-table') !== null"))
        assert link["text"] == "Linked health and social assistance file"
        page.keyboard.press("Enter")
        page.wait_for_url("**/datasets/linked-health-social")
        page.locator("#lineage-picture[data-state=ready]").wait_for(timeout=10_000)
        shot(page, "4-lineage")
        # back, by keyboard: to the dataset through its lineage table, then to the search through the history
        tab_to(page, lambda f: f["tag"] == "a" and f["href"] == "/datasets/ohip-claims"
               and page.evaluate("document.activeElement.closest('#lineage-table') !== null"))
        page.keyboard.press("Enter")
        page.wait_for_url("**/datasets/ohip-claims")
        shot(page, "5-back-to-dataset")
        back(page, "**/datasets/linked-health-social")
        back(page, "**/datasets/ohip-claims")
        how = back(page, "**/search?q=claims")
        shot(page, f"6-back-to-search-{how}")
        assert page.locator("#result-count").inner_text().startswith("2 results")
