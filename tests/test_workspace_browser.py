"""The workspace's journeys in a real browser (Debian's headless Chromium driven by Playwright, the real
server): a steward registers a dataset with a mistake, fixes it from the message beside the field, adds a
distribution and lineage; a privacy officer approves the steward's draft agreement and runs a share check
that now passes; an admin revokes the steward's token and the steward's next click is refused. axe-core
(tests/vendor/axe.min.js) checks every form in its error state. Screenshots go to tests/output/.

The browser runs no script of the workspace: its forms work without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import MARKS, OUTPUT, chromium, serve, watched_page
from helpers import fresh_world_registry
from registry.domain.model import AGREEMENT, DATASET, KINDS
from registry.services.auth import Caller
from registry.services.ingest.loader import write_all
from registry.services.registry import Registry

pytestmark = MARKS

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
#: the rules axe checks: WCAG 2.1 A and AA
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


class World:
    """The server's registry and the tokens of the journeys' people."""

    def __init__(self, reg: Registry, url: str) -> None:
        self.registry, self.url = reg, url
        self.steward_id, self.steward = reg.tokens.create("steward", "moh")
        self.officer = reg.tokens.create("privacy-officer")[1]
        self.admin = reg.tokens.create("admin")[1]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    reg = fresh_world_registry()
    steward = Caller(role="steward", org="moh", token_id="browser-test")
    # the steward's draft agreement the privacy officer approves (journey 2)
    write_all(reg, [
        (KINDS["dataset"], {"id": "hospital-capacity", "title": "Hospital capacity", "publisher": "moh",
                            "steward": {"name": "Capacity Steward", "email": "capacity@example.org"},
                            "access": "non-public", "sensitivity": "low", "personal_information": False}),
        (KINDS["agreement"], {"id": "dsa-capacity", "title": "Hospital capacity to finance", "provider": "moh",
                              "recipient": "mof", "datasets": ["hospital-capacity"], "purposes": ["program-planning"],
                              "legal_basis": ["fippa-42-1-c"], "valid_from": "2025-01-01", "valid_until": "2030-12-31",
                              "consistent_purpose_finding": "Capacity figures are collected to plan hospital funding.",
                              "status": "draft"}),
    ], steward)
    with serve(reg) as url:
        yield World(reg, url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any, world: World) -> Iterator[Any]:
    with watched_page(browser, world.url, height=1000) as pg:
        pg.set_extra_http_headers({"Accept-Language": "en"})
        yield pg


def shot(page: Any, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"workspace-{name}.png"), full_page=True)


def axe_clean(page: Any, what: str) -> None:
    """axe-core finds no WCAG 2.1 A/AA violation on the page as it stands (loaded through the browser's
    debugging protocol, which the page's Content-Security-Policy does not govern)."""
    page.evaluate(AXE)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    problems = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert problems == [], f"{what}: {problems}"


def refused(page: Any, status: int) -> None:
    """The page just answered `status` on purpose (a form refused): that is no error of the page."""
    expected = [e for e in page.errors if e.startswith(f"{status} ") or f"status of {status}" in e]
    assert expected, page.errors
    for e in expected:
        page.errors.remove(e)


def sign_in(page: Any, token: str, start: str = "/workspace") -> None:
    page.goto(start)
    page.wait_for_url("**/workspace/sign-in**")
    page.get_by_label("Bearer token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/workspace(/.*)?$"))


def test_a_steward_registers_fixes_and_completes_a_dataset(page: Any, world: World) -> None:
    page.goto("/workspace/sign-in")
    page.get_by_label("Bearer token").fill("dsr_wrong")
    page.get_by_role("button", name="Sign in").click()
    refused(page, 401)
    assert "This token was refused" in page.locator("#problems").inner_text()
    axe_clean(page, "the sign-in form, refused")

    sign_in(page, world.steward)
    page.get_by_role("link", name="Register a dataset").first.click()
    page.get_by_label("Identifier", exact=True).fill("ward-occupancy")
    page.get_by_label("Title in English").fill("Ward occupancy")
    page.get_by_label("Title in French").fill("Occupation des unités de soins")
    page.get_by_label("Publisher").select_option("moh")
    page.get_by_label("Steward: name").fill("Ward Steward")
    page.get_by_label("Steward: e-mail address").fill("ward steward at moh")  # the deliberate mistake
    page.get_by_label("Access", exact=True).select_option("non-public")
    page.get_by_label("Sensitivity").select_option("low")
    page.get_by_role("group", name="Holds personal information").get_by_role("radio", name="No", exact=True).check()
    page.get_by_role("button", name="Save").click()
    refused(page, 422)
    message = page.locator("#f-steward-email-error-1")
    assert "Give an e-mail address such as name@example.org." in message.inner_text()
    assert page.get_by_label("Steward: e-mail address").input_value() == "ward steward at moh", "kept as typed"
    assert page.get_by_label("Title in French").input_value() == "Occupation des unités de soins"
    assert not world.registry.records.exists(DATASET, "ward-occupancy"), "nothing saved"
    shot(page, "dataset-error")
    axe_clean(page, "the dataset form, with a violation")

    page.locator("#problems a").first.click()  # the summary's link takes the reader to the field
    page.get_by_label("Steward: e-mail address").fill("ward.steward@example.org")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/workspace/datasets/ward-occupancy/edit?saved=yes")
    assert "Saved." in page.locator("main").inner_text()

    page.get_by_role("button", name="Add a distribution").click()
    page.get_by_label("Download address").fill("https://data.example.org/ward-occupancy.csv")
    page.get_by_label("Media type").fill("text/csv")
    page.get_by_label("Format").fill("CSV")
    page.get_by_label("Derived from: 1").fill("ohip-claims")
    page.get_by_label("How it was made").select_option("aggregation")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/workspace/datasets/ward-occupancy/edit?saved=yes")
    shot(page, "dataset-saved")
    saved = world.registry.records.get(DATASET, "ward-occupancy", full=True)
    assert saved["distributions"][0]["download_url"] == "https://data.example.org/ward-occupancy.csv"
    assert saved["derived_from"] == ["ohip-claims"] and saved["generated_by"]["kind"] == "aggregation"
    assert saved["title"] == {"en": "Ward occupancy", "fr": "Occupation des unités de soins"}


