"""The benchmark runner still runs: a tiny registry, a few requests, every figure printed and written.

No figure's value is asserted (wall-clock figures vary by machine): only that the runner exits 0,
names every figure, and writes them as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FIGURES = (
    "bulk load: wall time (process)",
    "bulk load: triples/s",
    "bulk load: peak RSS",
    "bulk load: triples/s excl. start-up",
    "validate whole store: wall time",
    "validate whole store: peak RSS",
    "GET /datasets/{id} p50",
    "GET /datasets/{id} p95",
    "GET /datasets?q=word (first page) p50",
    "GET /datasets?q=word (first page) p95",
    "GET /datasets?publisher=X&limit=1 (count) p50",
    "POST /share-checks p50",
    "POST /share-checks p95",
    "POST /datasets (SHACL, one write) p50",
    "POST /datasets (SHACL, one write) p95",
    "SPARQL datasets-by-publisher x8 clients",
)


@pytest.mark.slow
def test_runner_prints_every_figure_at_a_tiny_size(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--datasets", "200", "--requests", "5", "--checks", "7", "--writes", "2",
         "--sparql-queries", "2", "--budget", "20", "--timeout", "120", "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=170, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for name in FIGURES:
        assert name in proc.stdout, f"{name!r} missing from:\n{proc.stdout}"
    assert "SPARQL:" in proc.stdout  # says how our side of the SPARQL figure was measured
    data = json.loads((tmp_path / "bench-200.json").read_text())
    names = [f["name"] for f in data["figures"]]
    assert names == list(FIGURES)
    ours = {f["name"]: f["ours"] for f in data["figures"]}
    assert all(v is not None and v > 0 for v in ours.values()), ours
    assert data["meta"]["synth"]["datasets"] == 200
