"""A pool of SPARQL evaluator processes (evaluator.py) with a hard time limit.

The pool admits at most `size` queries at once (PoolBusy beyond) and runs them in at most `processes`
processes, one query each: the others wait, up to their time limit, for one to come free. Processes are
started in the background (on a thread: the first query, or `warm`) and each is kept for the next query.
When a query names a new snapshot, the idle processes open it too, in the background (`prepare`), as does
each process started after: opening a snapshot reads its files' index and filter blocks, a cost that grows
with the store, which the queries after a write would otherwise meet one process at a time.
A query that outlives its time limit has its process killed (SIGKILL: the CPU is free at once) and a fresh
process takes its place; a process that dies on its own (a stack overflow, its memory cap) costs only the
query it was running, and so does a query cancelled while its process answers (the process is killed, not
reused). Each process is a fresh interpreter (`python -m registry.store.evaluator`), so none of the
server's threads, open stores or memory is copied into it. The server talks to it over a socket pair on
its event loop (no thread waits for an answer); answers are read as bytes, never unpickled. Each process
keeps more freed blocks of each small size for reuse (`MALLOC_TUNABLES`): Oxigraph allocates and frees
thousands of small blocks a query, and with glibc's default of 7 a size most went through its slower paths
(a fifth of an evaluator's CPU at the named query, 7 % with them)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from registry.store.evaluator import (
    PREFIX,
    Job,
    Outcome,
    WorkerLimits,
    decode_outcome,
    encode_job,
    frame,
    message_size,
    read_message,
    write_message,
)

#: how long a new process may take to start and sandbox itself
START_SECONDS = 30.0
#: glibc's malloc settings for an evaluator process: each thread keeps up to 256 freed blocks of each size up
#: to 1 KB for reuse (its default 7), so Oxigraph's many small allocations of a query are mostly served from
#: them (at most ~9 MB kept a thread, within the process's memory cap); ignored by another C library
MALLOC_TUNABLES = {"glibc.malloc.tcache_count": "256"}


def evaluator_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment an evaluator process is started with: `environ` with `MALLOC_TUNABLES` added to its
    GLIBC_TUNABLES, where it does not set them itself."""
    given = environ.get("GLIBC_TUNABLES", "").strip(":")
    named = {part.split("=", 1)[0] for part in given.split(":") if part}
    added = [f"{k}={v}" for k, v in MALLOC_TUNABLES.items() if k not in named]
    return {**environ, "GLIBC_TUNABLES": ":".join(([given] if given else []) + added)}


class PoolBusy(Exception):
    """Every process of the pool is answering a query."""


class EvaluationTimeout(Exception):
    """The query ran past its time limit; its process was killed."""


class EvaluatorCrashed(Exception):
    """The process died while evaluating the query (its exit code or signal is in `exitcode`)."""

    def __init__(self, exitcode: int | None) -> None:
        super().__init__(f"the evaluator process ended with {exitcode}")
        self.exitcode = exitcode


class EvaluatorUnavailable(Exception):
    """No evaluator process could be started (the message says why)."""


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    sock: socket.socket  # non-blocking once the process is ready
    path: str | None = None  # the snapshot it has open

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        finally:
            self.sock.close()

    def alive(self) -> bool:
        return self.process.poll() is None


