"""The read-only SPARQL service behind `/sparql`: which view a caller queries (anonymous callers and
stewards the public view, privacy officers the officer view, admins the whole store), checks on the query
text, and evaluation in the sandboxed evaluator processes against a snapshot of that view (store/
evaluator*.py). The HTTP protocol itself is in api/sparql.py."""

from __future__ import annotations

import asyncio
import functools
import os
import re
from dataclasses import dataclass

from registry.errors import BadInput, Forbidden, RegistryError, Unavailable
from registry.projections.views import GraphView, Views
from registry.services.auth import Caller
from registry.services.registry import Registry
from registry.store import formats
from registry.store.evaluator import Job, WorkerLimits
from registry.store.evaluator_pool import (
    EvaluationTimeout,
    EvaluatorCrashed,
    EvaluatorPool,
    EvaluatorUnavailable,
    PoolBusy,
)
from registry.store.oxigraph import OxigraphStore
from registry.store.snapshots import Snapshots


# --------------------------------------------------------------------------------------- errors
class SparqlError(RegistryError):
    """A SPARQL request that cannot be answered; each is also one of the registry's errors (BadInput,
    Forbidden, Unavailable), which gives its status."""

    title = "SPARQL error"
    code = "sparql-error"


class ProtocolViolation(SparqlError, BadInput):
    title = "Not a SPARQL protocol request"
    code = "sparql-protocol"


class QuerySyntaxError(SparqlError, BadInput):
    title = "Malformed query"
    code = "sparql-malformed-query"


class UpdateRefused(SparqlError, Forbidden):
    title = "Updates are not accepted"
    code = "sparql-read-only"


class ServiceRefused(SparqlError, BadInput):
    title = "SERVICE is not allowed"
    code = "sparql-service-not-allowed"


class ResultTooLarge(SparqlError, BadInput):
    title = "Result too large"
    code = "sparql-result-too-large"


class QueryTimeout(SparqlError, Unavailable):
    title = "Query timed out"
    code = "sparql-timeout"


class EndpointBusy(SparqlError, Unavailable):
    title = "Too many queries running"
    code = "sparql-busy"


class QueryFailed(SparqlError, BadInput):
    title = "Query failed"
    code = "sparql-query-failed"


class EvaluatorDown(SparqlError, Unavailable):
    title = "SPARQL evaluator unavailable"
    code = "sparql-unavailable"


class QueryTooComplex(SparqlError, BadInput):
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


#: the most ( { [ a query's text may hold, counted everywhere (strings and comments too, so no spelling
#: hides one): a bound on its nesting that its evaluator's stack holds ten times over
MAX_RAW_OPENERS = 2048
#: the most operator signs (! | & + * / ^ = < > - . ; ,) a query's text may hold, counted the same way:
#: a bound on the depth of the expression and path trees the parser builds from chains of them
MAX_RAW_OPERATORS = 8192
_RAW_OPENERS = re.compile(r"[({\[]")
_RAW_OPERATORS = re.compile(r"[!|&+*/^=<>\-.;,]")


@dataclass(frozen=True)
class RawCounts:
    openers: int
    operators: int


def raw_counts(query: str) -> RawCounts:
    """Signs counted in the raw text, with no attempt to read it: an upper bound whatever the lexer."""
    return RawCounts(len(_RAW_OPENERS.findall(query)), len(_RAW_OPERATORS.findall(query)))


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


def check_text(query: str) -> Scan:
    """What the query's text says, once it passed the checks a text can fail (too complex, an update,
    SERVICE)."""
    raw = raw_counts(query)
    if raw.openers > MAX_RAW_OPENERS or raw.operators > MAX_RAW_OPERATORS:
        raise QueryTooComplex(f"the query has {raw.openers} of ( {{ [ and {raw.operators} operator signs: at "
                              f"most {MAX_RAW_OPENERS} and {MAX_RAW_OPERATORS}", limit=MAX_RAW_OPENERS)
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
    return s


