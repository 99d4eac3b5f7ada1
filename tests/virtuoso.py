"""A throw-away Virtuoso (Debian's `virtuoso-opensource`) on loopback, for the remote-store tests.

The first test that asks for it starts one server for the whole run: a virtuoso.ini in a temporary
folder (free ports, database files in that folder), `virtuoso-t -f`, a wait until /sparql answers,
then `grant SPARQL_UPDATE to "SPARQL"` so the anonymous SPARQL user may write. The server is stopped
and its folder removed when the run ends (and it dies with the test process if that is killed).
Tests are skipped, with the reason, only where `virtuoso-t` is not installed.
"""

from __future__ import annotations

import atexit
import ctypes
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

INSTALL_HINT = ("virtuoso-opensource is not installed (Debian: apt-get install virtuoso-opensource; "
                ".ci/run installs it): the remote SPARQL store tests need a real Virtuoso")
START_TIMEOUT = 90.0

INI = """\
[Database]
DatabaseFile       = {root}/virtuoso.db
ErrorLogFile       = {root}/virtuoso.log
LockFile           = {root}/virtuoso.lck
TransactionFile    = {root}/virtuoso.trx
xa_persistent_file = {root}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {root}/virtuoso-temp.db
TransactionFile    = {root}/virtuoso-temp.trx
Striping           = 0

[Parameters]
ServerPort           = 127.0.0.1:{sql_port}
DisableUnixSocket    = 1
MaxClientConnections = 20
CheckpointInterval   = 60
CaseMode             = 2
DirsAllowed          = ., {root}
NumberOfBuffers      = 10000
MaxDirtyBuffers      = 6000

[HTTPServer]
ServerPort           = 127.0.0.1:{http_port}
ServerRoot           = {root}/www
MaxClientConnections = 20
ServerThreads        = 20
EnabledDavVSP        = 0
Charset              = UTF-8

[SPARQL]
ResultSetMaxRows      = 1000000
MaxQueryExecutionTime = 120
MaxQueryCostEstimationTime = 0
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class VirtuosoServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="registry-virtuoso-"))
        (self.root / "www").mkdir()
        self.sql_port, self.http_port = _free_port(), _free_port()
        self.endpoint = f"http://127.0.0.1:{self.http_port}/sparql"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def location(self) -> str:
        """The store location the registry takes (REGISTRY_DATA / --data)."""
        return "sparql+" + self.endpoint

    def log_tail(self) -> str:
        for name in ("virtuoso.log", "stdout.log"):
            path = self.root / name
            if path.is_file():
                return path.read_text(errors="replace")[-2000:]
        return ""

    def start(self) -> None:
        ini = self.root / "virtuoso.ini"
        ini.write_text(INI.format(root=self.root, sql_port=self.sql_port, http_port=self.http_port))
        out = (self.root / "stdout.log").open("wb")
        self.process = subprocess.Popen([str(shutil.which("virtuoso-t")), "-f", "-c", str(ini)], cwd=self.root,
                                        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        preexec_fn=_die_with_parent)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                r = httpx.post(self.endpoint, data={"query": "ASK { }"}, timeout=2)
                if r.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Virtuoso did not answer within {START_TIMEOUT:.0f} s:\n{self.log_tail()}")
            time.sleep(0.2)
        self.isql('grant SPARQL_UPDATE to "SPARQL";')

    def isql(self, sql: str) -> str:
        isql = shutil.which("isql-vt") or shutil.which("isql-v")
        if isql is None:
            raise RuntimeError("isql-vt (part of virtuoso-opensource) is missing")
        done = subprocess.run([isql, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"EXEC={sql}"],
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql {sql!r} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)


_server: VirtuosoServer | None = None


def server() -> VirtuosoServer:
    """The run's Virtuoso, started on first use; skips the calling test where it is not installed."""
    global _server
    if _server is None:
        if shutil.which("virtuoso-t") is None:
            pytest.skip(INSTALL_HINT)
        started = VirtuosoServer()
        started.start()
        atexit.register(started.stop)
        _server = started
    return _server
