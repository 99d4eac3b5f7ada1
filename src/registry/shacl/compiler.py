"""Our SHACL shapes compiled to SPARQL queries, for validating a whole store inside the store: each
constraint becomes a SELECT of focus nodes and offending values, and `plan` merges the checks of each class
into a few UNION queries that start from the constraint or from the focus nodes, whichever the class's
size favours. `partition` hands what it cannot compile to pySHACL (residual.py); the suite holds every
form of every check to pySHACL's results."""

from __future__ import annotations

import ctypes
import functools
import itertools
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.term import Node

from registry.errors import Violation
from registry.store.base import inline_rows
from registry.store.terms import nt

#: lexical forms of the datatypes our shapes use, as (regex, must match) tests in SPARQL's regex
#: dialect (no look-around, no backslashes, so they survive SPARQL string escaping)
LEXICAL: dict[URIRef, list[tuple[str, bool]]] = {
    XSD.date: [("^-?[0-9]{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(Z|[+-][0-9]{2}:[0-9]{2})?$", True)],
    XSD.duration: [("^-?P([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+([.][0-9]+)?S)?)?$", True),
                   ("[0-9]", True), ("T$", False)],
    XSD.boolean: [("^(true|false|1|0)$", True)],
    XSD.integer: [("^[+-]?[0-9]+$", True)],
    XSD.hexBinary: [("^([0-9a-fA-F][0-9a-fA-F])*$", True)],
}

PROPERTY_KEYS = {SH.path, SH.minCount, SH.maxCount, SH.minLength, SH.datatype, SH["class"], SH.node, SH.pattern,
                 SH.nodeKind, SH.lessThanOrEquals, SH.hasValue, SH.message, SH.severity, SH.name, SH.description,
                 RDF.type}
NODE_KEYS = {SH.targetClass, SH.property, SH.sparql, SH.severity, SH.message, RDF.type, SH.declare}
#: the targets SHACL Core defines besides sh:targetClass: a shape using one is left to pySHACL whole
OTHER_TARGETS = (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)

#: threads that run the merged queries, and the most branches in one (more, smaller queries share
#: the threads more evenly; each query reads the focus nodes of its class once). Oxigraph's hash tables
#: (MINUS, GROUP BY, joins) keep a slot for every variable of the whole query, so a query of many branches
#: holds more at once: at 300k datasets 12 branches peaked at 608-613 MB, 4 at 562, 2 at 522-533, for the
#: same CPU within the noise and the same report
WORKERS = 2
BRANCHES = 2
#: the most branches in one of the write path's queries (`by_class`): Oxigraph answers a UNION of up to
#: about ten checks' queries faster than the queries one by one, and a larger one more slowly
BOUND_BRANCHES = 8
#: a check starts from its constraint when its class has at least 1/RATIO of the uses of the paths it
#: scans (a scanned triple costs about a quarter of a looked-up focus node)
RATIO = 4
#: focus nodes asked about at once whether they are instances of a class
MEMBERS = 1000
#: triples of a predicate read to tell whether its values repeat
SAMPLE = 10000


#: `S P+ O` in a constraint's own SELECT, P an IRI or a prefixed name, the triple ending at `.` or `}`
_ONE_OR_MORE = re.compile(r"(\?\w+|<[^>\s]*>|[A-Za-z][\w-]*:[\w-]*)\s+(<[^>\s]*>|[A-Za-z][\w-]*:[\w-]+)\+\s+"
                          r"(\?\w+|<[^>\s]*>|[A-Za-z][\w-]*:[\w-]*)(?=\s*[.}])")


def portable_paths(select: str) -> str:
    """`S P+ O` written as one step then `*` (`S P ?_stepN . ?_stepN P* O`), which means the same on every
    engine: Virtuoso 7.2's compiler fails on `P+` from a variable back to itself (`$this P+ $this`, the
    organisation cycle check), with "unknown table for a column"."""
    steps = itertools.count()

    def step(m: re.Match[str]) -> str:
        v = f"?_step{next(steps)}"
        return f"{m[1]} {m[2]} {v} . {v} {m[2]}* {m[3]}"

    return _ONE_OR_MORE.sub(step, select)


class Unsupported(ValueError):
    """The shapes use a SHACL feature this compiler does not translate."""


@dataclass(frozen=True)
class Partition:
    """The shapes split in two: `checks`, the compiled constraints; `rest`, a shapes graph holding every
    shape definition but targeting only what was not compiled (for pySHACL), or None when nothing was
    left over."""

    checks: list[Check]
    rest: Graph | None


@dataclass(frozen=True)
class Part:
    """A check in the forms `plan` merges, both group graph patterns whose solutions are the rows of
    the query `of` as far as the check reads them (its focus, value and path variables). `alone`
    holds the focus pattern, `?this a {target}`: the query itself, as a sub-select. `fast`, if any,
    starts from the constraint and scans the whole of the predicates `scans`; `joined`: it lacks
    the focus pattern, and the merged query joins it with `?this a {target}`."""

    of: str
    prologue: str
    target: str
    alone: str
    fast: str | None = None
    joined: bool = True
    scans: tuple[str, ...] = ()
    #: a test of each value of the predicate `tested` (`fast` filters each triple): the same test of each
    #: distinct value once, then the triples of the values that fail it (for predicates whose values repeat)
    grouped: str | None = None
    tested: str = ""
    #: a sh:maxCount of one or more on the predicate `capped`: over data where no node has two triples of it,
    #: the check finds nothing (`plan` leaves it out)
    capped: str = ""
    #: `fast` joins its triple patterns by hashing (`hash_joined`): `plan` runs it in a query of its own, as
    #: Oxigraph's hash tables hold each solution with a slot for every variable of the query (in a merged
    #: query of a dozen branches, 107 MB against 21 MB alone for 62,000 datasets)
    hashed: bool = False


@dataclass(frozen=True)
class ValueTests:
    """A check of each value of the predicate `path` of the focus node (?this), or of the nodes ?this reaches
    by `hop`: its rows are the values failing one of the tests of sh:minLength (`min_length`), sh:datatype
    (`datatype`, an IRI, with the lexical forms of LEXICAL) and sh:nodeKind (`node_kind`, isIRI, isLiteral or
    isBlank). `fails` applies them as the check's FILTER does, or says it cannot tell (None)."""

    path: str
    hop: str = ""
    min_length: int | None = None
    datatype: str = ""
    node_kind: str = ""

    def fails(self, value: Node) -> bool | None:
        if self.min_length is not None and (isinstance(value, BNode) or len(str(value)) < self.min_length):
            return True
        if self.datatype:
            if not isinstance(value, Literal):
                return True
            dt = str(value.datatype) if value.datatype is not None else str(RDF.langString if value.language
                                                                            else XSD.string)
            if dt != self.datatype:
                return True
            form = str(value)
            if not form.isascii() or "\n" in form:  # where Python's regular expressions could differ from the store's
                return None
            if any((re.search(rx, form) is None) == must for rx, must in LEXICAL.get(URIRef(self.datatype), [])):
                return True
        kind = {"isIRI": URIRef, "isLiteral": Literal, "isBlank": BNode}.get(self.node_kind)
        return kind is not None and not isinstance(value, kind)


