"""The transparency register's facts kept in a file beside an on-disk store (projections/register_file.py): a
restart reads them from it, not from the catalogue index, and answers the same bytes on every route, date,
language and filter as a register read from the index, after writes of every record kind, retirements and
restricted retention periods included; a file written before a crash is brought up to date from the log; a file
of another format, store or base IRI, a damaged one, or one the log does not continue from is not trusted;
`registry load` writes it, a load that does not build forgets it."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from bench.synth import synthesize
from fastapi.testclient import TestClient

from helpers import fresh_world_registry, world_nquads
from projections.test_register import DATES, OFFICER, kept_equals_scratch, read, write
from registry.api import create_app
from registry.config import Settings
from registry.domain.model import KINDS
from registry.projections import kept_file, register_file
from registry.projections.base import Head
from registry.projections.register import rows_of
from registry.services.ingest.loader import SYSTEM, load_file
from registry.services.registry import Registry, open_registry
from registry.services.reports.register_parts import Parts
from registry.services.reports.transparency import Transparency

#: the register's routes: every form of /reports/flows, pages of it, and /transparency in each language,
#: with and without a provider filter and an offset
ROUTES = [
    *(f"/reports/flows?on={on}" for on in DATES),
    "/reports/flows?on=2025-02-01&limit=2&offset=1", "/reports/flows?on=2026-01-01&limit=1",
    *(f"/transparency?on={on}" for on in DATES),
    "/fr/transparency?on=2025-02-01", "/en/transparency?on=2026-01-01&offset=1",
    "/transparency?on=2025-02-01&provider=moh", "/fr/transparency?on=2025-02-01&provider=mccss",
]
FORMS = ["application/json", "text/csv", "text/turtle", "application/ld+json"]


@contextmanager
def opened(location: str) -> Iterator[Registry]:
    reg = open_registry(Settings(data=location))
    try:
        yield reg
    finally:
        reg.close()


def answers(reg: Registry, served: bool = True) -> dict[tuple[str, str], bytes]:
    """Every route's answer in every form, as bytes, from a served app over `reg` (which it warms); not
    `served`, what the routes' bytes are made of (the JSON of pages of the report, its CSV and graph)."""
    out = {}
    if not served:
        t = Transparency(reg, reg.views.public)
        for on in DATES:
            report = t.report(on)
            for offset, limit in ((0, 100), (1, 2)):
                out[(f"{on} {offset} {limit}", "json")] = json.dumps(report.as_json(offset, limit, limit)).encode()
            out[(str(on), "csv")] = t.csv(report).encode()
            out[(str(on), "turtle")] = t.graph(report).serialize(format="nt", encoding="utf-8")
        return out
    with TestClient(create_app(registry=reg)) as client:
        for route in ROUTES:
            for form in FORMS if route.startswith("/reports/flows?on=") else ["text/html"]:
                r = client.get(route, headers={"Accept": form})
                assert r.status_code == 200, (route, form, r.text[:300])
                out[(route, form)] = r.content
    return out


def from_the_index(location: str, served: bool = True) -> dict[tuple[str, str], bytes]:
    """The answers of a start that reads the facts from the index (the file taken away, then put back)."""
    path = Path(location + ".register")
    kept = path.with_name("kept.register")
    shutil.copy2(path, kept)
    path.unlink()
    try:
        with opened(location) as reg:
            got = answers(reg, served)
            assert reg.register.builds == 1, "read from the index"
            kept_equals_scratch(reg)
    finally:
        kept.replace(path)
    return got


def from_the_file(location: str, change: Callable[[Registry], None] | None = None,
                  served: bool = True) -> dict[tuple[str, str], bytes]:
    """The answers of a start that reads the facts from their file; then `change` made and closed."""
    with opened(location) as reg:
        got = answers(reg, served)
        assert (reg.register.builds, reg.register.loads) == (0, 1), "read from the file"
        kept_equals_scratch(reg)
        if change is not None:
            change(reg)
    return got


def renamed(reg: Registry) -> None:
    write(reg, "organization", {**read(reg, "organization", "moh-idiu"), "name": "Integration unit (renamed)"})


def retitled_and_derived(reg: Registry) -> None:
    write(reg, "dataset", {**read(reg, "dataset", "ohip-claims"), "title": "Claims (retitled)"})
    write(reg, "dataset", {"id": "mof-linkage", "title": "Finance linkage", "publisher": "mof", "access": "non-public",
                           "sensitivity": "high", "personal_information": True, "retention": "P1Y",
                           "steward": {"name": "S", "email": "steward-secret@example.org"},
                           "derived_from": ["ow-caseload"],
                           "generated_by": {"kind": "linkage", "by": "mof", "date": "2025-05-01"}})


def restricted_flag(reg: Registry) -> None:
    write(reg, "dataset", {**read(reg, "dataset", "ow-caseload"), "personal_information": False,
                           "personal_data_categories": []})


