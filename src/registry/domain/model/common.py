"""What the record kinds share: input models, vocabulary codes, literals and the RecordKind description."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, field_validator
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from registry.domain.model import xmlchars
from registry.errors import Violation
from registry.iris import SLUG_MAX, SLUG_PATTERN, Iris
from registry.namespaces import XSD

#: an id of a record, or a code of a controlled vocabulary
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=SLUG_MAX)]
DURATION_RE = re.compile(r"\AP(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?\Z")


def _duration(v: str) -> str:
    if not DURATION_RE.fullmatch(v):
        raise ValueError("must be an ISO 8601 duration such as P7Y or P1Y6M")
    return v


#: an ISO 8601 duration such as P7Y or P1Y6M
Duration = Annotated[str, StringConstraints(max_length=50), AfterValidator(_duration)]
Text = Annotated[str, StringConstraints(max_length=20_000)]
ShortText = Annotated[str, StringConstraints(max_length=1_000)]


class Input(BaseModel):
    """Base of the input models: unknown fields are errors, so typos never pass silently; no text holds a
    character XML cannot carry (`xmlchars`), whichever field and whatever the input came as."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _xml_text(cls, value: Any) -> Any:
        # before whitespace is trimmed (a trailing U+000B is refused, not quietly dropped); a nested model
        # (a mapping here) checks its own fields, which names them
        if isinstance(value, str):
            return xmlchars.check(value)
        if isinstance(value, list | tuple):
            xmlchars.check([v if isinstance(v, str) else "" for v in value])  # the index names the item
        return value


def code_iri(namespace: Any, code: str) -> URIRef:
    """The concept IRI of a vocabulary code (an unknown code gives an IRI that SHACL rejects)."""
    return URIRef(str(namespace) + code)


def code_of(namespace: Any, iri: Node) -> str:
    s, ns = str(iri), str(namespace)
    return s[len(ns) :] if s.startswith(ns) else s


def lit_date(value: Any) -> Literal:
    return Literal(value.isoformat() if hasattr(value, "isoformat") else str(value), datatype=XSD.date)


def lit_duration(value: str) -> Literal:
    return Literal(value, datatype=XSD.duration)


@dataclass(frozen=True)
class RecordKind:
    """One kind of record: its names, its input model and its mapping to and from RDF."""

    name: str  # "dataset": the IRI segment
    collection: str  # "datasets": the REST collection
    rdf_type: URIRef
    model: type[Input]
    to_rdf: Callable[[Any, Iris], RecordGraphs]
    from_rdf: Callable[[Graph, URIRef, Iris], dict[str, Any]]
    #: predicate -> JSON field, to name fields in SHACL results
    fields: dict[URIRef, str]
    #: (kind, id) of every record the input names
    references: Callable[[Any], Iterable[tuple[str, str]]]
    #: the list filters this kind supports: query parameter -> (predicate, namespace of codes or None)
    filters: dict[str, tuple[URIRef, Any]] = field(default_factory=dict)
    #: the fields naming the organisation a record belongs to (a steward's scope): the first one given
    owner_fields: tuple[str, ...] = ()
    #: its records are nodes of the lineage graph: derived from one another, personal information flows
    #: along (effective status, cycles refused on write)
    in_lineage: bool = False
    #: its records carry legal status, which only privacy officers and admins set or change
    legal_status: bool = False
    #: a steward writes its records only as drafts: approving one is a privacy officer's act
    approved_by_officers: bool = False
    #: names a SHACL result by its place in the JSON record (a list index, a nested field), given the
    #: result, the record's input and its IRI; None: `fields` names it
    locate: Callable[[Violation, Any, URIRef], Violation] | None = None

    def owner(self, data: Mapping[str, Any]) -> str | None:
        """The organisation a record (its JSON form) belongs to."""
        return next((str(data[f]) for f in self.owner_fields if data.get(f)), None)


class Triples:
    """A set of triples in the order first added, indexed by subject and predicate: the part of rdflib's
    Graph that `to_rdf` writes (add: a triple added twice is kept once) and `from_rdf` reads (objects, value,
    membership with a wildcard object), at a fraction of the cost of a Graph and its store, on the hot paths
    of every read and write of a record."""

    def __init__(self, triples: Iterable[tuple[Node, Node, Node]] = ()) -> None:
        self._all = dict.fromkeys(triples)
        self._sp: dict[tuple[Node, Node], list[Node]] = {}
        for s, p, o in self._all:
            self._sp.setdefault((s, p), []).append(o)

    def add(self, t: tuple[Node, Node, Node]) -> None:
        if t not in self._all:
            self._all[t] = None
            self._sp.setdefault((t[0], t[1]), []).append(t[2])

    def __len__(self) -> int:
        return len(self._all)

    def __iter__(self) -> Iterator[tuple[Node, Node, Node]]:
        return iter(self._all)

    def __contains__(self, t: tuple[Node | None, Node | None, Node | None]) -> bool:
        s, p, o = t
        if s is not None and p is not None:
            found = self._sp.get((s, p), [])
            return bool(found) if o is None else o in found
        return any(t2 for t2 in self.triples((s, p, o)))

    def triples(self, pattern: tuple[Node | None, Node | None, Node | None]) -> Iterator[tuple[Node, Node, Node]]:
        s, p, o = pattern
        if s is not None and p is not None:
            yield from ((s, p, x) for x in self._sp.get((s, p), []) if o is None or x == o)
            return
        for t in self._all:
            if (s is None or t[0] == s) and (p is None or t[1] == p) and (o is None or t[2] == o):
                yield t

    def objects(self, s: Node | None = None, p: Node | None = None) -> Iterator[Node]:
        if s is not None and p is not None:
            return iter(self._sp.get((s, p), []))
        return (t[2] for t in self.triples((s, p, None)))

    def subjects(self, p: Node | None = None, o: Node | None = None) -> Iterator[Node]:
        return (t[0] for t in self.triples((None, p, o)))

    def value(self, s: Node, p: Node) -> Node | None:
        found = self._sp.get((s, p))
        return found[0] if found else None


@dataclass
class RecordGraphs:
    """A record as RDF: the triples anyone may see and the restricted ones."""

    iri: URIRef
    public: Triples = field(default_factory=Triples)
    restricted: Triples = field(default_factory=Triples)

    def union(self) -> Triples:
        return Triples([*self.public, *self.restricted])


def one(g: Graph, s: Node, p: Node) -> Node | None:
    return next(iter(g.objects(s, p)), None)


def text(g: Graph, s: Node, p: Node) -> str | None:
    v = one(g, s, p)
    return None if v is None else str(v)


def boolean(g: Graph, s: Node, p: Node) -> bool | None:
    v = one(g, s, p)
    if v is None:
        return None
    py = v.toPython() if isinstance(v, Literal) else v
    return py if isinstance(py, bool) else str(v) == "true"


def ids(g: Graph, s: Node, p: Node, iris: Iris) -> list[str]:
    return sorted(iris.id_of(o) for o in g.objects(s, p))


def codes(g: Graph, s: Node, p: Node, namespace: Any) -> list[str]:
    return sorted(code_of(namespace, o) for o in g.objects(s, p))