@dataclass(frozen=True)
class Check:
    """One compiled constraint: a SELECT whose `focus` variable is the node in breach (and whose
    `value` variable, if any, the offending value)."""

    query: str
    message: str
    severity: str
    shape: str | None
    path: str | None
    focus: str = "this"
    value: str | None = "value"
    #: SHACL-SPARQL: a result with no ?value has the focus node as its value
    value_defaults_to_focus: bool = False
    #: the check for a merged query; used only while `query` is still the text it was made for (a
    #: check whose query was rewritten since, e.g. bound to some focus nodes, runs on its own)
    part: Part | None = None
    #: predicates (`<iri>`) of which every row of the query matches a triple: over data holding none of
    #: one of them, the check finds nothing (the write path skips it); None: not known (SHACL-SPARQL)
    needs: tuple[str, ...] | None = None
    #: a predicate (`<iri>`) that each row's focus node (?this) has no triple of (a sh:minCount 1 of the
    #: shape's own nodes): over data where every focus node has one, the check finds nothing (the write path
    #: leaves it out); "": not known
    lacks: str = ""
    #: (p, q, o), IRIs (`<iri>`): each row has a value ?v of a predicate p of the focus node (?this) with no
    #: triple `?v q o` (a sh:class of p's values, or a sh:hasValue of a shape they conform to): over data where
    #: each value of p on every focus node has that triple, the check finds nothing (the write path leaves
    #: it out); (): not known
    unmet: tuple[str, ...] = ()
    #: the tests this check applies to each value, as the write path can apply them to the data in hand
    #: (`ValueTests`); None: not known
    tests: ValueTests | None = None

    @property
    def mergeable(self) -> bool:
        return self.part is not None and self.part.of == self.query


@dataclass(frozen=True)
class _Focus:
    """The focus nodes of a property shape: instances of `cls`, then along `hops` (subject
    variable, predicate, object variable) for a shape reached through sh:node."""

    cls: str
    hops: tuple[tuple[str, str, str], ...] = ()

    @property
    def pattern(self) -> str:
        return " ".join([f"?this a {self.cls} .", *(f"{s} {p} {o} ." for s, p, o in self.hops)])

    def then(self, s: str, p: str, o: str) -> _Focus:
        return _Focus(self.cls, (*self.hops, (s, p, o)))


RDF_TYPE = f"<{RDF.type}>"


def _iri(t: Node) -> str:
    if not isinstance(t, URIRef):
        raise Unsupported(f"expected an IRI, found {t!r}")
    return f"<{t}>"


def _lit(t: Node) -> str:
    if isinstance(t, Literal):
        return str(Literal(str(t)).n3()) if t.datatype in (None, XSD.string) else t.n3()
    return _iri(t)


def _severity(shapes: Graph, shape: Node, default: str = "Violation") -> str:
    s = shapes.value(shape, SH.severity)
    return str(s).rsplit("#", 1)[-1] if s is not None else default


def shape_name(shapes: Graph, shape: Node | None) -> str | None:
    """The IRI of a shape, or of the named shape that holds an anonymous one (as results name it)."""
    seen = 0
    while shape is not None and not isinstance(shape, URIRef) and seen < 5:
        shape = shapes.value(None, SH.property, shape) or shapes.value(None, SH.sparql, shape)
        seen += 1
    return str(shape) if isinstance(shape, URIRef) else None


def implicit_targets(shapes: Graph) -> set[Node]:
    """Shapes that are classes too, so target their own instances (SHACL's implicit class targets)."""
    return {s for c in (RDFS.Class, OWL.Class) for s in shapes.subjects(RDF.type, c)
            if {SH.NodeShape, SH.PropertyShape} & set(shapes.objects(s, RDF.type))}


def _reachable(shapes: Graph, roots: set[Node]) -> Graph:
    """The triples of `shapes` about `roots` and about every node they lead to (nested shapes, lists,
    prefix declarations): what validating with the shapes `roots` reads, and no other shape."""
    out = Graph()
    todo, seen = list(roots), set(roots)
    while todo:
        for t in shapes.triples((todo.pop(), None, None)):
            out.add(t)
            if not isinstance(t[2], Literal) and t[2] not in seen:
                seen.add(t[2])
                todo.append(t[2])
    return out