def agreements_and_shares(reg: Registry) -> None:
    write(reg, "agreement", {"id": "dsa-mccss-mof", "title": "Caseload to finance", "provider": "mccss",
                             "recipient": "mof", "datasets": ["ow-caseload", "mof-linkage"], "purposes": ["audit"],
                             "legal_basis": ["fippa-42-1-e"], "valid_from": "2025-01-01",
                             "valid_until": "2025-12-31", "status": "active"})
    write(reg, "agreement", {**read(reg, "agreement", "dsa-moh-mto-2024"), "status": "suspended"})
    for provider, recipient in (("moh", "moh-idiu"), ("moh", "mto")):
        reg.share_checks.run({"datasets": ["ohip-claims"], "provider": provider, "recipient": recipient,
                              "purpose": "program-planning", "date": "2025-02-01"}, OFFICER)


def retired(reg: Registry) -> None:
    reg.records.retire(KINDS["agreement"], "dsa-moh-idiu-2024", SYSTEM)
    reg.records.retire(KINDS["dataset"], "mof-linkage", SYSTEM)
    write(reg, "dataset", {**read(reg, "dataset", "ow-caseload"), "personal_information": True})


def test_a_restart_reads_the_facts_from_their_file_and_answers_the_same_bytes(tmp_path: Path) -> None:
    location = str(tmp_path / "store")
    reg = fresh_world_registry(location)
    try:
        kept_equals_scratch(reg)
        path = reg.register.path
        assert path is not None and path.exists(), "kept once read from the index"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, "it holds restricted retention periods"
    finally:
        reg.close()
    assert from_the_file(location) == from_the_index(location), "served"
    for change in (renamed, retitled_and_derived, restricted_flag, agreements_and_shares, retired):
        from_the_file(location, change, served=False)  # the writes are kept in the file as the register closes
        assert from_the_file(location, served=False) == from_the_index(location, served=False)
    assert from_the_file(location) == from_the_index(location), "served"
    with opened(location) as reg:
        report = kept_equals_scratch(reg)[dt.date(2031, 1, 1)]
        assert report.disposals, "the shares were counted"
        assert reg.register.builds == 0
    text = b"".join(from_the_file(location).values()).decode("utf-8")
    for secret in ("steward-secret@example.org", "P3Y", "P1Y"):
        assert secret not in text


