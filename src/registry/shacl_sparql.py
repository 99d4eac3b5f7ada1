"""Our SHACL shapes compiled to SPARQL queries, for validating a whole store inside the store.

pySHACL validates one in-memory rdflib graph: fine for one record on the write path, far too slow and
too big for a whole registry (DESIGN: 100k datasets in under 20 s). The shapes in `shapes/*.ttl` use a
small part of SHACL Core plus SHACL-SPARQL; each constraint becomes one SELECT that returns the focus
node and the offending value, run by the store over the union of its record graphs. The compiler reads
the shapes graph, so a new shape needs no code; a shape using a feature outside the supported set is
refused loudly (`Unsupported`) rather than skipped. The test suite checks that the results equal
pySHACL's on every fixture.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD
from rdflib.term import Node

from registry.errors import Violation

#: lexical forms of the datatypes our shapes use, as (regex, must match) tests in SPARQL's regex
#: dialect (no look-around, no backslashes, so they survive SPARQL string escaping)
LEXICAL: dict[URIRef, list[tuple[str, bool]]] = {
    XSD.date: [("^-?[0-9]{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(Z|[+-][0-9]{2}:[0-9]{2})?$", True)],
    XSD.duration: [("^-?P([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+([.][0-9]+)?S)?)?$", True),
                   ("[0-9]", True), ("T$", False)],
    XSD.boolean: [("^(true|false|1|0)$", True)],
}

PROPERTY_KEYS = {SH.path, SH.minCount, SH.maxCount, SH.minLength, SH.datatype, SH["class"], SH.node, SH.pattern,
                 SH.nodeKind, SH.lessThanOrEquals, SH.hasValue, SH.message, SH.severity, SH.name, SH.description,
                 RDF.type}
NODE_KEYS = {SH.targetClass, SH.property, SH.sparql, SH.severity, SH.message, RDF.type, SH.declare}


class Unsupported(ValueError):
    """The shapes use a SHACL feature this compiler does not translate."""


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


def _name(shapes: Graph, shape: Node) -> str | None:
    seen = 0
    while shape is not None and not isinstance(shape, URIRef) and seen < 5:
        shape = shapes.value(None, SH.property, shape) or shapes.value(None, SH.sparql, shape)
        seen += 1
    return str(shape) if isinstance(shape, URIRef) else None


class Compiler:
    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        self.prefixes = "\n".join(
            f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>"
            for d in shapes.objects(None, SH.declare)
        )

    def compile(self) -> list[Check]:
        checks: list[Check] = []
        for shape in sorted(set(self.shapes.subjects(SH.targetClass, None)), key=str):
            extra = set(self.shapes.predicates(shape)) - NODE_KEYS
            if extra:
                raise Unsupported(f"shape {shape} uses {sorted(map(str, extra))}")
            for cls in self.shapes.objects(shape, SH.targetClass):
                focus = f"?this a {_iri(cls)} ."
                severity = _severity(self.shapes, shape)
                checks += self._node(shape, focus, severity)
        return checks

    def _node(self, shape: Node, focus: str, severity: str) -> list[Check]:
        out: list[Check] = []
        for prop in self.shapes.objects(shape, SH.property):
            out += self._property(prop, focus, "this", severity, 0)
        for sparql in self.shapes.objects(shape, SH.sparql):
            select = str(self.shapes.value(sparql, SH.select))
            message = str(self.shapes.value(sparql, SH.message) or "breaks a rule")
            body = select.replace("$this", "?this")
            # the focus pattern goes in front of the constraint's own WHERE group
            i = body.upper().index("WHERE")
            j = body.index("{", i)
            query = f"{self.prefixes}\n{body[: j + 1]} {focus} {body[j + 1 :]}"
            out.append(Check(query, message, _severity(self.shapes, shape, severity), _name(self.shapes, sparql), None,
                             value_defaults_to_focus=True))
        return out

    def _property(self, prop: Node, focus: str, var: str, severity: str, depth: int) -> list[Check]:
        """The checks of one property shape whose focus nodes are ?{var}, bound by the `focus` pattern."""
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
        shape = _name(self.shapes, prop)
        group = " ".join(sorted(set(re.findall(r"\?(?:this|v\d+)\b", focus)) | {"?this", f}))
        v = self.shapes.value
        out: list[Check] = []

        def add(where: str, with_value: bool = True) -> None:
            select = f"{group} {val}" if with_value else group
            out.append(Check(f"{self.prefixes}\nSELECT DISTINCT {select} WHERE {{ {focus} {where} }}", message, sev,
                             shape, str(path), var, val[1:] if with_value else None))

        def counted(having: str, optional: bool) -> None:
            pattern = f"OPTIONAL {{ {f} {p} {val} }}" if optional else f"{f} {p} {val} ."
            out.append(Check(f"{self.prefixes}\nSELECT {group} WHERE {{ {focus} {pattern} }} GROUP BY {group} "
                             f"HAVING ({having})", message, sev, shape, str(path), var, None))

        if (n := v(prop, SH.minCount)) is not None:
            if int(n) == 1:
                add(f"FILTER NOT EXISTS {{ {f} {p} {anyv} }}", with_value=False)
            else:
                counted(f"COUNT(DISTINCT {val}) < {int(n)}", optional=True)
        if (n := v(prop, SH.maxCount)) is not None:
            counted(f"COUNT(DISTINCT {val}) > {int(n)}", optional=False)
        if (n := v(prop, SH.minLength)) is not None:
            add(f"{f} {p} {val} . FILTER (isBlank({val}) || STRLEN(STR({val})) < {int(n)})")
        if (dt := v(prop, SH.datatype)) is not None:
            tests = LEXICAL.get(dt, []) if isinstance(dt, URIRef) else []
            bad_form = "".join(f' || {"!" if must else ""}REGEX(STR({val}), "{rx}")' for rx, must in tests)
            add(f"{f} {p} {val} . FILTER (!isLiteral({val}) || DATATYPE({val}) != {_iri(dt)}{bad_form})")
        if (cls := v(prop, SH["class"])) is not None:
            add(f"{f} {p} {val} . FILTER NOT EXISTS {{ {val} a {_iri(cls)} }}")
        if (pattern := v(prop, SH.pattern)) is not None:
            add(f"{f} {p} {val} . FILTER (isBlank({val}) || !REGEX(STR({val}), {Literal(str(pattern)).n3()}))")
        if (kind := v(prop, SH.nodeKind)) is not None:
            test = {SH.IRI: "isIRI", SH.Literal: "isLiteral", SH.BlankNode: "isBlank"}.get(kind)
            if test is None:
                raise Unsupported(f"sh:nodeKind {kind}")
            add(f"{f} {p} {val} . FILTER (!{test}({val}))")
        if (other := v(prop, SH.lessThanOrEquals)) is not None:
            add(f"{f} {p} {val} ; {_iri(other)} {oth} . FILTER (!({val} <= {oth}))")
        if (value := v(prop, SH.hasValue)) is not None:
            add(f"FILTER NOT EXISTS {{ {f} {p} {_lit(value)} }}", with_value=False)
        for node in self.shapes.objects(prop, SH.node):
            out += self._nested(node, focus, f, p, val[1:], message, sev, shape, str(path), depth)
        return out

    def _nested(self, node: Node, focus: str, f: str, p: str, var: str, message: str, severity: str,
                shape: str | None, path: str, depth: int) -> list[Check]:
        """sh:node: each value ?{var} must conform to `node`. Reported on the outer focus node with the
        outer message (as pySHACL does) and, where the inner shape has a message of its own, also on the
        value with that message (pySHACL's sh:detail)."""
        inner_focus = f"{focus} {f} {p} ?{var} ."
        out: list[Check] = []
        extra = set(self.shapes.predicates(node)) - NODE_KEYS
        if extra or set(self.shapes.objects(node, SH.sparql)):
            raise Unsupported(f"node shape {node} used through sh:node has {sorted(map(str, extra)) or 'sh:sparql'}")
        for prop in self.shapes.objects(node, SH.property):
            own = self.shapes.value(prop, SH.message) is not None
            for c in self._property(prop, inner_focus, var, severity, depth + 1):
                out.append(Check(c.query, message, severity, shape, path, f[1:], var))
                if own:
                    out.append(c)
        return out


def run(store: object, checks: list[Check], fields: dict[URIRef, str], graphs: list[str] | None = None) -> list[Violation]:
    """Run compiled checks with a Store's select; results as Violations (one per focus node and value)."""
    found: dict[tuple[str, str | None, str, str | None], Violation] = {}
    answers: dict[str, list[Any]] = {}  # a nested shape's check reports twice from one query: run it once
    for c in checks:
        if c.query not in answers:
            answers[c.query] = store.select(c.query, graphs=graphs)  # type: ignore[attr-defined]
        for row in answers[c.query]:
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
    return sorted(found.values(), key=lambda v: (v.severity != "Violation", v.focus_node, v.field or "", v.message))
