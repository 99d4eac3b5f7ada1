"""Measuring: child processes with their own peak memory, latency percentiles, bounded request loops."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[1]


def python() -> str:
    return sys.executable


def registry_cli() -> list[str]:
    """`registry`, as the installed console script beside this interpreter, or as `python -m registry`."""
    script = Path(sys.executable).with_name("registry")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "registry"]


@dataclass
class Run:
    """One child process: wall time, peak resident memory (its own, from wait4), exit code and output."""

    seconds: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    #: user plus system CPU time of the child (its threads included): steadier than wall time on a busy machine
    cpu_seconds: float = 0.0

    def json_tail(self) -> dict[str, Any]:
        """The last line of stdout that is a JSON object (our children print one)."""
        for line in reversed(self.stdout.strip().splitlines()):
            if line.startswith("{"):
                try:
                    return dict(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return {}


def run_child(cmd: Sequence[str], *, timeout: float | None = None, env: dict[str, str] | None = None,
              cwd: Path | None = None) -> Run:
    """Run `cmd` to its end (or kill it after `timeout` seconds), measuring only that child.

    os.wait4 gives the rusage of this one child (ru_maxrss in KiB on Linux), so figures from
    earlier children never leak in, unlike RUSAGE_CHILDREN. Output goes to temporary files, so a
    chatty child cannot block on a full pipe.
    """
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True)
        timed_out = False
        deadline = None if timeout is None else started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds=seconds, max_rss_mb=usage.ru_maxrss / 1024, returncode=proc.returncode,
                   stdout=out.read().decode("utf-8", "replace"), stderr=err.read().decode("utf-8", "replace"),
                   timed_out=timed_out, cpu_seconds=usage.ru_utime + usage.ru_stime)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


@dataclass
class Latencies:
    """Latencies in seconds of a bounded loop of calls, and what the calls answered."""

    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stopped_early: bool = False

    @property
    def p50_ms(self) -> float:
        return percentile(self.seconds, 50) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.seconds, 95) * 1000


def timed_loop(calls: Sequence[Callable[[], Any]], budget: float, minimum: int = 3) -> Latencies:
    """Time each call in turn; stop once `budget` seconds have passed (after at least `minimum` calls).

    A call that raises is recorded as an error, not timed. Loops are bounded in count and time.
    """
    out = Latencies()
    started = time.perf_counter()
    for i, call in enumerate(calls):
        if i >= minimum and time.perf_counter() - started > budget:
            out.stopped_early = True
            break
        t = time.perf_counter()
        try:
            call()
        except Exception as e:  # any failure of one request is a data point, not a crash of the bench
            out.errors.append(f"{type(e).__name__}: {e}"[:300])
            continue
        out.seconds.append(time.perf_counter() - t)
    return out


class Stoppable(Protocol):
    def stop(self) -> None: ...


def wind_up(stoppables: Iterable[Stoppable | None], tmp: Path, keep: bool, meta: dict[str, Any],
            started: float) -> None:
    """The end of a bench run: stop every server it started, keep its folder (saying where) or remove it, and
    note in `meta` how long the run took and the load average at its end."""
    for s in stoppables:
        if s is not None:
            s.stop()
    if keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    meta["total_seconds"] = round(time.perf_counter() - started, 1)
    meta["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
