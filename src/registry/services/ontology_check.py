"""The ontology quality gate: owlready2's HermiT reasoner on ontology/registry.ttl (and the authority
catalogue and vocabularies, loaded as individuals), failing on inconsistency or unsatisfiable classes.

owlready2 reads RDF/XML and N-Triples best, so the Turtle files are parsed with rdflib and handed over
as one N-Triples file. HermiT knows only the datatypes of the OWL 2 datatype map; the ranges outside
it that the ontology uses (xsd:date, xsd:duration) are given to the reasoner as rdfs:Literal, and
literal values of such datatypes as plain strings, so they are checked as literals. HermiT runs in a
Java virtual machine: `java` must be on the PATH (Debian: default-jre-headless).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from registry.errors import Unavailable
from registry.resources import Resources

#: the datatypes HermiT supports (the OWL 2 datatype map)
OWL2_DATATYPES = {str(XSD[t]) for t in (
    "decimal", "integer", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger", "negativeInteger", "long",
    "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "double", "float",
    "string", "normalizedString", "token", "language", "Name", "NCName", "NMTOKEN", "boolean", "hexBinary",
    "base64Binary", "anyURI", "dateTime", "dateTimeStamp")} | {
    str(RDFS.Literal), str(RDF.PlainLiteral), str(RDF.XMLLiteral), str(OWL.real), str(OWL.rational)}


class OntologyCheckError(Unavailable):
    """The check could not run (no Java, a file that does not parse): not a verdict on the ontology."""


@dataclass
class OntologyReport:
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    classes: int = 0
    properties: int = 0
    individuals: int = 0
    #: where an inconsistency lies: "ontology" (the classes and properties alone) or "individuals"
    inconsistency_in: str | None = None
    #: statements that break a declared datatype range: the likely cause of an inconsistency
    suspects: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable

    def message(self) -> str:
        if not self.consistent:
            where = ("the ontology's classes and properties contradict each other"
                     if self.inconsistency_in == "ontology" else
                     "the authority catalogue or the vocabularies, loaded as individuals, contradict the ontology")
            text = f"the ontology is inconsistent: {where}"
            if self.suspects:
                text += "; suspects: " + "; ".join(self.suspects)
            return text
        if self.unsatisfiable:
            return "unsatisfiable classes (no individual can ever belong to them): " + ", ".join(self.unsatisfiable)
        return (f"consistent, every class satisfiable ({self.classes} classes, {self.properties} properties, "
                f"{self.individuals} individuals checked with HermiT)")

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "consistent": self.consistent, "unsatisfiable": self.unsatisfiable,
                "inconsistency_in": self.inconsistency_in, "suspects": self.suspects, "classes": self.classes,
                "properties": self.properties, "individuals": self.individuals, "files": self.files,
                "message": self.message()}


def reasoner_input(resources: Resources, *, individuals: bool = True) -> tuple[Graph, Graph]:
    """(the ontology, the individuals) as graphs HermiT accepts."""
    tbox = _owl2_datatypes(resources.ontology())
    abox = Graph()
    if individuals:
        for g in (resources.authorities(), resources.vocabularies()):
            for t in g:
                abox.add(t)
        abox = _owl2_datatypes(abox)
    return tbox, abox


def _owl2_datatypes(g: Graph) -> Graph:
    out = Graph()
    for s, p, o in g:
        if p == RDFS.range and isinstance(o, URIRef) and str(o).startswith(str(XSD)) and str(o) not in OWL2_DATATYPES:
            o = RDFS.Literal
        elif isinstance(o, Literal) and o.datatype is not None and str(o.datatype) not in OWL2_DATATYPES:
            o = Literal(str(o))
        out.add((s, p, o))
    return out


def _reason(graph: Graph, workdir: Path) -> tuple[bool, list[str], int, int, int]:
    """(consistent, unsatisfiable class IRIs, classes, properties, individuals) from one HermiT run."""
    import owlready2

    path = workdir / f"input-{len(list(workdir.iterdir()))}.nt"
    graph.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    try:
        world.get_ontology(path.as_uri()).load()
        named = {x for x in graph.subjects(RDF.type, None) if isinstance(x, URIRef)}
        declared = {x for x, t in graph.subject_objects(RDF.type) if t in (OWL.Class, RDFS.Class, OWL.Ontology) or
                    str(t).startswith(str(OWL)) and str(t).endswith("Property")}
        counts = (len(list(world.classes())), len(list(world.properties())), len(named - declared))
        try:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            return False, [], *counts
        except owlready2.OwlReadyJavaError as e:
            raise OntologyCheckError(f"HermiT failed: {str(e).strip()[:2000]}") from None
        unsat = sorted({c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing})
        return True, unsat, *counts
    finally:
        world.close()


def _range_suspects(tbox: Graph, abox: Graph) -> list[str]:
    """Literal values outside their property's declared datatype range (what HermiT finds
    inconsistent most often), named for the report."""
    ranges = {p: r for p, r in tbox.subject_objects(RDFS.range) if str(r).startswith(str(XSD))}
    out = []
    for s, p, o in abox:
        r = ranges.get(p)
        if r is None or not isinstance(o, Literal) or r == RDFS.Literal:
            continue
        if (o.datatype or XSD.string) != r or o.ill_typed:
            out.append(f"{s.n3()} {p.n3()} {o.n3()} (the range is {r.n3()})")
    return sorted(out)


def require_reasoner() -> None:
    """Raise OntologyCheckError, in one line naming what to install, when the reasoner cannot start:
    owlready2 absent, or no Java runtime where owlready2 looks for one (owlready2.JAVA_EXE)."""
    try:
        import owlready2  # imported when the check runs: the rest of the registry never needs it
    except ImportError:
        raise OntologyCheckError("the ontology check needs owlready2, which is not installed: "
                                 "pip install owlready2") from None
    java = getattr(owlready2, "JAVA_EXE", "java")
    if shutil.which(java) is None:
        raise OntologyCheckError(f"the ontology check runs the HermiT reasoner, which needs Java, and {java!r} is "
                                 f"not on the PATH: install a Java runtime (Debian or Ubuntu: apt-get install "
                                 f"default-jre-headless; macOS: brew install openjdk) and run it again")


def check(resources: Resources | None = None, *, individuals: bool = True) -> OntologyReport:
    """Run HermiT on the ontology (and the individuals); raises OntologyCheckError when it cannot run."""
    require_reasoner()
    res = resources or Resources()
    try:
        tbox, abox = reasoner_input(res, individuals=individuals)
    except Exception as e:  # rdflib's parsers raise many types
        raise OntologyCheckError(f"cannot read the ontology files under {res.root}: {e}") from None
    files = ["ontology/registry.ttl"] + (["ontology/authorities.ttl", "ontology/vocabularies/*.ttl"] if individuals else [])
    with tempfile.TemporaryDirectory(prefix="ontology-check-") as tmp:
        work = Path(tmp)
        consistent, unsat, classes, properties, count = _reason(tbox + abox, work)
        report = OntologyReport(consistent, unsat, classes, properties, count, files=files)
        if not consistent:
            alone, _, _, _, _ = _reason(tbox, work) if len(abox) else (False, [], 0, 0, 0)
            report.inconsistency_in = "individuals" if alone else "ontology"
            if alone:
                report.suspects = _range_suspects(tbox, abox)
    return report