class Compiler:
    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        self.prefixes = "\n".join(
            f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>"
            for d in shapes.objects(None, SH.declare)
        )

    def compile(self) -> list[Check]:
        """Every constraint as a check; a shape using a feature outside the supported set is refused."""
        return self._split(strict=True).checks

    def partition(self) -> Partition:
        """The constraints compiled where they can be, and a shapes graph of the others for pySHACL: a
        node shape with an unsupported key or target whole, else each unsupported property shape."""
        return self._split(strict=False)

    def _split(self, strict: bool) -> Partition:
        checks: list[Check] = []
        rest = Graph()
        for t in self.shapes:
            rest.add(t)
        left = False
        others = {s for p in OTHER_TARGETS for s in self.shapes.subjects(p, None)}
        implicit = implicit_targets(self.shapes)
        for shape in sorted(others | implicit, key=str):
            if strict:
                raise Unsupported(f"shape {shape} has a target other than sh:targetClass")
            left = True  # stays in `rest` as it is
        for shape in sorted(set(self.shapes.subjects(SH.targetClass, None)) - others - implicit, key=str):
            extra = set(self.shapes.predicates(shape)) - NODE_KEYS
            if extra:
                if strict:
                    raise Unsupported(f"shape {shape} uses {sorted(map(str, extra))}")
                left = True
                continue
            kept: set[Node] = set()
            for cls in self.shapes.objects(shape, SH.targetClass):
                severity = _severity(self.shapes, shape)
                checks += self._node(shape, _Focus(_iri(cls)), severity, None if strict else kept)
            for p in (SH.property, SH.sparql):
                for part in self.shapes.objects(shape, p):
                    if part not in kept:
                        rest.remove((shape, p, part))
            if kept:
                left = True
            else:
                rest.remove((shape, SH.targetClass, None))
        return Partition(checks, _reachable(rest, others | implicit | set(rest.subjects(SH.targetClass, None)))
                         if left else None)

    def _node(self, shape: Node, focus: _Focus, severity: str, kept: set[Node] | None) -> list[Check]:
        """The checks of a node shape's constraints; one that cannot be compiled is added to `kept`
        (or, if `kept` is None, refused)."""
        out: list[Check] = []
        for prop in self.shapes.objects(shape, SH.property):
            try:
                out += self._property(prop, focus, "this", severity, 0)
            except Unsupported:
                if kept is None:
                    raise
                kept.add(prop)
        for sparql in self.shapes.objects(shape, SH.sparql):
            select = str(self.shapes.value(sparql, SH.select))
            message = str(self.shapes.value(sparql, SH.message) or "breaks a rule")
            body = portable_paths(select.replace("$this", "?this"))
            # the focus pattern goes in front of the constraint's own WHERE group
            i = body.upper().index("WHERE")
            j = body.index("{", i)
            focused = f"{body[: j + 1]} {focus.pattern} {body[j + 1 :]}"
            query = f"{self.prefixes}\n{focused}"
            scans = _joinable(self.prefixes, body)
            written = _as_minus(self.prefixes, body)
            fast = hash_joined(written)
            part = Part(query, self.prefixes, focus.cls, f"{{\n{focused}\n}}",
                        f"{{\n{fast}\n}}" if scans is not None else None, True, scans or (), hashed=fast != written)
            out.append(Check(query, message, _severity(self.shapes, shape, severity), shape_name(self.shapes, sparql),
                             None, value_defaults_to_focus=True, part=part))
        return out

    def _property(self, prop: Node, focus: _Focus, var: str, severity: str, depth: int) -> list[Check]:
        """The checks of one property shape whose focus nodes are ?{var}, reached by `focus`."""
        if depth > 3:
            raise Unsupported("sh:node nested more than three deep")
        keys = set(self.shapes.predicates(prop))
        extra = keys - PROPERTY_KEYS
        if extra:
            raise Unsupported(f"property shape {prop} uses {sorted(map(str, extra))}")
        path = self.shapes.value(prop, SH.path)
        if not isinstance(path, URIRef):
            raise Unsupported(f"property shape {prop} has a complex path")
        p, f = _iri(path), f"?{var}"
        val, oth, anyv = f"?v{depth}", f"?o{depth}", f"?a{depth}"
        message = str(self.shapes.value(prop, SH.message) or f"breaks a rule on {path}")
        sev = _severity(self.shapes, prop, severity)
        shape = shape_name(self.shapes, prop)
        group = " ".join(sorted({"?this", *(o for _, _, o in focus.hops), f}))
        last = focus.hops[-1] if focus.hops else None
        v = self.shapes.value

        def num(node: Node) -> int:
            return int(str(node))
        out: list[Check] = []

        def check(query: str, fast: str, joined: bool, with_value: bool, *scans: str, grouped: str | None = None,
                  reads_value: bool = False, capped: bool = False, lacks: str = "",
                  unmet: tuple[str, ...] = (), tested: ValueTests | None = None) -> None:
            """`reads_value`: the query's rows match a triple of the path (not only its absence); `capped`: a
            sh:maxCount of one or more (Part.capped); `lacks`, `unmet`: Check.lacks, Check.unmet."""
            alone = "{\n" + query[len(self.prefixes) + 1 :] + "\n}"
            part = Part(query, self.prefixes, focus.cls, alone, fast, joined, scans, grouped, p if grouped else "",
                        p if capped else "")
            needs = tuple(sorted({q for _, q, _ in focus.hops} | ({p} if reads_value else set())))
            out.append(Check(query, message, sev, shape, str(path), var, val[1:] if with_value else None, part=part,
                             needs=needs, lacks=lacks, unmet=unmet, tests=tested))

        def along(core: str, with_value: bool, hops: tuple[tuple[str, str, str], ...]) -> str:
            """`core`, a sub-select, joined back along `hops` to ?this; the core comes first, so the
            store starts from its (few) rows and looks the hops up from them."""
            if not hops:
                return core
            select = f"{group} {val}" if with_value else group
            back = " ".join(f"{s} {q} {o} ." for s, q, o in reversed(hops))
            return f"{{ SELECT {select} WHERE {{ {core} {back} }} }}"

        def values(where: str, test: str, *scans: str, grouping: bool = True, unmet: tuple[str, ...] = (),
                   tested: ValueTests | None = None) -> None:
            """A test of each value: `where` binds {val} and filters; `test` is the same FILTER reading the
            value once (each read of a variable decodes the term in Oxigraph). Its grouped form tests each
            distinct value once (GROUP BY keeps Oxigraph from pushing the filter down into the scan)."""
            query = f"{self.prefixes}\nSELECT DISTINCT {group} {val} WHERE {{ {focus.pattern} {where} }}"
            fast = f"{f} {p} {val} . {test}"
            grouped = f"{{ SELECT {val} WHERE {{ ?_g{depth} {p} {val} }} GROUP BY {val} }} {test} {f} {p} {val} ."
            check(query, along(f"{{ SELECT {f} {val} WHERE {{ {fast} }} }}", True, focus.hops), True, True, p, *scans,
                  grouped=along(f"{{ SELECT {f} {val} WHERE {{ {grouped} }} }}", True, focus.hops) if grouping else None,
                  reads_value=True, unmet=unmet, tested=tested)

        def lacking(query: str, pattern: str, *scans: str, lacks: str = "", unmet: tuple[str, ...] = ()) -> None:
            """The focus nodes without a match for `pattern` (over {f}, reading `scans`): every instance
            of the class less the matches or, for a nested shape, the objects of the last hop less them.
            `lacks`: the predicate of `pattern` when it is `?this <p> ?any` (Check.lacks); `unmet`: Check.unmet."""
            if last is None:
                check(query, f"{{ SELECT ?this WHERE {{ ?this a {focus.cls} . MINUS {{ {pattern} }} }} }}", False,
                      False, *scans, lacks=lacks if f == "?this" else "")
            else:
                s, q, o = last
                core = f"{{ SELECT {s} {o} WHERE {{ {s} {q} {o} . MINUS {{ {pattern} }} }} }}"
                check(query, along(core, False, focus.hops[:-1]), True, False, q, *scans, unmet=unmet)

        def counted(having: str, optional: bool) -> str:
            pattern = f"OPTIONAL {{ {f} {p} {val} }}" if optional else f"{f} {p} {val} ."
            return (f"{self.prefixes}\nSELECT {group} WHERE {{ {focus.pattern} {pattern} }} GROUP BY {group} "
                    f"HAVING ({having})")

        def per_node(having: str) -> str:
            return f"SELECT {f} WHERE {{ {f} {p} {val} }} GROUP BY {f} HAVING ({having})"

        if (n := v(prop, SH.minCount)) is not None:
            if num(n) == 1:
                lacking(f"{self.prefixes}\nSELECT DISTINCT {group} WHERE {{ {focus.pattern} "
                        f"FILTER NOT EXISTS {{ {f} {p} {anyv} }} }}", f"{f} {p} {anyv}", p, lacks=p)
            else:
                lacking(counted(f"COUNT(DISTINCT {val}) < {num(n)}", optional=True),
                        per_node(f"COUNT(DISTINCT {val}) >= {num(n)}"), p)
        if (n := v(prop, SH.maxCount)) is not None:
            # the nodes with more than n triples first (a count, no set of values kept per node), then their
            # distinct values: the same nodes, in about half the time and memory of counting values for all
            more = f"{{ SELECT {f} WHERE {{ {f} {p} {anyv} }} GROUP BY {f} HAVING (COUNT(*) > {num(n)}) }}"
            core = (f"{{ SELECT {f} WHERE {{ {more} {f} {p} {val} }} GROUP BY {f} "
                    f"HAVING (COUNT(DISTINCT {val}) > {num(n)}) }}")
            check(counted(f"COUNT(DISTINCT {val}) > {num(n)}", optional=False), along(core, False, focus.hops), True,
                  False, p, reads_value=True, capped=num(n) >= 1)
        # the tests of each value, one filter for all (a value failing any of them is the same result: the
        # same focus node, path, message and value), so the store reads the values once: (test, fast test)
        tests: list[tuple[str, str]] = []
        if not focus.hops:
            tested: ValueTests | None = ValueTests(p)
        elif len(focus.hops) == 1 and last is not None and last[0] == "?this" and last[2] == f:
            tested = ValueTests(p, last[1])
        else:
            tested = None
        if (n := v(prop, SH.minLength)) is not None and tested is not None:
            tested = replace(tested, min_length=num(n))
        if (n := v(prop, SH.minLength)) is not None:
            tests.append((f"isBlank({val}) || STRLEN(STR({val})) < {num(n)}",
                          f"COALESCE(STRLEN(STR({val})) < {num(n)}, isBlank({val}))"))
        if (dt := v(prop, SH.datatype)) is not None:
            tested = replace(tested, datatype=str(dt)) if tested is not None else None
            lexical = LEXICAL.get(dt, []) if isinstance(dt, URIRef) else []
            bad_form = "".join(f' || {"!" if must else ""}REGEX(STR({val}), "{rx}")' for rx, must in lexical)
            tests.append((f"!isLiteral({val}) || DATATYPE({val}) != {_iri(dt)}{bad_form}",
                          f"COALESCE(DATATYPE({val}) != {_iri(dt)}{bad_form}, !isLiteral({val}))"))
        if (pattern := v(prop, SH.pattern)) is not None:
            tested = None  # a pattern of the shapes: Python's regular expressions are not the store's
            rx = Literal(str(pattern)).n3()
            tests.append((f"isBlank({val}) || !REGEX(STR({val}), {rx})", f"COALESCE(!REGEX(STR({val}), {rx}), isBlank({val}))"))
        if (kind := v(prop, SH.nodeKind)) is not None:
            test = {SH.IRI: "isIRI", SH.Literal: "isLiteral", SH.BlankNode: "isBlank"}.get(URIRef(str(kind)))
            if test is None:
                raise Unsupported(f"sh:nodeKind {kind}")
            tests.append((f"!{test}({val})", f"!{test}({val})"))
            tested = replace(tested, node_kind=test) if tested is not None else None
        if tests:
            values(f"{f} {p} {val} . FILTER ({' || '.join(f'({t})' for t, _ in tests)})",
                   f"FILTER ({' || '.join(f'({t})' for _, t in tests)})", tested=tested)
        if (cls := v(prop, SH["class"])) is not None:
            values(f"{f} {p} {val} . FILTER NOT EXISTS {{ {val} a {_iri(cls)} }}",
                   f"MINUS {{ {val} a {_iri(cls)} }}", unmet=(p, RDF_TYPE, _iri(cls)) if f == "?this" else ())
        if (other := v(prop, SH.lessThanOrEquals)) is not None:
            values(f"{f} {p} {val} ; {_iri(other)} {oth} . FILTER (!({val} <= {oth}))",
                   f"{f} {_iri(other)} {oth} . FILTER (!({val} <= {oth}))", _iri(other), grouping=False)
        if (value := v(prop, SH.hasValue)) is not None:
            # the pairs (p, value) are a vocabulary's, not in proportion to the records that use p
            # a value of the record's own predicate that must have this value of p (a vocabulary's concept)
            outer = last if last is not None and len(focus.hops) == 1 and last[0] == "?this" and last[2] == f else None
            lacking(f"{self.prefixes}\nSELECT DISTINCT {group} WHERE {{ {focus.pattern} "
                    f"FILTER NOT EXISTS {{ {f} {p} {_lit(value)} }} }}", f"{f} {p} {_lit(value)}",
                    unmet=(outer[1], p, _iri(value)) if outer is not None and isinstance(value, URIRef) else ())
        for node in self.shapes.objects(prop, SH.node):
            out += self._nested(node, focus, f, p, val[1:], message, sev, shape, str(path), depth)
        return out

    def _nested(self, node: Node, focus: _Focus, f: str, p: str, var: str, message: str, severity: str,
                shape: str | None, path: str, depth: int) -> list[Check]:
        """sh:node: each value ?{var} must conform to `node`. Reported on the outer focus node with the
        outer message (as pySHACL does) and, where the inner shape has a message of its own, also on the
        value with that message (pySHACL's sh:detail)."""
        inner = focus.then(f, p, f"?{var}")
        out: list[Check] = []
        extra = set(self.shapes.predicates(node)) - NODE_KEYS
        if extra or set(self.shapes.objects(node, SH.sparql)):
            raise Unsupported(f"node shape {node} used through sh:node has {sorted(map(str, extra)) or 'sh:sparql'}")
        for prop in self.shapes.objects(node, SH.property):
            own = self.shapes.value(prop, SH.message) is not None
            for c in self._property(prop, inner, var, severity, depth + 1):
                out.append(replace(c, message=message, severity=severity, shape=shape, path=path, focus=f[1:],
                                   value=var))
                if own:
                    out.append(c)
        return out


