"""A throw-away Virtuoso (Debian's `virtuoso-opensource`) on loopback, for the remote-store tests.

The server itself is bench/virtuoso.py's `VirtuosoServer` (the benchmark's Virtuoso baseline starts
it the same way: one way to start Virtuoso in this project): a virtuoso.ini in a temporary folder
(free ports, database files in that folder), `virtuoso-t -f`, a wait until /sparql answers, then
`grant SPARQL_UPDATE to "SPARQL"` so the anonymous SPARQL user may write. The first test that asks
for `server()` starts one for the whole run; it is stopped and its folder removed when the run ends
(and it dies with the test process if that is killed). Tests are skipped, with the reason, only
where `virtuoso-t` is not installed.
"""

from __future__ import annotations

import atexit
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` puts tests/ on sys.path, not the repository (bench/ lives there)
    sys.path.append(str(ROOT))

from bench.virtuoso import VirtuosoServer  # noqa: E402

__all__ = ["INSTALL_HINT", "VirtuosoServer", "server"]

INSTALL_HINT = ("virtuoso-opensource is not installed (Debian: apt-get install virtuoso-opensource; "
                ".ci/run installs it): the remote SPARQL store tests need a real Virtuoso")

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
