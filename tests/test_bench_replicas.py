"""bench/replicas.py still runs: two replicas over one remote store, a handful of writes through each, every
one shown by the other replica (its record, its search and its lineage), the figures printed and written.

No lag is asserted (wall-clock figures vary by machine): only that every write became visible, every record
reads back alike from both replicas, the audit chain verifies, and each figure is named.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import virtuoso as virtuoso_tests  # also puts the repository on sys.path, so `bench` imports in the tests

pytestmark = pytest.mark.slow  # a remote SPARQL store and two API servers

ROOT = Path(__file__).resolve().parents[1]
WRITES = 4


def test_every_write_through_one_replica_shows_on_the_other(tmp_path: Path) -> None:
    from bench import replicas

    # Virtuoso where it is installed: it starts in a fraction of the CPU time a JVM takes
    kind, why = replicas.choose_store("virtuoso")
    if kind is None:
        kind, why = replicas.choose_store(None)
    if kind is None:
        pytest.skip(f"no remote SPARQL store can run here ({why}): {virtuoso_tests.INSTALL_HINT}, or Java and "
                    "Maven for Apache Jena Fuseki (tests/fuseki.py)")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.replicas", "--store", kind, "--datasets", "50", "--writes", str(WRITES),
         "--background-writers", "1", "--limit", "30", "--timeout", "120", "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads((tmp_path / "replicas-50.json").read_text())
    meta = data["meta"]
    assert meta["store"] == kind and meta["measured_writes"] == 2 * WRITES
    assert meta["visible"] == {t: 2 * WRITES for t in replicas.TARGETS}, proc.stdout
    assert meta["readback"]["differ"] == 0 and meta["readback"]["records"] >= 2 * WRITES, proc.stdout
    assert meta["audit_verify"]["ok"] is True, meta["audit_verify"]
    names = [f["name"] for f in data["figures"]]
    assert len(names) == 8 and all(f["n"] == WRITES for f in data["figures"]), data["figures"]
    for name in names:
        assert name in proc.stdout
    assert "NEVER SHOWN" not in proc.stdout
