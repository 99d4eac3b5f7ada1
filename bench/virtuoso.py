"""A throw-away Virtuoso (Debian's `virtuoso-opensource`) on loopback: for the remote-store tests and the
benchmark's Virtuoso baseline. The one way this project starts Virtuoso (tests/virtuoso.py imports it).

`VirtuosoServer().start()` writes a virtuoso.ini in a temporary folder (free ports, database files in
that folder), runs `virtuoso-t -f`, waits until /sparql answers, then grants `SPARQL_UPDATE` to the
anonymous SPARQL user so the registry's remote store may write. The server dies with the process that
started it (PR_SET_PDEATHSIG), and `stop()` removes its folder. `isql()` runs SQL through Debian's
`isql-vt`; `bulk_load()` loads an N-Quads file with Virtuoso's own bulk loader (ld_dir +
rdf_loader_run + checkpoint); `kill()` ends it as a crash would and keeps its database for the next
`start()`. Nothing here needs pytest.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import httpx

from bench.servers import ServerProcess, die_with_parent, free_port

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
DirsAllowed          = {dirs}
NumberOfBuffers      = {buffers}
MaxDirtyBuffers      = {dirty_buffers}

[HTTPServer]
ServerPort           = 127.0.0.1:{http_port}
ServerRoot           = {root}/www
MaxClientConnections = 20
ServerThreads        = 20
EnabledDavVSP        = 0
Charset              = UTF-8

[SPARQL]
ResultSetMaxRows      = 1000000
MaxQueryExecutionTime = {max_query_seconds}
MaxQueryCostEstimationTime = 0
"""


def installed() -> bool:
    """Whether Debian's Virtuoso (the server and its isql) is on PATH."""
    return shutil.which("virtuoso-t") is not None and isql_command() is not None


def isql_command() -> str | None:
    return shutil.which("isql-vt") or shutil.which("isql-v")


def version() -> str:
    """The version `virtuoso-t -?` prints, e.g. "7.2.5.3229-pthreads" ("" when absent)."""
    exe = shutil.which("virtuoso-t")
    if exe is None:
        return ""
    try:
        done = subprocess.run([exe, "-?"], capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return ""
    for line in (done.stdout + done.stderr).splitlines():
        if line.strip().startswith("Version") and len(line.split()) > 1:
            return line.split()[1]
    return ""


class VirtuosoServer(ServerProcess):
    """One virtuoso-t on 127.0.0.1 at free ports, with its database in a folder of its own.

    `buffers` is Virtuoso's NumberOfBuffers (8 KiB pages of its buffer pool; the tests' default of
    10,000 is 80 MB, Virtuoso's own guide gives 170,000 per 2 GB of memory to spare); `dirs_allowed` are
    folders its file functions and bulk loader may read (the database folder always).
    """

    def __init__(self, *, root: Path | None = None, buffers: int = 10_000, dirs_allowed: Sequence[Path] = (),
                 max_query_seconds: int = 120) -> None:
        if root is None:
            root = Path(tempfile.mkdtemp(prefix="registry-virtuoso-"))
        else:
            root.mkdir(parents=True, exist_ok=True)
        self.root = root
        (self.root / "www").mkdir(exist_ok=True)
        self.buffers = buffers
        self.dirs_allowed = [Path(d).resolve() for d in dirs_allowed]
        self.max_query_seconds = max_query_seconds
        self.sql_port, self.http_port = free_port(), free_port()
        self.endpoint = f"http://127.0.0.1:{self.http_port}/sparql"
        self.process: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None
        self.start_seconds: float | None = None

    def log_tail(self) -> str:
        for name in ("virtuoso.log", "stdout.log"):
            path = self.root / name
            if path.is_file():
                return path.read_text(errors="replace")[-2000:]
        return ""

    def start(self) -> None:
        ini = self.root / "virtuoso.ini"
        dirs = ", ".join([".", str(self.root), *(str(d) for d in self.dirs_allowed)])
        ini.write_text(INI.format(root=self.root, sql_port=self.sql_port, http_port=self.http_port, dirs=dirs,
                                  buffers=self.buffers, dirty_buffers=self.buffers * 3 // 5,
                                  max_query_seconds=self.max_query_seconds))
        self._out = out = (self.root / "stdout.log").open("wb")
        started = time.monotonic()
        self.process = subprocess.Popen([str(shutil.which("virtuoso-t")), "-f", "-c", str(ini)], cwd=self.root,
                                        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        preexec_fn=die_with_parent)
        deadline = started + START_TIMEOUT
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
        self.start_seconds = time.monotonic() - started
        try:
            self.isql('grant SPARQL_UPDATE to "SPARQL";')
        except RuntimeError as e:
            if "already" not in str(e):  # a restart on a database that has the grant
                raise

    def isql(self, sql: str, timeout: float = 60) -> str:
        isql = isql_command()
        if isql is None:
            raise RuntimeError("isql-vt (part of virtuoso-opensource) is missing")
        done = subprocess.run([isql, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"EXEC={sql}"],
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql {sql!r} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def isql_rows(self, sql: str, timeout: float = 60) -> list[str]:
        """The rows isql prints for one SELECT, each as its line (columns separated by spaces)."""
        lines = self.isql(sql, timeout).splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("_____")), None)
        if start is None:
            return []
        rows = []
        for line in lines[start + 1:]:
            if line.strip() and ("Rows. --" in line or "Row. --" in line):
                break
            if line.strip():
                rows.append(line.rstrip())
        return rows

    def bulk_load(self, path: Path, graph: str = "urn:x-registry:graph:default",
                  timeout: float = 3600) -> dict[str, float]:
        """Load one N-Quads (or Turtle, N-Triples, TriG) file with Virtuoso's bulk loader, as its guide
        does: `ld_dir` registers the file (quads keep their graphs; `graph` takes triples without one),
        `rdf_loader_run()` loads it, a `checkpoint` makes it durable. Returns the seconds of the load and
        of the checkpoint; raises when the loader recorded an error for the file (DB.DBA.LOAD_LIST)."""
        path = path.resolve()
        started = time.perf_counter()
        self.isql(f"ld_dir('{path.parent}', '{path.name}', '{graph}');")
        self.isql("rdf_loader_run();", timeout=timeout)
        loaded = time.perf_counter()
        self.isql("checkpoint;", timeout=timeout)
        done = time.perf_counter()
        state = self.isql_rows("SELECT concat('state=', cast(ll_state AS VARCHAR), ' error=', coalesce(ll_error, 'none')) "
                               f"FROM DB.DBA.LOAD_LIST WHERE ll_file = '{path}';")
        if state != ["state=2 error=none"]:
            raise RuntimeError(f"Virtuoso's bulk loader did not load {path.name}: {state}")
        return {"seconds": done - started, "load_seconds": loaded - started, "checkpoint_seconds": done - loaded}
