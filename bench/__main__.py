"""python -m bench [--datasets N] [--seed S] [--out bench/out]: figures for our registry beside two baselines.

Builds a synthetic registry of N datasets (`python -m bench.synth`) in a temporary folder, then measures
each figure for us and, in the same run, for each baseline, and prints them side by side with ratios:

  figure                                   ours / rdflib (first baseline) / Virtuoso (second baseline)
  bulk load (time, triples/s, peak RSS)    `registry load` (Oxigraph) / rdflib Dataset parsing the N-Quads /
                                           Virtuoso's bulk loader (ld_dir, rdf_loader_run, checkpoint), same file
  full-store validation (time, RSS)        `registry validate` / pySHACL on an rdflib graph of the data / -
                                           (Virtuoso has no SHACL engine)
  GET /datasets/{id}, ?q=, ?publisher=,    the app over Oxigraph / the same app over an rdflib store / the same
  POST /share-checks, POST /datasets       app over Virtuoso (the sparql+http remote store)
  SPARQL datasets-by-publisher, 8 clients  our /sparql (pyoxigraph in-process when it fails) / rdflib-endpoint
                                           over the rdflib store / Virtuoso's own /sparql over its bulk load;
                                           and a third column: Apache Jena Fuseki (TDB2) over its own bulk load

Servers are real processes on 127.0.0.1 at free ports. Ratios are printed, never asserted: a ratio
above 1 means ours is better (faster, smaller, more per second). The figures are also written as
JSON to --out ("baseline" is the rdflib column, "virtuoso" the Virtuoso column, "fuseki" the Fuseki column,
which only the SPARQL figures have).

The rdflib baselines hold the whole registry in memory (about 2 GB per 100,000 datasets), so above
--baseline-max-datasets they are skipped with a note. The Virtuoso column needs `virtuoso-t` (Debian's
virtuoso-opensource) and is skipped with a note where it is missing; its REST figures load the registry
into Virtuoso through our remote store (`registry load --data sparql+http://...`, SPARQL updates over
HTTP), which is slow, so they stop above --virtuoso-app-max-datasets. The Fuseki column needs Java and
Fuseki's jars (bench/fuseki.py fetches them with Maven) and is skipped with a note where they are missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import fuseki, virtuoso, workloads
from bench.child import BASELINE_SPARQL
from bench.client import LeanClient
from bench.fuseki import FusekiServer
from bench.measure import Latencies, Run, python, registry_cli, run_child, timed_loop, wind_up
from bench.report import number
from bench.servers import Server, tree_memory_mb, usage
from bench.servers import start as start_server
from bench.startup import beside
from bench.synth import Synth
from bench.virtuoso import VirtuosoServer

PYSHACL_SKIP_ABOVE = 20_000
PYSHACL_LIMIT = 300.0  # seconds, above PYSHACL_SKIP_ABOVE datasets
#: the rdflib baselines hold the registry in memory, about 2 GB per 100,000 datasets
BASELINE_MAX_DATASETS = 200_000
#: the app over Virtuoso is loaded through SPARQL updates over HTTP (about 13,000 quads/s)
VIRTUOSO_APP_MAX_DATASETS = 200_000
#: Virtuoso's NumberOfBuffers (8 KiB pages) for the bench: its database is about twice the N-Quads
#: file, so room for that, between 20,000 (160 MB) and Virtuoso's own setting for 8 GB of memory
VIRTUOSO_BUFFERS_MIN, VIRTUOSO_BUFFERS_MAX = 20_000, 680_000


@dataclass
class Figure:
    name: str
    unit: str
    better: str  # "lower" or "higher"
    ours: float | None
    baseline: float | None  # rdflib (in memory; pySHACL; rdflib-endpoint)
    note: str = ""
    virtuoso: float | None = None
    fuseki: float | None = None  # the SPARQL figures only

    def _ratio(self, other: float | None) -> float | None:
        if self.ours is None or other is None or not self.ours or not other:
            return None
        if math.isnan(self.ours) or math.isnan(other):
            return None
        return other / self.ours if self.better == "lower" else self.ours / other

    @property
    def ratio(self) -> float | None:
        """Against the rdflib baseline; above 1 when ours is better."""
        return self._ratio(self.baseline)

    @property
    def virtuoso_ratio(self) -> float | None:
        """Against Virtuoso; above 1 when ours is better."""
        return self._ratio(self.virtuoso)

    @property
    def fuseki_ratio(self) -> float | None:
        """Against Fuseki; above 1 when ours is better."""
        return self._ratio(self.fuseki)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "unit": self.unit, "better": self.better, "ours": _round(self.ours),
                "baseline": _round(self.baseline), "ratio": _round(self.ratio), "virtuoso": _round(self.virtuoso),
                "virtuoso_ratio": _round(self.virtuoso_ratio), "fuseki": _round(self.fuseki),
                "fuseki_ratio": _round(self.fuseki_ratio), "note": self.note}


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def add(self, fig: Figure) -> None:
        self.figures.append(fig)
        print(_row(fig), flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)


def _round(v: float | None) -> float | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return round(v, 3) if abs(v) < 1000 else round(v, 1)


HEADER = (f"{'figure':<46} {'unit':<10} {'ours':>12} {'rdflib':>12} {'ratio':>8} {'virtuoso':>12} {'ratio':>8}"
          f" {'fuseki':>10} {'ratio':>8}  note")


def _x(ratio: float | None) -> str:
    return f"{ratio:.2f}x" if ratio is not None else "-"


def _row(f: Figure) -> str:
    return (f"{f.name:<46} {f.unit:<10} {number(f.ours):>12} {number(f.baseline):>12} {_x(f.ratio):>8} "
            f"{number(f.virtuoso):>12} {_x(f.virtuoso_ratio):>8} {number(f.fuseki):>10} {_x(f.fuseki_ratio):>8}  {f.note}")


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cpu": cpu, "cpus": os.cpu_count(), "memory_gb": mem_gb, "python": platform.python_version(),
            "platform": platform.platform()}


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("pyoxigraph", "rdflib", "pyshacl", "fastapi", "uvicorn", "httpx", "rdflib-endpoint"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    out["virtuoso"] = virtuoso.version() or "absent"
    out["fuseki"] = fuseki.version() or "absent"
    return out


def _git() -> dict[str, Any]:
    """The commit measured, and how many files differ from it (figures of a dirty tree say so)."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[1], timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True,
                               cwd=Path(__file__).resolve().parents[1], timeout=10).stdout.count("\n")
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"commit": head, "changed_files": dirty}


