"""Answers built on lineage: a dataset's lineage as nodes and edges (JSON or PROV triples) and its
impact (everything downstream, and every agreement that covers any of it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rdflib import Graph, Literal
from rdflib.term import Node

from registry.domain.lineage import LineageAt
from registry.domain.model import AGREEMENT, DATASET
from registry.domain.model.dataset import ACCESS_BY_IRI
from registry.errors import BadInput, NotFound
from registry.iris import is_slug
from registry.namespaces import DCTERMS, PROV
from registry.projections.lineage import Lineage, moment
from registry.services.registry import Registry
from registry.store.base import Row, Store, inline_rows
from registry.store.terms import nt

DIRECTIONS = ("upstream", "downstream", "both")
MAX_DEPTH = 50
#: nodes of a lineage or impact answer per page, unless the caller asks for another size (up to MAX_PAGE)
DEFAULT_PAGE = 500
MAX_PAGE = 5_000
#: datasets read per query
_BATCH = 500
#: what an impact answer shows of an agreement (fields of its public form)
_AGREEMENT_FIELDS = ("id", "title", "provider", "recipient", "status", "valid_until", "retired")


@dataclass
class View:
    """Where an answer reads from: the live store and lineage index, or the lineage graph as it stood then
    (`LineageAt`: the facts of datasets with a logged history come from their version then, the others' from
    the store as they are now)."""

    store: Store
    lineage: Lineage | LineageAt
    as_of: dt.datetime | None


@contextmanager
def view(registry: Registry, as_of: dt.datetime | None) -> Iterator[View]:
    if as_of is None:
        yield View(registry.store, registry.lineage, None)
        return
    with registry.lineage.at(moment(as_of)) as then:
        yield View(registry.store, then, moment(as_of))


def _title(titles: list[Node]) -> str | None:
    """The title to show of several (one per language): English or untagged first."""
    if not titles:
        return None
    ranked = sorted(titles, key=lambda t: (getattr(t, "language", None) not in (None, "en"), str(t)))
    return str(ranked[0])


def _text(value: Any) -> str | None:
    """A title as a record's JSON gives it (a string, or a map of languages): English first."""
    if isinstance(value, dict):
        return str(value.get("en") or next(iter(value.values()), None) or "") or None
    return None if value is None else str(value)


def _facts(doc: dict[str, Any]) -> dict[str, Any]:
    """What a lineage answer shows of a dataset, from its public form in the catalogue index (as
    dataset-facts.rq reads it: the English or untagged title, else the first by text; a known access level)."""
    title = doc.get("title")
    if isinstance(title, dict):
        title = title.get("en", min(title.values(), default=None))
    access = doc.get("access")
    return {"id": doc["id"], "publisher": doc.get("publisher"),
            "access": access if access in ACCESS_BY_IRI.values() else None,
            "retired": doc.get("retired") is not None, "title": title}


def _public_docs(registry: Registry, v: View, ids: list[str]) -> dict[str, dict[str, Any]] | None:
    """The public form of each dataset of `ids` the catalogue index holds, for an answer as things are
    now (None as of a moment: those answers read the store)."""
    if v.as_of is not None or isinstance(v.lineage, LineageAt):
        return None
    return registry.index.docs(DATASET.name, [i for i in ids if is_slug(i)])


def _with_pi(v: View, out: dict[str, dict[str, Any]], full: bool | Callable[[str], bool]) -> dict[str, dict[str, Any]]:
    """`out`, with the effective personal information of the datasets `full` allows (a steward sees its
    own organisation's datasets' flags only)."""
    for rid, facts in out.items():
        if full(rid) if callable(full) else full:
            effective, path = v.lineage.effective_pi(rid)
            facts["personal_information"] = effective
            facts["personal_information_path"] = path
    return out