# ------------------------------------------------------------------------------ SHACL-SPARQL bodies
_THIS = Variable("this")


@functools.cache  # a pure function of two strings; rdflib's parser takes ~15 ms a query, 24 queries a registry
def _projection(prologue: str, select: str) -> Any:
    """The Project node of a SHACL-SPARQL select's algebra (below any Distinct, Reduced or OrderBy), or None:
    rdflib could not read it, or it projects nothing."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        node = translateQuery(parseQuery(f"{prologue}\n{select}")).algebra.p
    except Exception:  # rdflib's parser and translator raise many kinds; any of them means "not sure"
        return None
    while node.name in ("Distinct", "Reduced", "OrderBy"):
        node = node.p
    return node if node.name == "Project" else None


def _joinable(prologue: str, select: str) -> tuple[str, ...] | None:
    """Whether a SHACL-SPARQL select, run without the focus pattern and joined with it afterwards,
    gives the rows it gives with the focus pattern in front of its WHERE group (its compiled form):
    so when, going up from the first element of the group, each FILTER, BIND, OPTIONAL and MINUS on
    the way either leaves ?this alone or comes after ?this is bound for sure, and the select projects
    ?this without grouping or slicing. Returns the predicates its triple patterns use (for the cost),
    or None: the select runs with the focus pattern in front."""
    node = _projection(prologue, select)
    if node is None or _THIS not in node.PV:
        return None
    predicates = tuple(sorted(_predicates(node)))
    node = node.p
    while True:
        if node.name in ("Filter", "Extend"):
            if node.name == "Extend" and node.var == _THIS:
                return None
            inner, side = node.p, node.expr
        elif node.name in ("LeftJoin", "Minus"):
            inner, side = node.p1, [node.p2, node.get("expr")]
        elif node.name == "Join":
            node = node.p1
            continue
        elif node.name in ("BGP", "ToMultiSet", "Union", "Graph", "values"):
            return predicates
        else:
            return None
        if _THIS not in _bound(inner) and _THIS in _walk(side):
            return None
        node = inner


_NOT_EXISTS = re.compile(r"FILTER\s*NOT\s+EXISTS\s*\{([^{}]*)\}", re.I)
_NOT_PLAIN = re.compile(r"\b(FILTER|OPTIONAL|BIND|VALUES|GRAPH|SERVICE|MINUS|UNION|EXISTS|SELECT)\b", re.I)
_STRING = re.compile(r"\"[^\"]*\"|'[^']*'")
_VARIABLE = re.compile(r"[?$](\w+)")


@functools.cache
def _as_minus(prologue: str, select: str) -> str:
    """A SHACL-SPARQL select whose top-level `FILTER NOT EXISTS { triples }` become `MINUS { triples }` at
    the end of its WHERE group, where that means the same: each variable the triples share with the rest
    of the query is bound in every solution of the group, and they share at least one. Oxigraph answers
    NOT EXISTS by a lookup per solution (about 40 us each) and MINUS by one hash join. pySHACL refuses
    MINUS in a shape, so the shapes keep NOT EXISTS and the compiled form changes."""
    if not select.rstrip().endswith("}") or not _NOT_EXISTS.search(select):
        return select
    node = _projection(prologue, select)
    if node is None:
        return select
    bound = {str(v) for v in _bound(node.p)}
    plain = _STRING.sub('""', select)  # braces inside strings are not groups
    moved: list[str] = []

    def swap(m: re.Match[str]) -> str:
        inner = m[1]
        depth = plain[: m.start()].count("{") - plain[: m.start()].count("}")
        shared = set(_VARIABLE.findall(inner)) & set(_VARIABLE.findall(select[: m.start()] + select[m.end() :]))
        if depth != 1 or _NOT_PLAIN.search(inner) or not shared or not shared <= bound:
            return m[0]
        moved.append(inner)
        return ""

    out = _NOT_EXISTS.sub(swap, select) if len(plain) == len(select) else select
    if not moved:
        return select
    end = out.rstrip().rindex("}")
    return out[:end] + "".join(f"MINUS {{{inner}}} " for inner in moved) + out[end:]


_TOKEN = re.compile(r"""\s*(?:(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|(?P<iri><[^<>"{}|^`\\\s]*>)"""
                    r"""|(?P<var>[?$]\w+)|(?P<punct>[{}().;,])|(?P<word>[^\s{}().;,<>"']+(?:\.[^\s{}().;,<>"']+)*)|(?P<other>\S))""")
#: the names a triple pattern's terms may be besides variables, IRIs and strings (no numbers: `1.5` is read as
#: three tokens)
_NAME = re.compile(r"(?:[A-Za-z][\w.-]*)?:[\w.-]*|a|true|false")
_LITERAL_TAIL = re.compile(r"@[A-Za-z][A-Za-z0-9-]*|\^\^(?:<[^<>\s]*>|(?:[A-Za-z][\w.-]*)?:[\w-]*)")
#: keywords followed by a group in braces (after a name, for GRAPH and SERVICE, or variables, for VALUES)
_BRACED = {"MINUS", "OPTIONAL", "GRAPH", "SERVICE", "VALUES"}
_Token = tuple[str, str, int, int]  # kind, text, start, end
_Triple = tuple[str, str, str]


def hash_joined(select: str) -> str:
    """A SHACL-SPARQL select whose runs of two or more triple patterns with variables at the top of its WHERE
    group become one sub-select per triple pattern (projecting the pattern's variables), which means the same:
    a basic graph pattern is the join of its triple patterns, evaluated bottom-up. Oxigraph joins a triple
    pattern to the solutions before it by a lookup per solution (about 13 us each: 0.9 s for 62,000 datasets'
    two triples at 100k), and sub-selects by one hash join of two scans (0.13 s). Left as it is where the
    group holds anything not plainly read: blank nodes, paths, long strings, syntax outside the simple forms."""
    if '"""' in select or "'''" in select:
        return select
    tokens: list[_Token] = [(m.lastgroup or "", m[m.lastgroup or 0], m.start(m.lastgroup or 0), m.end())
                            for m in _TOKEN.finditer(select)]
    where = next((i for i, (k, t, _, _) in enumerate(tokens) if k == "word" and t.upper() == "WHERE"), None)
    if where is None or select[tokens[-1][3] :].strip() or tokens[-1][1] != "}" \
            or where + 1 >= len(tokens) or tokens[where + 1][1] != "{":
        return select
    runs = _runs(tokens, where + 2, len(tokens) - 1)
    if runs is None:
        return select
    out, at = [], 0
    for first, last, triples in runs:
        if sum(1 for t in triples if any(x.startswith("?") for x in t)) < 2:
            continue
        out.append(select[at : tokens[first][2]])
        for t in triples:
            names = sorted({x for x in t if x.startswith("?")}, key=t.index)
            out.append(f"{{ SELECT {' '.join(names)} WHERE {{ {' '.join(t)} }} }} " if names else f"{' '.join(t)} . ")
        at = tokens[last - 1][3]
    return "".join(out) + select[at:] if out else select


def _runs(tokens: list[_Token], i: int, end: int) -> list[tuple[int, int, list[_Triple]]] | None:
    """The runs of triple patterns among tokens[i:end], the top of a group: (first token, token after, the
    triples); None: something not understood."""

    def skip(i: int, opening: str, closing: str) -> int:
        """The token after the bracket tokens[i] opens and its match closes."""
        depth = 0
        while i < end:
            t = tokens[i][1] if tokens[i][0] == "punct" else ""
            depth += (t == opening) - (t == closing)
            i += 1
            if depth == 0:
                return i
        raise ValueError("unbalanced")

    runs: list[tuple[int, int, list[_Triple]]] = []
    try:
        while i < end:
            kind, text = tokens[i][:2]
            word = text.upper() if kind == "word" else ""
            if kind == "punct" and text == "{":
                i = skip(i, "{", "}")
            elif kind == "punct" and text == "." or word == "UNION":
                i += 1
            elif word in _BRACED:
                while i < end and tokens[i][1] != "{":
                    i += 1
                i = skip(i, "{", "}")
            elif word == "BIND":
                i = skip(i + 1, "(", ")")
            elif word == "FILTER":
                i += 1
                while i < end and tokens[i][0] == "word" and tokens[i][1].upper() in ("NOT", "EXISTS"):
                    i += 1
                if i < end and tokens[i][1] == "{":
                    i = skip(i, "{", "}")
                else:  # (expression) or function(arguments)
                    i = skip(i + (i < end and tokens[i][1] != "("), "(", ")")
            elif _is_term(tokens[i]):
                first = i
                i, triples = _triples(tokens, i, end)
                runs.append((first, i, triples))
            else:
                return None
    except ValueError:
        return None
    return runs


def _is_term(token: _Token) -> bool:
    return token[0] in ("var", "iri", "string") or token[0] == "word" and _NAME.fullmatch(token[1]) is not None


def _triples(tokens: list[_Token], i: int, end: int) -> tuple[int, list[_Triple]]:
    """The triple patterns from tokens[i] on, up to the first token that is neither a term nor `.`, `;`, `,`
    (ValueError: not the simple forms)."""

    def term(i: int) -> tuple[int, str]:
        if i >= end or not _is_term(tokens[i]):
            raise ValueError("not a term")
        kind, text, _, stop = tokens[i]
        if kind == "var":
            return i + 1, "?" + text[1:]
        if kind == "string" and i + 1 < end and tokens[i + 1][2] == stop and tokens[i + 1][0] == "word":
            if not _LITERAL_TAIL.fullmatch(tokens[i + 1][1]):
                raise ValueError("not a literal")
            return i + 2, text + tokens[i + 1][1]
        return i + 1, text

    triples: list[_Triple] = []
    while i < end and _is_term(tokens[i]):
        i, s = term(i)
        while True:
            i, p = term(i)
            if p.startswith(('"', "'")):
                raise ValueError("a literal predicate")
            while True:
                i, o = term(i)
                triples.append((s, p, o))
                if i < end and tokens[i][1] == "," and tokens[i][0] == "punct":
                    i += 1
                    continue
                break
            if i < end and tokens[i][1] == ";" and tokens[i][0] == "punct":
                i += 1
                if i < end and tokens[i][1] in (".", "}"):
                    break
                continue
            break
        if i < end and tokens[i][1] == "." and tokens[i][0] == "punct":
            i += 1
    return i, triples


def _walk(x: Any) -> Iterator[Any]:
    """Every term in an rdflib algebra node (or expression, or list of them), however deep; it errs on
    the side of finding too much (it reads the nodes' variable sets too)."""
    stack = [x]
    while stack:
        x = stack.pop()
        if isinstance(x, Node):
            yield x
        elif isinstance(x, dict):  # CompValue
            stack.extend(x.values())
        elif isinstance(x, str | bytes):
            continue
        elif hasattr(x, "__iter__"):  # lists, sets, pyparsing results
            stack.extend(x)
        else:  # property paths
            stack.extend(getattr(x, "args", ()))
            stack.extend(getattr(x, a) for a in ("arg", "path") if hasattr(x, a))


def _predicates(node: Any) -> set[str]:
    """The IRIs in the predicate position of the triple patterns under `node`, less rdf:type."""
    out: set[str] = set()
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            if getattr(x, "name", None) == "BGP":
                for _, p, _ in x["triples"]:
                    out |= {f"<{t}>" for t in _walk(p) if isinstance(t, URIRef) and t != RDF.type}
            stack.extend(x.values())
        elif isinstance(x, list | tuple):
            stack.extend(x)
    return out


def _bound(node: Any) -> set[Variable]:
    """The variables bound in every solution of an algebra node (a safe under-estimate)."""
    name = getattr(node, "name", None)
    if name == "BGP":
        return {t for triple in node["triples"] for t in triple if isinstance(t, Variable)}
    if name == "Join":
        return _bound(node.p1) | _bound(node.p2)
    if name in ("LeftJoin", "Minus"):
        return _bound(node.p1)
    if name in ("Filter", "Extend"):
        return _bound(node.p)
    if name == "Union":
        return _bound(node.p1) & _bound(node.p2)
    if name == "Graph":
        return _bound(node.p) | ({node.term} if isinstance(node.term, Variable) else set())
    return set()


# ------------------------------------------------------------------------------------ merging
@dataclass(frozen=True)
class Batch:
    """One merged query: the solutions of branch i carry ?{tag} = i; `branches[i]` are the indices of
    the checks (in the list given to `plan`) that read them. The branches in `unjoined` lack the focus
    pattern: their ?this is kept only if it is an instance of `target`, asked of the store afterwards
    for the few nodes found (joining every instance of the class in the query held them all in memory);
    `joined` is the query with the focus pattern, for when such a ?this is a blank node (which a later
    query cannot name)."""

    query: str
    tag: str
    branches: list[list[int]]
    cost: float = 0.0
    target: str = ""
    unjoined: frozenset[int] = frozenset()
    joined: str = ""


def plan(checks: Sequence[Check], sizes: Mapping[str, int] | None,
         repeated: Collection[str] = (), single: Collection[str] = ()) -> tuple[list[Batch], list[int]]:
    """Merge the checks by target class into UNION queries, one branch per distinct part. A part
    starts from its constraint (`Part.fast`) unless `sizes` (instances per class, `?this a <C>` ->
    count) says its class is a small user of the predicates that form scans; None: no counts, every
    part that has a fast form uses it. A part that starts from its constraint and tests each value of
    a predicate in `repeated` (whose values repeat) tests each distinct value once instead
    (`Part.grouped`). A sh:maxCount check of a predicate in `single` (no node has two triples of it:
    `single_valued`) finds nothing and is left out (`Part.capped`). The fast parts that lack the focus
    pattern join the focus pattern once per query, together. A class has a query per BRANCHES branches
    at most, so that the threads share the work evenly. Returns the queries, costliest first (as far
    as the counts tell), and the indices of the checks to run on their own (those whose query was
    rewritten since)."""
    alone: list[int] = []
    by_class: dict[tuple[str, str], list[int]] = {}
    users: dict[str, set[str]] = {}
    for i, c in enumerate(checks):
        if c.part is None or not c.mergeable:
            alone.append(i)
            continue
        if c.part.capped and c.part.capped in single:
            continue
        by_class.setdefault((c.part.prologue, c.part.target), []).append(i)
        if c.part.fast is not None:
            for p in c.part.scans:
                users.setdefault(p, set()).add(c.part.target)

    def form(part: Part) -> tuple[str, bool, float]:
        """The pattern to merge, whether it joins the focus pattern, and a guess at its cost."""
        grouped = part.grouped if part.grouped is not None and part.tested in repeated else None
        fast = grouped or part.fast
        if sizes is None:
            return (fast, part.joined, 1.0) if fast is not None else (part.alone, False, 1.0)
        mine = sizes.get(part.target, 0)
        scanned = max((sum(sizes.get(c, 0) for c in users[p]) for p in part.scans), default=mine)
        if fast is not None and mine * RATIO > scanned:
            return fast, part.joined, float(scanned)
        if grouped is not None and mine * RATIO * RATIO > scanned:  # a triple scanned, not decoded, costs less
            return grouped, part.joined, float(scanned / RATIO)
        return part.alone, False, float(mine * RATIO)

    batches: list[Batch] = []
    for (prologue, target), indices in by_class.items():
        branches: dict[tuple[str, bool], tuple[float, list[int]]] = {}
        hashed: set[str] = set()
        for i in indices:
            part = checks[i].part
            assert part is not None
            pattern, joined, cost = form(part)
            branches.setdefault((pattern, joined), (cost, []))[1].append(i)
            if part.hashed and pattern == part.fast:
                hashed.add(pattern)
        items = sorted(((pattern, joined, cost, idx) for (pattern, joined), (cost, idx) in branches.items()
                        if pattern not in hashed), key=lambda it: -it[2])
        groups: list[list[tuple[str, bool, float, list[int]]]] = [[] for _ in range(-(-len(items) // BRANCHES))]
        for item in items:  # costliest first, each to the cheapest query that has room
            min((g for g in groups if len(g) < BRANCHES), key=lambda g: sum(c for _, _, c, _ in g)).append(item)
        groups += [[(pattern, joined, cost, idx)] for (pattern, joined), (cost, idx) in branches.items()
                   if pattern in hashed]
        batches += [_merged(prologue, target, group) for group in groups]
    batches.sort(key=lambda b: -b.cost)
    return batches, alone


def by_class(checks: Sequence[Check], queries: Sequence[str]) -> tuple[list[Batch], list[int]]:
    """The write path's plan: `queries[i]` is check i's query bound to focus nodes (a record's own), and the
    queries of a class run as UNIONs of up to BOUND_BRANCHES of them, each query a sub-select in a
    branch of its own, so a branch gives exactly the rows its query gives alone; checks with the same
    query share a branch. A check without a class, or whose query does not start with its class's
    prologue, runs on its own. For `execute` with the same `queries`."""
    alone: list[int] = []
    by: dict[tuple[str, str], dict[str, list[int]]] = {}
    for i, (c, query) in enumerate(zip(checks, queries, strict=True)):
        if c.part is None or not query.startswith(c.part.prologue + "\n"):
            alone.append(i)
            continue
        branch = "{\n" + query[len(c.part.prologue) + 1 :] + "\n}"
        by.setdefault((c.part.prologue, c.part.target), {}).setdefault(branch, []).append(i)
    batches: list[Batch] = []
    for (prologue, target), branches in by.items():
        items = [(branch, False, 0.0, idx) for branch, idx in branches.items()]
        batches += [_merged(prologue, target, items[k : k + BOUND_BRANCHES])
                    for k in range(0, len(items), BOUND_BRANCHES)]
    return batches, alone


def _merged(prologue: str, target: str, items: list[tuple[str, bool, float, list[int]]]) -> Batch:
    text = " ".join(pattern for pattern, _, _, _ in items)
    tag = "check"
    while re.search(rf"[?$]{tag}\b", text):
        tag += "_"
    members = [f"{{ {pattern}\nBIND({n} AS ?{tag}) }}" for n, (pattern, _, _, _) in enumerate(items)]
    joined = [m for m, (_, j, _, _) in zip(members, items, strict=True) if j]
    rest = [m for m, (_, j, _, _) in zip(members, items, strict=True) if not j]
    focused = ([f"{{ ?this a {target} .\n" + "\nUNION ".join(joined) + " }"] if joined else []) + rest
    return Batch(_union(prologue, members), tag, [idx for _, _, _, idx in items], sum(c for _, _, c, _ in items),
                 target, frozenset(n for n, (_, j, _, _) in enumerate(items) if j), _union(prologue, focused))


def _union(prologue: str, members: list[str]) -> str:
    return f"{prologue}\nSELECT * WHERE {{\n" + "\nUNION ".join(members) + "\n}"


def class_sizes(store: object, checks: Sequence[Check], graphs: list[str] | None = None) -> dict[str, int]:
    """How many instances each target class has (for `plan`), in one query."""
    targets = sorted({c.part.target for c in checks if c.part is not None})
    if not targets:
        return {}
    rows = store.select(  # type: ignore[attr-defined]
        f"SELECT ?c (COUNT(?s) AS ?n) WHERE {{ VALUES ?c {{ {' '.join(targets)} }} ?s a ?c }} GROUP BY ?c",
        graphs=graphs)
    return {f"<{r['c']}>": int(r["n"]) for r in rows}


def repeating(store: object, checks: Sequence[Check], graphs: list[str] | None = None) -> set[str]:
    """The predicates whose values the checks test one by one (`Part.tested`) and whose values repeat: in
    the first SAMPLE triples of each (in the order of their values), at most half as many distinct values
    as triples. One query."""
    rows = _per_predicate(store, {c.part.tested for c in checks if c.part is not None},
                          f"(COUNT(*) AS ?n) (COUNT(DISTINCT ?v) AS ?d) WHERE {{{{ {{{{ SELECT ?v WHERE "
                          f"{{{{ ?s {{p}} ?v }}}} LIMIT {SAMPLE} }}}} }}}}", graphs)
    return {p for p, n, d in rows if 2 * d <= n}


def single_valued(store: object, checks: Sequence[Check], graphs: list[str] | None = None) -> set[str]:
    """The predicates of the checks' sh:maxCount (`Part.capped`) of which no node has two triples: as many
    triples as subjects (the counts read no value, where the checks group every triple by its node). One
    query."""
    rows = _per_predicate(store, {c.part.capped for c in checks if c.part is not None},
                          "(COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?d) WHERE {{ ?s {p} ?v }}", graphs)
    return {p for p, n, d in rows if n == d}


def _per_predicate(store: object, predicates: set[str], counts: str,
                   graphs: list[str] | None) -> list[tuple[str, int, int]]:
    """(predicate, ?n, ?d) of each of `predicates` (`<iri>`; "" left out), counted by `counts` (a select's
    projection and WHERE less the SELECT, `{p}` the predicate), in one query."""
    if not (predicates := predicates - {""}):
        return []
    parts = [f"{{ SELECT ({p} AS ?p) {counts.format(p=p)} }}" for p in sorted(predicates)]
    rows = store.select("SELECT ?p ?n ?d WHERE {\n" + "\nUNION ".join(parts) + "\n}",  # type: ignore[attr-defined]
                        graphs=graphs)
    return [(f"<{r['p']}>", int(r["n"]), int(r["d"])) for r in rows]


def run(store: object, checks: list[Check], fields: dict[URIRef, str], graphs: list[str] | None = None,
        *, merge: bool = True) -> list[Violation]:
    """Run compiled checks with a Store's select; results as Violations (one per focus node and value).
    With `merge`, as the merged queries of `plan`, on WORKERS threads; else one query per check."""
    if merge and any(c.mergeable for c in checks):
        planned = plan(checks, class_sizes(store, checks, graphs), repeating(store, checks, graphs),
                       single_valued(store, checks, graphs))
    else:
        planned = ([], list(range(len(checks))))
    return execute(store, checks, planned, fields, graphs)


def execute(store: object, checks: Sequence[Check], planned: tuple[list[Batch], list[int]],
            fields: dict[URIRef, str], graphs: list[str] | None = None,
            queries: Sequence[str] | None = None, *, workers: int = WORKERS) -> list[Violation]:
    """Run the merged queries and lone checks of a `plan` (on `workers` threads; 1: in this one, for a few
    small queries); results as Violations. `queries`, if given, are the texts the lone checks run in
    place of their own (the write path's, bound to focus nodes: `by_class`)."""
    batches, alone = planned
    rows_of: list[list[dict[str, Any]]] = [[] for _ in checks]

    def select(query: str) -> list[dict[str, Any]]:
        return store.select(query, graphs=graphs)  # type: ignore[attr-defined, no-any-return]

    def kept(batch: Batch) -> list[tuple[int, dict[str, Any]]]:
        """The batch's rows as (branch, row), the rows of unjoined branches kept for instances of the class."""
        rows = [(int(row.pop(batch.tag)), row) for row in select(batch.query)]
        if workers > 1:
            _trim()
        nodes = sorted({row["this"] for n, row in rows if n in batch.unjoined}, key=str)
        if any(isinstance(n, BNode) for n in nodes):
            return [(int(row.pop(batch.tag)), row) for row in select(batch.joined)]
        members: set[Node] = set()
        for i in range(0, len(nodes), MEMBERS):
            query = inline_rows(f"SELECT ?this WHERE {{ ?this a {batch.target} }}", ["this"],
                                [[n] for n in nodes[i : i + MEMBERS]], nt)
            members |= {r["this"] for r in select(query)}
        return [(n, row) for n, row in rows if n not in batch.unjoined or row["this"] in members]

    if workers > 1 and len(batches) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            answered = list(pool.map(kept, batches))
    else:
        answered = [kept(batch) for batch in batches]
    for batch, tagged in zip(batches, answered, strict=True):
        for n, row in tagged:
            for i in batch.branches[n]:
                rows_of[i].append(row)
    answers: dict[str, list[dict[str, Any]]] = {}  # a nested shape's check reports twice from one query
    for i in alone:
        q = checks[i].query if queries is None else queries[i]
        if q not in answers:
            answers[q] = select(q)
        rows_of[i] = answers[q]

    found: dict[tuple[str, str | None, str, str | None], Violation] = {}
    for c, rows in zip(checks, rows_of, strict=True):
        for row in rows:
            focus = str(row[c.focus])
            value = row.get(c.value) if c.value else None
            if value is None and c.value_defaults_to_focus:
                value = row[c.focus]
            path = str(row["path"]) if "path" in row else c.path
            key = (focus, path, c.message, str(value) if value is not None else None)
            if key not in found:
                found[key] = Violation(
                    focus_node=focus, path=path, field=fields.get(URIRef(path)) if path else None,
                    message=c.message, severity=c.severity, source_shape=c.shape,
                    value=str(value) if value is not None and not isinstance(value, BNode) else None)
    return ordered(found.values())


try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL("libc.so.6")
except OSError:  # not glibc
    _LIBC = None


def _trim() -> None:
    """Give the memory a finished query freed back to the system: glibc keeps it per thread otherwise, and
    what each of the WORKERS threads keeps adds to the peak of the other's next query."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def ordered(found: Iterable[Violation]) -> list[Violation]:
    """Violations before warnings, then by focus node, field, message, path and value."""
    return sorted(found, key=lambda v: (v.severity != "Violation", v.focus_node, v.field or "", v.message,
                                        v.path or "", v.value or ""))