#: queries at most this long have their checks kept (the same named queries come again and again), at
#: most `CHECKS_KEPT` of them, the most recent; a longer query's scan is work enough to be run on a thread
CHECKS_KEPT_CHARS = 16_384
CHECKS_KEPT = 256
_recently_checked = functools.lru_cache(maxsize=CHECKS_KEPT)(check_text)


# ------------------------------------------------------------------------------------- results
@dataclass
class Answer:
    """A bounded answer as the evaluator wrote it, in the media type asked for its kind."""

    kind: str  # "solutions" | "boolean" | "triples"
    payload: bytes = b""
    boolean: bool = False
    view: str = "public"


#: the media types offered for each kind of answer (SELECT, ASK, CONSTRUCT or DESCRIBE); the first is the default
OFFERED = formats.OFFERED
#: the kind of answer each query form gives
KIND_OF_FORM = {"ASK": "boolean", "CONSTRUCT": "triples", "DESCRIBE": "triples"}


def _text(payload: bytes) -> str:
    return payload.decode("utf-8", "replace")


# ------------------------------------------------------------------------------------- running
@dataclass(frozen=True)
class Limits:
    timeout: float
    max_rows: int
    max_concurrent: int  # queries of authenticated callers at once
    anonymous_max_concurrent: int = 2  # queries of anonymous callers at once, apart from the above
    memory_mb: int = 2048  # an evaluator process's memory, besides its stack
    processes: int = 0  # evaluator processes of each pool (0: one per core); queries past them wait their turn


@dataclass(frozen=True)
class Dataset:
    """Graphs named by the protocol (default-graph-uri, named-graph-uri); None when none were."""

    default: tuple[str, ...] = ()
    named: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        return bool(self.default or self.named)


MAX_PROTOCOL_GRAPHS = 100
#: the stack an evaluator runs queries on: room for ten times the nesting `MAX_RAW_OPENERS` allows
EVALUATOR_STACK_BYTES = 1 << 30