def test_a_privacy_officer_approves_the_draft_and_the_share_check_passes(page: Any, world: World) -> None:
    sign_in(page, world.officer)

    def check() -> str:
        page.goto("/workspace/share-check")
        page.get_by_label("Datasets: 1").fill("hospital-capacity")
        page.get_by_label("Provider", exact=True).select_option("moh")
        page.get_by_label("Recipient", exact=True).select_option("mof")
        page.get_by_label("Purpose", exact=True).select_option("program-planning")
        page.get_by_role("button", name="Check").click()
        return str(page.locator("#answer-h .decision").inner_text())

    assert check() == "Not permitted"
    assert "AGREEMENT_NOT_APPROVED" in page.locator("#answer").inner_text()

    page.goto("/workspace/approvals")
    draft = page.locator("article", has=page.locator("#a-dsa-capacity"))
    draft.get_by_role("button", name="Approve").click()  # without a reason: refused, nothing changes
    refused(page, 422)
    assert world.registry.records.get(AGREEMENT, "dsa-capacity", full=True)["status"] == "draft"
    axe_clean(page, "the approvals form, without a reason")
    draft = page.locator("article", has=page.locator("#a-dsa-capacity"))
    draft.get_by_label("Reason").fill("Signed by both deputy ministers")
    draft.get_by_role("button", name="Approve").click()
    page.wait_for_url("**/workspace/approvals?done=approve%3Adsa-capacity")
    assert world.registry.records.get(AGREEMENT, "dsa-capacity", full=True)["status"] == "active"

    assert check() in ("Permitted", "Permitted on conditions")  # it passes, with its conditions listed
    answer = page.locator("#answer").inner_text()
    assert "AGREEMENT_IN_FORCE" in answer
    assert page.locator("#answer a[href='/authorities/fippa-42-1-c']").count() >= 1
    shot(page, "share-check")

    page.goto("/workspace/audit")
    assert "Signed by both deputy ministers" in page.locator("main").inner_text()


def test_an_admin_revokes_the_stewards_token_and_the_next_click_is_refused(browser: Any, world: World) -> None:
    with watched_page(browser, world.url, height=900) as steward, watched_page(browser, world.url, height=900) as admin:
        sign_in(steward, world.steward)
        steward.goto("/workspace/records")
        sign_in(admin, world.admin)
        admin.goto("/workspace/tokens")
        admin.get_by_role("button", name=f"Revoke token {world.steward_id}").click()
        admin.wait_for_url("**/workspace/tokens?done=revoked**")
        shot(admin, "tokens")
        steward.get_by_role("link", name="Review queue").first.click()
        steward.wait_for_url("**/workspace/sign-in?why=revoked**")
        assert "Your token has been revoked" in steward.locator("main").inner_text()
        shot(steward, "revoked")


def test_every_form_in_its_error_state_passes_axe(page: Any, world: World) -> None:
    """The forms the journeys did not show in error: a draft agreement, a share check, legal status, a token,
    in English and in French."""
    sign_in(page, world.admin)
    forms = (("/workspace/agreements/new", "Save", "Enregistrer"), ("/workspace/share-check", "Check", "Vérifier"),
             ("/workspace/organizations/moh-idiu/legal-status", "Save", "Enregistrer"),
             ("/workspace/tokens", "Create the token", "Créer le jeton"))
    for lang in ("", "/fr"):
        for path, english, french in forms:
            page.goto(lang + path)
            if "legal-status" in path:  # a municipality keeps no unit kind nor designation
                page.locator("#f-kind").select_option("municipality")
            page.get_by_role("button", name=french if lang else english, exact=True).click()
            page.wait_for_load_state()
            refused(page, 422)
            assert page.locator("#problems").count() == 1, path
            axe_clean(page, lang + path)