def _facts_of(registry: Registry, v: View, ids: list[str], full: bool | Callable[[str], bool],
              docs: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """The public facts of each dataset of `ids` that exists: from the catalogue index's public forms
    (`docs`, else read now) for an answer as things are now, else with one store query per few hundred
    ids; and the effective personal information for the datasets `full` allows."""
    docs = _public_docs(registry, v, ids) if docs is None else docs
    if docs is not None:
        return _with_pi(v, {i: _facts(docs[i]) for i in ids if i in docs}, full)
    then = v.lineage if isinstance(v.lineage, LineageAt) else None
    out: dict[str, dict[str, Any]] = {}
    now = []
    for i in (i for i in ids if is_slug(i)):
        if then is None or i not in then:
            if then is None:
                now.append(i)
            continue  # as of a moment: absent then
        facts = then.facts(i)
        if facts is None:
            now.append(i)
        else:
            out[i] = {"id": i, "publisher": facts["publisher"], "access": facts["access"],
                      "retired": facts["retired"], "title": _text(facts["title"])}
    rows = _per_dataset(registry, v.store, "dataset-facts", now)
    titles: dict[str, list[Node]] = {}
    for r in rows:
        rid = registry.iris.id_of(r["dataset"])
        if "title" in r:
            titles.setdefault(rid, []).append(r["title"])
        out.setdefault(rid, {
            "id": rid,
            "publisher": registry.iris.id_of(r["publisher"]) if "publisher" in r else None,
            "access": ACCESS_BY_IRI.get(str(r["access"])) if "access" in r else None,
            "retired": "retired" in r,
        })
    for rid, facts in out.items():
        if "title" not in facts:
            facts["title"] = _title(titles.get(rid, []))
    return _with_pi(v, out, full)


def _page(limit: int | None, offset: int) -> tuple[int, int]:
    size = DEFAULT_PAGE if limit is None else limit
    if not 1 <= size <= MAX_PAGE:
        raise BadInput(f"limit must be between 1 and {MAX_PAGE}")
    if offset < 0:
        raise BadInput("offset must not be negative")
    return size, offset


def lineage_json(registry: Registry, rid: str, *, direction: str = "both", depth: int | None = None,
                 as_of: dt.datetime | None = None, full: bool | Callable[[str], bool] = False,
                 limit: int | None = None, offset: int = 0) -> dict[str, Any]:
    """A dataset's lineage, a page of nodes at a time (the dataset itself, then the others by id); the
    edges listed are those into the page's nodes, so that every edge comes once, with the page of the
    dataset derived through it."""
    if direction not in DIRECTIONS:
        raise BadInput(f"direction must be one of {', '.join(DIRECTIONS)}", allowed=list(DIRECTIONS))
    if depth is not None and not 0 <= depth <= MAX_DEPTH:
        raise BadInput(f"depth must be between 0 and {MAX_DEPTH}")
    size, offset = _page(limit, offset)
    with view(registry, as_of) as v:
        if rid not in _facts_of(registry, v, [rid], False):
            when = f" as of {as_of.isoformat()}" if as_of else ""
            raise NotFound(f"no dataset {rid!r}{when}", id=rid)
        total, page, edges = v.lineage.closure_page(rid, direction, depth, offset, size)
        docs = _public_docs(registry, v, page)
        facts = _facts_of(registry, v, page, full, docs)
        nodes = [facts[i] for i in page if i in facts]
        activities = _activities(registry, v, [e.derived for e in edges], docs)
        return {
            "dataset": rid,
            "direction": direction,
            "depth": depth,
            "as_of": v.as_of.isoformat() if v.as_of else None,
            "total": total,
            "offset": offset,
            "limit": size,
            "nodes": nodes,
            "edges": [{"from": e.source, "to": e.derived, "activity": e.kind,
                       "by": activities.get(e.derived, {}).get("by"), "date": activities.get(e.derived, {}).get("date")}
                      for e in edges],
        }


def _activities(registry: Registry, v: View, derived: list[str],
                docs: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, str | None]]:
    """The organisation and date of the activity that generated each dataset: from their public forms
    (`docs`) as things are now, else as of the view's moment."""
    if docs is not None:
        return {d: {"by": docs[d]["generated_by"].get("by"), "date": docs[d]["generated_by"].get("date")}
                for d in derived if docs.get(d, {}).get("generated_by")}
    out: dict[str, dict[str, str | None]] = {}
    now = []
    for d in derived:
        facts = v.lineage.facts(d) if isinstance(v.lineage, LineageAt) else None
        if facts is None:
            now.append(d)
        else:
            out[d] = {"by": facts["by"], "date": facts["date"]}
    for r in _per_dataset(registry, v.store, "dataset-activity", now):
        out.setdefault(registry.iris.id_of(r["dataset"]), {
            "by": registry.iris.id_of(r["by"]) if "by" in r else None,
            "date": str(r["date"]) if "date" in r else None})
    return out


def _per_dataset(registry: Registry, store: Store, query: str, ids: list[str]) -> list[Row]:
    """The rows of a named query for each dataset of `ids` (bound to ?dataset), a few hundred per query."""
    wanted = list(dict.fromkeys(ids))
    rows: list[Row] = []
    for start in range(0, len(wanted), _BATCH):
        chunk: list[list[Node]] = [[registry.iris.record("dataset", d)] for d in wanted[start:start + _BATCH]]
        rows += store.select(inline_rows(registry.resources.query(query), ["dataset"], chunk, nt))
    return rows


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


def impact_json(registry: Registry, rid: str, *, full: bool | Callable[[str], bool] = False,
                limit: int | None = None, offset: int = 0) -> dict[str, Any]:
    """Everything downstream of a dataset, a page at a time (by id), and every agreement that covers the
    dataset or anything downstream of it (all of them, whatever the page)."""
    size, offset = _page(limit, offset)
    v = View(registry.store, registry.lineage, None)
    if rid not in _facts_of(registry, v, [rid], False):
        raise NotFound(f"no dataset {rid!r}", id=rid)
    downstream = v.lineage.downstream(rid)
    page = downstream[offset:offset + size]
    agreements: dict[str, dict[str, Any]] = {}
    everything = [rid, *downstream]
    for d, doc in registry.index.naming(AGREEMENT.name, "dataset", everything, _AGREEMENT_FIELDS):
        if doc.get("provider") is None or doc.get("recipient") is None:
            continue  # agreements-covering.rq: an agreement names both parties
        a = agreements.setdefault(doc["id"], {
            "id": doc["id"], "title": doc.get("title"), "provider": doc["provider"],
            "recipient": doc["recipient"], "status": doc.get("status"), "valid_until": doc.get("valid_until"),
            "retired": doc.get("retired") is not None, "datasets": [],
        })
        a["datasets"].append(d)
    position = {d: n for n, d in enumerate(everything)}
    for a in agreements.values():
        a["datasets"] = sorted(set(a["datasets"]), key=position.__getitem__)
    facts = _facts_of(registry, v, page, full)
    return {
        "dataset": rid,
        "total": len(downstream),
        "offset": offset,
        "limit": size,
        "downstream": [facts[d] for d in page if d in facts],
        "agreements": sorted(agreements.values(), key=lambda a: a["id"]),
    }