class EvaluatorPool:
    """At most `size` queries at once in at most `processes` evaluator processes (`size` when None), started
    in the background and kept for the next query. Queries run on an asyncio event loop (any loop: each
    waiting query is woken on its own)."""

    def __init__(self, name: str, size: int, limits: WorkerLimits, processes: int | None = None) -> None:
        self.name, self.size, self.limits = name, size, limits
        self.processes = max(1, min(size, processes if processes is not None else size))
        self._slots = threading.BoundedSemaphore(max(size, 1))
        self._lock = threading.Lock()
        #: the queries waiting for a process, first in line first: each is handed the process given back
        #: (its future's result), or woken with None to look again (a process lost, a start failed, closing)
        self._waiting: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[_Worker | None]]] = deque()
        self._idle: list[_Worker] = []
        self._all: dict[int, _Worker] = {}
        self._starting = 0  # processes being started
        self._warming = False  # a thread is starting processes
        self._failed: str | None = None  # why the last start failed, until the next start
        self._newest: str | None = None  # the snapshot the last query named: idle processes open it ahead
        self._closed = False
        #: processes killed or lost so far (tests, logs)
        self.replaced = 0

    async def run(self, make_job: Callable[[], Awaitable[Job]], timeout: float) -> Outcome:
        """Evaluate the job `make_job` makes (once a process is free, so a busy pool costs nothing) in one
        of the processes; raises PoolBusy (all `size` admitted, or no process came free within `timeout`),
        EvaluationTimeout, EvaluatorCrashed or EvaluatorUnavailable."""
        if self.size < 1 or not self._slots.acquire(blocking=False):
            raise PoolBusy(self.name)
        try:
            loop = asyncio.get_running_loop()
            worker = await self._take(loop, loop.time() + timeout)
            try:
                job = await make_job()
            except BaseException:
                self._give_back(worker)
                raise
            worker.path = job.path
            try:
                await loop.sock_sendall(worker.sock, frame(encode_job(job)))
                async with asyncio.timeout(timeout):
                    outcome = decode_outcome(await _receive(loop, worker.sock))
            except TimeoutError:
                self._lose(worker)
                raise EvaluationTimeout(timeout) from None
            except (EOFError, OSError, ValueError) as exc:
                try:
                    code = await asyncio.to_thread(_exit_code, worker.process)
                finally:
                    self._lose(worker)
                raise EvaluatorCrashed(code) from exc
            except BaseException:  # cancelled while the process answers: it is not reused
                self._lose(worker)
                raise
            self._give_back(worker)
            return outcome
        finally:
            self._slots.release()

    def prepare(self, path: str) -> None:
        """Have the idle processes open the snapshot in `path` now, each on a thread of its own, so that the
        queries naming it next find it open (called with the path each query is given: a path seen before
        costs a comparison). A process opening it is busy: a query waits for it as for any other."""
        with self._lock:
            if self._closed or path == self._newest:
                return
            self._newest = path
            stale = [w for w in self._idle if w.path != path]
            self._idle = [w for w in self._idle if w.path == path]
            for w in stale:
                w.path = path  # from now on no sweep removes it
        for w in stale:
            threading.Thread(target=self._reopen, args=(w, path), name=f"sparql-{self.name}-open", daemon=True).start()

    def paths_in_use(self) -> set[str]:
        """The snapshots some process has open (they must not be removed)."""
        with self._lock:
            return {w.path for w in self._all.values() if w.path is not None}

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all.values())
            self._all.clear()
            self._idle.clear()
            self._wake(everyone=True)
        for w in workers:
            w.kill()

    def warm(self) -> None:
        """Start the pool's missing processes in the background, so that queries find them ready."""
        with self._lock:
            if self._warming or self._closed or len(self._all) + self._starting >= self.processes:
                return
            self._warming, self._failed = True, None
        threading.Thread(target=self._fill, name=f"sparql-{self.name}-warm", daemon=True).start()

    # ---------------------------------------------------------------------------------------- internals
    async def _take(self, loop: asyncio.AbstractEventLoop, deadline: float) -> _Worker:
        """An idle process, or the first to come free before `deadline` (or to be started, however long that
        takes up to START_SECONDS)."""
        waited = False
        while True:
            with self._lock:
                if self._closed:
                    raise EvaluatorUnavailable("the SPARQL evaluators are shut down")
                while self._idle:
                    w = self._idle.pop()
                    if w.alive():
                        return w
                    self._all.pop(id(w), None)
                if waited and self._failed is not None and not self._warming:
                    raise EvaluatorUnavailable(self._failed)
                room = len(self._all) + self._starting < self.processes
                # a process on its way is waited for as long as a start may take, whatever the query's limit
                until = deadline if not (room or self._starting) else max(deadline, loop.time() + START_SECONDS)
                waiter: asyncio.Future[_Worker | None] = loop.create_future()
                self._waiting.append((loop, waiter))
            if room:
                self.warm()
            try:
                async with asyncio.timeout_at(until):
                    handed = await waiter
            except BaseException as exc:
                waiter.cancel()  # a hand-over or wake-up still on its way passes itself on (_hand, _resolve)
                with self._lock:
                    try:
                        self._waiting.remove((loop, waiter))
                    except ValueError:  # woken already
                        pass
                if not waiter.cancelled():  # woken before it gave up: what it got goes to the next in line
                    if (got := waiter.result()) is not None:
                        self._give_back(got)
                    else:
                        with self._lock:
                            self._wake()
                if isinstance(exc, TimeoutError):
                    raise PoolBusy(self.name) from None
                raise
            waited = True
            if handed is not None:
                with self._lock:
                    if handed.alive() and not self._closed:
                        return handed
                    self._all.pop(id(handed), None)
                handed.kill()  # ended, or the pool closed while it was on its way

    def _wake(self, *, everyone: bool = False) -> None:
        """Wake the first waiting query (or all of them) to look again, on its own loop. Called with the lock
        held."""
        while self._waiting:
            loop, waiter = self._waiting.popleft()
            if _call(loop, self._resolve, waiter) and not everyone:
                return

    def _resolve(self, waiter: asyncio.Future[_Worker | None]) -> None:
        """On the waiting query's loop: it looks again, unless it gave up meanwhile (then the next does)."""
        if waiter.done():
            with self._lock:
                self._wake()
        else:
            waiter.set_result(None)

    def _fill(self) -> None:
        while True:
            with self._lock:
                if self._closed or len(self._all) + self._starting >= self.processes:
                    self._warming = False
                    return
                self._starting += 1
            try:
                worker = self._start()
            except EvaluatorUnavailable as exc:
                with self._lock:
                    self._starting -= 1
                    self._warming, self._failed = False, str(exc)
                    self._wake(everyone=True)  # no process is coming: each waiting query is told why
                return
            with self._lock:
                self._starting -= 1
                newest = self._newest
            if newest is not None and not self._open(worker, newest):
                with self._lock:  # as a failed start: each waiting query is told why, the next query tries again
                    self._warming, self._failed = False, "the evaluator process ended while it opened the snapshot"
                    self._wake(everyone=True)
                return
            self._give_back(worker)

    def _start(self) -> _Worker:
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "registry.store.evaluator", str(theirs.fileno()),
                 str(self.limits.memory_bytes), str(self.limits.stack_bytes)],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, close_fds=True,
                env=evaluator_environment(os.environ))
        except OSError as exc:
            ours.close()
            raise EvaluatorUnavailable(f"no evaluator process could be started: {exc}") from None
        finally:
            theirs.close()
        worker = _Worker(process, ours)
        try:
            ours.settimeout(START_SECONDS)
            hello = decode_outcome(read_message(ours))
            ours.setblocking(False)
        except TimeoutError:
            worker.kill()
            raise EvaluatorUnavailable("the evaluator process did not start in time") from None
        except (EOFError, OSError, ValueError):
            worker.kill()
            raise EvaluatorUnavailable(f"the evaluator process ended at start ({process.returncode})") from None
        if hello.kind != "ready":
            worker.kill()
            raise EvaluatorUnavailable(hello.payload.decode("utf-8", "replace"))
        with self._lock:
            self._all[id(worker)] = worker
        return worker

    def _reopen(self, worker: _Worker, path: str) -> None:
        if self._open(worker, path):
            self._give_back(worker)

    def _open(self, worker: _Worker, path: str) -> bool:
        """Have `worker` (taken by this thread, not idle) open the snapshot in `path`, waiting on its socket;
        False when the process failed (it is lost)."""
        worker.path = path
        try:
            worker.sock.settimeout(START_SECONDS)
            write_message(worker.sock, encode_job(Job.opening(path)))
            opened = decode_outcome(read_message(worker.sock)).kind == "opened"
            worker.sock.setblocking(False)
        except (EOFError, OSError, ValueError):
            self._lose(worker)
            return False
        if not opened:  # the snapshot was removed meanwhile: the process holds none
            worker.path = None
        return True

    def _give_back(self, worker: _Worker) -> None:
        """The process goes to the first query in line, handed over on its own loop (so that no query asking
        in the meantime takes it first), or to the idle ones when nobody waits."""
        with self._lock:
            if self._closed:
                worker.kill()
                return
            while self._waiting:
                loop, waiter = self._waiting.popleft()
                if _call(loop, self._hand, waiter, worker):
                    return
            self._idle.append(worker)

    def _hand(self, waiter: asyncio.Future[_Worker | None], worker: _Worker) -> None:
        """On the waiting query's loop: the process is its own, unless it gave up meanwhile (then the next)."""
        if waiter.done():
            self._give_back(worker)
        else:
            waiter.set_result(worker)

    def _lose(self, worker: _Worker) -> None:
        with self._lock:
            self._all.pop(id(worker), None)
            self.replaced += 1
            self._wake()  # room for a new process: the next waiting query has it started
        worker.kill()


