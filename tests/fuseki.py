"""A throw-away Apache Jena Fuseki (TDB2) on loopback, for the remote-store tests.

The server is bench/fuseki.py's `FusekiServer` (the benchmark's Fuseki column starts it the same way): jars
from Maven Central in a cache folder outside the repository, an assembler file and a TDB2 database in a
temporary folder, Fuseki on a free loopback port. The first test that asks for `server()` starts one for
the whole run; it is stopped and its folder removed when the run ends (and it dies with the test process if
that is killed). Tests are skipped, with the reason, only where Java is missing, or the jars are missing and
Maven cannot fetch them.
"""

from __future__ import annotations

import atexit
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` puts tests/ on sys.path, not the repository (bench/ lives there)
    sys.path.append(str(ROOT))

from bench import fuseki as bench_fuseki  # noqa: E402
from bench.fuseki import FusekiServer  # noqa: E402

__all__ = ["FusekiServer", "available", "server"]

INSTALL_HINT = ("Apache Jena Fuseki cannot run here ({why}). Install Java 17 and Maven (Debian: apt-get install "
                "default-jre-headless maven), then fetch the jars with `mvn -q -f bench/fuseki/pom.xml "
                "dependency:copy-dependencies -DoutputDirectory=~/.cache/registry-fuseki/5.6.0` and "
                "`touch ~/.cache/registry-fuseki/5.6.0/complete` (.ci/run does both)")

#: the JIT's first tier only: a test's queries are few and short, and the second tier's compiling took half the
#: server's CPU (a start 5.1 -> 2.5 s CPU, four fresh world registries 10.3 -> 4.5 s)
QUICK_JVM = ("-XX:TieredStopAtLevel=1",)

_server: FusekiServer | None = None


def available() -> None:
    """Skip the calling test, saying how to install, where Fuseki cannot run; fetch the jars where Maven can."""
    why = bench_fuseki.missing()
    if why is None:
        try:
            bench_fuseki.fetch()
        except (RuntimeError, OSError) as e:
            why = str(e)[:300]
    if why is not None:
        pytest.skip(INSTALL_HINT.format(why=why))


def server() -> FusekiServer:
    """The run's Fuseki, started on first use; skips the calling test where it cannot run."""
    global _server
    if _server is None:
        available()
        started = FusekiServer(jvm_options=QUICK_JVM)
        started.start()
        atexit.register(started.stop)
        _server = started
    return _server
