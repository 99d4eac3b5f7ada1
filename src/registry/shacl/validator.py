"""SHACL validation: a record on the write path (with the graphs it references, not the whole store),
and a whole store (`registry validate`).

The shapes in `shapes/*.ttl` are compiled to SPARQL (compiler.py) where the compiler can; pySHACL, the
oracle the tests hold the compiled checks to (tests/shacl_oracle.py), validates the rest (residual.py)."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections import Counter
from collections.abc import Iterable

from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from registry.errors import Violation
from registry.resources import Resources
from registry.shacl import compiler as shacl_sparql
from registry.shacl.compiler import Batch, Check, Compiler, ValueTests, ordered
from registry.shacl.residual import Residual
from registry.store import open_store
from registry.store.base import Store, Triple, inline_rows
from registry.store.terms import nt

#: the graph of the scratch store that holds the reference data
REFERENCE = "urn:x-registry:validation:reference"
#: validations one scratch store serves (ShaclValidator._scratch_store): a new one is the reference data
#: copied in Oxigraph's own terms from `ShaclValidator._reference_store` (no rdflib terms made again)
RENEW = 50
#: where a check's query is cut to bind its focus nodes (ShaclValidator.bindable)
SLOT = URIRef("urn:x-registry:validation:focus")
#: the most plans ShaclValidator.bound_plan keeps (each choice of checks has one; beyond, it starts again)
PLANS = 256
#: SLOT as the one VALUES row that stands for the focus nodes' rows in a plan made once (bound_plan)
_SLOT_ROW = f"({nt(SLOT)})"


class ShaclValidator:
    """Validates record graphs against `shapes/*.ttl`, with the vocabularies and authorities beside them."""

    def __init__(self, resources: Resources) -> None:
        # a private copy: pySHACL adds a few triples to the shapes graph it is given
        self.shapes = Graph()
        for t in resources.shapes():
            self.shapes.add(t)
        self.reference = resources.reference_data()
        self._predicates = {f"<{p}>" for _s, p, _o in self.reference}
        self._reference_counts = Counter((s, p) for s, p, _o in self.reference)
        self._repeated_reference = {f"<{p}>" for (_s, p), n in self._reference_counts.items() if n >= 2}
        self._reference_triples = set(self.reference)
        self._compiled: list[Check] | None = None
        self._residual: Residual | None = None
        self._by_target: dict[str, list[Check]] | None = None
        self._bindable: dict[str, list[tuple[Check, tuple[str, str]]]] = {}
        # bound_plan's plans by the checks chosen (a few: a kind of record chooses the same checks each time)
        self._plans_lock = threading.Lock()
        self._plans: dict[tuple[tuple[str, int], ...],
                          tuple[list[Check], tuple[list[Batch], list[int]], list[str], list[str]]] = {}
        # the write path's scratch store: the reference data once, each validation's triples in a graph
        # of their own beside it for the time of the validation (so validations may run at once); a fresh
        # one after RENEW validations
        self._scratch_lock = threading.Lock()
        self._reference_store = open_store("memory")
        self._reference_store.add_to_graph(REFERENCE, self.reference)
        self._scratch, self._served = self._fresh_scratch(), 0
        self._serial = itertools.count()

    def compiled(self) -> list[Check]:
        """The shapes as SPARQL checks, as far as the compiler covers them."""
        if self._compiled is None:
            partition = Compiler(self.shapes).partition()
            if partition.rest is not None:
                self._residual = Residual(partition.rest, self.shapes, self.reference)
            self._compiled = partition.checks
        return self._compiled

    def residual(self) -> Residual | None:
        """pySHACL over the shapes the compiler does not cover; None when it covers them all."""
        self.compiled()
        return self._residual

    def validate_store(self, store: Store, fields: dict[URIRef, str], graphs: list[str] | None = None) -> list[Violation]:
        """Every record of a store: the compiled checks inside the store (the same results as pySHACL,
        without loading the store into memory), and pySHACL for the shapes they do not cover."""
        found = shacl_sparql.run(store, self.compiled(), fields, graphs)
        residual = self.residual()
        if residual is not None:
            found = _merged(found, residual.check_store(store, fields, graphs))
        return found

    def check(self, triples: Iterable[Triple], records: list[URIRef], fields: dict[URIRef, str]) -> list[Violation]:
        """Validate records (the write path): `triples` are the records' graphs and the graphs of the
        records they reference. The compiled checks (shacl_sparql.py, tested equal to pySHACL) run
        over those triples and the reference data in a small in-memory store, and only the checks
        whose target class is a type of the records' own nodes (the record and its nodes
        `{record}/...`, such as a dataset's steward) and that read no predicate the triples and the
        reference data lack (`Check.needs`), less the sh:maxCount checks of predicates no node repeats
        (`repeated`), the sh:minCount 1 checks every focus node meets in the triples (`Check.lacks`) and the
        checks of a triple each value of a focus node's predicate has (`Check.unmet`) or of tests each value
        passes (`Check.tests`), with the focus bound to those nodes, up to BOUND_BRANCHES of them to a query
        (`by_class`, its plan kept for each choice of checks: `bound_plan`). Results about the referenced
        records are not asked for: they are judged when they are written. Shapes outside the compiled
        subset are validated by pySHACL over the same triples, for the same nodes."""
        triples = list(triples)
        own = tuple(str(r) for r in records)
        nested = tuple(o + "/" for o in own)
        focus: dict[str, set[URIRef]] = {}
        for s, p, o in triples:
            if p == RDF.type and isinstance(s, URIRef) and (str(s) in own or str(s).startswith(nested)):
                focus.setdefault(str(o), set()).add(s)
        present = self._predicates | {f"<{p}>" for _s, p, _o in triples}
        repeated = self.repeated(triples)
        met = Met(triples, self._reference_triples, self._reference_counts)
        chosen: list[tuple[str, int]] = []
        for target, nodes in focus.items():
            for i, (c, _halves) in enumerate(self.bindable(target)):
                if c.needs and not present.issuperset(c.needs):
                    continue  # it reads a predicate the data does not use: it finds nothing
                if c.part is not None and c.part.capped and c.part.capped not in repeated:
                    continue  # a sh:maxCount of a predicate no node has two triples of finds nothing (as in `plan`)
                if c.lacks and met.having(c.lacks, nodes):
                    continue  # a sh:minCount 1 that each of its focus nodes meets in the data finds nothing
                if c.unmet and met(c.unmet, nodes):
                    continue  # each value of the predicate has the triple whose absence the check finds
                if c.tests is not None and met.passed(c.tests, nodes):
                    continue  # each value the check tests passes its tests
                chosen.append((target, i))
        rows = {target: " ".join(f"({nt(n)})" for n in sorted(nodes)) for target, nodes in focus.items()}
        checks, planned, queries = self.bound_plan(tuple(chosen), rows)
        graph = f"urn:x-registry:validation:{next(self._serial)}"
        scratch = self._scratch_store()
        scratch.add_to_graph(graph, triples)
        try:
            found = shacl_sparql.execute(scratch, checks, planned, fields, [REFERENCE, graph], queries, workers=1)
        finally:
            scratch.replace_graphs({graph: []})
        residual = self.residual()
        if residual is not None and residual.applies(URIRef(t) for t in focus):
            found = _merged(found, residual.check(triples, records, fields))
        return found

    def repeated(self, triples: list[Triple]) -> set[str]:
        """The predicates (`<iri>`) of which some node has two triples or more in `triples` and the reference
        data together (the data of a validation's queries). Triples are counted as given (one given twice
        counts twice), so it holds every predicate that has a node with two distinct values."""
        counts = Counter((s, p) for s, p, _o in triples)
        return self._repeated_reference | {f"<{p}>" for (s, p), n in counts.items()
                                           if n + self._reference_counts.get((s, p), 0) >= 2}

    def _fresh_scratch(self) -> Store:
        store = self._reference_store.scratch()
        self._reference_store.copy_graphs([REFERENCE], store)
        return store

    def _scratch_store(self) -> Store:
        """The scratch store for one more validation: Oxigraph's in-memory store keeps the quads a
        validation removes, and its queries read past them, so after RENEW validations a fresh one
        (the reference data again) takes over; validations still running keep the old one."""
        with self._scratch_lock:
            if self._served >= RENEW:
                self._scratch, self._served = self._fresh_scratch(), 0
            self._served += 1
            return self._scratch

    def bindable(self, target: str) -> list[tuple[Check, tuple[str, str]]]:
        """The compiled checks of the class `target`, each with its query cut where the rows binding ?this go
        (`inline_rows(query, ["this"], rows)` is the two halves with the rows between them), cut once."""
        if target not in self._bindable:
            halves = []
            for c in self.by_target().get(target, []):
                head, _slot, tail = inline_rows(c.query, ["this"], [[SLOT]], nt).partition(_SLOT_ROW)
                halves.append((c, (head, tail)))
            self._bindable[target] = halves
        return self._bindable[target]

    def bound_plan(self, chosen: tuple[tuple[str, int], ...], rows: dict[str, str]
                   ) -> tuple[list[Check], tuple[list[Batch], list[int]], list[str]]:
        """The checks `chosen` ((class, index in `bindable(class)`)), the write path's plan of them
        (`by_class`) and their queries, with ?this bound to `rows[class]` (VALUES rows). The plan is made
        once for each choice of checks with the slot row (SLOT) in place of the rows, which then go in
        its place: the queries `by_class` makes of the bound queries themselves."""
        with self._plans_lock:
            made = self._plans.get(chosen)
        if made is None:
            checks, templates, targets = [], [], []
            for target, i in chosen:
                c, (head, tail) = self.bindable(target)[i]
                checks.append(c)
                templates.append(f"{head}{_SLOT_ROW}{tail}")
                targets.append(target)
            made = checks, shacl_sparql.by_class(checks, templates), templates, targets
            with self._plans_lock:
                if len(self._plans) >= PLANS:
                    self._plans.clear()
                self._plans[chosen] = made
        checks, (batches, alone), templates, targets = made
        bound = [dataclasses.replace(b, query=b.query.replace(_SLOT_ROW, rows[targets[b.branches[0][0]]]),
                                     joined=b.joined.replace(_SLOT_ROW, rows[targets[b.branches[0][0]]]))
                 for b in batches]
        queries = [q.replace(_SLOT_ROW, rows[t]) for q, t in zip(templates, targets, strict=True)]
        return checks, (bound, alone), queries

    def by_target(self) -> dict[str, list[Check]]:
        """The compiled checks by the class their shape targets."""
        if self._by_target is None:
            by: dict[str, list[Check]] = {}
            for c in self.compiled():
                by.setdefault(c.part.target.strip("<>") if c.part else "", []).append(c)
            self._by_target = by
        return self._by_target


def _merged(compiled: list[Violation], residual: list[Violation]) -> list[Violation]:
    """Both lists of results, each result once, in the compiled checks' order."""
    return ordered({(v.severity, v.focus_node, v.path, v.message, v.value): v for v in [*residual, *compiled]}.values())


