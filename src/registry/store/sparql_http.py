"""A remote SPARQL 1.1 server as the store (`sparql+http://host:port/path`): the Query and Update protocols
over HTTP. A write is staged and then switched in by one operation (`sparql_switch`), so readers see it
whole or not at all; values are bound, never pasted; reads go graph by graph in pages; blank nodes and
literals a server would change (Virtuoso, Fuseki's TDB2: `ValueCodec`) are encoded so they come back as
written. The README's "Remote SPARQL store" says what that means."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from registry.errors import StoreUnavailable
from registry.store.base import (
    SLICE_BYTES,
    BadQuads,
    Row,
    Store,
    Triple,
    bad_quads,
    copy_graphs_via,
    inline_bindings,
    nquads_slices,
    refuse_existing,
    refuse_self_copy,
)
from registry.store.oxigraph import OxigraphStore, write_store
from registry.store.sparql_switch import (
    NtTriple,
    insert_ops,
    is_staging,
    staged_write,
    staging_graphs_query,
    sweep_ops,
    sweep_query,
)
from registry.store.terms import from_ox, to_ox

#: location prefixes that select this backend, and the HTTP scheme each stands for
SCHEMES = {"sparql+http": "http", "sparql+https": "https"}
#: blank nodes are stored as IRIs under this prefix (skolemised), read back as blank nodes
SKOLEM = "urn:x-registry:bnode:"
#: literals a server would not keep exactly are stored with this prefix before their datatype
ENCODED = "urn:x-registry:literal:"
#: graphs Virtuoso keeps for itself (besides its service description, found at start): never listed
#: by quads() or dump(), never dropped by clear()
VIRTUOSO_SYSTEM_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#")
SD_SERVICE = "http://www.w3.org/ns/sparql-service-description#Service"
#: a graph that never holds anything: the dataset of a query asked over no graphs at all
EMPTY_GRAPH = "urn:x-registry:graph:none"

RESULTS_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = XSD + "string"


class SparqlStoreError(StoreUnavailable):
    """The SPARQL server could not be reached, or refused a request (its status and message kept)."""

    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def is_sparql_location(location: str) -> bool:
    return location.split("://", 1)[0].lower() in SCHEMES


# --------------------------------------------------------------------------------- literal codecs
class Codec:
    """How terms travel to and from a server that keeps every term exactly (the SPARQL 1.1 norm):
    only blank nodes are changed (skolemised)."""

    name = "exact"

    def query(self, text: str) -> str:
        """A query as this server must be asked it."""
        return text

    def encode(self, term: Node) -> Node:
        if isinstance(term, BNode):
            return URIRef(SKOLEM + str(term))
        return term

    def decode(self, term: Node) -> Node:
        if isinstance(term, URIRef):
            s = str(term)
            if s.startswith(SKOLEM):
                return BNode(s[len(SKOLEM):])
        elif isinstance(term, Literal) and term.datatype is not None and str(term.datatype).startswith(ENCODED):
            return _literal(str(term), str(term.datatype)[len(ENCODED):])
        return term


_INTEGER_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
                                    "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt",
                                    "unsignedShort", "unsignedByte")}
#: XSD datatypes whose lexical forms Virtuoso (7.2.5) and TDB2 (Fuseki 5.6) keep as they are (measured)
_VERBATIM = {XSD + t for t in ("string", "anyURI", "token", "normalizedString", "gYear", "gYearMonth")}
_CANONICAL_INTEGER = re.compile(r"^(0|-?[1-9][0-9]{0,17})$")
_PLAIN_DATE = re.compile(r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$")
#: the form Python's isoformat() gives a UTC time: what the registry writes for every timestamp
_UTC_ISOFORMAT = re.compile(r"^([1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]{6})?\+00:00$")
#: that time as a server gives it back: with Z, its fraction's trailing zeros dropped (Virtuoso, TDB2)
_SERVER_UTC = re.compile(r"^([1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(\.([0-9]{1,6}))?Z$")


_DATATYPE_OF = re.compile(r"\bDATATYPE\s*\(\s*(\?\w+)\s*\)", re.IGNORECASE)


class ValueCodec(Codec):
    """For servers that keep the value of a typed literal they know, not its lexical form: Virtuoso (7.2)
    and Fuseki's TDB2 (which stores integers, decimals, doubles, booleans and date-times as values). Sent as
    they are, because both return them unchanged: plain and language-tagged strings; canonical integers (no
    sign, no leading zero, up to 18 digits); ``true``/``false`` (Virtuoso answers 1/0, read back as
    true/false); dates without a time zone; the string-like XSD types above; datatypes outside XSD. A UTC
    date-time in the form Python's ``isoformat()`` writes is sent with ``Z`` and read back in that form, so
    the registry's own timestamps stay date-times that the server compares and sorts. Every other typed
    literal (decimals, doubles, durations, other date-times...) is stored under
    ``urn:x-registry:literal:{datatype}``: kept exactly, compared only for equality. Left as Virtuoso has
    it: it holds true and 1 (false and 0) for the same value, so a pattern with a bound integer 1 also
    matches a true (the registry binds no integer where booleans are)."""

    name = "values"

    def query(self, text: str) -> str:
        """`DATATYPE(?x)` answers an encoded literal's own datatype, not the encoding's (SHACL's sh:datatype
        checks of `registry validate` ask it of retention periods, which are xsd:duration)."""
        return _DATATYPE_OF.sub(lambda m: f'IRI(REPLACE(STR(DATATYPE({m[1]})), "^{ENCODED}", ""))', text)

    def encode(self, term: Node) -> Node:
        term = super().encode(term)
        if not isinstance(term, Literal) or term.datatype is None:
            return term
        dt_, lex = str(term.datatype), str(term)
        if dt_ == XSD + "dateTime":
            m = _UTC_ISOFORMAT.match(lex)
            if m:
                return _literal(m.group(1) + (m.group(2) or "") + "Z", dt_)
        elif dt_ == XSD + "boolean":
            if lex in ("true", "false"):
                return term
        elif dt_ in _INTEGER_TYPES:
            if _CANONICAL_INTEGER.match(lex):
                return term
        elif dt_ == XSD + "date":
            if _PLAIN_DATE.match(lex):
                return term
        elif dt_ in _VERBATIM or not (dt_.startswith(XSD) or dt_.startswith(ENCODED) or _is_rdf_literal(dt_)):
            return term
        return _literal(lex, ENCODED + dt_)

    def decode(self, term: Node) -> Node:
        if isinstance(term, Literal) and term.datatype is not None:
            dt_, lex = str(term.datatype), str(term)
            if dt_ == XSD + "boolean":
                return _literal({"1": "true", "0": "false"}.get(lex, lex), dt_)
            if dt_ == XSD + "dateTime":
                m = _SERVER_UTC.match(lex)
                if m:
                    micro = int((m.group(3) or "0").ljust(6, "0"))
                    return _literal(m.group(1) + (f".{micro:06d}" if micro else "") + "+00:00", dt_)
        return super().decode(term)


def _is_rdf_literal(dt: str) -> bool:
    return dt.startswith("http://www.w3.org/1999/02/22-rdf-syntax-ns#")


def _literal(lex: str, datatype: str) -> Literal:
    """A literal built the way `from_ox` builds it (xsd:string as a plain literal)."""
    if datatype == _XSD_STRING:
        return Literal(lex)
    return Literal(lex, datatype=URIRef(datatype))


#: `literals=` of a location; "virtuoso" is the older name of "values"
CODECS: dict[str, Codec] = {"exact": Codec(), "values": ValueCodec(), "virtuoso": ValueCodec()}
#: servers recognised by `auto` (in the name `_probe` finds), and the codec each gets
_VALUE_SERVERS = ("virtuoso", "fuseki")


# ------------------------------------------------------------------------------------ HTTP auth
class _ChallengeAuth(httpx.Auth):
    """User and password from the location: Basic or Digest, whichever the server asks for first, then
    that one from the start of every request."""

    def __init__(self, user: str, password: str) -> None:
        self.basic = httpx.BasicAuth(user, password)
        self.digest = httpx.DigestAuth(user, password)
        self.chosen: httpx.Auth | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.chosen is None:
            response = yield request
            if response.status_code != 401:
                return
            challenge = response.headers.get("www-authenticate", "").lower()
            self.chosen = self.digest if challenge.startswith("digest") else self.basic
        yield from self.chosen.auth_flow(request)


# ---------------------------------------------------------------------------------------- store
class SparqlHttpStore:
    """A `Store` over a SPARQL 1.1 server: queries to `query_url`, updates to `update_url`."""

    #: N-Quads are parsed in slices of about this many bytes (whole lines)
    slice_bytes = SLICE_BYTES
    in_process = False

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        *,
        auth: httpx.Auth | None = None,
        timeout: float = 60.0,
        literals: str = "auto",
        page_size: int = 5000,
        batch_triples: int = 2000,
        request_triples: int = 20000,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.page_size = page_size
        self.batch_triples = batch_triples
        #: a marker of a write older than this (seconds) was cut short: the first write sweeps its staging
        self.stale_after = 3600.0
        self._swept = False
        self.request_triples = request_triples
        self._client = httpx.Client(timeout=timeout, auth=auth, transport=transport, follow_redirects=True,
                                    headers={"User-Agent": "gov-data-registry (sparql+http store)"})
        try:
            self.server = self._probe()
        except BaseException:
            self._client.close()
            raise
        if literals == "auto":
            literals = "values" if any(n in self.server.lower() for n in _VALUE_SERVERS) else "exact"
        if literals not in CODECS:
            raise ValueError(f"literals={literals!r}: use auto, exact or values")
        self.codec = CODECS[literals]
        #: whether a write's staging and switch go in one request: where the server runs a request in one
        #: transaction (Fuseki: one commit, not two). Elsewhere two (see sparql_switch)
        self.one_request = "fuseki" in self.server.lower()
        self.hidden_graphs: tuple[str, ...] = ()
        if "virtuoso" in self.server.lower():
            self._hide(VIRTUOSO_SYSTEM_GRAPHS)

    def _hide(self, known: tuple[str, ...]) -> None:
        """Virtuoso's own graphs (and its service description): left out of quads(), dump() and
        clear(). Queries over the union default graph still see them (Virtuoso's pragma
        input:default-graph-exclude turns the default graph into an empty dataset in 7.2.5); the
        registry's queries never match their vocabulary."""
        rows = self._results(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s a <{SD_SERVICE}> }} }}")
        found = [b["g"]["value"] for b in rows["results"]["bindings"] if b.get("g", {}).get("type") == "uri"]
        self.hidden_graphs = tuple(sorted(set(known) | set(found)))

    @classmethod
    def from_location(cls, location: str, **kwargs: Any) -> SparqlHttpStore:
        """``sparql+http[s]://[user:password@]host[:port]/path[?update=URL&timeout=S&literals=MODE]``.
        The three options are read here and not sent to the server; other query parameters stay on
        the endpoint's URL."""
        parts = urlsplit(location)
        scheme = SCHEMES.get(parts.scheme.lower())
        if scheme is None or not parts.hostname:
            raise ValueError(f"not a SPARQL store location: {location!r} (use sparql+http://host:port/path)")
        options = {"update": None, "timeout": "60", "literals": "auto"}
        kept: list[tuple[str, str]] = []
        for k, v in parse_qsl(parts.query, keep_blank_values=True):
            if k in options:
                options[k] = v
            else:
                kept.append((k, v))
        netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        if parts.port:
            netloc += f":{parts.port}"
        query_url = urlunsplit((scheme, netloc, parts.path or "/", urlencode(kept), ""))
        update = options["update"]
        update_url = urljoin(query_url, update) if update else None
        auth = _ChallengeAuth(unquote(parts.username), unquote(parts.password or "")) if parts.username else None
        try:
            timeout = float(options["timeout"] or 60)
        except ValueError:
            raise ValueError(f"timeout={options['timeout']!r} is not a number of seconds") from None
        return cls(query_url, update_url, auth=auth, timeout=timeout, literals=options["literals"] or "auto", **kwargs)

    # ------------------------------------------------------------------ terms
    def _nt(self, term: Node) -> str:
        """One term as N-Triples, as this server stores it (to_ox rejects what is not valid RDF)."""
        return str(to_ox(self.codec.encode(term)))

    def _bind(self, query: str, bindings: Mapping[str, Node] | None) -> str:
        """The query as sent: its variables bound, and what the codec changes (`Codec.query`). Bound by the
        shared `inline_bindings`, one variable at a time: a VALUES block per variable means the
        same (each holds one row) and Virtuoso 7.2's compiler fails on some queries that filter on a
        variable of a VALUES block of several ("ssg_print_rvr_fixed_val(): no SPART_VARR_FIXED")."""
        for name, value in (bindings or {}).items():
            query = inline_bindings(query, {name: value}, self._nt)
        return self.codec.query(query)

    def _graph_name(self, graph: str) -> str:
        return self._nt(URIRef(graph))

    def _term(self, b: Mapping[str, str]) -> Node:
        """An rdflib term from a SPARQL JSON results binding."""
        kind, value = b.get("type"), b.get("value", "")
        term: Node
        if kind == "uri":
            term = URIRef(value)
        elif kind == "bnode":
            term = BNode(re.sub(r"[^A-Za-z0-9_]", "_", value.removeprefix("nodeID://")))
        elif kind in ("literal", "typed-literal"):
            lang = b.get("xml:lang")
            if lang:
                term = Literal(value, lang=lang)
            else:
                term = _literal(value, b["datatype"]) if b.get("datatype") else Literal(value)
        else:
            raise SparqlStoreError(f"the server answered a term of unknown type {kind!r}")
        return self.codec.decode(term)

    def _from_ox(self, term: Any) -> Node:
        return self.codec.decode(from_ox(term))

    # ------------------------------------------------------------------- HTTP
    def _post(self, url: str, data: Mapping[str, Any], accept: str) -> httpx.Response:
        try:
            response = self._client.post(url, data=data, headers={"Accept": accept})
        except httpx.HTTPError as e:
            self._swept = False  # the server may come back from a crash: the next write sweeps again
            raise SparqlStoreError(f"cannot reach the SPARQL server at {url}: {e}") from None
        if response.status_code >= 400:
            text = response.text.strip()
            raise SparqlStoreError(f"the SPARQL server answered {response.status_code}: {text[:500]}",
                                   status=response.status_code, body=text)
        return response

    def _probe(self) -> str:
        """Check the server answers a query; returns its name: its Server header (Virtuoso's names it), or
        Fuseki's, which sends none but a Fuseki-Request-Id."""
        r = self._post(self.query_url, {"query": "ASK { }"}, RESULTS_JSON)
        if "fuseki-request-id" in r.headers:
            return "Apache Jena Fuseki"
        return str(r.headers.get("server", ""))

    def _query(self, query: str, accept: str, graphs: list[str] | None = None) -> httpx.Response:
        data: dict[str, Any] = {"query": query}
        if graphs is not None:
            names = graphs or [EMPTY_GRAPH]
            data["default-graph-uri"] = names
            data["named-graph-uri"] = names
        return self._post(self.query_url, data, accept)

    def _results(self, query: str, graphs: list[str] | None = None) -> Any:
        r = self._query(query, RESULTS_JSON, graphs)
        limit = r.headers.get("x-sparql-maxrows")
        if limit is not None:
            raise SparqlStoreError(f"the SPARQL server cut the answer at {limit} rows (its result limit, e.g. "
                                   f"Virtuoso's ResultSetMaxRows): raise the limit", status=r.status_code)
        try:
            return r.json()
        except ValueError:
            raise SparqlStoreError(f"the SPARQL server answered something other than SPARQL JSON results: "
                                   f"{r.text[:200]}") from None

    def _update(self, update: str) -> None:
        self._post(self.update_url, {"update": update}, "*/*")

    # ----------------------------------------------------------------- writes
    def _triples(self, triples: Iterable[Triple]) -> list[NtTriple]:
        return [(self._nt(s), self._nt(p), self._nt(o)) for s, p, o in triples]

    def deferred_sync(self, *, early: bool = False) -> contextlib.AbstractContextManager[None]:
        """Durability is the server's: an update is acknowledged when the server answers it."""
        return contextlib.nullcontext()

    def replace_graphs(self, graphs: Mapping[str, Iterable[Triple]], *,
                       holding: Mapping[str, Iterable[Triple]] | None = None) -> None:
        # everything is serialised (and so checked) before the one request is sent; `holding` is not needed:
        # the staged graphs are switched in whole
        staged = {self._graph_name(g): self._triples(t) for g, t in graphs.items()}
        if staged:
            self._write(staged, replace=True)

    def add_to_graph(self, graph: str, triples: Iterable[Triple]) -> None:
        lines = self._triples(triples)
        if not lines:
            return
        if len(lines) <= self.batch_triples:  # one INSERT DATA: one operation, whole or not at all
            self._update(insert_ops([(self._graph_name(graph), [" ".join(t) + " ." for t in lines])],
                                    self.batch_triples)[0])
        else:
            self._write({self._graph_name(graph): lines}, replace=False)

    def _write(self, graphs: dict[str, list[NtTriple]], *, replace: bool) -> None:
        """The triples staged, then switched in by one operation (`sparql_switch`): two update requests, or
        one where the server runs a request in one transaction (`one_request`)."""
        if not self._swept:
            self._sweep()
        started = self._nt(Literal(dt.datetime.now(dt.UTC).isoformat(), datatype=URIRef(XSD + "dateTime")))
        ops = staged_write(uuid.uuid4().hex, graphs, replace=replace, started=started, batch=self.batch_triples)
        if self.one_request:
            self._update(" ;\n".join(ops))
        else:
            self._update(" ;\n".join(ops[:-1]))
            self._update(ops[-1])

    def _sweep(self) -> None:
        """Remove what writes cut short (a crash of the server or of a writer) left: staging graphs no reader
        sees, found by their markers once they are older than `stale_after` (a write under way elsewhere is
        younger)."""
        now = time.time()
        for row in self._results(sweep_query())["results"]["bindings"]:
            marker, started = self._term(row["marker"]), self._term(row["started"])
            try:
                age = now - dt.datetime.fromisoformat(str(started)).timestamp()
            except ValueError:
                age = float("inf")
            if age >= self.stale_after:  # names the server gave are checked as any term (to_ox) before use
                found = self._results(staging_graphs_query(self._nt(Literal(f"{marker}:"))))["results"]["bindings"]
                self._update(" ;\n".join(sweep_ops(self._nt(marker), (self._nt(self._term(b["g"])) for b in found))))
        self._swept = True

    # ------------------------------------------------------------------ reads
    def _paged(self, select: str, order: str, graphs: list[str] | None = None) -> Iterator[Row]:
        """Every row of `select` (a SELECT without modifiers), page by page in a stable order."""
        offset, page = 0, self.page_size
        while True:
            r = self._query(f"{select}\nORDER BY {order}\nLIMIT {page} OFFSET {offset}", RESULTS_JSON, graphs)
            limit = r.headers.get("x-sparql-maxrows")
            if limit is not None and limit.isdigit() and 0 < int(limit) < page:
                page = int(limit)  # the server keeps fewer rows than a page: ask for smaller pages
                continue
            bindings = r.json()["results"]["bindings"]
            for b in bindings:
                yield {k: self._term(v) for k, v in b.items()}
            if len(bindings) < page:
                return
            offset += page

    def graph(self, graph: str) -> list[Triple]:
        rows = self._paged(f"SELECT ?s ?p ?o WHERE {{ GRAPH {self._graph_name(graph)} {{ ?s ?p ?o }} }}", "?s ?p ?o")
        return [(r["s"], r["p"], r["o"]) for r in rows]

    def has_graph(self, graph: str) -> bool:
        return bool(self._results(f"ASK {{ GRAPH {self._graph_name(graph)} {{ ?s ?p ?o }} }}").get("boolean"))

    def graph_names(self) -> list[str]:
        """Every named graph that holds something, but the server's own (Virtuoso's system graphs) and the
        staging of writes (`sparql_switch`)."""
        return self._graph_names(ours=True)

    def _graph_names(self, *, ours: bool) -> list[str]:
        """The graph names, with the staging of writes unless `ours`. Read in pages that each start after the
        last name of the one before, not at an offset: a server sorts at most so many rows for one answer
        (Virtuoso's MaxSortedTopRows, 10,000 by default), offset included."""
        names: list[str] = []
        after = ""
        while True:
            r = self._results("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } " + after + "}\n"
                              f"ORDER BY STR(?g) LIMIT {self.page_size}")
            page = [self._term(b["g"]) for b in r["results"]["bindings"] if b.get("g", {}).get("type") == "uri"]
            names += [str(g) for g in page]
            if len(r["results"]["bindings"]) < self.page_size or not page:
                break
            after = f"FILTER(STR(?g) > {self._nt(Literal(str(page[-1])))}) "
        return sorted(n for n in set(names) if n not in self.hidden_graphs and not (ours and is_staging(n)))

    def select(
        self, query: str, bindings: Mapping[str, Node] | None = None, *, graphs: list[str] | None = None
    ) -> list[Row]:
        data = self._results(self._bind(query, bindings), graphs)
        if "results" not in data:
            raise SparqlStoreError("the SPARQL server answered a SELECT without results")
        return [{k: self._term(v) for k, v in b.items()} for b in data["results"]["bindings"]]

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        data = self._results(self._bind(query, bindings))
        if "boolean" not in data:
            raise SparqlStoreError("the SPARQL server answered an ASK without a boolean")
        return bool(data["boolean"])

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Triple]:
        r = self._query(self._bind(query, bindings), f"{NTRIPLES}, text/plain;q=0.9, text/turtle;q=0.5")
        ctype = r.headers.get("content-type", "").split(";")[0].strip().lower()
        fmt = ox.RdfFormat.TURTLE if ctype == "text/turtle" else ox.RdfFormat.N_TRIPLES
        try:
            parsed = list(ox.parse(r.content, format=fmt))
        except SyntaxError as e:
            raise SparqlStoreError(f"the SPARQL server's CONSTRUCT answer is not valid {ctype}: {e}") from None
        return [(self._from_ox(t.subject), self._from_ox(t.predicate), self._from_ox(t.object)) for t in parsed]

    # ------------------------------------------------------------------- bulk
    def bulk_load(self, path: Path, fmt: str, progress: Callable[[int], None] | None = None) -> int:
        # the file is read twice: once to refuse a bad file before anything is sent, then to send it
        for _ in self._parsed(path, fmt):
            pass
        count = 0
        pending: dict[str, list[str]] = {}
        size = 0
        for q, read in self._parsed(path, fmt):
            if q is not None:
                s, p, o = (self._from_ox(t) for t in (q.subject, q.predicate, q.object))
                pending.setdefault(self._graph_name(getattr(q.graph_name, "value", "")), []).append(
                    f"{self._nt(s)} {self._nt(p)} {self._nt(o)} .")
                count += 1
                size += 1
            if size >= self.request_triples:
                self._update(" ;\n".join(insert_ops(pending.items(), self.batch_triples)))
                pending, size = {}, 0
            if read and progress:
                progress(read)
        if pending:
            self._update(" ;\n".join(insert_ops(pending.items(), self.batch_triples)))
        return count

    def _parsed(self, path: Path, fmt: str) -> Iterator[tuple[ox.Quad | None, int]]:
        """The quads of a file, each with 0, and after each slice of the file (None, bytes read)."""
        if fmt == "trig":
            slices: Iterable[tuple[bytes, int]] = [(path.read_bytes(), 0)]
        elif fmt == "nquads":
            slices = nquads_slices(path, self.slice_bytes)
        else:
            raise ValueError(f"cannot bulk-load {fmt}")
        form = ox.RdfFormat.TRIG if fmt == "trig" else ox.RdfFormat.N_QUADS
        for data, offset in slices:
            try:
                for q in ox.parse(input=data, format=form):
                    if not isinstance(q.graph_name, ox.NamedNode):
                        raise BadQuads(f"{path.name} has triples outside named graphs: the registry keeps "
                                       f"every triple in a named graph")
                    yield q, 0
            except SyntaxError as e:
                raise bad_quads(path, e, offset) from None
            yield None, len(data)

    def quads(self) -> Iterator[tuple[Node, Node, Node, Node]]:
        return self._quads_of(self.graph_names())

    def _quads_of(self, names: list[str]) -> Iterator[tuple[Node, Node, Node, Node]]:
        """The quads of these graphs, read a hundred graphs a query, in pages."""
        batch = 100
        for start in range(0, len(names), batch):
            for r in self._rows_of(names[start:start + batch]):
                yield r["s"], r["p"], r["o"], r["g"]

    def _rows_of(self, names: list[str]) -> list[Row]:
        """The quads of a few graphs as rows. A server that refuses to sort that many rows for a page
        (Virtuoso's MaxSortedTopRows counts the offset too) is asked for half as many graphs at a time."""
        values = " ".join(self._graph_name(g) for g in names)
        select = f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"
        try:
            return list(self._paged(select, "?g ?s ?p ?o"))
        except SparqlStoreError as e:
            if len(names) == 1 or e.status is None or e.status < 500:
                raise
        half = len(names) // 2
        return self._rows_of(names[:half]) + self._rows_of(names[half:])

    def _graphs_of(self, names: list[str]) -> dict[str, list[Triple]]:
        graphs: dict[str, list[Triple]] = {g: [] for g in names}
        for s, p, o, g in self._quads_of(names):
            graphs[str(g)].append((s, p, o))
        return graphs

    def copy_graphs(self, names: Iterable[str], into: Store, *, atomic: bool = True) -> int:
        """Read a hundred graphs a query (in pages), written into `into` by its `replace_graphs`."""
        refuse_self_copy(self, into)
        return copy_graphs_via(self._graphs_of, names, into, atomic)

    def scratch(self) -> OxigraphStore:
        """An Oxigraph store in memory: derived data stays in this process, never on the server."""
        return OxigraphStore(None)

    def snapshot(self, target: Path) -> None:
        """Every quad (`quads`: graph by graph, in pages) written into a local Oxigraph store: the whole store
        crosses the network, and a copy of it lands on this machine's disk."""
        refuse_existing(target)

        def each() -> Iterator[ox.Quad]:
            for s, p, o, g in self.quads():
                yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), to_ox(g))  # type: ignore[arg-type]

        write_store(target, each())

    def flush(self) -> None:
        """Durability is the server's: nothing is buffered here."""

    def identity(self) -> str:
        """The endpoint: a store the server's operator replaces behind it is not noticed here (the audit
        chain's hashes are what tell)."""
        return f"sparql:{self.query_url}"

    def dump(self, out: Path) -> int:
        count = 0

        def each() -> Iterator[ox.Quad]:
            nonlocal count
            for s, p, o, g in self.quads():
                count += 1
                yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), to_ox(g))  # type: ignore[arg-type]

        ox.serialize(each(), str(out), ox.RdfFormat.N_QUADS)
        return count

    def clear(self) -> None:
        """Drop every graph of the store, staging included (not the server's own): for tests and `registry`
        tooling."""
        if not self.hidden_graphs:  # no graphs of the server's own to keep (Fuseki): one operation
            self._update("DROP ALL")
            return
        names = self._graph_names(ours=False)
        for start in range(0, len(names), 500):
            self._update(" ;\n".join(f"DROP SILENT GRAPH {self._graph_name(g)}" for g in names[start:start + 500]))

    def write_mark(self) -> int | None:
        """None: other processes may write to the server: nothing read from it is kept."""
        return None

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"SparqlHttpStore({self.query_url!r}, server={self.server!r}, literals={self.codec.name!r})"
