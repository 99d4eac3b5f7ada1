"""Answers built on lineage: a dataset's lineage as nodes and edges (JSON or PROV triples) and its
impact (everything downstream, and every agreement that covers any of it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rdflib import Graph, Literal

from registry.domain.model.common import code_of
from registry.domain.model.dataset import ACCESS_BY_IRI
from registry.errors import BadInput, NotFound
from registry.iris import is_slug
from registry.namespaces import AGREEMENT_STATUS, DCTERMS, PROV
from registry.projections.lineage import Lineage
from registry.services.history import lineage_as_of, moment
from registry.services.registry import Registry
from registry.store.base import Store

DIRECTIONS = ("upstream", "downstream", "both")
MAX_DEPTH = 50


@dataclass
class View:
    """Where an answer reads from: the live store and index, or the registry as it stood then."""

    store: Store
    lineage: Lineage
    as_of: dt.datetime | None


def view(registry: Registry, as_of: dt.datetime | None) -> View:
    if as_of is None:
        return View(registry.store, registry.lineage, None)
    as_of = moment(as_of)
    store, lineage = lineage_as_of(registry.store, registry.iris, registry.resources, as_of)
    return View(store, lineage, as_of)


def _facts(registry: Registry, v: View, rid: str, full: bool | Callable[[str], bool]) -> dict[str, Any] | None:
    if not is_slug(rid):
        return None
    rows = v.store.select(registry.resources.query("dataset-facts"), {"dataset": registry.iris.record("dataset", rid)})
    if not rows:
        return None
    r = rows[0]
    out: dict[str, Any] = {
        "id": rid,
        "title": str(r["title"]) if "title" in r else None,
        "publisher": registry.iris.id_of(r["publisher"]) if "publisher" in r else None,
        "access": ACCESS_BY_IRI.get(str(r["access"])) if "access" in r else None,
        "retired": "retired" in r,
    }
    if full(rid) if callable(full) else full:  # a steward sees its own organisation's datasets' flags only
        effective, path = v.lineage.effective_pi(rid)
        out["personal_information"] = effective
        out["personal_information_path"] = path
    return out


def lineage_json(registry: Registry, rid: str, *, direction: str = "both", depth: int | None = None,
                 as_of: dt.datetime | None = None, full: bool | Callable[[str], bool] = False) -> dict[str, Any]:
    if direction not in DIRECTIONS:
        raise BadInput(f"direction must be one of {', '.join(DIRECTIONS)}", allowed=list(DIRECTIONS))
    if depth is not None and not 0 <= depth <= MAX_DEPTH:
        raise BadInput(f"depth must be between 0 and {MAX_DEPTH}")
    v = view(registry, as_of)
    if _facts(registry, v, rid, False) is None:
        when = f" as of {as_of.isoformat()}" if as_of else ""
        raise NotFound(f"no dataset {rid!r}{when}", id=rid)
    ids, edges = v.lineage.closure(rid, direction, depth)
    nodes = [n for n in (_facts(registry, v, i, full) for i in ids) if n is not None]
    activities = _activities(registry, v.store, [e.derived for e in edges])
    return {
        "dataset": rid,
        "direction": direction,
        "depth": depth,
        "as_of": v.as_of.isoformat() if v.as_of else None,
        "nodes": nodes,
        "edges": [{"from": e.source, "to": e.derived, "activity": e.kind,
                   "by": activities.get(e.derived, {}).get("by"), "date": activities.get(e.derived, {}).get("date")}
                  for e in edges],
    }


def _activities(registry: Registry, store: Store, derived: list[str]) -> dict[str, dict[str, str | None]]:
    out: dict[str, dict[str, str | None]] = {}
    for d in set(derived):
        rows = store.select(registry.resources.query("dataset-activity"), {"dataset": registry.iris.record("dataset", d)})
        if rows:
            r = rows[0]
            out[d] = {"by": registry.iris.id_of(r["by"]) if "by" in r else None,
                      "date": str(r["date"]) if "date" in r else None}
    return out


def lineage_graph(registry: Registry, answer: dict[str, Any]) -> Graph:
    """The PROV-O triples of a lineage answer (public facts only)."""
    g = Graph()
    iris = registry.iris
    for e in answer["edges"]:
        g.add((iris.record("dataset", e["to"]), PROV.wasDerivedFrom, iris.record("dataset", e["from"])))
    for n in answer["nodes"]:
        s = iris.record("dataset", n["id"])
        if n["publisher"]:
            g.add((s, PROV.wasAttributedTo, iris.record("organization", n["publisher"])))
        if n["title"]:
            g.add((s, DCTERMS.title, Literal(n["title"])))
    return g


def impact_json(registry: Registry, rid: str, *, full: bool | Callable[[str], bool] = False) -> dict[str, Any]:
    v = view(registry, None)
    if _facts(registry, v, rid, False) is None:
        raise NotFound(f"no dataset {rid!r}", id=rid)
    downstream = v.lineage.downstream(rid)
    agreements: dict[str, dict[str, Any]] = {}
    for d in [rid, *downstream]:
        for r in registry.store.select(registry.resources.query("agreements-covering"),
                                       {"dataset": registry.iris.record("dataset", d)}):
            a = agreements.setdefault(str(r["id"]), {
                "id": str(r["id"]),
                "title": str(r["title"]) if "title" in r else None,
                "provider": registry.iris.id_of(r["provider"]),
                "recipient": registry.iris.id_of(r["recipient"]),
                "status": code_of(AGREEMENT_STATUS, r["status"]) if "status" in r else None,
                "valid_until": str(r["until"]) if "until" in r else None,
                "retired": "retired" in r,
                "datasets": [],
            })
            a["datasets"].append(d)
    return {
        "dataset": rid,
        "downstream": [n for n in (_facts(registry, v, d, full) for d in downstream) if n is not None],
        "agreements": sorted(agreements.values(), key=lambda a: a["id"]),
    }
