"""The SPARQL evaluator process: runs read-only queries against read-only snapshots of a store, one at a
time, for the pool in `evaluator_pool.py`.

Before it reads anything it takes the network away from itself (sandbox.py: SERVICE cannot call out),
caps its memory (RLIMIT_AS) and runs queries on a thread with a large stack, so that deep nesting the
parser recurses through fits; what still crashes or runs away ends this process only. Answers go back
as bytes: SPARQL JSON results for SELECT, N-Triples for CONSTRUCT and DESCRIBE.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

from registry.store.sandbox import deny_network

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass(frozen=True)
class Job:
    """One query against the snapshot in `path` (a folder an Oxigraph store was copied to, never written)."""

    path: str
    query: str
    base_iri: str | None
    union: bool  # the default graph is the union of the named graphs
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    max_rows: int


@dataclass(frozen=True)
class Outcome:
    """`kind`: boolean, solutions (payload: SPARQL JSON), triples (payload: N-Triples), or an error:
    syntax, failed, too-large (payload: the message, UTF-8)."""

    kind: str
    payload: bytes = b""
    boolean: bool = False


@dataclass(frozen=True)
class WorkerLimits:
    memory_bytes: int  # address space of the whole process, the stack included
    stack_bytes: int


def term_json(t: Any) -> dict[str, Any]:
    """A term as the SPARQL 1.1 JSON results format writes it."""
    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    if isinstance(t, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": t.value}
        if t.language:
            out["xml:lang"] = t.language
        elif t.datatype.value != XSD_STRING:
            out["datatype"] = t.datatype.value
        return out
    if isinstance(t, ox.Triple):
        return {"type": "triple", "value": {"subject": term_json(t.subject), "predicate": term_json(t.predicate),
                                            "object": term_json(t.object)}}
    raise TypeError(f"unexpected term {t!r}")


class TooLarge(Exception):
    pass


def _cap(count: int, cap: int) -> None:
    if count >= cap:
        raise TooLarge(f"the answer has more than {cap} rows (REGISTRY_SPARQL_MAX_ROWS); add a LIMIT of at most "
                       f"{cap} or narrow the query")


def evaluate(store: ox.Store, job: Job) -> Outcome:
    kwargs: dict[str, Any] = {}
    if job.default_graphs is not None or job.named_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or ()]
    elif job.union:
        kwargs["use_default_graph_as_union"] = True
    try:
        result = store.query(job.query, base_iri=job.base_iri, **kwargs)
        if isinstance(result, ox.QueryBoolean):
            return Outcome("boolean", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            bindings: list[dict[str, Any]] = []
            for sol in result:
                _cap(len(bindings), job.max_rows)
                bindings.append({v: term_json(sol[i]) for i, v in enumerate(variables) if sol[i] is not None})
            body = {"head": {"vars": variables}, "results": {"bindings": bindings}}
            return Outcome("solutions", json.dumps(body, ensure_ascii=False).encode("utf-8"))
        triples: list[ox.Triple] = []
        for t in result:
            _cap(len(triples), job.max_rows)
            triples.append(t)
        return Outcome("triples", ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
    except SyntaxError as exc:
        return Outcome("syntax", str(exc).encode("utf-8"))
    except TooLarge as exc:
        return Outcome("too-large", str(exc).encode("utf-8"))
    except (OSError, ValueError, RuntimeError, MemoryError) as exc:
        return Outcome("failed", str(exc).encode("utf-8"))


class _Snapshots:
    """The snapshot this process has open (one at a time: a new path closes the old store)."""

    def __init__(self) -> None:
        self.path: str | None = None
        self.store: ox.Store | None = None

    def open(self, path: str) -> ox.Store:
        if self.path != path or self.store is None:
            self.store = None
            self.store = ox.Store.read_only(path)
            self.path = path
        return self.store


def send(conn: Connection, outcome: Outcome) -> None:
    conn.send_bytes(json.dumps({"kind": outcome.kind, "boolean": outcome.boolean}).encode())
    conn.send_bytes(outcome.payload)


def receive(conn: Connection) -> Outcome:
    """The next outcome from an evaluator, read as data (never unpickled: the process is not trusted)."""
    header = json.loads(conn.recv_bytes(1 << 16))
    payload = conn.recv_bytes()
    if not isinstance(header, dict) or not isinstance(header.get("kind"), str):
        raise OSError("the evaluator sent something that is not an outcome")
    return Outcome(str(header["kind"]), payload, bool(header.get("boolean")))


def send_job(conn: Connection, job: Job) -> None:
    conn.send_bytes(json.dumps(asdict(job)).encode("utf-8"))


def _job(data: bytes) -> Job:
    raw = json.loads(data)
    for key in ("default_graphs", "named_graphs"):
        if raw[key] is not None:
            raw[key] = tuple(raw[key])
    return Job(**raw)


def _loop(conn: Connection) -> None:
    snapshots = _Snapshots()
    while True:
        try:
            job = _job(conn.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            store = snapshots.open(job.path)
        except OSError as exc:
            send(conn, Outcome("failed", f"the snapshot could not be opened: {exc}".encode()))
            continue
        send(conn, evaluate(store, job))


def serve(conn: Connection, limits: WorkerLimits) -> None:
    """The process's body: sandbox itself, then answer jobs until the pipe closes."""
    if not deny_network():
        send(conn, Outcome("failed", b"this platform cannot take the network away from the SPARQL evaluator"))
        return
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    send(conn, Outcome("ready"))
    threading.stack_size(limits.stack_bytes)
    worker = threading.Thread(target=_loop, args=(conn,), name="sparql-evaluator")
    worker.start()
    worker.join()


def main() -> None:
    """`python -m registry.store.evaluator FD MEMORY_BYTES STACK_BYTES`: FD is this end of a socket pair."""
    fd, memory, stack = (int(a) for a in sys.argv[1:4])
    serve(Connection(fd), WorkerLimits(memory_bytes=memory, stack_bytes=stack))


if __name__ == "__main__":
    main()
