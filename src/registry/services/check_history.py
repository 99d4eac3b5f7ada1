"""The recorded share checks a privacy officer looks back on: filtered by decision, provider, recipient,
purpose and dataset (bound values of a named query), newest first, each as the caller may read it."""

from __future__ import annotations

import json
from typing import Any

from rdflib import Literal
from rdflib.term import Node

from registry.domain.model.common import code_iri
from registry.errors import BadInput
from registry.iris import is_slug
from registry.namespaces import PURPOSE
from registry.services.auth import Caller
from registry.services.records import Page
from registry.services.registry import Registry

DECISIONS = ("permitted", "conditional", "not_permitted")
FILTERS = ("decision", "provider", "recipient", "purpose", "dataset")


def find_checks(registry: Registry, filters: dict[str, str], caller: Caller, limit: int = 50,
                offset: int = 0) -> Page:
    """The checks that match every filter given (empty ones are ignored); BadInput names a filter whose
    value could name nothing."""
    bindings: dict[str, Node] = {}
    for name, value in filters.items():
        if not value:
            continue
        if name not in FILTERS:
            raise BadInput(f"share checks cannot be filtered by {name!r}", field=name)
        if name == "decision":
            if value not in DECISIONS:
                raise BadInput(f"decision is one of: {', '.join(DECISIONS)}", field=name)
            bindings[name] = Literal(value)
        elif not is_slug(value):
            raise BadInput(f"{name} must be an id or code", field=name)
        elif name == "purpose":
            bindings[name] = code_iri(PURPOSE, value)
        else:
            bindings[name] = registry.iris.record("organization" if name != "dataset" else "dataset", value)
    store, res = registry.store, registry.resources
    total = int(str(store.select(res.query("share-checks-found-count"), bindings)[0]["n"]))
    rows = store.select(res.query("share-checks-found") + f"\nLIMIT {int(limit)} OFFSET {int(offset)}", bindings)
    items: list[dict[str, Any]] = [registry.share_checks.for_caller(json.loads(str(r["answer"])), caller) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)
