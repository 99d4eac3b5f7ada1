"""The benchmark runner still runs: a tiny registry, a few requests, every figure printed and written.

No figure's value is asserted (wall-clock figures vary by machine): only that the runner exits 0,
names every figure, writes them as JSON, and fills each baseline's column where that baseline ran.
The runner runs once for the module; the Virtuoso column is checked where `virtuoso-t` is installed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import virtuoso as virtuoso_tests  # also puts the repository on sys.path, so `bench` imports in the tests

ROOT = Path(__file__).resolve().parents[1]

FIGURES = (
    "bulk load: wall time (process)",
    "bulk load: triples/s",
    "bulk load: peak RSS",
    "bulk load: triples/s excl. start-up",
    "validate whole store: wall time",
    "validate whole store: peak RSS",
    "server start until ready",
    "serving process RSS once ready",
    "disk once ready: all files / the store alone",
    "GET /reports/flows, the first after the start p50",
    "GET /datasets/{id} p50",
    "GET /datasets/{id} p95",
    "GET /datasets?q=word (first page) p50",
    "GET /datasets?q=word (first page) p95",
    "GET /datasets?publisher=X&limit=1 (count) p50",
    "POST /share-checks p50",
    "POST /share-checks p95",
    "POST /datasets (SHACL, one write) p50",
    "POST /datasets (SHACL, one write) p95",
    "GET /stats p50",
    "GET /stats p95",
    "lineage and impact of the largest hub, first page p50",
    "lineage and impact of the largest hub, first page p95",
    "GET /datasets/{id}/lineage?as_of=... p50",
    "GET /datasets/{id}/lineage?as_of=... p95",
    "GET /reports/flows, the first after a write p50",
    "GET /reports/flows and /transparency p50",
    "GET /reports/flows and /transparency p95",
    "reads p95 (lookup, search, lineage) alone",
    "reads p95 while 4 clients write",
    "serving process RSS after the REST figures",
    "SPARQL datasets-by-publisher, one at a time p50",
    "SPARQL datasets-by-publisher, one at a time p95",
    "SPARQL datasets-by-publisher x8 clients",
)
#: the difference of two sub-second process times at this size: may come out at zero or below (then None)
NOISY = {"bulk load: triples/s excl. start-up"}
#: figures of our server alone: its memory, its disk, its reads while clients write
OURS_ONLY = {"serving process RSS once ready", "disk once ready: all files / the store alone",
             "reads p95 (lookup, search, lineage) alone", "reads p95 while 4 clients write",
             "serving process RSS after the REST figures"}
#: Virtuoso has no SHACL engine: the only figures without a Virtuoso value (besides ours alone)
NO_VIRTUOSO = {"validate whole store: wall time", "validate whole store: peak RSS"} | OURS_ONLY
#: the registry's size: each figure and baseline still has something to measure (5 agreements, a hub, lineage
#: 3 deep); pySHACL's validation, the longest step of the run (35 s at 200 datasets), takes about 9 s CPU here
DATASETS = 50


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--datasets", str(DATASETS), "--requests", "5", "--checks", "7", "--writes", "2",
         "--sparql-queries", "2", "--budget", "20", "--timeout", "120", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, json.loads((out / f"bench-{DATASETS}.json").read_text())


@pytest.mark.slow
def test_runner_prints_every_figure_at_a_tiny_size(run: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    proc, data = run
    for name in FIGURES:
        assert name in proc.stdout, f"{name!r} missing from:\n{proc.stdout}"
    assert "SPARQL:" in proc.stdout  # says how our side of the SPARQL figure was measured
    names = [f["name"] for f in data["figures"]]
    assert names == list(FIGURES)
    for column in ("ours", "baseline"):  # "baseline" is rdflib's column (rdflib-endpoint is in the test extra)
        got = {f["name"]: f[column] for f in data["figures"]
               if f["name"] not in NOISY and (column == "ours" or f["name"] not in OURS_ONLY)}
        assert all(v is not None and v > 0 for v in got.values()), (column, got, proc.stdout[-3000:])
    assert all(f["baseline"] is None for f in data["figures"] if f["name"] in OURS_ONLY)
    under = next(f["note"] for f in data["figures"] if f["name"] == "reads p95 while 4 clients write")
    assert re.search(r"x the reads alone; [1-9]\d* writes meanwhile", under) and "write errors" not in under, under
    assert data["meta"]["synth"]["datasets"] == DATASETS
    assert data["meta"]["baselines"]["rdflib"] is True
    client = next(n for n in data["notes"] if n.startswith("REST latencies are measured through"))
    assert re.search(r"httpx p50 [\d.]+ ms, http.client p50 [\d.]+ ms", client), client  # the client's own cost
    memory = next(n for n in data["notes"] if n.startswith("our server's resident memory"))
    assert re.search(r"ready [\d,]+, flows_first [\d,]+, lookups [\d,]+, .* flows [\d,]+$", memory), memory
    # what each figure cost the server, and what else the machine did meanwhile: a slower server told from a
    # busier machine
    costs = next(n for n in data["notes"] if n.startswith("what each REST figure's requests cost our server"))
    for name in ("GET /health", "lookups", "searches", "share_checks", "writes", "flows"):
        assert re.search(re.escape(name) + r"[^;]*: server CPU [\d.]+ ms and [\d.]+ major faults a request; "
                         r"meanwhile [\d.]+ cores busy outside server and client, iowait [\d.]+%, steal [\d.]+%",
                         costs), (name, costs)
    # the server's own CPU, counted (in clock ticks: a tiny figure's few requests may take less than one)
    assert sum(float(x) for x in re.findall(r"server CPU ([\d.]+) ms", costs)) > 0, costs
    reads = next(n for n in data["notes"] if n.startswith("reads alone: server CPU"))
    assert "reads while 4 clients write (per read or write): server CPU" in reads, reads
    sparql = next(n for n in data["notes"] if n.startswith("SPARQL, what our server's processes"))
    assert re.search(r"x\d+: server CPU [\d.]+ ms .*; one at a time: server CPU [\d.]+ ms", sparql), sparql
    # the evaluation alone, on the store and on the public view the evaluators read (a tiny run keeps one)
    alone = next(n for n in data["notes"] if n.startswith("SPARQL one at a time: the same queries"))
    assert re.search(r"on the store take p50 [\d.]+ ms, on the public view the server's evaluators read [\d.]+ ms",
                     alone), alone


@pytest.mark.slow
def test_runner_fills_the_virtuoso_column(run: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    from bench.virtuoso import installed

    proc, data = run
    if not installed():
        assert "Virtuoso baseline skipped: virtuoso-t" in proc.stdout
        pytest.skip(virtuoso_tests.INSTALL_HINT)
    assert any(line.startswith("figure") and "virtuoso" in line for line in proc.stdout.splitlines())
    got = {f["name"]: f["virtuoso"] for f in data["figures"]}
    missing = [n for n, v in got.items() if n not in NO_VIRTUOSO | NOISY and not (v is not None and v > 0)]
    assert not missing, (missing, proc.stdout[-4000:])
    assert all(got[n] is None for n in NO_VIRTUOSO)
    assert all("virtuoso_ratio" in f for f in data["figures"])
    assert "REST over Virtuoso" in proc.stdout and "Virtuoso's own /sparql" in proc.stdout
    # the same answers: every share check decided alike; SPARQL answered with rows by each server
    decisions = next(n for n in data["notes"] if n.startswith("share-check proposals"))
    ours, _, rest = decisions.partition("decisions ours ")[2].partition(", rdflib ")
    assert rest.partition(", virtuoso ")[2] == ours == rest.partition(", virtuoso ")[0]
    sparql = data["figures"][-1]["note"]
    rows = re.findall(r"(ours|rdflib|virtuoso) n=\d+ \(([\d.]+) rows/query\)", sparql)
    assert [w for w, _ in rows] == ["ours", "rdflib", "virtuoso"] and all(float(r) > 0 for _, r in rows), sparql


@pytest.mark.slow
def test_runner_fills_the_fuseki_column_of_the_sparql_figures(
        run: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    """Fuseki (TDB2, loaded by its own loader) answers the same named queries: a column of the SPARQL figures."""
    from bench import fuseki

    proc, data = run
    if fuseki.missing() is not None:
        assert "Fuseki column skipped" in proc.stdout
        pytest.skip(f"Fuseki cannot run here: {fuseki.missing()}")
    sparql = {f["name"]: f["fuseki"] for f in data["figures"] if f["name"].startswith("SPARQL")}
    assert len(sparql) == 3 and all(v is not None and v > 0 for v in sparql.values()), (sparql, proc.stdout[-3000:])
    assert all(f["fuseki"] is None for f in data["figures"] if not f["name"].startswith("SPARQL"))
    assert all("fuseki_ratio" in f for f in data["figures"]) and data["meta"]["baselines"]["fuseki"] is True
    rows = re.findall(r"fuseki n=\d+ \(([\d.]+) rows/query\)", data["figures"][-1]["note"])
    assert rows and float(rows[0]) > 0, data["figures"][-1]["note"]
    from bench.report import markdown

    table = markdown(data)  # as bench/RESULTS.md shows it: the Fuseki column and its ratio beside Virtuoso's
    assert "| Virtuoso | ratio (>1: ours better) | Fuseki | ratio (>1: ours better) | note |" in table
    line = next(x for x in table.splitlines() if x.startswith("| SPARQL datasets-by-publisher x8 clients |"))
    assert len(line.split(" | ")) == 10 and "-" not in line.split(" | ")[7], line


def test_rdflib_baselines_stop_at_a_size_and_say_so() -> None:
    """At 1,000,000 datasets the rdflib baselines would not fit in memory: the runner leaves them out
    with a note (the default limit), and keeps Virtuoso's bulk load and SPARQL figures."""
    from bench.__main__ import baselines, parser

    args = parser().parse_args(["--datasets", "1000000"])
    plan = baselines(args, virtuoso_installed=True)
    assert not plan.rdflib and plan.virtuoso and not plan.virtuoso_app
    assert any("--baseline-max-datasets 200,000" in n for n in plan.notes)
    assert any("--virtuoso-app-max-datasets" in n for n in plan.notes)
    small = baselines(parser().parse_args(["--datasets", "10000"]), virtuoso_installed=True)
    assert small.rdflib and small.virtuoso_app and small.notes == []
    missing = baselines(parser().parse_args(["--datasets", "10000"]), virtuoso_installed=False)
    assert not missing.virtuoso and any("not installed" in n for n in missing.notes)
