"""HTTP servers for the benchmark: each a child process on 127.0.0.1 at a free port, stopped at the end."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """preexec_fn of a server child: it gets SIGTERM when the process that started it dies."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def process_memory_mb(pid: int | None) -> tuple[float, float]:
    """(resident now, peak resident) of a process in MB, from /proc (VmRSS, VmHWM); (nan, nan) without it."""
    got = {"VmRSS": float("nan"), "VmHWM": float("nan")}
    if pid is not None:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                key = line.split(":", 1)[0]
                if key in got:
                    got[key] = int(line.split()[1]) / 1024
        except (OSError, ValueError, IndexError):
            pass
    return got["VmRSS"], got["VmHWM"]


def _below(pid: int) -> list[int]:
    """Every process below `pid` (its children, theirs, ...), from /proc."""
    parents: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                # the command in field 2 may hold spaces and parentheses: the fields after its last ")"
                parents[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    below: list[int] = []
    frontier = [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        below += kids
        frontier += kids
    return below


def tree_memory_mb(pid: int | None) -> tuple[float, float, int]:
    """(resident MB of the process, resident MB of it and every process below it, how many below) from
    /proc; a server's evaluator processes count in the second figure."""
    if pid is None:
        return float("nan"), float("nan"), 0
    below = _below(pid)
    own = process_memory_mb(pid)[0]
    rest = [process_memory_mb(c)[0] for c in below]
    return own, own + sum(r for r in rest if r == r), len(below)


TICK = os.sysconf("SC_CLK_TCK")


def process_usage(pid: int) -> tuple[float, int]:
    """(CPU seconds, user and system, of a process; its major page faults) from /proc/<pid>/stat; (0, 0)
    once it is gone."""
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0
    # after the command: state(3) ppid ... majflt(12) cmajflt utime(14) stime(15), numbered from pid = 1
    return (int(f[11]) + int(f[12])) / TICK, int(f[9])


@dataclass(frozen=True)
class Usage:
    """What a server's processes and the whole machine had used at one moment (`usage`); two of them
    subtracted (`since`) say what a stretch of requests cost and what else the machine did meanwhile."""

    server_cpu: dict[int, float]  # per process of the server's tree: an evaluator may end and be replaced
    server_faults: dict[int, int]
    own_cpu: float  # this process's (the benchmark's client)
    machine: tuple[int, ...]  # /proc/stat's first line: user nice system idle iowait irq softirq steal ...

    def since(self, before: Usage, requests: int) -> str:
        """Per request: the server's CPU ms and major faults; over the stretch: cores busy elsewhere (not the
        server, not this client), and the share of the machine's time spent in iowait and stolen."""
        cpu = sum(v - before.server_cpu.get(p, 0.0) for p, v in self.server_cpu.items())
        faults = sum(v - before.server_faults.get(p, 0) for p, v in self.server_faults.items())
        ticks = [a - b for a, b in zip(self.machine, before.machine, strict=False)]
        total = sum(ticks[:8]) or 1
        busy = (total - ticks[3] - ticks[4]) / TICK  # all but idle and iowait, in CPU seconds
        span = total / TICK / (os.cpu_count() or 1)  # wall seconds the ticks cover
        others = max(0.0, busy - cpu - (self.own_cpu - before.own_cpu))
        n = max(requests, 1)
        return (f"server CPU {cpu / n * 1000:.2f} ms and {faults / n:.2f} major faults a request; meanwhile "
                f"{others / span if span else 0:.2f} cores busy outside server and client, iowait "
                f"{ticks[4] / total:.1%}, steal {ticks[7] / total if len(ticks) > 7 else 0:.1%}")


def usage(pid: int) -> Usage:
    cpu, faults = {}, {}
    for p in [pid, *_below(pid)]:
        cpu[p], faults[p] = process_usage(p)
    try:
        machine = tuple(int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:])
    except (OSError, ValueError):
        machine = ()
    own = os.times()
    return Usage(cpu, faults, own.user + own.system, machine)


def end(process: subprocess.Popen[bytes] | None, log: IO[bytes] | None, *, at_once: bool = False) -> None:
    """End a server child and close its log: SIGTERM, then SIGKILL if it is still there after 20 s; with
    `at_once`, SIGKILL straight away, as a crash would."""
    if process is not None and process.poll() is None:
        if not at_once:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    if log is not None:
        log.close()


class ServerProcess:
    """What the benchmark's database servers (bench/virtuoso.py, bench/fuseki.py) share: a child process with its
    log in a folder of its own, and a SPARQL endpoint the registry takes as a store location."""

    root: Path
    endpoint: str
    process: subprocess.Popen[bytes] | None = None
    _out: IO[bytes] | None = None

    @property
    def location(self) -> str:
        """The store location the registry takes (REGISTRY_DATA / --data)."""
        return "sparql+" + self.endpoint

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None and self.process.poll() is None else None

    def memory_mb(self) -> tuple[float, float]:
        """(resident now, peak resident since start) of the server process in MB; (nan, nan) when stopped."""
        return process_memory_mb(self.pid)

    def kill(self) -> None:
        """End the server at once (SIGKILL), as a crash would; its database stays for the next start()."""
        end(self.process, self._out, at_once=True)
        self.process, self._out = None, None

    def stop(self) -> None:
        """End the server and remove its folder."""
        end(self.process, self._out)
        self.process, self._out = None, None
        shutil.rmtree(self.root, ignore_errors=True)


def start(name: str, cmd_for_port: Callable[[int], list[str]], log: Path, timeout: float,
          env: dict[str, str] | None = None, tries: int = 3) -> Server:
    """A server at a free port, ready. A port found free can be taken by another process before the
    server binds it: then the server exits at once, and this tries again at another port."""
    for attempt in range(tries):
        port = free_port()
        server = Server(name, cmd_for_port(port), port, log, env=env)
        try:
            server.wait_ready(timeout)
            return server
        except RuntimeError:
            text = server.tail().lower()
            server.stop()
            if attempt + 1 == tries or ("address already in use" not in text and "errno 98" not in text):
                raise
    raise AssertionError("unreachable")


class Server:
    """A server child process; `url` once it answers GET /health."""

    def __init__(self, name: str, cmd: list[str], port: int, log: Path, env: dict[str, str] | None = None) -> None:
        self.name, self.port, self.log = name, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.started = time.perf_counter()
        #: seconds from the process start until GET /health answered ready
        self.ready_after: float | None = None
        self._log: IO[bytes] = log.open("wb")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.tail()}")
            try:
                r = httpx.get(self.url + "/health", timeout=2)
                if r.status_code == 200 and r.json().get("ready", True):  # our server warms its indexes first
                    self.ready_after = time.perf_counter() - self.started
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s: {self.tail()}")

    def tail(self) -> str:
        if not self._log.closed:  # stop() closes it
            self._log.flush()
        return self.log.read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
