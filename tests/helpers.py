"""Small helpers shared by the test modules (fixtures stay in conftest.py)."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from registry.services.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
#: the worked share-check cases and their world (version 2 replaces ../shared/casebook/)
CASEBOOK = ROOT.parent / "shared" / "casebook" / "v2"
WORLD_FILE = CASEBOOK / "world.json"
DEMO_FILE = ROOT / "src" / "registry" / "data" / "demo-ontario.json"
DATA = Path(__file__).parent / "data"
PROBLEM = "application/problem+json"


def load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def record(world: dict[str, Any], collection: str, rid: str) -> dict[str, Any]:
    """A deep copy of one record of a world file."""
    return copy.deepcopy(next(r for r in world[collection] if r["id"] == rid))


def normalise(value: Any) -> Any:
    """JSON with absent, null and empty values treated alike and lists sorted, for comparing records."""
    if isinstance(value, dict):
        out = {k: normalise(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return sorted((normalise(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def same_record(written: dict[str, Any], read: dict[str, Any]) -> None:
    """Assert a record read back says what was written: every field of the input, with absent, null
    and empty alike and lists in any order. Fields the reader adds (defaults such as an organisation's
    jurisdiction, derived fields, the write answer's warnings) are not the input's business."""
    want = normalise(written)
    got = normalise(read)
    assert {k: got.get(k) for k in want} == want
    for k in set(written) - set(want):  # fields written empty or null read back empty or null
        assert k not in got, (k, read[k])


def quad_count(registry: Registry) -> int:
    return sum(1 for _ in registry.store.quads())


def record_quads(registry: Registry) -> set[tuple[Any, ...]]:
    """Every quad outside the reference graphs (records, audit, tokens), the default graph's included, as
    `Store.quads` gives them on every backend."""
    ref = registry.iris.base + "/graph/reference/"
    return {q for q in registry.store.quads() if not str(q[3]).startswith(ref)}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """An RFC 9457 answer with this status; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM, response.headers
    body = response.json()
    for key in ("type", "title", "status", "detail"):
        assert key in body, body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def assert_xml(body: bytes | str, what: str = "") -> Any:
    """An answer that must be well-formed XML (RDF/XML, SPARQL XML results): parsed with the standard
    library's parser, which refuses what XML 1.0 cannot carry (control characters, U+FFFE, U+FFFF) and
    resolves no external entity; returns the root element."""
    import xml.etree.ElementTree as ET

    try:
        return ET.fromstring(body)
    except ET.ParseError as e:
        raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        line, col = e.position
        near = raw.splitlines()[line - 1][max(0, col - 40):col + 40] if line - 1 < len(raw.splitlines()) else b""
        raise AssertionError(f"not well-formed XML{' (' + what + ')' if what else ''}: {e}; near {near!r}") from None


def violation_fields(body: dict[str, Any], severity: str = "Violation") -> set[str | None]:
    return {v["field"] for v in body.get("violations", []) if v["severity"] == severity}


_TMP: list[Any] = []


@cache
def world_nquads() -> Path:
    """The casebook world's record graphs (and their audit entries) as N-Quads, built once per run
    through the real write path, so each test can bulk-load a fresh copy instead of re-validating it."""
    import tempfile

    from registry.config import Settings
    from registry.services.ingest.loader import SYSTEM, world_records, write_all
    from registry.services.registry import open_registry

    reg = open_registry(Settings(data="memory"))
    try:
        write_all(reg, list(world_records(load_json(WORLD_FILE))), SYSTEM)
        ref = reg.iris.base + "/graph/reference/"
        tmp = tempfile.TemporaryDirectory(prefix="world-")
        _TMP.append(tmp)  # removed when the test run ends
        path = Path(tmp.name) / "world.nq"
        raw = reg.store.raw()  # type: ignore[attr-defined]
        quads = [q for q in raw if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value.startswith(ref))]
        ox.serialize(quads, str(path), ox.RdfFormat.N_QUADS)
    finally:
        reg.close()
    return path


def bulk_load_world(reg: Registry) -> None:
    """Put the casebook world into a registry that holds no record yet, as `registry load` of N-Quads
    does: the loader's bulk path forgets the lineage graph, the catalogue index and the views kept on
    disk, so each is rebuilt from the store (and its audit entries) when first asked. The lineage graph
    is rebuilt here at once, as the writes would have kept it."""
    from registry.services.ingest.loader import load_file

    load_file(reg, world_nquads())
    reg.lineage.rebuild()


def fresh_world_registry(location: str = "memory") -> Registry:
    """A new registry holding the casebook world (bulk-loaded from `world_nquads`)."""
    from registry.config import Settings
    from registry.services.registry import open_registry

    reg = open_registry(Settings(data=location))
    bulk_load_world(reg)
    return reg


@contextmanager
def world_api() -> Iterator[Any]:
    """The real app (conftest's Api) over a fresh copy of the casebook world. `api.lenient` is a second
    client of the same app that answers a server error as a 500 instead of raising it in the test."""
    from fastapi.testclient import TestClient

    from conftest import Api

    reg = fresh_world_registry()
    api = Api(reg)
    api.lenient = TestClient(api.client.app, raise_server_exceptions=False)
    try:
        yield api
    finally:
        api.close()
        reg.close()


@contextmanager
def world_api_and_routes(below_router: type) -> Iterator[tuple[Any, Any]]:
    """`world_api()`, and a client of the same app over the same registry without the middleware
    `below_router`: its routes answer what that middleware answers below the router."""
    from fastapi.testclient import TestClient

    from registry.api import create_app

    with world_api() as api:
        app = create_app(registry=api.registry)
        app.user_middleware = [m for m in app.user_middleware if m.cls is not below_router]
        with TestClient(app) as routed:
            yield api, routed


@contextmanager
def records_api(path: Path) -> Iterator[Any]:
    """The real app (conftest's Api) over a fresh in-memory registry holding the records of a world file
    (`path`: organisations, datasets, agreements), written through the write path."""
    from conftest import Api
    from registry.config import Settings
    from registry.services.ingest.loader import load_file
    from registry.services.registry import open_registry

    reg = open_registry(Settings(data="memory"))
    load_file(reg, path)
    api = Api(reg)
    try:
        yield api
    finally:
        api.close()
        reg.close()


@contextmanager
def index_held(registry: Registry) -> Iterator[None]:
    """Another thread holds the catalogue index (as a long search, an entry or a rebuild does) for the block:
    a write's own update of it is skipped meanwhile (follower.committed), and a read that waits for it waits."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with registry.follower.reading(registry.index):
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30), "the index was not taken"
        yield
    finally:
        release.set()
        holder.join()
