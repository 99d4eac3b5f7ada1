"""The SPARQL evaluator process: runs read-only queries against read-only snapshots of a store, one at a
time, for the pool in `evaluator_pool.py`.

Before it reads anything it takes the network away from itself (sandbox.py: SERVICE cannot call out),
caps its memory (RLIMIT_AS) and runs queries on a thread with a large stack, so that deep nesting the
parser recurses through fits; what still crashes or runs away ends this process only. Each snapshot stays
open for the next query until a job names a newer one; a job that only opens one (`opening`) lets the pool
have an idle process open a new snapshot before the queries that name it arrive. Answers go back as bytes in the media type the
caller asked for, written by Oxigraph's serialisers (rows are counted, and refused past the cap, as they
are written: SPARQL TSV and N-Triples hold one row a line).
"""

from __future__ import annotations

import io
import json
import resource
import socket
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from registry.store import formats
from registry.store.sandbox import deny_network

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

#: media type of each kind of answer when a job names none: each kind's default
DEFAULT_MEDIA = {kind: offered[0] for kind, offered in formats.OFFERED.items()}


@dataclass(frozen=True)
class Job:
    """One query against the snapshot in `path` (a folder an Oxigraph store was copied to, never written);
    `media`: the media type to write each kind of answer in (solutions, boolean, triples)."""

    path: str
    query: str
    base_iri: str | None
    union: bool  # the default graph is the union of the named graphs
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    max_rows: int
    media: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MEDIA))
    open_only: bool = False  # open the snapshot and answer "opened", evaluating nothing

    @classmethod
    def opening(cls, path: str) -> Job:
        """A job that only opens the snapshot in `path`."""
        return cls(path=path, query="", base_iri=None, union=True, default_graphs=None, named_graphs=None,
                   max_rows=0, open_only=True)


@dataclass(frozen=True)
class Outcome:
    """`kind`: boolean, solutions or triples (payload: the answer in the job's media type for that kind),
    or an error: syntax, failed, too-large (payload: the message, UTF-8)."""

    kind: str
    payload: bytes = b""
    boolean: bool = False


@dataclass(frozen=True)
class WorkerLimits:
    memory_bytes: int  # address space of the whole process, the stack included
    stack_bytes: int


class TooLarge(Exception):
    pass


class _Lines(io.BytesIO):
    """Where a serialiser writes a line-based answer (SPARQL TSV, N-Triples): it refuses the line past
    `most`, so an answer over the cap stops as it is written."""

    def __init__(self, most: int, cap: int) -> None:
        super().__init__()
        self.most, self.cap = most, cap
        self.lines = 0

    def write(self, chunk: ReadableBuffer, /) -> int:
        data = bytes(chunk)
        self.lines += data.count(b"\n")
        if self.lines > self.most:
            raise TooLarge(f"the answer has more than {self.cap} rows (REGISTRY_SPARQL_MAX_ROWS); add a LIMIT of at "
                           f"most {self.cap} or narrow the query")
        return super().write(data)


def media_of(job: Job, kind: str) -> str:
    """The media type the job asks for this kind of answer in (ValueError when it is not one offered)."""
    media = job.media.get(kind, DEFAULT_MEDIA[kind])
    if media not in formats.OFFERED[kind]:
        raise ValueError(f"{media!r} is not offered for {kind}")
    return media


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
            return Outcome("boolean", formats.boolean_as(bool(result), media_of(job, "boolean")), bool(result))
        if isinstance(result, ox.QuerySolutions):
            rows = _Lines(job.max_rows + 1, job.max_rows)  # the header line, then a line a row
            result.serialize(rows, format=ox.QueryResultsFormat.TSV)
            return Outcome("solutions", formats.solutions_as(rows.getvalue(), media_of(job, "solutions")))
        triples = _Lines(job.max_rows, job.max_rows)
        result.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        return Outcome("triples", formats.triples_as(triples.getvalue(), media_of(job, "triples"),
                                                     formats.ANSWER_PREFIXES))
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


#: the length prefix of each message between the pool and an evaluator
PREFIX = 8
#: the largest message either side reads (an answer is bounded by its row cap and the process's memory)
MAX_MESSAGE = 1 << 40


def frame(*parts: bytes) -> bytes:
    """One message of `parts`: its length, then its bytes (sent in one write, for one wake-up of the reader)."""
    return b"".join((sum(len(p) for p in parts).to_bytes(PREFIX, "big"), *parts))


def write_message(sock: socket.socket, *parts: bytes) -> None:
    sock.sendall(frame(*parts))


def read_message(sock: socket.socket) -> bytes:
    """The next message on a blocking socket (EOFError when the other side closed it)."""
    size = message_size(_exactly(sock, PREFIX))
    return _exactly(sock, size)


def message_size(prefix: bytes) -> int:
    size = int.from_bytes(prefix, "big")
    if size > MAX_MESSAGE:
        raise OSError("a message longer than any answer")
    return size


def _exactly(sock: socket.socket, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:])
        if k == 0:
            raise EOFError("the other side closed the connection")
        got += k
    return bytes(buf)


def send_outcome(sock: socket.socket, outcome: Outcome) -> None:
    """One message: a byte for the boolean, the kind's length and the kind (ASCII), the payload."""
    kind = outcome.kind.encode("ascii")
    write_message(sock, bytes((outcome.boolean, len(kind))), kind, outcome.payload)


def decode_outcome(message: bytes) -> Outcome:
    """An outcome from an evaluator, read as data (never unpickled: the process is not trusted)."""
    end = 2 + message[1] if len(message) >= 2 else 0
    if not end or len(message) < end or message[0] > 1 or not message[2:end].isascii():
        raise OSError("the evaluator sent something that is not an outcome")
    return Outcome(message[2:end].decode("ascii"), message[end:], bool(message[0]))


def encode_job(job: Job) -> bytes:
    return json.dumps(vars(job)).encode("utf-8")  # its fields, as they are: strings, tuples, a dict of strings


def _job(data: bytes) -> Job:
    raw = json.loads(data)
    for key in ("default_graphs", "named_graphs"):
        if raw[key] is not None:
            raw[key] = tuple(raw[key])
    return Job(**raw)


def _loop(sock: socket.socket) -> None:
    snapshots = _Snapshots()
    while True:
        try:
            job = _job(read_message(sock))
        except (EOFError, OSError):
            return
        try:
            store = snapshots.open(job.path)
        except OSError as exc:
            send_outcome(sock, Outcome("failed", f"the snapshot could not be opened: {exc}".encode()))
            continue
        send_outcome(sock, Outcome("opened") if job.open_only else evaluate(store, job))


def serve(sock: socket.socket, limits: WorkerLimits) -> None:
    """The process's body: sandbox itself, then answer jobs until the socket closes."""
    if not deny_network():
        send_outcome(sock, Outcome("failed", b"this platform cannot take the network away from the SPARQL evaluator"))
        return
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    send_outcome(sock, Outcome("ready"))
    threading.stack_size(limits.stack_bytes)
    worker = threading.Thread(target=_loop, args=(sock,), name="sparql-evaluator")
    worker.start()
    worker.join()


def main() -> None:
    """`python -m registry.store.evaluator FD MEMORY_BYTES STACK_BYTES`: FD is this end of a socket pair."""
    fd, memory, stack = (int(a) for a in sys.argv[1:4])
    serve(socket.socket(fileno=fd), WorkerLimits(memory_bytes=memory, stack_bytes=stack))


if __name__ == "__main__":
    main()
