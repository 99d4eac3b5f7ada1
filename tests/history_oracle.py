"""The tests' oracle of answers as of a moment: the whole registry rebuilt in memory from the audit log's
snapshots, as the registry once answered them (services/share_check_as_of.py and the lineage index now
read only the versions an answer needs). A record written through the write path is taken from its last
snapshot at or before the moment (absent if it was created later); one with no history (bulk-loaded) is
taken as it is now. The view is a Store like any other, so the legal-basis engine and lineage run on it."""

from __future__ import annotations

import datetime as dt

from rdflib import Graph, Literal, URIRef

from registry.domain.lineage import LineageGraph
from registry.domain.model import KINDS, RecordKind
from registry.domain.model.common import Triples
from registry.iris import Iris
from registry.namespaces import XSD
from registry.projections.lineage import lineage_from_store, moment
from registry.resources import Resources
from registry.services.reference import load_reference_graphs
from registry.store.base import Store, Triple
from registry.store.formats import parse_ntriples


def view_as_of(store: Store, iris: Iris, resources: Resources, when: dt.datetime) -> Store:
    view = store.scratch()
    load_reference_graphs(view, iris, resources)
    stamp = Literal(moment(when).astimezone(dt.UTC).isoformat(), datatype=XSD.dateTime)
    graphs: dict[str, list[Triple]] = {}
    rows = store.select(resources.query("history-as-of"), {"asOf": stamp})
    seen = {str(r["record"]) for r in rows}
    # records bulk-loaded before their first logged write: their state as loaded
    rows += [r for r in store.select(resources.query("history-before"), {"asOf": stamp}) if str(r["record"]) not in seen]
    for row in rows:
        kind = KINDS.get(str(row["kind"]))
        if kind is None:
            continue  # share checks are not part of the registry's state
        iri = URIRef(str(row["record"]))
        g = Graph()
        for t in parse_ntriples(str(row["snapshot"])):
            g.add(t)
        rid = iris.id_of(iri)
        pub, res = iris.graphs(kind.name, rid)
        # split the snapshot the way the write path does
        public_predicates = {(s, p) for s, p, _o in _public_shape(kind, g, iri, iris)}
        graphs[pub] = [t for t in g if (t[0], t[1]) in public_predicates]
        graphs[res] = [t for t in g if (t[0], t[1]) not in public_predicates]
    with_history = {str(r["record"]) for r in store.select(resources.query("history-records"))}
    for s, p, o, gname in store.quads():
        named = iris.parse(gname)
        if named is None or not named.graph or named.kind not in KINDS:
            continue  # reference and system graphs, and anything that is no record's graph
        if str(iris.record(named.kind, named.id)) in with_history:
            continue
        graphs.setdefault(str(gname), []).append((s, p, o))
    view.replace_graphs(graphs)
    return view


def _public_shape(kind: RecordKind, g: Graph, iri: URIRef, iris: Iris) -> Triples:
    data = kind.from_rdf(g, iri, iris)
    data = {k: v for k, v in data.items() if v is not None and k not in ("retired",)}
    rec = kind.model.model_validate(data)
    public = kind.to_rdf(rec, iris).public
    for t in g:  # the retirement mark is public
        if str(t[1]).endswith("#retired"):
            public.add(t)
    return public


def lineage_as_of(store: Store, iris: Iris, resources: Resources, when: dt.datetime) -> tuple[Store, LineageGraph]:
    view = view_as_of(store, iris, resources, when)
    return view, lineage_from_store(view, iris, resources)
