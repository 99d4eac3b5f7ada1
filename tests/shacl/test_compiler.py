"""The whole store's plan (compiler.plan, run): a sh:maxCount check of a predicate no node holds twice
(`single_valued`) is left out, and the results stay those of every check run on its own query, on
data where some of the predicates hold a second value (a literal, an IRI, the same triple in a second
graph, on record nodes and on nested ones) and the others do not."""

from __future__ import annotations

import logging
from typing import Any

from rdflib import Literal, URIRef

from registry.errors import Violation
from registry.services.registry import Registry
from registry.shacl import compiler
from test_shacl_sparql import fields


def key(v: Violation) -> tuple[Any, ...]:
    return (v.severity, v.focus_node, v.path, v.field, v.message, v.value, v.source_shape)


def report(reg: Registry, *, merge: bool) -> list[tuple[Any, ...]]:
    logging.disable(logging.WARNING)  # rdflib logs ill-typed literals
    try:
        return [key(v) for v in compiler.run(reg.store, reg.validator.compiled(), fields(), merge=merge)]
    finally:
        logging.disable(logging.NOTSET)


def capped(reg: Registry) -> dict[str, list[compiler.Check]]:
    out: dict[str, list[compiler.Check]] = {}
    for c in reg.validator.compiled():
        if c.part is not None and c.part.capped:
            out.setdefault(c.part.capped, []).append(c)
    return out


def planned(checks: list[compiler.Check], single: set[str]) -> set[int]:
    batches, alone = compiler.plan(checks, None, (), single)
    return {i for b in batches for branch in b.branches for i in branch} | set(alone)


def test_max_count_checks_of_single_valued_predicates_are_left_out(world_registry: Registry) -> None:
    reg = world_registry
    checks = reg.validator.compiled()
    by = capped(reg)
    single = compiler.single_valued(reg.store, checks)
    assert len(single) > 10 and single <= set(by)
    kept = planned(checks, single)
    for i, c in enumerate(checks):
        left_out = c.part is not None and c.part.capped in single
        assert (i not in kept) == left_out, c.query
    assert planned(checks, set()) == set(range(len(checks)))  # nothing is left out without the counts
    assert report(reg, merge=True) == report(reg, merge=False)


def test_second_values_are_found_as_each_check_alone_finds_them(world_registry: Registry) -> None:
    """Every other capped predicate gets a second value on one node of the store (a literal, an IRI, or the
    same triple again in another graph, in turn): those checks run and find it; the others are left out;
    the report is the one of each check run on its own, in the same order."""
    reg = world_registry
    checks = reg.validator.compiled()
    by = capped(reg)
    records = (f'FILTER (STRSTARTS(STR(?g), "{reg.iris.base}/graph/") && !CONTAINS(STR(?g), "/reference/") '
               f'&& !CONTAINS(STR(?g), "/system/"))')  # a record's graph: its nodes are focus nodes

    def first(p: str) -> list[dict[str, Any]]:
        return reg.store.select(f"SELECT ?s ?o ?g WHERE {{ GRAPH ?g {{ ?s {p} ?o }} {records} }} ORDER BY ?g ?s ?o "
                                f"LIMIT 1")

    used = sorted(p for p in by if first(p))
    assert len(used) > 10
    broken = used[::2]
    before = compiler.single_valued(reg.store, checks)
    added: dict[str, list[Any]] = {}
    for n, p in enumerate(broken):
        row = first(p)[0]
        s, o, g = row["s"], row["o"], str(row["g"])
        second = [Literal(f"second {n}"), URIRef(f"https://example.org/second/{n}"), o][n % 3]
        graph = g if n % 3 != 2 else f"{g}/copy"
        added.setdefault(graph, reg.store.graph(graph))
        added[graph].append((s, URIRef(p.strip("<>")), second))
    reg.store.replace_graphs(added)
    single = compiler.single_valued(reg.store, checks)
    assert not single & set(broken[i] for i in range(len(broken)) if i % 3 != 2)
    assert single >= before - set(broken) and len(single & set(used[1::2])) > 5
    found = report(reg, merge=True)
    assert found == report(reg, merge=False)
    messages = {k[4] for k in found if k[0] == "Violation"}
    for i, p in enumerate(broken):
        if i % 3 != 2:  # a distinct second value breaks every cap of 1 on that predicate somewhere
            assert any(c.message in messages for c in by[p]), p
