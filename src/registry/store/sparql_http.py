"""A remote SPARQL 1.1 server as the store (`sparql+http://host:port/path`): the Query and Update protocols
over HTTP. A record's graphs are replaced in one update request; values are bound, never pasted; reads go
graph by graph in pages; blank nodes and literals a server would change (Virtuoso: `VirtuosoCodec`) are
encoded so they come back as written. The README's "Remote SPARQL store" says what that means."""

from __future__ import annotations

import contextlib
import re
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
#: XSD datatypes whose lexical forms Virtuoso keeps as they are (measured on 7.2.5)
_VIRTUOSO_VERBATIM = {XSD + t for t in ("string", "anyURI", "token", "normalizedString", "gYear", "gYearMonth")}
_CANONICAL_INTEGER = re.compile(r"^(0|-?[1-9][0-9]{0,17})$")
_PLAIN_DATE = re.compile(r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$")
#: the form Python's isoformat() gives a UTC time: what the registry writes for every timestamp
_UTC_ISOFORMAT = re.compile(r"^([1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]{6})?\+00:00$")
_VIRTUOSO_UTC = re.compile(r"^([1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(\.([0-9]{1,6}))?Z$")


class VirtuosoCodec(Codec):
    """Virtuoso (7.2) keeps the value of a typed literal it knows, not its lexical form. Sent as they
    are, because Virtuoso returns them unchanged: plain and language-tagged strings; canonical
    integers (no sign, no leading zero, up to 18 digits); ``true``/``false`` (Virtuoso answers 1/0,
    read back as true/false); dates without a time zone; the string-like XSD types above; datatypes
    outside XSD. A UTC date-time in the form Python's ``isoformat()`` writes is sent with ``Z`` and
    read back in that form, so the registry's own timestamps stay date-times that the server compares
    and sorts. Every other typed literal (decimals, doubles, durations, other date-times...) is
    stored under ``urn:x-registry:literal:{datatype}``: kept exactly, compared only for equality.
    Left as Virtuoso has it: it holds true and 1 (false and 0) for the same value, so a pattern with
    a bound integer 1 also matches a true (the registry binds no integer where booleans are)."""

    name = "virtuoso"

    def encode(self, term: Node) -> Node:
        term = super().encode(term)
        if not isinstance(term, Literal) or term.datatype is None:
            return term
        dt, lex = str(term.datatype), str(term)
        if dt == XSD + "dateTime":
            m = _UTC_ISOFORMAT.match(lex)
            if m:
                return _literal(m.group(1) + (m.group(2) or "") + "Z", dt)
        elif dt == XSD + "boolean":
            if lex in ("true", "false"):
                return term
        elif dt in _INTEGER_TYPES:
            if _CANONICAL_INTEGER.match(lex):
                return term
        elif dt == XSD + "date":
            if _PLAIN_DATE.match(lex):
                return term
        elif dt in _VIRTUOSO_VERBATIM or not (dt.startswith(XSD) or dt.startswith(ENCODED) or _is_rdf_literal(dt)):
            return term
        return _literal(lex, ENCODED + dt)

    def decode(self, term: Node) -> Node:
        if isinstance(term, Literal) and term.datatype is not None:
            dt, lex = str(term.datatype), str(term)
            if dt == XSD + "boolean":
                return _literal({"1": "true", "0": "false"}.get(lex, lex), dt)
            if dt == XSD + "dateTime":
                m = _VIRTUOSO_UTC.match(lex)
                if m:
                    micro = int((m.group(3) or "0").ljust(6, "0"))
                    return _literal(m.group(1) + (f".{micro:06d}" if micro else "") + "+00:00", dt)
        return super().decode(term)


def _is_rdf_literal(dt: str) -> bool:
    return dt.startswith("http://www.w3.org/1999/02/22-rdf-syntax-ns#")


def _literal(lex: str, datatype: str) -> Literal:
    """A literal built the way `from_ox` builds it (xsd:string as a plain literal)."""
    if datatype == _XSD_STRING:
        return Literal(lex)
    return Literal(lex, datatype=URIRef(datatype))


CODECS: dict[str, Codec] = {"exact": Codec(), "virtuoso": VirtuosoCodec()}


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
        self.request_triples = request_triples
        self._client = httpx.Client(timeout=timeout, auth=auth, transport=transport, follow_redirects=True,
                                    headers={"User-Agent": "gov-data-registry (sparql+http store)"})
        try:
            self.server = self._probe()
        except BaseException:
            self._client.close()
            raise
        if literals == "auto":
            literals = "virtuoso" if "virtuoso" in self.server.lower() else "exact"
        if literals not in CODECS:
            raise ValueError(f"literals={literals!r}: use auto, exact or virtuoso")
        self.codec = CODECS[literals]
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
        """The shared `inline_bindings`, one variable at a time: a VALUES block per variable means the
        same (each holds one row) and Virtuoso 7.2's compiler fails on some queries that filter on a
        variable of a VALUES block of several ("ssg_print_rvr_fixed_val(): no SPART_VARR_FIXED")."""
        for name, value in (bindings or {}).items():
            query = inline_bindings(query, {name: value}, self._nt)
        return query

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
            raise SparqlStoreError(f"cannot reach the SPARQL server at {url}: {e}") from None
        if response.status_code >= 400:
            text = response.text.strip()
            raise SparqlStoreError(f"the SPARQL server answered {response.status_code}: {text[:500]}",
                                   status=response.status_code, body=text)
        return response

    def _probe(self) -> str:
        """Check the server answers a query; returns its Server header (to recognise Virtuoso)."""
        r = self._post(self.query_url, {"query": "ASK { }"}, RESULTS_JSON)
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
    def _insert_ops(self, graphs: Iterable[tuple[str, list[str]]]) -> list[str]:
        """INSERT DATA operations of at most `batch_triples` triples each (Virtuoso's parser gives up
        at a few thousand triples in one operation)."""
        ops: list[str] = []
        blocks: list[str] = []
        size = 0
        for gname, lines in graphs:
            for start in range(0, len(lines), self.batch_triples):
                chunk = lines[start:start + self.batch_triples]
                if size and size + len(chunk) > self.batch_triples:
                    ops.append("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
                    blocks, size = [], 0
                blocks.append(f"GRAPH {gname} {{\n" + "\n".join(chunk) + "\n}")
                size += len(chunk)
        if blocks:
            ops.append("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
        return ops

    def _lines(self, triples: Iterable[Triple]) -> list[str]:
        return [f"{self._nt(s)} {self._nt(p)} {self._nt(o)} ." for s, p, o in triples]

    def deferred_sync(self) -> contextlib.AbstractContextManager[None]:
        """Durability is the server's: an update is acknowledged when the server answers it."""
        return contextlib.nullcontext()

    def replace_graphs(self, graphs: Mapping[str, Iterable[Triple]]) -> None:
        # everything is serialised (and so checked) before the one request is sent
        drops: list[str] = []
        inserts: list[tuple[str, list[str]]] = []
        for g, triples in graphs.items():
            gname = self._graph_name(g)
            drops.append(f"DROP SILENT GRAPH {gname}")
            lines = self._lines(triples)
            if lines:
                inserts.append((gname, lines))
        ops = drops + self._insert_ops(inserts)
        if ops:
            self._update(" ;\n".join(ops))

    def add_to_graph(self, graph: str, triples: Iterable[Triple]) -> None:
        lines = self._lines(triples)
        if lines:
            self._update(" ;\n".join(self._insert_ops([(self._graph_name(graph), lines)])))

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
        """Every named graph that holds something, but the server's own (Virtuoso's system graphs). Read in
        pages that each start after the last name of the one before, not at an offset: a server sorts at
        most so many rows for one answer (Virtuoso's MaxSortedTopRows, 10,000 by default), offset included."""
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
        return sorted(n for n in set(names) if n not in self.hidden_graphs)

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
                self._update(" ;\n".join(self._insert_ops(pending.items())))
                pending, size = {}, 0
            if read and progress:
                progress(read)
        if pending:
            self._update(" ;\n".join(self._insert_ops(pending.items())))
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
        """Drop every graph of the store (not the server's own): for tests and `registry` tooling."""
        names = self.graph_names()
        for start in range(0, len(names), 500):
            self._update(" ;\n".join(f"DROP SILENT GRAPH {self._graph_name(g)}" for g in names[start:start + 500]))

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"SparqlHttpStore({self.query_url!r}, server={self.server!r}, literals={self.codec.name!r})"
