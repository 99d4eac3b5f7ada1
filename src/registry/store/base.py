"""The Store protocol: an RDF dataset of named graphs, one (or two) per record.

Terms crossing this interface are rdflib terms, so services never depend on a backend.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from rdflib.term import Node

Triple = tuple[Node, Node, Node]
Row = dict[str, Node]


class Store(Protocol):
    """What the registry needs from an RDF store."""

    #: whether a read is a call into this process (True) or waits on a server (False): the API runs a
    #: short read of an in-process store on the event loop, where a hop to the thread pool costs more
    in_process: bool

    def replace_graphs(self, graphs: Mapping[str, Iterable[Triple]], *,
                       holding: Mapping[str, Iterable[Triple]] | None = None) -> None:
        """Replace each named graph with the given triples, all in one transaction.

        A graph given no triples is dropped. `holding`: what the caller knows some of these graphs hold
        now, exactly (the audit chain's head, rewritten at every commit): a store may take those triples
        out instead of dropping the graph, which on Oxigraph reads past every quad the graph ever held until
        they are compacted (1.5 ms per drop after 6,000 rewrites, growing; 0.05 ms this way).
        """

    def add_to_graph(self, graph: str, triples: Iterable[Triple]) -> None:
        """Add triples to a graph (append-only logs), in one transaction."""

    def deferred_sync(self, *, early: bool = False) -> AbstractContextManager[None]:
        """A write returns once durable; inside this block, once committed, and leaving the outermost block
        returns once every write made in it is durable (for writers that commit under a lock of their own:
        the wait for the disk then happens after the lock is released). `early`: a write in the block
        starts its sync at once, in the background, so the writer's work after it overlaps the wait. A
        no-op where durability is not this process's business (a SPARQL server)."""

    def write_mark(self) -> int | None:
        """A number that moves with every write made through this object, when it is the store's only writer
        and no write is under way: what was read while it stood still is still the store's. None when that
        cannot be known: a write is under way, others may write (a SPARQL server), or it is open read-only
        beside the process that writes."""

    def graph(self, graph: str) -> list[Triple]:
        """Every triple of one named graph."""

    def has_graph(self, graph: str) -> bool: ...

    def select(
        self,
        query: str,
        bindings: Mapping[str, Node] | None = None,
        *,
        graphs: list[str] | None = None,
    ) -> list[Row]:
        """Run a SELECT; `bindings` pre-bind variables. The default graph is the union of all named
        graphs, or of `graphs` when given (which then also limits GRAPH clauses)."""

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool: ...

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Triple]: ...

    def bulk_load(self, path: Path, fmt: str, progress: Callable[[int], None] | None = None) -> int:
        """Load a quads file (N-Quads or TriG) as is, all or nothing; returns the number of quads read.

        `progress` is called with the number of bytes of the file read since its last call. A file
        with a syntax error, or with triples outside named graphs, raises `BadQuads` naming the line,
        and leaves the store as it was."""

    def dump(self, out: Path) -> int:
        """Write every quad of the store as N-Quads; returns the count."""

    def quads(self) -> Iterator[tuple[Node, Node, Node, Node]]: ...

    def graph_names(self) -> list[str]:
        """Every named graph that holds a triple, sorted (never a server's own graphs)."""

    def copy_graphs(self, names: Iterable[str], into: Store, *, atomic: bool = True) -> int:
        """Copy these graphs into `into`, each replacing `into`'s graph of that name (dropped there when this
        store does not hold it); returns the number of triples copied. `atomic`: all in one transaction of
        `into`. Otherwise in batches of bounded memory, each its own transaction: for filling a new store
        (`names` may be a generator; it is read as the copy goes). Copying a store into itself is refused
        (ValueError)."""

    def scratch(self) -> Store:
        """A new, empty store in this process's memory (Oxigraph, whatever this store is), for data derived
        for a while: the registry as it stood at a moment, a validation's triples."""

    def snapshot(self, target: Path) -> None:
        """Write every quad to a new Oxigraph store in the folder `target`, which a process may then open
        read-only (the SPARQL evaluators). An existing `target` is refused (FileExistsError); a copy that
        fails part-way leaves no folder."""

    def flush(self) -> None:
        """Write out what the store buffers in memory (before recording a position derived from it)."""

    def identity(self) -> str:
        """Names this store for data derived from it and kept elsewhere: it changes when the store is
        replaced (a restore, a new folder) and stays the same across restarts."""

    def close(self) -> None: ...


class BadQuads(ValueError):
    """A quads file the store cannot load (syntax, or triples outside named graphs)."""


