"""What a steward's workspace reads: the organisations a caller writes for (a steward's organisation and its
units, every one for officers and admins), the records of that scope, the validation state of a stored
record (the write path's own check: SHACL and lineage, warnings included), and the review queue of datasets
that OpenLineage ingest registered with placeholders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.domain.model import AGREEMENT, DATASET, ORGANIZATION, RecordKind
from registry.errors import RegistryError, Violation
from registry.services.auth import Caller
from registry.services.ingest.openlineage import NEEDS_REVIEW
from registry.services.policy import READERS_OF_ALL
from registry.services.records import READ_ONLY
from registry.services.registry import Registry

#: the most records of one kind a listing reads (the index's order: most relevant, then most recent)
MOST = 10_000


@dataclass
class Assessed:
    """A stored record and what the write path says of it now."""

    record: dict[str, Any]
    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)


def organizations(registry: Registry) -> list[dict[str, Any]]:
    """Every organisation (public fields), by id."""
    page = registry.records.list(ORGANIZATION, limit=MOST, full=False)
    return sorted(page.items, key=lambda o: o["id"])


def scope(registry: Registry, caller: Caller, orgs: list[dict[str, Any]] | None = None) -> list[str] | None:
    """The organisations whose records `caller` writes: a steward's organisation and its units at any
    depth; None for officers and admins (every one)."""
    if caller.role in READERS_OF_ALL:
        return None
    if caller.role != "steward" or caller.org is None:
        return []
    children: dict[str, list[str]] = {}
    for o in orgs if orgs is not None else organizations(registry):
        if o.get("parent"):
            children.setdefault(str(o["parent"]), []).append(str(o["id"]))
    out, todo = [], [caller.org]
    while todo:
        org = todo.pop()
        if org not in out:
            out.append(org)
            todo += children.get(org, [])
    return sorted(out)


def clean(record: dict[str, Any]) -> dict[str, Any]:
    """A record as a write takes it back: without the fields reads derive."""
    return {k: v for k, v in record.items() if k not in READ_ONLY and v is not None}


def assess(registry: Registry, kind: RecordKind, rid: str) -> Assessed:
    """A stored record (whole) and the violations and warnings the write path finds in it now."""
    records = registry.records
    record = records.get(kind, rid, full=True)
    out = Assessed(record)
    try:
        rec = records.parse(kind, clean(record))
        found = records.check(kind, rec, kind.to_rdf(rec, registry.iris))
    except RegistryError as e:  # a stored record that no longer parses
        found = list(getattr(e, "violations", [])) or [Violation(focus_node=rid, path=None, message=e.detail)]
    for v in found:
        (out.violations if v.severity == "Violation" else out.warnings).append(v)
    return out


def records_of(registry: Registry, caller: Caller, kind: RecordKind, limit: int, offset: int) -> tuple[list[str], int]:
    """The ids of the records of `kind` the caller writes (its scope's), a page of them, and how many."""
    owners = scope(registry, caller)
    field_name = {DATASET.name: "publisher", AGREEMENT.name: "provider"}[kind.name]
    if owners is None:
        page = registry.records.list(kind, limit=limit, offset=offset, full=False)
        return [r["id"] for r in page.items], page.total
    ids: list[str] = []
    for org in owners:
        ids += [r["id"] for r in registry.records.list(kind, filters={field_name: org}, limit=MOST, full=False).items]
    ids = sorted(set(ids))
    return ids[offset:offset + limit], len(ids)


def review_queue(registry: Registry, caller: Caller) -> list[dict[str, Any]]:
    """The datasets OpenLineage ingest registered for a steward to complete (still keyword
    `needs-steward-review`), of the caller's scope."""
    owners = scope(registry, caller)
    page = registry.records.list(DATASET, filters={"keyword": NEEDS_REVIEW}, limit=MOST, full=False)
    return [d for d in page.items if owners is None or d.get("publisher") in owners]