class SparqlService:
    """Runs read-only queries for callers, each against a snapshot of the view its role may see, in
    evaluator processes (store/evaluator_pool.py): one pool for anonymous callers and one for the rest."""

    def __init__(self, registry: Registry, views: Views, limits: Limits) -> None:
        self.registry, self.views, self.limits = registry, views, limits
        worker = WorkerLimits(memory_bytes=(limits.memory_mb << 20) + EVALUATOR_STACK_BYTES,
                              stack_bytes=EVALUATOR_STACK_BYTES)
        processes = limits.processes or len(os.sched_getaffinity(0))
        self.pools = {"anonymous": EvaluatorPool("anonymous", limits.anonymous_max_concurrent, worker, processes),
                      "authenticated": EvaluatorPool("authenticated", limits.max_concurrent, worker, processes)}
        home = views.public.home
        self.snapshots = Snapshots(home / "snapshots" if home is not None else None)
        self._local = isinstance(registry.store, OxigraphStore)  # reading its audit head never waits on a server

    def view_for(self, caller: Caller) -> GraphView | None:
        """None means the whole store (admins)."""
        if caller.role == "admin":
            return None
        if caller.role == "privacy-officer":
            return self.views.officer
        return self.views.public

    def pool_for(self, caller: Caller) -> EvaluatorPool:
        return self.pools["anonymous" if caller.anonymous else "authenticated"]

    def check(self, query: str, dataset: Dataset) -> Scan:
        s = _recently_checked(query) if len(query) <= CHECKS_KEPT_CHARS else check_text(query)
        if len(dataset.default) + len(dataset.named) > MAX_PROTOCOL_GRAPHS:
            raise ProtocolViolation(f"at most {MAX_PROTOCOL_GRAPHS} default-graph-uri and named-graph-uri values")
        for g in (*dataset.default, *dataset.named):
            if not formats.is_iri(g):
                raise ProtocolViolation(f"default-graph-uri and named-graph-uri take IRIs: {g[:200]!r} is not one",
                                        value=g[:200])
        return s

    async def run(self, query: str, dataset: Dataset, caller: Caller, base_iri: str | None = None,
                  media: dict[str, str] | None = None, scanned: Scan | None = None) -> Answer:
        """Answer the query, each kind of answer in the media type `media` names for it (its default when
        none). `scanned`: what `check` said of this query already. Runs on the event loop: it waits for its
        evaluator there, and only a snapshot that must be made first is made on a thread."""
        s = scanned or self.check(query, dataset)
        view = self.view_for(caller)
        pool = self.pool_for(caller)

        leased: list[str] = []  # the snapshot the job names: no sweep removes it before its query is done

        async def job() -> Job:
            path = await self._snapshot(view)
            leased.append(path)
            if caller.anonymous:  # one view for the whole pool: its idle processes open a new snapshot now
                pool.prepare(path)
            named = dataset.given or None
            return Job(path=path, query=query, base_iri=base_iri, union=not s.has_dataset,
                       default_graphs=dataset.default if named else None,
                       named_graphs=dataset.named if named else None, max_rows=self.limits.max_rows,
                       media={k: m for k, m in (media or {}).items() if k in OFFERED})

        try:
            outcome = await pool.run(job, self.limits.timeout)
        except PoolBusy:
            raise EndpointBusy(f"{pool.size} queries are running or waiting; try again shortly",
                               limit=pool.size) from None
        except EvaluationTimeout:
            raise self.timeout_error() from None
        except EvaluatorCrashed:
            raise QueryTooComplex("the query could not be evaluated: its evaluator ran out of stack or memory "
                                  "(nested too deeply, or too large an intermediate result); simplify it") from None
        except EvaluatorUnavailable as exc:
            raise EvaluatorDown(f"the SPARQL evaluator is unavailable: {exc}") from None
        finally:
            for path in leased:
                self.snapshots.release(path)
            if leased and self.snapshots.retiring:  # a snapshot no longer the newest waits to be removed
                self.snapshots.sweep(set().union(*(p.paths_in_use() for p in self.pools.values())))
        name = "all" if view is None else view.name
        if outcome.kind == "syntax":
            raise QuerySyntaxError(f"the query is not valid SPARQL 1.1: {_text(outcome.payload)}")
        if outcome.kind == "too-large":
            raise ResultTooLarge(_text(outcome.payload), limit=self.limits.max_rows)
        if outcome.kind == "failed":
            raise QueryFailed(f"the query could not be evaluated: {_text(outcome.payload)}")
        return Answer(outcome.kind, outcome.payload, outcome.boolean, name)

    async def _snapshot(self, view: GraphView | None) -> str:
        """The snapshot of `view` (None: the whole store) at the audit chain's head, leased. The head of an
        embedded store is read here (a read of one small graph); when the newest snapshot is at it, that is
        the answer, with no lock taken. Otherwise, or for a remote store, on a thread: the view catches up
        with the log and a new snapshot is made."""
        if not self._local:
            return await asyncio.to_thread(self._snapshot_now, view)
        path = self.snapshots.leased("all" if view is None else view.name, self.registry.audit.head())
        return path if path is not None else await asyncio.to_thread(self._snapshot_now, view)

    def _snapshot_now(self, view: GraphView | None) -> str:
        return self._whole_store() if view is None else view.snapshot(self.snapshots)

    def _whole_store(self) -> str:
        """A snapshot of the whole store at the audit chain's head, made when the head moved (a remote
        store is copied here through the protocol: queries never go to its server)."""
        try:
            return self.snapshots.path("all", self.registry.audit.head(), self.registry.store)
        except OSError as exc:
            raise EvaluatorDown(f"the store could not be copied for the query: {exc}") from None

    def timeout_error(self) -> QueryTimeout:
        return QueryTimeout(f"the query ran longer than {self.limits.timeout:g} s "
                            f"(REGISTRY_SPARQL_TIMEOUT_SECONDS); narrow it or add a LIMIT",
                            limit_seconds=self.limits.timeout)

    def warm(self) -> None:
        """Start the anonymous callers' evaluator processes now, in the background (a served registry at
        start, so the first public queries find them ready; the signed-in pool starts on its first query)."""
        self.pools["anonymous"].warm()

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
        self.snapshots.close()
