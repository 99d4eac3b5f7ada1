"""python -m bench [--datasets N] [--seed S] [--out bench/out]: figures for our registry beside a baseline.

Builds a synthetic registry of N datasets (`registry synth`) in a temporary folder, then measures
each figure for us and, in the same run, for a baseline, and prints both with their ratio:

  figure                                  ours                            baseline
  bulk load (time, triples/s, peak RSS)   `registry load` (Oxigraph)      rdflib Dataset parsing the N-Quads
  full-store validation (time, RSS)       `registry validate`             pySHACL on an rdflib graph of the data
  GET /datasets/{id}, ?q=, ?publisher=    the app over Oxigraph           the same app over an rdflib store
  POST /share-checks, POST /datasets      the app over Oxigraph           the same app over an rdflib store
  SPARQL datasets-by-publisher, 8 clients          our /sparql (or pyoxigraph      rdflib-endpoint over the rdflib store
                                          in-process when absent)

Servers are real uvicorn processes on 127.0.0.1 at free ports. Ratios are printed, never asserted:
a ratio above 1 means ours is better (faster, smaller, more per second). The figures are also
written as JSON to --out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import workloads
from bench.child import BASELINE_SPARQL
from bench.measure import Latencies, Run, python, registry_cli, run_child
from bench.servers import Server
from bench.servers import start as start_server
from registry.synth import Synth

PYSHACL_SKIP_ABOVE = 20_000
PYSHACL_LIMIT = 300.0  # seconds, above PYSHACL_SKIP_ABOVE datasets


@dataclass
class Figure:
    name: str
    unit: str
    better: str  # "lower" or "higher"
    ours: float | None
    baseline: float | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Above 1 when ours is better."""
        if self.ours is None or self.baseline is None or not self.ours or not self.baseline:
            return None
        if math.isnan(self.ours) or math.isnan(self.baseline):
            return None
        return self.baseline / self.ours if self.better == "lower" else self.ours / self.baseline

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "unit": self.unit, "better": self.better, "ours": _round(self.ours),
                "baseline": _round(self.baseline), "ratio": _round(self.ratio), "note": self.note}


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