def refuse_self_copy(source: Store, into: Store) -> None:
    if into is source:
        raise ValueError("a store cannot copy graphs into itself")


def refuse_existing(target: Path) -> None:
    if target.exists():
        raise FileExistsError(f"{target} exists already: a snapshot goes to a new folder")


#: N-Quads are read in slices of about this many bytes, cut at line ends
SLICE_BYTES = 64 << 20
_BLANK_LINE = re.compile(rb"^[ \t]*(?:#[^\n]*)?\r?$", re.MULTILINE)
_LINE_NO = re.compile(r"\bline (\d+)")


def nquads_slices(path: Path, size: int = SLICE_BYTES) -> Iterator[tuple[bytes, int]]:
    """An N-Quads file as slices of whole lines, each with the file's line number of its first line
    minus one (so a parser's line n in a slice is line `offset + n` of the file)."""
    offset = 0
    with path.open("rb") as f:
        while True:
            data = f.read(size)
            if not data:
                return
            data += f.readline()
            yield data, offset
            offset += data.count(b"\n")


#: a line end followed by anything but the start of a term (a blank or comment line may follow it)
_NOT_A_TERM_NEXT = re.compile(rb"\n[^<_]")


def quads_in(data: bytes) -> int:
    """How many statements a slice of N-Quads holds (lines that are neither blank nor comments).
    A slice whose lines all start with a term is counted by its line ends alone, found by one search
    (about 1 s a GB; `_BLANK_LINE` below takes about 6 s a GB, a tenth of the bulk load's own time)."""
    ends_open = bool(data) and not data.endswith(b"\n")
    lines = data.count(b"\n") + ends_open
    if data[:1] in (b"<", b"_") and _NOT_A_TERM_NEXT.search(data) is None:
        return lines
    # blank or comment-only lines; the empty position after a final line end matches too
    blank = len(_BLANK_LINE.findall(data)) - (not ends_open)
    return lines - blank


def bad_quads(path: Path, error: SyntaxError, offset: int = 0) -> BadQuads:
    """A parser's error as `BadQuads` naming the file and its line (shifted by a slice's offset)."""
    msg = _LINE_NO.sub(lambda m: f"line {int(m.group(1)) + offset}", str(error.msg or error))
    return BadQuads(f"{path.name}: {msg}")


#: a copy of graphs that is not atomic goes in batches of this many graphs (a record's graphs are small;
#: Virtuoso refuses an update of a thousand graphs, its SQL being too long)
COPY_BATCH_GRAPHS = 200


def copy_graphs_via(read: Callable[[list[str]], dict[str, list[Triple]]], names: Iterable[str], into: Store,
                    atomic: bool) -> int:
    """`Store.copy_graphs` by any backend's reads: `read` gives a batch of graphs' triples (an absent
    graph's as none), and `into.replace_graphs` writes them, all at once or a batch at a time."""
    count = 0
    if atomic:
        graphs = read(list(dict.fromkeys(names)))
        into.replace_graphs(graphs)
        return sum(len(t) for t in graphs.values())
    it = iter(names)
    while batch := list(dict.fromkeys(itertools.islice(it, COPY_BATCH_GRAPHS))):
        graphs = read(batch)
        into.replace_graphs(graphs)
        count += sum(len(t) for t in graphs.values())
    return count


_GROUP_START = re.compile(r"\b(WHERE|ASK)\s*\{", re.IGNORECASE)


def inline_bindings(query: str, bindings: Mapping[str, Node] | None, nt: Callable[[Node], str]) -> str:
    """Pre-bind variables by a VALUES block at the start of the query's outer WHERE (or ASK) group.

    Values are serialised as N-Triples terms by `nt`, which rejects terms that are not valid RDF, so
    no value can change the query's shape. One mechanism serves every backend (Oxigraph's own
    substitution needs the variables in the projection; remote servers have none).
    """
    if not bindings:
        return query
    return inline_rows(query, list(bindings), [list(bindings.values())], nt)


def inline_rows(query: str, names: list[str], rows: list[list[Node]], nt: Callable[[Node], str]) -> str:
    """Bind variables to each of several rows of values (a VALUES block of many rows), as
    `inline_bindings` binds them to one."""
    m = _GROUP_START.search(query)
    if m is None:
        raise ValueError("named query has no WHERE or ASK group to bind variables in")
    head = " ".join(f"?{k}" for k in names)
    body = " ".join("(" + " ".join(nt(v) for v in row) + ")" for row in rows)
    block = f" VALUES ({head}) {{ {body} }} "
    return query[: m.end()] + block + query[m.end() :]