def _call(loop: asyncio.AbstractEventLoop, fn: Callable[..., None], *args: Any) -> bool:
    """Have `loop` call `fn(*args)` soon (from its own thread or any other); False when the loop is closed
    (nobody waits there any more)."""
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:  # a thread of the pool's
        running = None
    try:
        (loop.call_soon if loop is running else loop.call_soon_threadsafe)(fn, *args)
    except RuntimeError:
        return False
    return True


def _exit_code(process: subprocess.Popen[bytes]) -> int | None:
    try:
        return process.wait(5)
    except subprocess.TimeoutExpired:
        return None


async def _receive(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> bytes:
    """The next message from an evaluator, read on the event loop (EOFError when the process is gone)."""
    head = await loop.sock_recv(sock, 1 << 16)  # most answers come whole in the first read
    while len(head) < PREFIX:
        more = await loop.sock_recv(sock, 1 << 16)
        if not more:
            raise EOFError("the evaluator closed its socket")
        head += more
    size = message_size(head[:PREFIX])
    if len(head) > PREFIX + size:
        raise OSError("the evaluator sent more than one answer")
    if len(head) == PREFIX + size:
        return head[PREFIX:]
    message = bytearray(size)
    view = memoryview(message)
    got = len(head) - PREFIX
    view[:got] = head[PREFIX:]
    while got < size:
        n = await loop.sock_recv_into(sock, view[got:])
        if n == 0:
            raise EOFError("the evaluator closed its socket mid-answer")
        got += n
    return bytes(message)
