"""What the browser tests share: Debian's headless Chromium driven by Playwright (never a downloaded
browser: `.ci/run` installs /usr/bin/chromium), the real app served by uvicorn on a free loopback port, and
pages that fail a test on any script error, failed request or request to another host."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from helpers import fresh_world_registry
from registry.api import create_app
from registry.domain.model import KINDS
from registry.services.auth import Caller
from registry.services.ingest.loader import write_all
from registry.services.registry import Registry

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = Path(__file__).parent / "output"  # screenshots (git-ignored)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

#: mark a browser test module with this
MARKS = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(reg: Registry) -> Iterator[str]:
    """The real app over `reg` on a loopback port; yields its base URL, closes the registry after."""
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(registry=reg), host="127.0.0.1", port=port,
                                        log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        reg.close()


@contextmanager
def chromium() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def watched_page(browser: Any, server: str, *, height: int, console: tuple[str, ...] = ("error",)) -> Iterator[Any]:
    """A page that records script errors, console messages of the given types, failed responses and
    requests to any other host; the test fails at the end if there are any."""
    context = browser.new_context(viewport={"width": 1280, "height": height}, base_url=server)
    pg = context.new_page()
    pg.errors = []
    pg.outside = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    # a failed response is recorded once, by the "response" handler: Chromium also logs it on the console, at
    # a moment of its own (a test that expects one refusal could see that echo arrive after it checked)
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type in console and not m.text.startswith(
        "Failed to load resource: the server responded with a status of") else None)
    pg.on("response", lambda r: pg.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    pg.on("request", lambda r: None if r.url.startswith(server) or r.url.startswith("data:")
          else pg.outside.append(r.url))
    yield pg
    assert pg.errors == [], pg.errors  # no script errors, no CSP violations
    assert pg.outside == [], pg.outside  # nothing loaded from anywhere else
    context.close()


def busy_registry() -> Registry:
    """The casebook world and more, so every part of every public page has something to show: a dataset
    linked across institutions that carries personal information with no agreement (the register's unmatched
    flows), a dataset in English and French with a distribution, an agreement ending in 30 days."""
    reg = fresh_world_registry()
    reg.lineage.rebuild()
    admin = Caller(role="admin", token_id="browser-tests")
    soon = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 30 * 86400))
    write_all(reg, [
        (KINDS["dataset"], {"id": "tax-linkage", "title": "Tax and social assistance linkage", "publisher": "mof",
                            "description": "Linked for the browser test.",
                            "steward": {"name": "Test Steward", "email": "steward@example.org"},
                            "access": "non-public", "sensitivity": "high", "personal_information": True,
                            "retention": "P2Y", "derived_from": ["ow-caseload"],
                            "generated_by": {"kind": "linkage", "by": "mof", "date": "2025-02-01"}}),
        (KINDS["dataset"], {"id": "traffic-volumes", "publisher": "mto", "access": "public", "sensitivity": "low",
                            "title": {"en": "Highway traffic volumes", "fr": "Volumes de circulation routière"},
                            "steward": {"name": "Test Steward", "email": "steward@example.org"},
                            "personal_information": False, "language": ["en", "fr"],
                            "distributions": [{"title": "Annual counts", "format": "CSV", "media_type": "text/csv",
                                               "byte_size": 2_621_440,
                                               "download_url": "https://data.example.org/traffic/counts.csv"}]}),
        (KINDS["agreement"], {"id": "dsa-soon", "title": "Collision data to health planning", "provider": "mto",
                              "recipient": "moh", "datasets": ["road-collisions"], "purposes": ["program-planning"],
                              "legal_basis": ["fippa-42-1-c"], "valid_from": "2024-01-01", "valid_until": soon,
                              "status": "active"}),
    ], admin)
    return reg