def _failed(run: Run, what: str) -> str:
    if run.timed_out:
        return f"{what} stopped after {run.seconds:.0f} s"
    return f"{what} exited {run.returncode}: {run.stderr.strip()[-300:]}"


# --------------------------------------------------------------------------------------- figures
def bench_load(report: Report, nq: Path, store: Path, timeout: float, *, rdflib: bool,
               virt: VirtuosoServer | None, base_iri: str) -> tuple[int, bool]:
    """The bulk-load figures; returns our quad count, and whether Virtuoso (`virt`, started here) loaded."""
    ours = run_child([*registry_cli(), "load", str(nq), "--data", str(store)], timeout=timeout)
    if ours.returncode != 0:
        raise RuntimeError(_failed(ours, "registry load"))
    quads = int(ours.json_tail().get("quads", 0))
    b: dict[str, Any] = {}
    notes: list[str] = ["ours: `registry load`, which builds the catalogue index, the lineage graph and the SPARQL "
                        "views in the same pass"]
    base = None
    if rdflib:
        base = run_child([python(), "-m", "bench.child", "parse", str(nq)], timeout=timeout)
        b = base.json_tail() if base.returncode == 0 else {}
        if not b:
            notes.append(_failed(base, "rdflib parse"))
    v = virtuoso_load(report, virt, nq, timeout, base_iri) if virt is not None else None
    if v:
        notes.append(f"virtuoso: new database and server start {v['start_seconds']:.2f} s + ld_dir and "
                     f"rdf_loader_run {v['load_seconds']:.2f} s + checkpoint {v['checkpoint_seconds']:.2f} s")
        if v["quads"] is None:  # the same file: its rates are counted with ours
            v["quads"] = quads
            notes.append("virtuoso's quads/s counted with ours (the count of what it loaded failed)")
        elif v["quads"] != quads:
            notes.append(f"virtuoso holds {v['quads']:,} quads of the file's graphs, ours {quads:,}")
    v_total = v["start_seconds"] + v["seconds"] if v else None
    b_secs = base.seconds if base is not None and b else None
    report.add(Figure("bulk load: wall time (process)", "s", "lower", ours.seconds, b_secs, "; ".join(notes),
                      virtuoso=v_total))
    report.add(Figure("bulk load: triples/s", "quads/s", "higher", quads / ours.seconds,
                      b["quads"] / b_secs if b_secs else None, virtuoso=v["quads"] / v_total if v and v_total else None))
    report.add(Figure("bulk load: peak RSS", "MB", "lower", ours.max_rss_mb,
                      base.max_rss_mb if base is not None and b else None,
                      f"virtuoso: virtuoso-t's peak since its start (VmHWM), NumberOfBuffers {v['buffers']:,}"
                      if v else "", virtuoso=v["peak_rss_mb"] if v else None))
    # the same commands on an empty file: what each process spends before it reads a quad
    empty = nq.with_name("empty.nq")
    empty.write_text("")
    ours0 = run_child([*registry_cli(), "load", str(empty), "--data", str(nq.with_name("empty-store"))],
                      timeout=timeout)
    o_net = ours.seconds - ours0.seconds
    startup = f"start-up (empty file): ours {ours0.seconds:.2f} s"
    b_rate = None
    if base is not None:
        base0 = run_child([python(), "-m", "bench.child", "parse", str(empty)], timeout=timeout)
        b_net = base.seconds - base0.seconds
        b_rate = b["quads"] / b_net if b and b_net > 0 else None
        startup += f", rdflib {base0.seconds:.2f} s"
    if v:
        startup += f", virtuoso {v['start_seconds']:.2f} s (server start)"
    report.add(Figure("bulk load: triples/s excl. start-up", "quads/s", "higher",
                      quads / o_net if o_net > 0 else None, b_rate, startup,
                      virtuoso=v["quads"] / v["seconds"] if v else None))
    return quads, v is not None


def virtuoso_buffers(nq: Path, asked: int) -> int:
    if asked > 0:
        return asked
    pages = 2.5 * nq.stat().st_size / 8192  # its database takes about twice the N-Quads file
    return int(min(VIRTUOSO_BUFFERS_MAX, max(VIRTUOSO_BUFFERS_MIN, pages)))