@pytest.mark.parametrize("enabled", [True, False])
def test_the_file_read_and_the_first_computation_run_without_collector_passes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, enabled: bool) -> None:
    """The facts read from the file (about a million small objects at 100k datasets, no cycles among them) and
    the parts made of them run with the cyclic collector off (`register.uncollected`); it is on again after
    them, or stays off when it was off before; the same bytes."""
    location = str(tmp_path / "store")
    fresh_world_registry(location).close()
    with opened(location) as reg:
        expected = answers(reg, served=False)
    collecting: list[tuple[str, bool]] = []

    def watched(name: str, f: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            collecting.append((name, gc.isenabled()))
            return f(*args, **kwargs)
        return call

    monkeypatch.setattr(register_file, "load", watched("file", register_file.load))
    monkeypatch.setattr(Parts, "update", watched("parts", Parts.update))
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with opened(location) as reg:
            got = answers(reg, served=False)
            assert gc.isenabled() is enabled
            assert reg.register.loads == 1
    finally:
        (gc.enable if was else gc.disable)()
    assert got == expected
    assert {name for name, _on in collecting} == {"file", "parts"}
    assert not any(on for _name, on in collecting), collecting


def test_a_file_written_before_a_crash_is_brought_up_to_date_from_the_log(tmp_path: Path) -> None:
    location = str(tmp_path / "store")
    fresh_world_registry(location).close()
    with opened(location) as reg:
        kept_equals_scratch(reg)
    path = Path(location + ".register")
    before = path.read_bytes()
    with opened(location) as reg:
        retitled_and_derived(reg)
        agreements_and_shares(reg)
        retired(reg)
        expected = answers(reg, served=False)
    path.write_bytes(before)  # as if the process died before it closed the register
    with opened(location) as reg:
        assert answers(reg, served=False) == expected
        assert reg.register.builds == 0, "the entries since were applied to the facts kept"
        kept_equals_scratch(reg)


def header_changed(path: Path, **changes: Any) -> None:
    magic, header, body = path.read_bytes().split(b"\n", 2)
    path.write_bytes(magic + b"\n" + json.dumps({**json.loads(header), **changes}).encode() + b"\n" + body)


@pytest.mark.parametrize("damage", ["format", "store", "base", "digest", "short", "shape", "position", "moved on"])
def test_a_file_not_to_trust_is_not_used(tmp_path: Path, damage: str) -> None:
    location = str(tmp_path / "store")
    fresh_world_registry(location).close()
    with opened(location) as reg:
        kept_equals_scratch(reg)
        expected = answers(reg, served=False)
    path = Path(location + ".register")
    if damage == "format":
        header_changed(path, format=register_file.FORMAT + 1)
    elif damage == "store":
        header_changed(path, source="oxigraph:another")
    elif damage == "base":
        header_changed(path, base="https://elsewhere.example.org")
    elif damage == "digest":
        data = bytearray(path.read_bytes())
        data[-3] ^= 1
        path.write_bytes(bytes(data))
    elif damage == "short":
        path.write_bytes(path.read_bytes()[:-10])
    elif damage == "shape":  # a valid file whose rows are not the register's facts
        body = b'[[["x"]],[],[],[]]'
        header_changed(path, sizes=[len(body)], digest=hashlib.sha256(body).hexdigest())
        magic, header, _body = path.read_bytes().split(b"\n", 2)
        path.write_bytes(magic + b"\n" + header + b"\n" + body)
    elif damage == "position":  # a position the log does not continue from
        header_changed(path, hash="0" * 64)
    else:  # the store written by a run that did not keep the file: an older file put back, the log went on
        before = path.read_bytes()
        with opened(location) as reg:
            write(reg, "agreement", {**read(reg, "agreement", "dsa-moh-mto-2024"), "title": "Moved on"})
            expected = answers(reg, served=False)
        path.write_bytes(before)
    with opened(location) as reg:
        assert answers(reg, served=False) == expected
        assert reg.register.builds == (0 if damage == "moved on" else 1)
        kept_equals_scratch(reg)
    assert path.exists(), "written again"


def test_registry_load_writes_the_file_and_a_load_that_does_not_build_forgets_it(tmp_path: Path) -> None:
    synth = tmp_path / "synth.nq"
    synthesize(synth, 300, seed=5)
    for source in (world_nquads(), synth):
        location = str(tmp_path / f"built-{source.stem}")
        with opened(location) as reg:
            load_file(reg, source, caller=SYSTEM, build=True)
        assert Path(location + ".register").exists(), "written by the load"
        with opened(location) as reg:
            got = answers(reg)
            assert reg.register.builds == 0, "a start reads the facts from the file the load wrote"
            kept_equals_scratch(reg)
        assert got == from_the_index(location)
    location = str(tmp_path / "not-built")
    with opened(location) as reg:
        load_file(reg, world_nquads(), caller=SYSTEM, build=True)
    with opened(location) as reg:
        load_file(reg, world_nquads(), caller=SYSTEM)  # a second load into it: every position forgotten
        assert not Path(location + ".register").exists()


def test_a_start_reads_the_file_at_first_use_and_what_was_written_before(tmp_path: Path) -> None:
    location = str(tmp_path / "store")
    fresh_world_registry(location).close()
    with opened(location) as reg:
        kept_equals_scratch(reg)
    with opened(location) as reg:
        reg.warm()  # as a server's start: the register's position from the file's header, its facts not read
        assert (reg.register.builds, reg.register.loads) == (0, 0)
        assert reg.register.position() == reg.follower.head()
        retitled_and_derived(reg)  # applied before the facts are read: these records are read again then
        renamed(reg)
        reg.records.retire(KINDS["agreement"], "dsa-moh-idiu-2024", SYSTEM)
        expected = answers(reg, served=False)
        assert (reg.register.builds, reg.register.loads) == (0, 1)
        kept_equals_scratch(reg)
    assert from_the_index(location, served=False) == expected


def test_a_file_left_where_the_register_writes_does_not_make_it_readable(tmp_path: Path) -> None:
    """A temporary file left world-readable beside the register's file (a crash, another hand) is replaced,
    not written into: the register's file is its owner's only."""
    path = tmp_path / "store.register"
    left = path.with_name(path.name + ".tmp")
    left.write_bytes(b"left over")
    left.chmod(0o666)
    register_file.save(path, register_file.Sections([[[1, 2]]], list), Head(3, "h"), "oxigraph:x",
                       "https://registry.example.org")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and not left.exists()


@pytest.mark.parametrize("chunk", [1, 2, 4096])
def test_the_file_holds_the_rows_as_one_json_document_written_a_few_rows_at_a_time(
        chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The facts are encoded a few thousand rows at a time (never every row as lists, nor the JSON as one text):
    the file's bytes are those of the rows dumped as one document, as they were before (the casebook world,
    synthetic agreements and derived datasets, and texts JSON escapes: quotes, non-ASCII, a line separator)."""
    synth = tmp_path / "synth.nq"
    synthesize(synth, 300, seed=7)
    monkeypatch.setattr(register_file, "ROWS_A_CHUNK", chunk)
    for source in (world_nquads(), synth):
        location = str(tmp_path / f"store-{source.stem}")
        with opened(location) as reg:
            load_file(reg, source, caller=SYSTEM, build=True)
        with opened(location) as reg:
            if source != synth:  # the file the load wrote, else one the register writes after a write
                write(reg, "organization", {**read(reg, "organization", "moh"), "name": 'Q "\\ é \u2028 \u2603'})
            facts = reg.register.facts()
            reg.register.save()
            assert (reg.register.builds, reg.register.loads) == (0, 1)
            assert len(facts.agreements) and len(facts.names) and len(facts.datasets) and len(facts.terms)
            expected = json.dumps(rows_of(facts).rows(), separators=(",", ":")).encode("ascii")
            found = kept_file.read(Path(location + ".register"), register_file.MAGIC, lambda _h: True, "register")
            assert found is not None and found[1] == [expected]
