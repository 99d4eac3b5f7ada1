"""The write path's one index of a validation's triples (`validator.Met`): whether each focus node has a triple
of a predicate (`Met.having`, which leaves out a sh:minCount 1 check, `Check.lacks`) reads the same index as
the checks of each value (`Met.__call__`, `Met.passed`), and counts the validation's triples only: a triple of
the reference data does not meet a record's sh:minCount."""

from __future__ import annotations

import itertools
from collections import Counter

from rdflib import BNode, Literal, URIRef

from registry.shacl.validator import Met
from registry.store.base import Triple

EX = "https://example.org/"
A, B, C = URIRef(EX + "a"), URIRef(EX + "b"), BNode("c")
P, Q = URIRef(EX + "p"), URIRef(EX + "q")


def test_having_is_whether_each_node_has_a_triple_of_the_predicate_in_the_triples() -> None:
    triples: list[Triple] = [(A, P, Literal("x")), (A, P, Literal("y")), (B, Q, A), (C, P, Literal(""))]
    reference: list[Triple] = [(B, P, Literal("in the reference data"))]
    met = Met(triples, set(reference), Counter((s, p) for s, p, _o in reference))
    having = {(s, f"<{p}>") for s, p, _o in triples}
    checked = 0
    for size in range(4):
        for nodes in itertools.combinations([A, B, C], size):
            for p in (P, Q):
                assert met.having(f"<{p}>", nodes) == all((n, f"<{p}>") in having for n in nodes), (nodes, p)
                checked += 1
    assert checked == 16
    assert not met.having(f"<{P}>", [B]), "a triple of the reference data does not meet a record's sh:minCount"
    assert met.having(f"<{P}>", [A, C]) and met.having(f"<{Q}>", [B]) and not met.having(f"<{Q}>", [A, B])