def _fmt(v: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


HEADER = f"{'figure':<46} {'unit':<10} {'ours':>12} {'baseline':>12} {'ratio':>8}  note"


def _row(f: Figure) -> str:
    ratio = f"{f.ratio:.2f}x" if f.ratio is not None else "-"
    return f"{f.name:<46} {f.unit:<10} {_fmt(f.ours):>12} {_fmt(f.baseline):>12} {ratio:>8}  {f.note}"


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
def bench_load(report: Report, nq: Path, store: Path, timeout: float) -> int:
    ours = run_child([*registry_cli(), "load", str(nq), "--data", str(store)], timeout=timeout)
    if ours.returncode != 0:
        raise RuntimeError(_failed(ours, "registry load"))
    quads = int(ours.json_tail().get("quads", 0))
    base = run_child([python(), "-m", "bench.child", "parse", str(nq)], timeout=timeout)
    b = base.json_tail() if base.returncode == 0 else {}
    note = "" if b else _failed(base, "rdflib parse")
    b_secs = base.seconds if b else None
    report.add(Figure("bulk load: wall time (process)", "s", "lower", ours.seconds, b_secs, note))
    report.add(Figure("bulk load: triples/s", "quads/s", "higher", quads / ours.seconds,
                      b["quads"] / base.seconds if b else None))
    report.add(Figure("bulk load: peak RSS", "MB", "lower", ours.max_rss_mb, base.max_rss_mb if b else None))
    # the same commands on an empty file: what each process spends before it reads a quad
    empty = nq.with_name("empty.nq")
    empty.write_text("")
    ours0 = run_child([*registry_cli(), "load", str(empty), "--data", str(nq.with_name("empty-store"))],
                      timeout=timeout)
    base0 = run_child([python(), "-m", "bench.child", "parse", str(empty)], timeout=timeout)
    o_net, b_net = ours.seconds - ours0.seconds, base.seconds - base0.seconds
    report.add(Figure("bulk load: triples/s excl. start-up", "quads/s", "higher",
                      quads / o_net if o_net > 0 else None, b["quads"] / b_net if b and b_net > 0 else None,
                      f"start-up (empty file): ours {ours0.seconds:.2f} s, baseline {base0.seconds:.2f} s"))
    return quads


def bench_validate(report: Report, nq: Path, store: Path, datasets: int, timeout: float) -> None:
    ours = run_child([*registry_cli(), "validate", "--data", str(store)], timeout=timeout)
    ok = ours.returncode in (0, 1) and not ours.timed_out
    violations = None
    if ok:
        try:
            violations = len(json.loads(ours.stdout)["violations"])
        except (json.JSONDecodeError, KeyError):
            ok = False
    note = f"{violations} violations" if ok else _failed(ours, "registry validate")
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
        note += f"; baseline {b['violations']} violations, parse {b['parse_seconds']:.1f} s"
    report.add(Figure("validate whole store: wall time", "s", "lower", ours.seconds if ok else None,
                      base.seconds if b else None, note))
    report.add(Figure("validate whole store: peak RSS", "MB", "lower", ours.max_rss_mb if ok else None,
                      base.max_rss_mb if b else None))


def _lat(report: Report, name: str, ours: Latencies, base: Latencies | None, p95: bool = True) -> None:
    def note(lat: Latencies | None, who: str) -> str:
        if lat is None:
            return ""
        bits = [f"{who} n={len(lat.seconds)}"]
        if lat.errors:
            bits.append(f"{len(lat.errors)} errors (first: {lat.errors[0][:120]})")
        if lat.stopped_early:
            bits.append("time budget reached")
        return " ".join(bits)

    text = "; ".join(x for x in (note(ours, "ours"), note(base, "baseline")) if x)
    report.add(Figure(f"{name} p50", "ms", "lower", ours.p50_ms, base.p50_ms if base else None, text))
    if p95:
        report.add(Figure(f"{name} p95", "ms", "lower", ours.p95_ms, base.p95_ms if base else None))


def bench_rest(report: Report, ours_url: str, base_url: str | None, tokens: dict[str, str],
               req: workloads.Requests, budget: float) -> None:
    clients = {"ours": httpx.Client(base_url=ours_url, timeout=600)}
    if base_url:
        clients["baseline"] = httpx.Client(base_url=base_url, timeout=600)

    def both(fn: Any, *args: Any) -> tuple[Any, Any]:
        a = fn(clients["ours"], req, *[x("ours") if callable(x) else x for x in args], budget)
        b = fn(clients["baseline"], req, *[x("baseline") if callable(x) else x for x in args], budget) \
            if "baseline" in clients else None
        return a, b

    # warm both servers (first-request costs: imports, caches, route compilation)
    for c in clients.values():
        c.get("/health")
        c.get(f"/datasets/{req.lookups[0]}")
    a, b = both(workloads.lookups)
    _lat(report, "GET /datasets/{id}", a, b)
    a, b = both(workloads.searches)
    _lat(report, "GET /datasets?q=word (first page)", a, b)
    a, b = both(workloads.counts)
    _lat(report, "GET /datasets?publisher=X&limit=1 (count)", a, b, p95=False)
    token = tokens.get
    (a, da), bb = both(workloads.share_checks, token)
    b, db = bb if bb else (None, Counter())
    _lat(report, "POST /share-checks", a, b)
    kinds = Counter(req.proposal_kinds[: len(a.seconds)])
    report.note(f"share-check proposals {dict(kinds)}; decisions ours {dict(da)}"
                + (f", baseline {dict(db)}" if bb else ""))
    a, b = both(workloads.writes, token)
    _lat(report, "POST /datasets (SHACL, one write)", a, b)
    for c in clients.values():
        c.close()


def bench_sparql(report: Report, s: Synth, ours_server: Server, base_server: Server | None, base_sparql: str,
                 store: Path, clients: int, per_client: int, budget: float) -> None:
    from registry.resources import resources

    res = resources()
    queries = [workloads.records_list_query(s, p, res) for p in workloads.build(
        s, requests=1, checks=0, writes=0, seed=s.seed).sparql_publishers]
    # The first query may be slow (a server may build what it queries on first use, and answer 503
    # when that outlasts its time limit): ask until it answers, and report how long that took.
    started = time.perf_counter()
    while True:
        probe = httpx.post(ours_server.url + "/sparql", data={"query": queries[0]},
                           headers={"Accept": "application/sparql-results+json"}, timeout=300)
        if probe.status_code != 503 or time.perf_counter() - started > max(budget, 120):
            break
        time.sleep(1)
    first = time.perf_counter() - started
    if probe.status_code == 200:
        ours = workloads.sparql_over_http(ours_server.url + "/sparql", queries, clients, per_client, budget)
        how = (f"our /sparql over HTTP (REGISTRY_SPARQL_MAX_CONCURRENT={clients}); its first answer took "
               f"{first:.2f} s (measured after it)")
        ours_server.stop()
    else:
        ours_server.stop()
        ours = workloads.sparql_in_process(str(store), queries, clients, per_client, budget)
        how = f"our /sparql answered {probe.status_code}, so pyoxigraph was queried in-process (no HTTP)"
    report.note(f"SPARQL: {how}")
    base = None
    if base_server is not None and base_sparql == "rdflib-endpoint":
        base = workloads.sparql_over_http(base_server.url + BASELINE_SPARQL, queries, clients, per_client, budget)
    else:
        report.note("SPARQL baseline skipped: rdflib-endpoint is not installed "
                    "(install it with `.venv/bin/pip install rdflib-endpoint`)")
    note = f"datasets-by-publisher.rq, {clients} clients; ours n={ours.queries}"
    if ours.errors:
        note += f" ({len(ours.errors)} errors, first: {ours.errors[0][:100]})"
    if base is not None:
        note += f"; baseline n={base.queries}"
        if base.errors:
            note += f" ({len(base.errors)} errors, first: {base.errors[0][:100]})"
    report.add(Figure(f"SPARQL datasets-by-publisher x{clients} clients", "queries/s", "higher", ours.per_second,
                      base.per_second if base is not None else None, note))


# ------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--datasets", type=int, default=10_000, help="size of the synthetic registry (default 10000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("bench/out"), help="folder for the JSON figures")
    ap.add_argument("--requests", type=int, default=200, help="requests per REST read figure (default 200)")
    ap.add_argument("--checks", type=int, default=100, help="share checks (default 100)")
    ap.add_argument("--writes", type=int, default=30, help="dataset writes (default 30)")
    ap.add_argument("--sparql-clients", type=int, default=8)
    ap.add_argument("--sparql-queries", type=int, default=25, help="queries per SPARQL client (default 25)")
    ap.add_argument("--budget", type=float, default=60.0,
                    help="seconds a request loop may run before it stops early (default 60)")
    ap.add_argument("--timeout", type=float, default=3600.0,
                    help="seconds any one child process (load, validate) may run (default 3600)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = ap.parse_args(argv)

    report = Report()
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    env_base = os.environ.get("REGISTRY_BASE_IRI")
    servers: list[Server] = []
    try:
        nq, store = tmp / "registry.nq", tmp / "store"
        t = time.perf_counter()
        s = Synth(datasets=args.datasets, seed=args.seed, base_iri=env_base or "https://registry.example.org")
        synth = s.write(nq)
        synth_s = time.perf_counter() - t
        report.meta = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "datasets": args.datasets,
            "seed": args.seed, "machine": machine(), "versions": _versions(), "synth": synth.as_json(),
            "synth_seconds": round(synth_s, 3), "nquads_mb": round(nq.stat().st_size / 1e6, 1),
            "load_average_start": [round(x, 2) for x in os.getloadavg()], "git": _git(),
        }
        m = report.meta["machine"]
        print(f"registry benchmark: {args.datasets:,} datasets (seed {args.seed}) on {m['cpus']} x {m['cpu']}, "
              f"{m['memory_gb']} GB; load average {report.meta['load_average_start'][0]} (other work on the "
              "machine skews the figures)")
        print(f"synth: {synth.organizations:,} organisations, {synth.datasets:,} datasets, {synth.agreements:,} "
              f"agreements, {synth.quads:,} quads ({report.meta['nquads_mb']} MB) in {synth_s:.2f} s = "
              f"{synth.datasets / synth_s:,.0f} datasets/s; lineage: {synth.derived:,} derived, mean in-degree "
              f"{synth.mean_in_degree}, max depth {synth.max_depth}")
        print("ratio: above 1 means ours is better (baseline / ours for times and memory, ours / baseline "
              "for rates)\n")
        print(HEADER)
        print("-" * len(HEADER))

        bench_load(report, nq, store, args.timeout)
        bench_validate(report, nq, store, args.datasets, args.timeout)

        tok = run_child([*registry_cli(), "token", "create", "--role", "privacy-officer", "--data", str(store)],
                        timeout=300)
        if tok.returncode != 0:
            raise RuntimeError(_failed(tok, "registry token create"))
        tokens = {"ours": tok.stdout.strip().splitlines()[-1]}

        # the baseline first (it parses the data into memory), then ours; measured one after the other.
        # Both without the per-caller rate limit: the figures are latencies, not a test of the limiter.
        server_env = {**os.environ, "REGISTRY_RATE_PER_MINUTE": "0"}
        bfile = tmp / "baseline-tokens.json"
        base = start_server("baseline server",
                            lambda port: [python(), "-m", "bench.child", "serve", str(nq), str(port), str(bfile)],
                            tmp / "baseline.log", timeout=120 + args.datasets / 50, env=server_env)
        servers.append(base)
        btokens = json.loads(bfile.read_text())
        tokens["baseline"] = btokens["privacy-officer"]
        # /sparql admits REGISTRY_SPARQL_MAX_CONCURRENT queries at once (503 beyond): let the SPARQL
        # figure's clients all in, as rdflib-endpoint does
        env = {**server_env, "REGISTRY_SPARQL_MAX_CONCURRENT": str(args.sparql_clients)}
        ours = start_server("our server",
                            lambda port: [*registry_cli(), "serve", "--data", str(store), "--port", str(port)],
                            tmp / "ours.log", timeout=300 + args.datasets / 200, env=env)
        servers.append(ours)

        req = workloads.build(s, requests=args.requests, checks=args.checks, writes=args.writes, seed=args.seed)
        bench_rest(report, ours.url, base.url, tokens, req, args.budget)
        bench_sparql(report, s, ours, base, btokens["sparql"], store, args.sparql_clients, args.sparql_queries,
                     args.budget)
    finally:
        for srv in servers:
            srv.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    total = time.perf_counter() - started
    report.meta["total_seconds"] = round(total, 1)
    report.meta["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"bench-{args.datasets}.json"
    out.write_text(json.dumps({"meta": report.meta, "figures": [f.as_json() for f in report.figures],
                               "notes": report.notes}, indent=2) + "\n")
    print(f"\nfigures written to {out} (whole run {total:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
