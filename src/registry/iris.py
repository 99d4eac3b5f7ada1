"""Ids and IRIs: what an id may be, and the IRIs of records, their graphs and the system graphs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import URIRef
from rdflib.term import Node

#: an id or code for JSON Schema and pydantic, whose regular expressions (ECMA-262's, Rust's) read `$` as the
#: end of the text. Not for Python's `re`, where `$` also matches before a final newline: use `is_slug`
SLUG_PATTERN = r"^[a-z0-9][a-z0-9.-]*$"
SLUG_MAX = 200
#: the same for Python's `re`, anchored at both ends of the text (`\Z`, not `$`)
SLUG_RE = re.compile(r"\A[a-z0-9][a-z0-9.-]*\Z")


def is_slug(value: object) -> bool:
    """Whether `value` is, whole, an id of a record or a code (what `Slug` accepts): no trailing newline,
    no lookalike letter, nothing longer than an id may be. Every id from a URL or a body is checked with
    this before it names a graph, an IRI or a query."""
    return isinstance(value, str) and len(value) <= SLUG_MAX and SLUG_RE.fullmatch(value) is not None


@dataclass(frozen=True)
class Name:
    """What an IRI of this registry names (`Iris.parse`)."""

    kind: str  #: a record kind; for a graph also "reference" or "system"
    id: str  #: the record's id; the reference or system graph's name (a system name may hold "/")
    graph: bool = False  #: a graph's name, not the IRI of a record
    restricted: bool = False  #: a record's restricted graph


class Iris:
    """Instance IRIs are {base}/{kind}/{id}; record graphs are {base}/graph/{kind}/{id}[/restricted]."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def record(self, kind: str, rid: str) -> URIRef:
        return URIRef(f"{self.base}/{kind}/{rid}")

    def public_graph(self, kind: str, rid: str) -> str:
        return f"{self.base}/graph/{kind}/{rid}"

    def restricted_graph(self, kind: str, rid: str) -> str:
        return f"{self.base}/graph/{kind}/{rid}/restricted"

    def graphs(self, kind: str, rid: str) -> tuple[str, str]:
        return self.public_graph(kind, rid), self.restricted_graph(kind, rid)

    def system_graph(self, name: str) -> str:
        return f"{self.base}/graph/system/{name}"

    def reference_graph(self, name: str) -> str:
        return f"{self.base}/graph/reference/{name}"

    def parse(self, iri: Node | str) -> Name | None:
        """What an IRI of this registry names: a record ({base}/{kind}/{id}) or a graph
        ({base}/graph/{kind}/{id}[/restricted], {base}/graph/reference/{name}, {base}/graph/system/{name});
        None for anything else. The one reading of the shapes above: every other parser calls this."""
        s = str(iri)
        if not s.startswith(self.base + "/"):
            return None
        parts = s[len(self.base) + 1 :].split("/")
        if parts[0] == "graph" and len(parts) >= 3:
            kind, rest = parts[1], parts[2:]
            if not kind or not all(rest):
                return None
            if kind == "system":
                return Name(kind, "/".join(rest), graph=True)
            if len(rest) == 1:
                return Name(kind, rest[0], graph=True)
            if len(rest) == 2 and rest[1] == "restricted":
                return Name(kind, rest[0], graph=True, restricted=True)
            return None
        if len(parts) == 2 and all(parts) and "#" not in parts[1]:
            return Name(parts[0], parts[1])
        return None

    def split(self, iri: Node | str) -> tuple[str, str] | None:
        """(kind, id) of a record IRI of this registry, or None."""
        name = self.parse(iri)
        return (name.kind, name.id) if name is not None and not name.graph else None

    def id_of(self, iri: Node) -> str:
        parts = self.split(iri)
        return parts[1] if parts else str(iri)
