"""A pool of SPARQL evaluator processes (evaluator.py) with a hard time limit.

The pool admits at most `size` queries at once (PoolBusy beyond) and runs them in at most `processes`
processes, one query each: the others wait, up to their time limit, for one to come free. The first query
starts the rest of the processes in the background, and each is kept for the next query. A query that
outlives its time limit has its process killed (SIGKILL: the CPU is free at once) and a fresh process takes
its place on demand; a process that dies on its own (a stack overflow, its memory cap) costs only the query
it was running. Each process is a fresh interpreter (`python -m registry.store.evaluator`), so none of the
server's threads, open stores or memory is copied into it; its answers are read as bytes and JSON, never
unpickled."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

from registry.store.evaluator import Job, Outcome, WorkerLimits, receive, send_job

#: how long a new process may take to start and sandbox itself
START_SECONDS = 30.0


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
    conn: Connection
    path: str | None = None  # the snapshot it has open

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        finally:
            self.conn.close()

    def alive(self) -> bool:
        return self.process.poll() is None


class EvaluatorPool:
    """At most `size` queries at once in at most `processes` evaluator processes (`size` when None), started
    on demand and kept for the next query."""

    def __init__(self, name: str, size: int, limits: WorkerLimits, processes: int | None = None) -> None:
        self.name, self.size, self.limits = name, size, limits
        self.processes = max(1, min(size, processes if processes is not None else size))
        self._slots = threading.BoundedSemaphore(max(size, 1))
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)  # a process came free, or room for one
        self._idle: list[_Worker] = []
        self._all: dict[int, _Worker] = {}
        self._starting = 0  # processes being started
        self._warming = False
        self._closed = False
        #: processes killed or lost so far (tests, logs)
        self.replaced = 0

    def run(self, make_job: Callable[[], Job], timeout: float) -> Outcome:
        """Evaluate the job `make_job` makes (once a process is free, so a busy pool costs nothing) in one
        of the processes; raises PoolBusy (all `size` admitted, or no process came free within `timeout`),
        EvaluationTimeout, EvaluatorCrashed or EvaluatorUnavailable."""
        if self.size < 1 or not self._slots.acquire(blocking=False):
            raise PoolBusy(self.name)
        try:
            worker = self._take(timeout)
            try:
                job = make_job()
            except BaseException:
                self._give_back(worker)
                raise
            try:
                send_job(worker.conn, job)
                worker.path = job.path
                if not worker.conn.poll(timeout):
                    self._lose(worker)
                    raise EvaluationTimeout(timeout)
                outcome = receive(worker.conn)
            except (EOFError, OSError, ValueError) as exc:
                try:
                    code: int | None = worker.process.wait(5)
                except subprocess.TimeoutExpired:
                    code = None
                self._lose(worker)
                raise EvaluatorCrashed(code) from exc
            self._give_back(worker)
            return outcome
        finally:
            self._slots.release()

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
            self._freed.notify_all()
        for w in workers:
            w.kill()

    # ---------------------------------------------------------------------------------------- internals
    def _take(self, timeout: float) -> _Worker:
        """An idle process, a new one while the pool has room, or the first to come free within `timeout`."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                if self._closed:
                    raise EvaluatorUnavailable("the SPARQL evaluators are shut down")
                while self._idle:
                    w = self._idle.pop()
                    if w.alive():
                        return w
                    self._all.pop(id(w), None)
                if len(self._all) + self._starting < self.processes:
                    self._starting += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PoolBusy(self.name)
                self._freed.wait(left)
        try:
            worker = self._start()
        finally:
            with self._lock:
                self._starting -= 1
                self._freed.notify()
        self.warm()
        return worker

    def warm(self) -> None:
        """Start the pool's processes in the background (once), so that queries find them ready."""
        with self._lock:
            if self._warming or self._closed or len(self._all) + self._starting >= self.processes:
                return
            self._warming = True
        threading.Thread(target=self._fill, name=f"sparql-{self.name}-warm", daemon=True).start()

    def _fill(self) -> None:
        while True:
            with self._lock:
                if self._closed or len(self._all) + self._starting >= self.processes:
                    return
                self._starting += 1
            try:
                worker = self._start()
            except EvaluatorUnavailable:
                return
            finally:
                with self._lock:
                    self._starting -= 1
                    self._freed.notify()  # a query waiting for room may start its own process now
            self._give_back(worker)

    def _start(self) -> _Worker:
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "registry.store.evaluator", str(theirs.fileno()),
                 str(self.limits.memory_bytes), str(self.limits.stack_bytes)],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, close_fds=True)
        except OSError as exc:
            ours.close()
            raise EvaluatorUnavailable(f"no evaluator process could be started: {exc}") from None
        finally:
            theirs.close()
        worker = _Worker(process, Connection(ours.detach()))
        try:
            if not worker.conn.poll(START_SECONDS):
                raise EvaluatorUnavailable("the evaluator process did not start in time")
            hello = receive(worker.conn)
        except (EOFError, OSError, ValueError):
            worker.kill()
            raise EvaluatorUnavailable(f"the evaluator process ended at start ({process.returncode})") from None
        except EvaluatorUnavailable:
            worker.kill()
            raise
        if hello.kind != "ready":
            worker.kill()
            raise EvaluatorUnavailable(hello.payload.decode("utf-8", "replace"))
        with self._lock:
            self._all[id(worker)] = worker
        return worker

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed:
                worker.kill()
            else:
                self._idle.append(worker)
                self._freed.notify()

    def _lose(self, worker: _Worker) -> None:
        with self._lock:
            self._all.pop(id(worker), None)
            self.replaced += 1
            self._freed.notify()
        worker.kill()
