"""The append-only audit log: one PROV activity per change, in a graph of its own."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable

from rdflib import Literal, URIRef

from registry.model.common import Iris
from registry.namespaces import PROV, RDF, REG, XSD
from registry.store.base import Triple

#: the hash of a record that did not exist
EMPTY = hashlib.sha256(b"").hexdigest()


def state_hash(triples: Iterable[Triple]) -> str:
    """A hash of a record's state: its triples in canonical N-Triples-like order (no blank nodes)."""
    lines = sorted(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in triples)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def entry(
    iris: Iris, *, agent: str, action: str, record: URIRef, before: str, after: str
) -> tuple[str, list[Triple]]:
    """The graph name and triples of one audit entry."""
    now = dt.datetime.now(dt.UTC)
    eid = f"{now.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}"
    e = URIRef(f"{iris.base}/audit/{eid}")
    when = Literal(now.isoformat(), datatype=XSD.dateTime)
    triples: list[Triple] = [
        (e, RDF.type, PROV.Activity),
        (e, PROV.endedAtTime, when),
        (e, PROV.wasAssociatedWith, Literal(agent)),
        (e, REG.action, Literal(action)),
        (e, PROV.used, record),
        (e, REG.beforeHash, Literal(before)),
        (e, REG.afterHash, Literal(after)),
    ]
    return iris.system_graph(f"audit/{eid}"), triples
