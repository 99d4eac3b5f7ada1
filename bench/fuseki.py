"""A throw-away Apache Jena Fuseki (TDB2 on disk) on loopback: for the remote-store tests and the benchmark's
Fuseki column. The one way this project starts Fuseki (tests/fuseki.py imports it).

Fuseki's jars come from Maven Central: `fetch()` runs Maven's dependency plugin on bench/fuseki/pom.xml and
copies them into a folder outside the repository (`~/.cache/registry-fuseki/5.6.0`, under $XDG_CACHE_HOME
when set), once. `FusekiServer().start()` writes an assembler file in a temporary folder (one TDB2 dataset
`/ds` in that folder, its default graph the union of the named graphs, SPARQL query and update at `/ds`),
runs Fuseki on a free loopback port and waits until `/ds` answers. `kill()` ends it at once (SIGKILL) and
keeps the database, so `start()` opens the same files again; `stop()` ends it and removes the folder (both
from bench.servers.ServerProcess); `bulk_load()` fills the database with TDB2's own loader before a start.
Nothing here needs pytest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import httpx

from bench.servers import ServerProcess, die_with_parent, free_port

VERSION = "5.6.0"
POM = Path(__file__).resolve().parent / "fuseki" / "pom.xml"
MAIN = "org.apache.jena.fuseki.main.cmds.FusekiMainCmd"
LOADER = "tdb2.tdbloader"
START_TIMEOUT = 90.0
FETCH_TIMEOUT = 600.0

CONFIG = """\
PREFIX fuseki: <http://jena.apache.org/fuseki#>
PREFIX rdf:    <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX tdb2:   <http://jena.apache.org/2016/tdb#>

<#service> rdf:type fuseki:Service ;
    fuseki:name "ds" ;
    fuseki:endpoint [ fuseki:operation fuseki:query ] ;
    fuseki:endpoint [ fuseki:operation fuseki:update ] ;
    fuseki:dataset <#tdb2> .

<#tdb2> rdf:type tdb2:DatasetTDB2 ;
    tdb2:location "{location}" ;
    tdb2:unionDefaultGraph true .
"""


def lib_dir() -> Path:
    """Where the jars are kept (outside the repository, shared by every checkout of this machine)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "registry-fuseki" / VERSION


def missing() -> str | None:
    """Why Fuseki cannot run here (no Java, or no jars and no Maven to fetch them), or None."""
    if shutil.which("java") is None:
        return "java is not on PATH"
    if not _jars_present() and shutil.which("mvn") is None:
        return f"Fuseki's jars are not in {lib_dir()} and mvn (Maven) is not on PATH to fetch them"
    return None


def _jars_present() -> bool:
    return (lib_dir() / "complete").is_file()


def fetch(timeout: float = FETCH_TIMEOUT) -> Path:
    """Fuseki's jars in `lib_dir()`, fetched from Maven Central by `mvn` if they are not there yet."""
    lib = lib_dir()
    if _jars_present():
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError(f"mvn (Maven) is not on PATH: cannot fetch Fuseki {VERSION}'s jars into {lib}")
    partial = lib.with_name(lib.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    done = subprocess.run([mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
                           f"-DoutputDirectory={partial}"], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0 or not any(partial.glob("jena-fuseki-main-*.jar")):
        shutil.rmtree(partial, ignore_errors=True)
        raise RuntimeError(f"mvn could not fetch Fuseki {VERSION}: {(done.stdout + done.stderr)[-1500:]}")
    (partial / "complete").write_text(VERSION + "\n")
    shutil.rmtree(lib, ignore_errors=True)
    partial.rename(lib)
    return lib


def version() -> str:
    """The Fuseki version this project runs, or "" when it cannot run here."""
    return VERSION if missing() is None else ""


class FusekiServer(ServerProcess):
    """One Fuseki on 127.0.0.1 at a free port, with its TDB2 database in a folder of its own.

    `heap` is the JVM's -Xmx (TDB2 keeps its indexes in memory-mapped files, outside the heap); `jvm_options`
    go to the JVM as well (the tests' server compiles with C1 only: half the CPU of a start and of short work)."""

    def __init__(self, *, root: Path | None = None, heap: str = "1g", jvm_options: Sequence[str] = ()) -> None:
        if root is None:
            root = Path(tempfile.mkdtemp(prefix="registry-fuseki-"))
        else:
            root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.database = root / "tdb2"
        self.heap = heap
        self.jvm_options = tuple(jvm_options)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None
        self.start_seconds: float | None = None

    @property
    def endpoint(self) -> str:
        """Query and update both go here."""
        return f"http://127.0.0.1:{self.port}/ds"

    def log_tail(self) -> str:
        path = self.root / "fuseki.log"
        return path.read_text(errors="replace")[-2000:] if path.is_file() else ""

    def _java(self, main: str, *args: str) -> list[str]:
        return [str(shutil.which("java")), f"-Xmx{self.heap}", *self.jvm_options, "-cp", str(fetch() / "*"), main, *args]

    def bulk_load(self, path: Path, timeout: float = 3600) -> dict[str, float]:
        """Load an N-Quads file into the (stopped) server's database with TDB2's loader; returns its seconds."""
        if self.pid is not None:
            raise RuntimeError("TDB2's bulk loader needs the database to itself: load before start()")
        self.database.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        done = subprocess.run(self._java(LOADER, "--loc", str(self.database), str(path.resolve())),
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError(f"tdb2.tdbloader exited {done.returncode}: {(done.stdout + done.stderr)[-1500:]}")
        return {"seconds": time.perf_counter() - started}

    def start(self) -> None:
        """Start Fuseki on the database (a new one, or the one a killed server left)."""
        self.database.mkdir(parents=True, exist_ok=True)
        config = self.root / "config.ttl"
        config.write_text(CONFIG.format(location=self.database))
        cmd = self._java(MAIN, "--config", str(config), "--localhost", "--port", str(self.port))
        self._out = out = (self.root / "fuseki.log").open("ab")
        started = time.monotonic()
        self.process = subprocess.Popen(cmd, cwd=self.root, stdout=out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"Fuseki exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.post(self.endpoint, data={"query": "ASK { }"}, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > started + START_TIMEOUT:
                self.stop()
                raise RuntimeError(f"Fuseki did not answer within {START_TIMEOUT:.0f} s:\n{self.log_tail()}")
            time.sleep(0.2)
        self.start_seconds = time.monotonic() - started


if __name__ == "__main__":  # `python -m bench.fuseki fetch`: the jars into the cache (.ci/run does it first)
    import sys

    if sys.argv[1:] != ["fetch"]:
        sys.exit("usage: python -m bench.fuseki fetch")
    why = missing()
    if why is not None:
        sys.exit(f"Fuseki cannot run here: {why}")
    print(fetch())