def virtuoso_load(report: Report, server: VirtuosoServer, nq: Path, timeout: float,
                  base_iri: str) -> dict[str, Any] | None:
    """Start a new Virtuoso and bulk-load the N-Quads with its own loader; None (with a note) on failure.
    Its "quads" is None when the count of what it loaded failed (the load is kept)."""
    try:
        server.start()
        loaded = server.bulk_load(nq, timeout=timeout)
        _rss, peak = server.memory_mb()
    except (RuntimeError, OSError, subprocess.SubprocessError, httpx.HTTPError, KeyError, ValueError) as e:
        report.note(f"Virtuoso bulk load failed: {str(e)[:400]} (log: {server.log_tail()[-300:]})")
        server.stop()
        return None
    try:  # a check of what it loaded, not a figure: the loaded server still serves the SPARQL figures
        count: int | None = virtuoso_quads(server.endpoint, base_iri)
    except (OSError, httpx.HTTPError, KeyError, ValueError) as e:
        report.note(f"Virtuoso's count of the loaded quads failed (its load is kept): {str(e)[:300]}")
        count = None
    return {**loaded, "start_seconds": server.start_seconds or 0.0, "peak_rss_mb": peak, "quads": count,
            "buffers": server.buffers}


def virtuoso_quads(endpoint: str, base_iri: str) -> int:
    """Quads in the registry's graphs (not Virtuoso's own), counted by Virtuoso."""
    q = ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
         f"FILTER(STRSTARTS(STR(?g), {json.dumps(base_iri.rstrip('/') + '/')})) }}")
    r = httpx.post(endpoint, data={"query": q}, headers={"Accept": "application/sparql-results+json"}, timeout=600)
    r.raise_for_status()
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def bench_validate(report: Report, nq: Path, store: Path, datasets: int, timeout: float, *, rdflib: bool) -> None:
    ours = run_child([*registry_cli(), "validate", "--data", str(store)], timeout=timeout)
    ok = ours.returncode in (0, 1) and not ours.timed_out
    violations = None
    if ok:
        try:
            violations = len(json.loads(ours.stdout)["violations"])
        except (json.JSONDecodeError, KeyError):
            ok = False
    note = f"{violations} violations" if ok else _failed(ours, "registry validate")
    base = None
    b: dict[str, Any] = {}
    if rdflib:
        limit = timeout
        if datasets > PYSHACL_SKIP_ABOVE:
            limit = min(timeout, PYSHACL_LIMIT)
        base = run_child([python(), "-m", "bench.child", "shacl", str(nq)], timeout=limit)
        b = base.json_tail() if base.returncode == 0 else {}
        if not b:
            why = (f"pySHACL baseline skipped: above {PYSHACL_SKIP_ABOVE:,} datasets it may take at most "
                   f"{PYSHACL_LIMIT / 60:.0f} minutes, and it had not finished after {base.seconds:.0f} s"
                   if base.timed_out and datasets > PYSHACL_SKIP_ABOVE else _failed(base, "pySHACL baseline"))
            report.note(why)
        else:
            note += f"; rdflib {b['violations']} violations, parse {b['parse_seconds']:.1f} s"
    note += "; virtuoso: no SHACL engine"
    report.add(Figure("validate whole store: wall time", "s", "lower", ours.seconds if ok else None,
                      base.seconds if base is not None and b else None, note))
    report.add(Figure("validate whole store: peak RSS", "MB", "lower", ours.max_rss_mb if ok else None,
                      base.max_rss_mb if base is not None and b else None))


#: the REST figures' servers, in the order they are measured, and the name each has in notes
WHO = {"ours": "ours", "baseline": "rdflib", "virtuoso": "virtuoso", "fuseki": "fuseki"}


def _lat(report: Report, name: str, lat: dict[str, Latencies], p95: bool = True) -> None:
    def note(x: Latencies, who: str) -> str:
        bits = [f"{who} n={len(x.seconds)}"]
        if x.errors:
            bits.append(f"{len(x.errors)} errors (first: {x.errors[0][:120]})")
        if x.stopped_early:
            bits.append("time budget reached")
        return " ".join(bits)

    text = "; ".join(note(x, WHO[k]) for k, x in lat.items())
    b, v, f = lat.get("baseline"), lat.get("virtuoso"), lat.get("fuseki")
    report.add(Figure(f"{name} p50", "ms", "lower", lat["ours"].p50_ms, b.p50_ms if b else None, text,
                      virtuoso=v.p50_ms if v else None, fuseki=f.p50_ms if f else None))
    if p95:
        report.add(Figure(f"{name} p95", "ms", "lower", lat["ours"].p95_ms, b.p95_ms if b else None,
                          virtuoso=v.p95_ms if v else None, fuseki=f.p95_ms if f else None))


