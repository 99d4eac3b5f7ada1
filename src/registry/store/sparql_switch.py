"""Writes a reader of a remote SPARQL store sees whole or not at all, on servers that commit each operation
of an update request on its own (Virtuoso) as on those that commit the request (Fuseki).

The new triples are first written under fresh graph names (staging graphs), with each predicate `p` stored
as `urn:x-registry:staged:p`, so that no query of the registry matches them; then one DELETE/INSERT
operation, the switch, drops the old graphs, moves the staged triples into place with their predicates
back and empties the staging graphs. Only the switch changes what readers see, and one operation is one
transaction on every server. The staging and the switch go as two requests (Virtuoso 7.2, replaying its
transaction log after a crash, brought back staged triples that a switch in the same request had deleted),
or as one where the server runs a request in one transaction (Fuseki: one commit instead of two).
A write cut short before its switch leaves staging graphs that nobody reads; a marker in the graph
`urn:x-registry:staging` names each write while it is under way, so the next writer can remove what a
crashed one left (`sweep_query`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

#: the graph of markers of writes under way; staging graphs are named under it, {STAGING}:{write}:{n}
STAGING = "urn:x-registry:staging"
#: the prefix a staged triple's predicate carries
STAGED = "urn:x-registry:staged:"
STARTED = STAGING + "#started"

#: a triple as three N-Triples terms
NtTriple = tuple[str, str, str]


def is_staging(graph: str) -> bool:
    """Whether a graph is the markers' graph or a staging graph (never the registry's)."""
    return graph.startswith(STAGING)


def insert_ops(graphs: Iterable[tuple[str, list[str]]], batch: int) -> list[str]:
    """INSERT DATA operations of at most `batch` triples each (Virtuoso's parser gives up at a few thousand
    triples in one operation). `graphs`: (graph as N-Triples, lines of N-Triples)."""
    ops: list[str] = []
    blocks: list[str] = []
    size = 0
    for gname, lines in graphs:
        for start in range(0, len(lines), batch):
            chunk = lines[start:start + batch]
            if size and size + len(chunk) > batch:
                ops.append("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
                blocks, size = [], 0
            blocks.append(f"GRAPH {gname} {{\n" + "\n".join(chunk) + "\n}")
            size += len(chunk)
    if blocks:
        ops.append("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
    return ops


def staged_write(write: str, graphs: Mapping[str, list[NtTriple]], *, replace: bool, started: str,
                 batch: int) -> list[str]:
    """The operations of one write: the marker, the staged triples, then the switch (the last, sent on its own).
    `write` names the write
    (fresh for each: letters, digits and dashes); `graphs` maps each graph (as N-Triples) to its new triples;
    with `replace`, the graphs' old triples go (a graph given none is dropped), otherwise the new ones are
    added. `started` is an xsd:dateTime literal as N-Triples (read by the sweep)."""
    marker = f"<{STAGING}:{write}>"
    stage = {g: f"<{STAGING}:{write}:{n}>" for n, g in enumerate(graphs) if graphs[g]}
    ops = [f"INSERT DATA {{ GRAPH <{STAGING}> {{ {marker} <{STARTED}> {started} . }} }}"]
    ops += insert_ops(((stage[g], [f"{s} <{STAGED}{p[1:]} {o} ." for s, p, o in lines])
                       for g, lines in graphs.items() if lines), batch)
    branches = [f"{{ GRAPH <{STAGING}> {{ {marker} ?mp ?mo }} }}"]
    if replace:
        branches.append(f"{{ VALUES ?old {{ {' '.join(graphs)} }} GRAPH ?old {{ ?s ?p ?o }} }}")
    if stage:
        pairs = " ".join(f"({st} {g})" for g, st in stage.items())
        branches.append(f"{{ VALUES (?st ?target) {{ {pairs} }} GRAPH ?st {{ ?s ?sp ?o }} "
                        f"BIND(IRI(STRAFTER(STR(?sp), \"{STAGED}\")) AS ?tp) }}")
    ops.append(f"DELETE {{ GRAPH <{STAGING}> {{ {marker} ?mp ?mo }} GRAPH ?old {{ ?s ?p ?o }} GRAPH ?st {{ ?s ?sp ?o }} }}\n"
               f"INSERT {{ GRAPH ?target {{ ?s ?tp ?o }} }}\n"
               f"WHERE {{ {' UNION '.join(branches)} }}")
    return ops


def sweep_query() -> str:
    """The markers of writes under way (or cut short): ?marker ?started."""
    return f"SELECT ?marker ?started WHERE {{ GRAPH <{STAGING}> {{ ?marker <{STARTED}> ?started }} }}"


def staging_graphs_query(prefix: str) -> str:
    """The staging graphs of one write, by `prefix`, its marker's IRI and a colon as an N-Triples string (a
    scan of graph names: only after a crash)."""
    return f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), {prefix})) }}"


def sweep_ops(marker: str, staging: Iterable[str]) -> list[str]:
    """Drop a cut-short write's staging graphs, then its marker (all as N-Triples IRIs)."""
    return [*(f"DROP SILENT GRAPH {g}" for g in staging),
            f"DELETE WHERE {{ GRAPH <{STAGING}> {{ {marker} ?p ?o }} }}"]
