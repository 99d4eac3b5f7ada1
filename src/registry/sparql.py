"""The read-only SPARQL service behind `/sparql`: which view a caller queries, bounded execution and
result serialisation. The HTTP protocol itself (parameters, media types) is in api/sparql.py.

Each caller queries one store and nothing else (views.py): anonymous callers and stewards the public
view, privacy officers the officer view (public and restricted record graphs), admins the whole store.
Without FROM, FROM NAMED or protocol graphs, the default graph is the union of the graphs the caller
may see; with them, the named graphs are looked up in the caller's store only, so a graph outside
the view is an empty graph.

Cost is bounded three ways, because an Oxigraph query cannot be cancelled once it runs: SERVICE is
refused before the query runs (it would make the server call out); at most `max_concurrent` queries
run at once (503 when busy); each runs in a worker thread that the request stops waiting for after
`timeout` seconds (503), and which stops reading results at the deadline or once `max_rows` is passed.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from registry.auth import Caller
from registry.errors import RegistryError
from registry.service import Registry
from registry.views import GraphView, Views


# --------------------------------------------------------------------------------------- errors
class SparqlError(RegistryError):
    """A SPARQL request that cannot be answered; `status` is its HTTP status."""

    status = 400
    title = "SPARQL error"
    code = "sparql-error"


class ProtocolViolation(SparqlError):
    title = "Not a SPARQL protocol request"
    code = "sparql-protocol"


class QuerySyntaxError(SparqlError):
    title = "Malformed query"
    code = "sparql-malformed-query"


class UpdateRefused(SparqlError):
    status = 403
    title = "Updates are not accepted"
    code = "sparql-read-only"


class ServiceRefused(SparqlError):
    title = "SERVICE is not allowed"
    code = "sparql-service-not-allowed"


class MediaTypeNotSupported(SparqlError):
    status = 415
    title = "Unsupported media type"
    code = "unsupported-media-type"


class NotAcceptable(SparqlError):
    status = 406
    title = "Not acceptable"
    code = "not-acceptable"


class ResultTooLarge(SparqlError):
    title = "Result too large"
    code = "sparql-result-too-large"


class QueryTimeout(SparqlError):
    status = 503
    title = "Query timed out"
    code = "sparql-timeout"


class EndpointBusy(SparqlError):
    status = 503
    title = "Too many queries running"
    code = "sparql-busy"


class QueryFailed(SparqlError):
    title = "Query failed"
    code = "sparql-query-failed"


class QueryTooComplex(SparqlError):
    """Nested too deeply, or too many patterns: Oxigraph parses and plans queries recursively, so a
    query nested a few hundred levels deep overflows its thread's stack and ends the whole process
    (a segmentation fault, not an exception), and long chains of paths or OPTIONALs take minutes to
    plan before the first row (the timeout answers, but the planning cannot be stopped)."""

    title = "Query too complex"
    code = "sparql-too-complex"


# ---------------------------------------------------------------------------------- lexical scan
_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\" | '''(?:[^'\\]|\\.|'(?!''))*'''
               | "(?:[^"\\\n\r]|\\.)*" | '(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<bnode>_:[\w.\-]+)
  | (?P<pname>(?:[^\W\d_][\w.\-]*)?:[\w.:%\\\-]*)
  | (?P<word>[^\W\d]\w*)
  | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
#: the deepest nesting of { ( [ a query may have (Oxigraph crashed past a few hundred: EXISTS at ~700)
MAX_NESTING = 64
#: the most pattern-building operators (path steps, OPTIONAL, UNION, ...) in one query
MAX_OPERATORS = 256
OPERATOR_WORDS = {"OPTIONAL", "UNION", "MINUS", "FILTER", "EXISTS", "SELECT", "GRAPH", "BIND", "VALUES", "SERVICE"}
OPERATOR_SIGNS = {"/", "|", "{"}  # not "^": "^^" types literals
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


@dataclass(frozen=True)
class Scan:
    """What a query's keywords say, read without running it (strings, IRIs, comments, prefixed names
    and variables are skipped, so `ex:service` or `"FROM"` are not keywords)."""

    keywords: frozenset[str]
    form: str | None
    depth: int = 0
    operators: int = 0

    @property
    def has_dataset(self) -> bool:
        return "FROM" in self.keywords

    @property
    def uses_service(self) -> bool:
        return "SERVICE" in self.keywords


def scan(query: str) -> Scan:
    words: set[str] = set()
    form = None
    depth = deepest = operators = 0
    for m in _TOKEN.finditer(query):
        if m.lastgroup == "word":
            w = m.group().upper()
            words.add(w)
            if form is None and w in QUERY_FORMS:
                form = w
            if form is None and w in UPDATE_WORDS:
                form = "UPDATE"
            operators += w in OPERATOR_WORDS
        elif m.lastgroup == "other":
            c = m.group()
            operators += c in OPERATOR_SIGNS
            if c in "{([":
                depth += 1
                deepest = max(deepest, depth)
            elif c in "})]":
                depth = max(depth - 1, 0)
    return Scan(frozenset(words), form, deepest, operators)


# ------------------------------------------------------------------------------------- results
@dataclass
class Answer:
    """A bounded answer: solutions (variables, rows), a boolean, or triples."""

    kind: str  # "solutions" | "boolean" | "triples"
    variables: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    boolean: bool = False
    triples: list[ox.Triple] = field(default_factory=list)
    view: str = "public"


#: media type -> result format, for SELECT; the first is the default
SOLUTION_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/xml": ox.QueryResultsFormat.XML,
}
BOOLEAN_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/xml": ox.QueryResultsFormat.XML,
}
#: media type -> RDF format, for CONSTRUCT and DESCRIBE; the first is the default
GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "text/plain": ox.RdfFormat.N_TRIPLES,
}


def media_types(answer: Answer) -> dict[str, Any]:
    return {"solutions": SOLUTION_TYPES, "boolean": BOOLEAN_TYPES, "triples": GRAPH_TYPES}[answer.kind]


def _term_json(t: Any) -> dict[str, Any]:
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": t.value}
        if t.language:
            out["xml:lang"] = t.language
        elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = t.datatype.value
        return out
    if isinstance(t, ox.Triple):
        return {"type": "triple", "value": {"subject": _term_json(t.subject), "predicate": _term_json(t.predicate),
                                            "object": _term_json(t.object)}}
    raise TypeError(f"unexpected term {t!r}")


def results_json(answer: Answer) -> bytes:
    if answer.kind == "boolean":
        return json.dumps({"head": {}, "boolean": answer.boolean}).encode()
    bindings = [{v: _term_json(t) for v, t in zip(answer.variables, row, strict=True) if t is not None}
                for row in answer.rows]
    return json.dumps({"head": {"vars": answer.variables}, "results": {"bindings": bindings}},
                      ensure_ascii=False).encode("utf-8")


PREFIXES = {
    "dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/", "odrl": "http://www.w3.org/ns/odrl/2/",
    "org": "http://www.w3.org/ns/org#", "prov": "http://www.w3.org/ns/prov#", "reg": "https://w3id.org/gov-data-registry/ns#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#", "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def serialize(answer: Answer, media: str) -> bytes:
    """The answer in the chosen media type (one of `media_types(answer)`)."""
    if answer.kind == "triples":
        fmt = GRAPH_TYPES[media]
        prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
        out = ox.serialize(answer.triples, format=fmt, prefixes=prefixes)
        return out if isinstance(out, bytes) else b""
    data = results_json(answer)
    fmt = media_types(answer)[media]
    if fmt == ox.QueryResultsFormat.JSON:
        return data
    # the other result formats are written by Oxigraph's own serialisers, from the bounded JSON
    parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
    out = parsed.serialize(format=fmt)
    return out if isinstance(out, bytes) else b""


# ------------------------------------------------------------------------------------- running
@dataclass(frozen=True)
class Limits:
    timeout: float
    max_rows: int
    max_concurrent: int


@dataclass(frozen=True)
class Dataset:
    """Graphs named by the protocol (default-graph-uri, named-graph-uri); None when none were."""

    default: tuple[str, ...] = ()
    named: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        return bool(self.default or self.named)


MAX_PROTOCOL_GRAPHS = 100


class SparqlService:
    """Runs read-only queries for callers, each against the store its role may see."""

    def __init__(self, registry: Registry, views: Views, limits: Limits) -> None:
        self.registry, self.views, self.limits = registry, views, limits
        self._slots = threading.BoundedSemaphore(limits.max_concurrent)

    def view_for(self, caller: Caller) -> GraphView | None:
        """None means the whole store (admins)."""
        if caller.role == "admin":
            return None
        if caller.role == "privacy-officer":
            return self.views.officer
        return self.views.public

    def check(self, query: str, dataset: Dataset) -> Scan:
        s = scan(query)
        if s.form == "UPDATE":
            raise UpdateRefused("this endpoint is read-only: records change through the REST API")
        if s.uses_service:
            raise ServiceRefused("federated queries (SERVICE) are not allowed: the endpoint never calls out")
        if s.depth > MAX_NESTING:
            raise QueryTooComplex(f"the query nests {{ ( [ {s.depth} levels deep: at most {MAX_NESTING}",
                                  limit=MAX_NESTING)
        if s.operators > MAX_OPERATORS:
            raise QueryTooComplex(f"the query has {s.operators} path steps, groups, OPTIONALs, UNIONs and the "
                                  f"like: at most {MAX_OPERATORS}; split it", limit=MAX_OPERATORS)
        if len(dataset.default) + len(dataset.named) > MAX_PROTOCOL_GRAPHS:
            raise ProtocolViolation(f"at most {MAX_PROTOCOL_GRAPHS} default-graph-uri and named-graph-uri values")
        for g in (*dataset.default, *dataset.named):
            try:
                ox.NamedNode(g)
            except ValueError:  # was a 500: the worker made the NamedNode outside its error handling
                raise ProtocolViolation(f"default-graph-uri and named-graph-uri take IRIs: {g[:200]!r} is not one",
                                        value=g[:200]) from None
        return s

    def start(self, query: str, dataset: Dataset, caller: Caller,
              base_iri: str | None = None) -> tuple[Future[Answer], threading.Event]:
        """Start the query in a worker thread; the caller waits on the future with its own timeout and
        sets the event to make the worker stop reading results."""
        s = self.check(query, dataset)
        if not self._slots.acquire(blocking=False):
            raise EndpointBusy(f"{self.limits.max_concurrent} queries are running; try again shortly",
                               limit=self.limits.max_concurrent)
        future: Future[Answer] = Future()
        stop = threading.Event()
        deadline = time.monotonic() + self.limits.timeout

        def work() -> None:
            try:
                if not future.set_running_or_notify_cancel():
                    return
                try:
                    answer = self._execute(query, s, dataset, caller, deadline, stop, base_iri)
                except BaseException as exc:  # handed to the waiting request, which re-raises it
                    # Oxigraph's result iterators must be dropped on the thread that made them: drop the
                    # traceback (whose frames hold them) here, not in the request's thread
                    exc.__traceback__ = None
                    exc.__context__ = None
                    future.set_exception(exc)
                else:
                    future.set_result(answer)
            finally:
                self._slots.release()

        threading.Thread(target=work, name="sparql-query", daemon=True).start()
        return future, stop

    def timeout_error(self) -> QueryTimeout:
        return QueryTimeout(f"the query ran longer than {self.limits.timeout:g} s "
                            f"(REGISTRY_SPARQL_TIMEOUT_SECONDS); narrow it or add a LIMIT",
                            limit_seconds=self.limits.timeout)

    def _execute(self, query: str, s: Scan, dataset: Dataset, caller: Caller, deadline: float,
                 stop: threading.Event, base_iri: str | None) -> Answer:
        view = self.view_for(caller)
        if view is None:
            raw = getattr(self.registry.store, "raw", None)
            if raw is None:
                raise QueryFailed("the SPARQL endpoint needs the Oxigraph store")
            store, name = raw(), "all"
        else:
            store, name = view.store(), view.name
        kwargs: dict[str, Any] = {}
        if dataset.given:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in dataset.default]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in dataset.named]
        elif not s.has_dataset:
            kwargs["use_default_graph_as_union"] = True
        try:
            result = store.query(query, base_iri=base_iri, **kwargs)
            return self._collect(result, deadline, stop, name)
        except SyntaxError as exc:
            raise QuerySyntaxError(f"the query is not valid SPARQL 1.1: {exc}") from None
        except (OSError, ValueError) as exc:
            raise QueryFailed(f"the query could not be evaluated: {exc}") from None

    def _collect(self, result: Any, deadline: float, stop: threading.Event, view: str) -> Answer:
        if isinstance(result, ox.QueryBoolean):
            return Answer("boolean", boolean=bool(result), view=view)
        cap = self.limits.max_rows
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows: list[list[Any]] = []
            for sol in result:
                self._guard(deadline, stop, len(rows), cap)
                rows.append([sol[i] for i in range(len(variables))])
            return Answer("solutions", variables=variables, rows=rows, view=view)
        triples: list[ox.Triple] = []
        for t in _iter(result):
            self._guard(deadline, stop, len(triples), cap)
            triples.append(t)
        return Answer("triples", triples=triples, view=view)

    def _guard(self, deadline: float, stop: threading.Event, count: int, cap: int) -> None:
        if count >= cap:
            raise ResultTooLarge(f"the answer has more than {cap} rows (REGISTRY_SPARQL_MAX_ROWS); "
                                 f"add a LIMIT of at most {cap} or narrow the query", limit=cap)
        if stop.is_set() or time.monotonic() > deadline:
            raise self.timeout_error()


def _iter(result: Any) -> Iterable[ox.Triple]:
    return result  # type: ignore[no-any-return]