def bench_start(report: Report, ours: Server, base: Server | None, over_virtuoso: Server | None,
                store: Path | None = None) -> None:
    """How long each server takes from its start until it says it is ready (GET /health); the disk our
    store and the files beside it take then."""
    def secs(srv: Server | None) -> float | None:
        return srv.ready_after if srv is not None else None

    report.add(Figure("server start until ready", "s", "lower", secs(ours), secs(base),
                      "ours: opens the store, the catalogue index, the lineage graph and the SPARQL views "
                      "`registry load` built, and applies the entries written since (a token); rdflib: parses "
                      "the N-Quads into memory; virtuoso: our app over Virtuoso, building its catalogue index and "
                      "lineage graph by SPARQL", virtuoso=secs(over_virtuoso)))
    serving_memory(report, ours, "serving process RSS once ready")
    if store is not None:
        parts = beside(store)
        total = sum(parts.values())
        report.add(Figure("disk once ready: all files / the store alone", "x", "lower", total / parts["store"],
                          None, f"{total:,.0f} MB in all: " + ", ".join(f"{k} {v:,.0f} MB" for k, v in parts.items())
                          + " (a file a checkpoint links is counted once)"))


def serving_memory(report: Report, ours: Server, name: str) -> None:
    """Resident memory of our server, and of it with the processes it started (SPARQL evaluators)."""
    own, tree, below = tree_memory_mb(ours.proc.pid if ours.proc.poll() is None else None)
    report.add(Figure(name, "MB", "lower", own, None, f"with the {below} processes it started: {tree:,.0f} MB"))


def bench_under_writes(report: Report, url: str, s: Synth, req: workloads.Requests, token: str,
                       budget: float, writers: int = 4, pid: int | None = None) -> None:
    """Reads (lookup, search first page, lineage) alone, then while `writers` clients write: ours only."""
    got = workloads.reads_under_writes(url, s, req, token, budget, writers=writers, seed=s.seed, pid=pid)
    if got.costs[0]:
        report.note(f"reads alone: {got.costs[0]}; reads while {writers} clients write (per read or write): "
                    f"{got.costs[1]}")
    rate = len(got.write_seconds) / sum(got.write_seconds) * writers if got.write_seconds else 0.0  # writes/s
    report.add(Figure("reads p95 (lookup, search, lineage) alone", "ms", "lower", got.alone.p95_ms, None,
                      f"ours n={len(got.alone.seconds)}; p50 {number(got.alone.p50_ms)} ms"))
    err = f"; {len(got.write_errors)} write errors, first: {got.write_errors[0][:120]}" if got.write_errors else ""
    ratio = got.loaded.p95_ms / got.alone.p95_ms if got.alone.seconds and got.loaded.seconds else float("nan")
    report.add(Figure(f"reads p95 while {writers} clients write", "ms", "lower", got.loaded.p95_ms, None,
                      f"ours n={len(got.loaded.seconds)}; p50 {number(got.loaded.p50_ms)} ms; {ratio:.2f}x the "
                      f"reads alone; {got.writes} writes meanwhile (about {rate:.0f}/s, p50 "
                      f"{number(Latencies(got.write_seconds).p50_ms)} ms)" + err))


def bench_rest(report: Report, urls: dict[str, str], tokens: dict[str, str], req: workloads.Requests,
               budget: float, pid: int | None = None) -> None:
    """The same requests to each server in `urls` (keys of WHO, "ours" first), one server after the other;
    with `pid` (our server's), a note of its resident memory after each figure: what a kind of request
    leaves behind."""
    clients = {k: LeanClient(u) for k, u in urls.items()}
    trace: list[str] = [f"ready {tree_memory_mb(pid)[0]:,.0f}"] if pid else []

    costs: list[str] = []

    def each(fn: Any, *args: Any) -> dict[str, Any]:
        got = {}
        for k, c in clients.items():
            before = usage(pid) if pid and k == "ours" else None
            got[k] = fn(c, req, *[x(k) if callable(x) else x for x in args], budget)
            if before is not None and pid:
                lat = got[k][0] if isinstance(got[k], tuple) else got[k]
                costs.append(f"{fn.__name__}: {usage(pid).since(before, len(lat.seconds))}")
        if pid:
            trace.append(f"{fn.__name__} {tree_memory_mb(pid)[0]:,.0f}")
        return got

    # warm every server (first-request costs: imports, caches, route compilation)
    for c in clients.values():
        c.get("/health")
        c.get(f"/datasets/{req.lookups[0]}")
    before = usage(pid) if pid else None
    text, n = _client_cost(urls["ours"], budget)
    report.note(text)
    if pid and before:
        costs.append(f"GET /health (before the first register answer): {usage(pid).since(before, n)}")
    # the server reads the register's facts once it is ready: waited for here, before the other figures
    _lat(report, "GET /reports/flows, the first after the start", each(workloads.flows_first), p95=False)
    _lat(report, "GET /datasets/{id}", each(workloads.lookups))
    _lat(report, "GET /datasets?q=word (first page)", each(workloads.searches))
    _lat(report, "GET /datasets?publisher=X&limit=1 (count)", each(workloads.counts), p95=False)
    checks = each(workloads.share_checks, tokens.get)
    _lat(report, "POST /share-checks", {k: lat for k, (lat, _d) in checks.items()})
    kinds = Counter(req.proposal_kinds[: len(checks["ours"][0].seconds)])
    report.note(f"share-check proposals {dict(kinds)}; decisions "
                + ", ".join(f"{WHO[k]} {dict(d)}" for k, (_lat_, d) in checks.items()))
    _lat(report, "POST /datasets (SHACL, one write)", each(workloads.writes, tokens.get))
    _lat(report, "GET /stats", each(workloads.stats))
    report.note(f"the largest hub ({req.hub}) has {req.hub_downstream:,} datasets downstream")
    _lat(report, "lineage and impact of the largest hub, first page", each(workloads.hub_lineage))
    _lat(report, "GET /datasets/{id}/lineage?as_of=...", each(workloads.lineage_as_of))
    # the writes above changed the registry: the register's first answer is computed afresh, then kept
    _lat(report, "GET /reports/flows, the first after a write", each(workloads.flows_first), p95=False)
    _lat(report, "GET /reports/flows and /transparency", each(workloads.flows))
    for c in clients.values():
        c.close()
    if trace:
        report.note("our server's resident memory (MB) once ready and after each REST figure's requests, in "
                    "order: " + ", ".join(trace))
    if costs:  # what tells a slower server from a busier machine
        report.note("what each REST figure's requests cost our server, and what else the machine did meanwhile: "
                    + "; ".join(costs))


