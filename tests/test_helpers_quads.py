"""tests/helpers.record_quads, which the bad-input tests compare before and after a refused write: every quad
outside the reference graphs, in rdflib terms (`Store.quads`)."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef

from helpers import fresh_world_registry, record_quads


def test_record_quads_are_every_quad_outside_the_reference_graphs() -> None:
    reg = fresh_world_registry()
    try:
        raw = reg.store.raw()  # type: ignore[attr-defined]
        ref = reg.iris.base + "/graph/reference/"
        s, p = ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p")
        raw.add(ox.Quad(s, p, ox.Literal("in a record's graph", language="en"), ox.NamedNode("urn:x-test:graph")))
        raw.add(ox.Quad(ox.BlankNode("b1"), p, s, ox.NamedNode("urn:x-test:graph")))
        raw.add(ox.Quad(s, p, ox.Literal("referenced"), ox.NamedNode(ref + "extra")))
        got = record_quads(reg)
        outside = [q for q in raw if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value.startswith(ref))]
        assert len(got) == len(outside) > 1000
        assert len(raw) - len(outside) > 1000, "the reference graphs are left out"
        assert (URIRef("https://example.org/s"), URIRef("https://example.org/p"), Literal("in a record's graph", lang="en"),
                URIRef("urn:x-test:graph")) in got
        assert (BNode("b1"), URIRef("https://example.org/p"), URIRef("https://example.org/s"),
                URIRef("urn:x-test:graph")) in got
        assert not any(q[2] == Literal("referenced") for q in got)
        assert all(not str(q[3]).startswith(ref) for q in got)
    finally:
        reg.close()