class Met:
    """What the validation's data (`triples` and the reference data) tell of the focus nodes, from one index
    of `triples` by (node, predicate) built when first asked: whether each node has a triple of a predicate
    (`having`, `Check.lacks`), whether each value of a predicate p of the nodes has the triple `?value q o`
    (`Check.unmet`) and whether each value passes a check's tests (`passed`, `Check.tests`): then the check
    finds nothing. A node of which the reference data hold a triple of p is not judged by the last two (the
    check runs)."""

    def __init__(self, triples: list[Triple], reference: set[Triple], reference_counts: Counter[tuple[Node, Node]]
                 ) -> None:
        self._triples = triples
        self._reference, self._reference_counts = reference, reference_counts
        self._values: dict[tuple[Node, Node], list[Node]] | None = None
        self._data: set[Triple] | None = None

    def _index(self) -> tuple[dict[tuple[Node, Node], list[Node]], set[Triple]]:
        if self._values is None or self._data is None:
            self._values, self._data = {}, set(self._triples)
            for s, p, o in self._triples:
                self._values.setdefault((s, p), []).append(o)
        return self._values, self._data

    def having(self, predicate: str, nodes: Iterable[URIRef]) -> bool:
        """Whether each node has a triple of `predicate` (`<iri>`, `Check.lacks`) in `triples` (a sh:minCount 1
        of it then finds nothing)."""
        values, _data = self._index()
        p = URIRef(predicate[1:-1])
        return all((n, p) in values for n in nodes)

    def passed(self, tests: ValueTests, nodes: Iterable[URIRef]) -> bool:
        """Whether each value the check of `tests` reads from the nodes passes them (it then finds nothing)."""
        values, _data = self._index()
        path, hop = URIRef(tests.path[1:-1]), URIRef(tests.hop[1:-1]) if tests.hop else None
        starts: Iterable[Node] = nodes
        if hop is not None:
            if any((n, hop) in self._reference_counts for n in nodes):
                return False
            starts = [v for n in nodes for v in values.get((n, hop), ())]
        for n in starts:
            if (n, path) in self._reference_counts:
                return False
            if any(tests.fails(v) is not False for v in values.get((n, path), ())):
                return False
        return True

    def __call__(self, unmet: tuple[str, ...], nodes: Iterable[URIRef]) -> bool:
        values, data = self._index()
        p, q, o = (URIRef(x[1:-1]) for x in unmet)
        for n in nodes:
            if (n, p) in self._reference_counts:
                return False
            for v in values.get((n, p), ()):
                if (v, q, o) not in data and (v, q, o) not in self._reference:
                    return False
        return True