def _client_cost(url: str, budget: float, n: int = 500) -> tuple[str, int]:
    """What the client itself adds: GET /health through httpx and through the lean client that the
    REST figures use (bench/client.py); and how many requests that made."""
    got = {}
    with httpx.Client(base_url=url, timeout=60) as hx:
        lean = LeanClient(url)
        for name, c in (("httpx", hx), ("http.client", lean)):
            got[name] = timed_loop([lambda c=c: c.get("/health").raise_for_status()] * n, budget)
        lean.close()
    return ("REST latencies are measured through one kept-alive http.client connection; GET /health on ours: "
            + ", ".join(f"{k} p50 {number(v.p50_ms)} ms" for k, v in got.items()),
            sum(len(v.seconds) for v in got.values()))


def public_view(store: Path) -> Path | None:
    """The folder of the public SPARQL view our server keeps beside `store` (projections/views.py: its state
    file names it), or None."""
    try:
        folder = json.loads((store.with_name(store.name + ".views") / "public.json").read_text())["store"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    path = store.with_name(store.name + ".views") / str(folder)
    return path if "/" not in str(folder) and path.is_dir() else None


def _first_answer(url: str, query: str, budget: float) -> tuple[httpx.Response, float]:
    """The first query may be slow (a server may build what it queries on first use, and answer 503
    when that outlasts its time limit): ask until it answers, and say how long that took."""
    started = time.perf_counter()
    while True:
        probe = httpx.post(url, data={"query": query}, headers={"Accept": "application/sparql-results+json"},
                           timeout=300)
        if probe.status_code != 503 or time.perf_counter() - started > max(budget, 120):
            return probe, time.perf_counter() - started
        time.sleep(1)


def bench_sparql(report: Report, s: Synth, ours_server: Server, base_server: Server | None, base_sparql: str,
                 virtuoso_endpoint: str | None, store: Path, clients: int, per_client: int, budget: float,
                 writes: int, fuseki_endpoint: str | None = None) -> None:
    from registry.resources import resources

    res = resources()
    queries = [workloads.records_list_query(s, p, res) for p in workloads.build(
        s, requests=1, checks=0, writes=0, seed=s.seed).sparql_publishers]
    probe, first = _first_answer(ours_server.url + "/sparql", queries[0], budget)
    if probe.status_code == 200:
        workloads.sparql_warm(ours_server.url + "/sparql", queries)
        pid = ours_server.proc.pid
        before = usage(pid)
        ours = workloads.sparql_over_http(ours_server.url + "/sparql", queries, clients, per_client, budget)
        cost = f"x{clients}: {usage(pid).since(before, ours.queries)}"
        how = (f"our /sparql over HTTP (REGISTRY_SPARQL_MAX_CONCURRENT={clients}, in evaluator processes); its first "
               f"answer took {first:.2f} s (measured after it)")
        before = usage(pid)
        latency: dict[str, Latencies] = {"ours": workloads.sparql_latency_over_http(ours_server.url + "/sparql",
                                                                                     queries, budget)}
        cost += f"; one at a time: {usage(pid).since(before, len(latency['ours'].seconds))}"
        report.note(f"SPARQL, what our server's processes (the server and its evaluators) spent: {cost}")
        ours_server.stop()
        alone = workloads.sparql_latency_in_process(str(store), queries, budget)
        view = public_view(store)
        on_view = workloads.sparql_latency_in_process(str(view), queries, budget) if view else None
        evaluated = on_view or alone
        report.note(f"SPARQL one at a time: the same queries evaluated by pyoxigraph in-process on the store take "
                    f"p50 {number(alone.p50_ms)} ms"
                    + (f", on the public view the server's evaluators read {number(on_view.p50_ms)} ms" if on_view
                       else "")
                    + f", so HTTP, the snapshot check and the hop to an evaluator process cost ours "
                      f"{number(latency['ours'].p50_ms - evaluated.p50_ms)} ms a query")
    else:
        ours_server.stop()
        ours = workloads.sparql_in_process(str(store), queries, clients, per_client, budget)
        latency = {"ours": workloads.sparql_latency_in_process(str(store), queries, budget)}
        how = f"our /sparql answered {probe.status_code}, so pyoxigraph was queried in-process (no HTTP)"
    report.note(f"SPARQL: {how}")
    results: dict[str, workloads.Throughput] = {"ours": ours}
    if base_server is not None and base_sparql == "rdflib-endpoint":
        workloads.sparql_warm(base_server.url + BASELINE_SPARQL, queries)
        results["baseline"] = workloads.sparql_over_http(base_server.url + BASELINE_SPARQL, queries, clients,
                                                         per_client, budget)
        latency["baseline"] = workloads.sparql_latency_over_http(base_server.url + BASELINE_SPARQL, queries, budget)
    elif base_server is not None:
        report.note("SPARQL rdflib baseline skipped: rdflib-endpoint is not installed "
                    "(install it with `.venv/bin/pip install rdflib-endpoint`)")
    servers = (("virtuoso", virtuoso_endpoint, "Virtuoso baseline", "Virtuoso's own /sparql over HTTP, on the data "
                f"its bulk loader loaded (without the {writes} datasets the write figure added to ours and rdflib, so "
                "a few answers differ by a row)"),
               ("fuseki", fuseki_endpoint, "Fuseki column", f"Fuseki {fuseki.VERSION}'s own endpoint over HTTP (TDB2, "
                "its default graph the union of the named graphs), on the data tdb2.tdbloader loaded (without the "
                f"{writes} datasets the write figure added to ours)"))
    for key, endpoint, label, how in servers:
        if endpoint is None:
            continue
        probe, first = _first_answer(endpoint, queries[0], budget)
        if probe.status_code == 200:
            workloads.sparql_warm(endpoint, queries)
            results[key] = workloads.sparql_over_http(endpoint, queries, clients, per_client, budget)
            latency[key] = workloads.sparql_latency_over_http(endpoint, queries, budget)
            report.note(f"SPARQL: {how}; its first answer took {first:.2f} s (measured after it)")
        else:
            report.note(f"SPARQL {label} skipped: its endpoint answered {probe.status_code}: {probe.text[:200]}")
    bits = []
    for k, t in results.items():
        bit = f"{WHO[k]} n={t.queries}" + (f" ({t.rows / t.queries:.1f} rows/query)" if t.queries else "")
        if t.errors:
            bit += f" ({len(t.errors)} errors, first: {t.errors[0][:100]})"
        bits.append(bit)
    _lat(report, "SPARQL datasets-by-publisher, one at a time", latency)
    note = (f"datasets-by-publisher.rq, {clients} clients, after one untimed pass of the {len(queries)} queries "
            "on each endpoint; " + "; ".join(bits))
    b, v, f = results.get("baseline"), results.get("virtuoso"), results.get("fuseki")
    report.add(Figure(f"SPARQL datasets-by-publisher x{clients} clients", "queries/s", "higher", ours.per_second,
                      b.per_second if b is not None else None, note, virtuoso=v.per_second if v is not None else None,
                      fuseki=f.per_second if f is not None else None))


def fuseki_for_sparql(report: Report, nq: Path, tmp: Path, timeout: float) -> FusekiServer | None:
    """A new Fuseki over the N-Quads, loaded by TDB2's own loader; None (with a note) when any step fails."""
    server = FusekiServer(root=tmp / "fuseki", heap="2g")
    try:
        loaded = server.bulk_load(nq, timeout=timeout)
        server.start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        report.note(f"SPARQL Fuseki column skipped: {str(e)[:400]}")
        server.stop()
        return None
    report.note(f"fuseki: tdb2.tdbloader {loaded['seconds']:.2f} s, server start {server.start_seconds or 0:.2f} s")
    return server


def app_over_virtuoso(report: Report, server: VirtuosoServer, nq: Path, tmp: Path, datasets: int, timeout: float,
                      env: dict[str, str]) -> tuple[Server, str] | None:
    """Our app (`registry serve`) over a new Virtuoso, filled by `registry load` through our remote store;
    with a privacy officer's token. None (with a note) when any step fails."""
    try:
        server.start()
        load = run_child([*registry_cli(), "load", str(nq), "--data", server.location], timeout=timeout)
        if load.returncode != 0:
            raise RuntimeError(_failed(load, "registry load into Virtuoso"))
        quads = int(load.json_tail().get("quads", 0))
        report.note(f"REST over Virtuoso: our app (`registry serve --data sparql+http://.../sparql`) over a second "
                    f"Virtuoso, filled by `registry load` through the remote store (SPARQL INSERT DATA over HTTP): "
                    f"{quads:,} quads in {load.seconds:.1f} s = {quads / load.seconds:,.0f} quads/s, that process's "
                    f"peak RSS {load.max_rss_mb:,.0f} MB, virtuoso-t's {server.memory_mb()[1]:,.0f} MB")
        tok = run_child([*registry_cli(), "token", "create", "--role", "privacy-officer", "--data", server.location],
                        timeout=300)
        if tok.returncode != 0:
            raise RuntimeError(_failed(tok, "registry token create (Virtuoso)"))
        app = start_server("our app over Virtuoso",
                           lambda port: [*registry_cli(), "serve", "--data", server.location, "--port", str(port),
                                         "--no-access-log"],
                           tmp / "ours-virtuoso.log", timeout=600 + datasets / 20, env=env)
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        report.note(f"REST figures over Virtuoso skipped: {str(e)[:400]}")
        server.stop()
        return None
    return app, tok.stdout.strip().splitlines()[-1]


# ------------------------------------------------------------------------------------------- main
def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--datasets", type=int, default=10_000, help="size of the synthetic registry (default 10000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("bench/out"), help="folder for the JSON figures")
    ap.add_argument("--requests", type=int, default=200, help="requests per REST read figure (default 200)")
    ap.add_argument("--checks", type=int, default=100, help="share checks (default 100)")
    ap.add_argument("--writes", type=int, default=30, help="dataset writes (default 30)")
    ap.add_argument("--sparql-clients", type=int, default=8)
    ap.add_argument("--sparql-queries", type=int, default=100, help="queries per SPARQL client (default 100)")
    ap.add_argument("--budget", type=float, default=60.0,
                    help="seconds a request loop may run before it stops early (default 60)")
    ap.add_argument("--timeout", type=float, default=3600.0,
                    help="seconds any one child process (load, validate) may run (default 3600)")
    ap.add_argument("--baseline-max-datasets", type=int, default=BASELINE_MAX_DATASETS,
                    help="above this size the rdflib baselines (parse, pySHACL, the REST server over rdflib, "
                         "rdflib-endpoint), which hold the registry in memory, are skipped "
                         f"(default {BASELINE_MAX_DATASETS})")
    ap.add_argument("--no-virtuoso", action="store_true", help="leave out the Virtuoso baseline")
    ap.add_argument("--no-fuseki", action="store_true", help="leave out the Fuseki column of the SPARQL figures")
    ap.add_argument("--virtuoso-app-max-datasets", type=int, default=VIRTUOSO_APP_MAX_DATASETS,
                    help="above this size the REST figures of our app over Virtuoso (loaded through SPARQL "
                         f"updates over HTTP) are skipped (default {VIRTUOSO_APP_MAX_DATASETS})")
    ap.add_argument("--virtuoso-buffers", type=int, default=0,
                    help="Virtuoso's NumberOfBuffers (8 KiB pages); default: room for its database, "
                         f"{VIRTUOSO_BUFFERS_MIN}-{VIRTUOSO_BUFFERS_MAX}")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    return ap


@dataclass
class Baselines:
    """Which baselines a run measures, and the notes that say why one is left out."""

    rdflib: bool
    virtuoso: bool
    virtuoso_app: bool
    notes: list[str]
    fuseki: bool = False


def baselines(args: argparse.Namespace, virtuoso_installed: bool, fuseki_missing: str | None = None) -> Baselines:
    rdflib = args.datasets <= args.baseline_max_datasets
    virt = not args.no_virtuoso and virtuoso_installed
    virt_app = virt and args.datasets <= args.virtuoso_app_max_datasets
    notes = []
    if not rdflib:
        notes.append(f"rdflib baselines skipped: {args.datasets:,} datasets is above --baseline-max-datasets "
                     f"{args.baseline_max_datasets:,} (rdflib holds the registry in memory, about 2 GB per "
                     "100,000 datasets, in the parse, the pySHACL run and the REST/SPARQL server each)")
    if args.no_virtuoso:
        notes.append("Virtuoso baseline left out (--no-virtuoso)")
    elif not virt:
        notes.append("Virtuoso baseline skipped: virtuoso-t (and isql-vt) not installed "
                     "(Debian: apt-get install virtuoso-opensource)")
    elif not virt_app:
        notes.append(f"REST figures over Virtuoso skipped: {args.datasets:,} datasets is above "
                     f"--virtuoso-app-max-datasets {args.virtuoso_app_max_datasets:,} (our app's data would go "
                     "into Virtuoso through SPARQL updates over HTTP)")
    fus = not getattr(args, "no_fuseki", False) and fuseki_missing is None
    if getattr(args, "no_fuseki", False):
        notes.append("Fuseki column left out (--no-fuseki)")
    elif fuseki_missing is not None:
        notes.append(f"Fuseki column skipped: {fuseki_missing} (Debian: apt-get install default-jre-headless maven; "
                     "bench/fuseki.py then fetches its jars)")
    return Baselines(rdflib, virt, virt_app, notes, fus)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # a SIGTERM (or SIGINT, even where a background shell ignores it) ends the run through its `finally`,
    # which stops the servers and Virtuosos it started
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))
    plan = baselines(args, virtuoso.installed(), fuseki.missing())
    rdflib, virt, virt_app = plan.rdflib, plan.virtuoso, plan.virtuoso_app

    report = Report()
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    env_base = os.environ.get("REGISTRY_BASE_IRI")
    servers: list[Server] = []
    virtuosos: list[VirtuosoServer] = []
    fusekis: list[FusekiServer] = []
    try:
        nq, store = tmp / "registry.nq", tmp / "store"
        t = time.perf_counter()
        s = Synth(datasets=args.datasets, seed=args.seed, base_iri=env_base or "https://registry.example.org")
        synth = s.write(nq)
        synth_s = time.perf_counter() - t
        buffers = virtuoso_buffers(nq, args.virtuoso_buffers)
        report.meta = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "datasets": args.datasets,
            "seed": args.seed, "machine": machine(), "versions": _versions(), "synth": synth.as_json(),
            "synth_seconds": round(synth_s, 3), "nquads_mb": round(nq.stat().st_size / 1e6, 1),
            "load_average_start": [round(x, 2) for x in os.getloadavg()], "git": _git(),
            "baselines": {"rdflib": rdflib, "baseline_max_datasets": args.baseline_max_datasets,
                          "virtuoso": virt, "virtuoso_app": virt_app, "virtuoso_buffers": buffers if virt else None,
                          "fuseki": plan.fuseki},
        }
        m = report.meta["machine"]
        print(f"registry benchmark: {args.datasets:,} datasets (seed {args.seed}) on {m['cpus']} x {m['cpu']}, "
              f"{m['memory_gb']} GB; load average {report.meta['load_average_start'][0]} (other work on the "
              "machine skews the figures)")
        print(f"synth: {synth.organizations:,} organisations, {synth.datasets:,} datasets, {synth.agreements:,} "
              f"agreements, {synth.quads:,} quads ({report.meta['nquads_mb']} MB) in {synth_s:.2f} s = "
              f"{synth.datasets / synth_s:,.0f} datasets/s; lineage: {synth.derived:,} derived, mean in-degree "
              f"{synth.mean_in_degree}, max depth {synth.max_depth}")
        print("columns: ours; rdflib (in memory, pySHACL, rdflib-endpoint); virtuoso (Debian's virtuoso-t "
              f"{report.meta['versions']['virtuoso']}); fuseki (Apache Jena Fuseki {report.meta['versions']['fuseki']}, "
              "TDB2, the SPARQL figures only). ratio: above 1 means ours is better (other / ours for times and "
              "memory, ours / other for rates)")
        for text in plan.notes:
            report.note(text)
        print()
        print(HEADER)
        print("-" * len(HEADER))

        bulk = None
        if virt:
            bulk = VirtuosoServer(root=tmp / "virtuoso-bulk", buffers=buffers, dirs_allowed=[tmp])
            virtuosos.append(bulk)
        _quads, bulk_loaded = bench_load(report, nq, store, args.timeout, rdflib=rdflib, virt=bulk,
                                         base_iri=s.base_iri)
        bench_validate(report, nq, store, args.datasets, args.timeout, rdflib=rdflib)

        tok = run_child([*registry_cli(), "token", "create", "--role", "privacy-officer", "--data", str(store)],
                        timeout=300)
        if tok.returncode != 0:
            raise RuntimeError(_failed(tok, "registry token create"))
        tokens = {"ours": tok.stdout.strip().splitlines()[-1]}
        urls: dict[str, str] = {}

        # the baselines first, then ours; measured one after the other. All without the per-caller
        # rate limit: the figures are latencies, not a test of the limiter.
        server_env = {**os.environ, "REGISTRY_RATE_PER_MINUTE": "0"}
        base: Server | None = None
        btokens: dict[str, str] = {"sparql": "skipped"}
        if rdflib:
            bfile = tmp / "baseline-tokens.json"
            base = start_server("baseline server",
                                lambda port: [python(), "-m", "bench.child", "serve", str(nq), str(port), str(bfile)],
                                tmp / "baseline.log", timeout=120 + args.datasets / 50, env=server_env)
            servers.append(base)
            btokens = json.loads(bfile.read_text())
            tokens["baseline"] = btokens["privacy-officer"]
        over_virtuoso = app_store = None
        if virt_app:
            app_store = VirtuosoServer(root=tmp / "virtuoso-app", buffers=buffers)
            virtuosos.append(app_store)
            got = app_over_virtuoso(report, app_store, nq, tmp, args.datasets, args.timeout, server_env)
            if got is not None:
                over_virtuoso, tokens["virtuoso"] = got
                servers.append(over_virtuoso)
        # /sparql admits REGISTRY_SPARQL_MAX_CONCURRENT queries at once (503 beyond): let the SPARQL
        # figure's clients all in, as rdflib-endpoint and Virtuoso do
        env = {**server_env, "REGISTRY_SPARQL_MAX_CONCURRENT": str(args.sparql_clients),
               "REGISTRY_SPARQL_ANONYMOUS_MAX_CONCURRENT": str(args.sparql_clients)}
        ours = start_server("our server",
                            lambda port: [*registry_cli(), "serve", "--data", str(store), "--port", str(port),
                                          "--no-access-log"],  # as the baseline's, which logs warnings only
                            tmp / "ours.log", timeout=300 + args.datasets / 200, env=env)
        servers.append(ours)
        bench_start(report, ours, base, over_virtuoso, store)
        urls["ours"] = ours.url
        if base is not None:
            urls["baseline"] = base.url
        if over_virtuoso is not None:
            urls["virtuoso"] = over_virtuoso.url

        req = workloads.build(s, requests=args.requests, checks=args.checks, writes=args.writes, seed=args.seed)
        bench_rest(report, urls, tokens, req, args.budget, ours.proc.pid)
        bench_under_writes(report, ours.url, s, req, tokens["ours"], args.budget, pid=ours.proc.pid)
        serving_memory(report, ours, "serving process RSS after the REST figures")
        if over_virtuoso is not None and app_store is not None:  # its memory back before the SPARQL figure
            over_virtuoso.stop()
            app_store.stop()
        fus = fuseki_for_sparql(report, nq, tmp, args.timeout) if plan.fuseki else None
        if fus is not None:
            fusekis.append(fus)
        bench_sparql(report, s, ours, base, btokens["sparql"], bulk.endpoint if bulk and bulk_loaded else None,
                     store, args.sparql_clients, args.sparql_queries, args.budget, args.writes,
                     fus.endpoint if fus is not None else None)
    finally:
        wind_up([*servers, *virtuosos, *fusekis], tmp, args.keep, report.meta, started)
    total = report.meta["total_seconds"]
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"bench-{args.datasets}.json"
    out.write_text(json.dumps({"meta": report.meta, "figures": [f.as_json() for f in report.figures],
                               "notes": report.notes}, indent=2) + "\n")
    print(f"\nfigures written to {out} (whole run {total:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
