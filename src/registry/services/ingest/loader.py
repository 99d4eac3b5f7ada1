"""Loading files into the registry: JSON world files and RDF documents go through the write path
(validated record by record); N-Quads and TriG in the registry's own layout are bulk-loaded."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph

from registry.domain.model import KINDS, RecordKind
from registry.errors import BadInput, ValidationFailed
from registry.projections.bulk import BulkBuild
from registry.services.auth import Caller
from registry.services.registry import Registry
from registry.store.base import BadQuads
from registry.store.oxigraph import OxigraphStore

SYSTEM = Caller(role="admin", token_id="cli")

#: file suffix -> how to read it
FORMATS = {
    ".json": "world",
    ".nq": "nquads",
    ".nquads": "nquads",
    ".trig": "trig",
    ".ttl": "turtle",
    ".jsonld": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".nt": "nt",
}


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    quads: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)


def detect(path: Path, fmt: str | None) -> str:
    if fmt:
        return fmt
    for suffix, name in FORMATS.items():
        if path.name.endswith(suffix):
            if name == "world" and _looks_like_jsonld(path):
                return "json-ld"
            return name
    raise BadInput(f"cannot tell the format of {path.name}: use one of {', '.join(sorted(FORMATS))} or --format")


def _looks_like_jsonld(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(4096)
    return b'"@context"' in head or b'"@graph"' in head


def world_records(world: Any) -> Iterator[tuple[RecordKind, dict[str, Any]]]:
    if not isinstance(world, dict):
        raise BadInput("a world file is a JSON object with organizations, datasets and agreements")
    unknown = set(world) - {"organizations", "datasets", "agreements"}
    if unknown:
        raise BadInput(f"unknown keys in the world file: {', '.join(sorted(unknown))}")
    for collection in ("organizations", "datasets", "agreements"):
        items = world.get(collection, [])
        if not isinstance(items, list):
            raise BadInput(f"{collection} must be a list")
        kind = next(k for k in KINDS.values() if k.collection == collection)
        for item in _ordered(kind, items):
            yield kind, item


def _ordered(kind: RecordKind, items: list[Any]) -> list[Any]:
    """Parents before units and sources before derived datasets, whatever order the file has."""
    deps_field = {"organization": "parent", "dataset": "derived_from"}.get(kind.name)
    if deps_field is None:
        return items
    by_id = {i.get("id"): i for i in items if isinstance(i, dict)}
    done: set[Any] = set()
    out: list[Any] = []

    def visit(item: Any, trail: tuple[Any, ...] = ()) -> None:
        rid = item.get("id") if isinstance(item, dict) else None
        if rid in done or rid in trail:
            return
        deps = item.get(deps_field) if isinstance(item, dict) else None
        for d in deps if isinstance(deps, list) else [deps] if deps else []:
            if d in by_id:
                visit(by_id[d], (*trail, rid))
        done.add(rid)
        out.append(item)

    for item in items:
        visit(item)
    return out


def write_all(registry: Registry, records: list[tuple[RecordKind, dict[str, Any]]], caller: Caller,
              progress: Callable[[int], None] | None = None) -> LoadReport:
    report = LoadReport()
    for kind, data in records:
        rid = data.get("id") if isinstance(data, dict) else None
        exists = isinstance(rid, str) and registry.records.exists(kind, rid)
        try:
            result = registry.records.write(kind, data, caller, create=not exists, rid=rid if exists else None)
        except ValidationFailed as e:
            e.detail = f"{kind.name} {rid!r}: {e.detail}"
            raise
        if result.created:
            report.created += 1
        else:
            report.updated += 1
        report.warnings += [{"record": f"{kind.name}/{rid}", **w.as_json()} for w in result.warnings]
        if progress:
            progress(1)
    return report


def rdf_records(registry: Registry, g: Graph) -> list[tuple[RecordKind, dict[str, Any]]]:
    out: list[tuple[RecordKind, dict[str, Any]]] = []
    for kind in KINDS.values():
        items = [registry.records.from_graph(kind, g, s) for s in registry.records.subjects(kind, g)]
        out += [(kind, i) for i in _ordered(kind, items)]
    return out


def plan(registry: Registry, path: Path, fmt: str | None = None) -> tuple[str, list[tuple[RecordKind, dict[str, Any]]]]:
    """What loading `path` would write: ("bulk", []) for quads, or the records in write order."""
    how = detect(path, fmt)
    if how in ("nquads", "trig"):
        return how, []
    if how == "world":
        try:
            world = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise BadInput(f"{path.name} is not valid JSON: {e}") from None
        return how, list(world_records(world))
    g = Graph()
    try:
        g.parse(path, format=how)
    except Exception as e:  # rdflib's parsers raise many types
        raise BadInput(f"{path.name} is not valid {how}: {e}") from None
    return how, rdf_records(registry, g)


def load_file(registry: Registry, path: Path, fmt: str | None = None, caller: Caller = SYSTEM,
              progress: Callable[[int], None] | None = None, *, build: bool = False) -> LoadReport:
    """Load a file; `progress` is told how many records were written, or for a bulk load how many
    bytes of the file were read, since it was last called. A bulk load writes no audit entry for the
    projections to follow: their positions are forgotten before it starts (so a crash part-way leaves
    none a start would trust), and they are rebuilt when next read; with `build`, now, N-Quads into an
    Oxigraph store in the load's own pass (projections/bulk.py)."""
    how, records = plan(registry, path, fmt)
    if how not in ("nquads", "trig"):
        return write_all(registry, records, caller, progress)
    store = registry.store
    bulk = None
    if build and how == "nquads" and isinstance(store, OxigraphStore):
        bulk = BulkBuild(store, registry.iris, registry.resources, registry.follower, registry.index,
                         registry.lineage, registry.views)
        bulk.begin()
    else:
        registry.follower.invalidate()
    try:
        if bulk is not None and isinstance(store, OxigraphStore):
            quads = store.bulk_load(path, how, progress, observe=bulk.observe)
        else:
            quads = store.bulk_load(path, how, progress)
    except BaseException as e:
        if bulk is not None:
            bulk.abort()
        if isinstance(e, BadQuads):
            raise BadInput(f"{e}; nothing was loaded") from None
        raise
    if bulk is not None:
        bulk.finish()
    elif build:
        registry.follower.catch_up()
    return LoadReport(quads=quads)
