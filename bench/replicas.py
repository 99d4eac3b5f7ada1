"""python -m bench.replicas [--datasets N] [--writes W] [--store fuseki|virtuoso]: two API replicas over one
remote store, and how long a write through one takes to show on the other.

Starts one remote SPARQL store (Apache Jena Fuseki, else Debian's Virtuoso), fills it with a synthetic
registry (bench/synth.py, then `registry load --data sparql+http://...`), makes a privacy officer's token
(`registry token create`) and starts two replicas (`registry serve --data sparql+http://...`, A and B). Then:

1. W writes, one at a time, alternating between A and B: a new derived dataset (POST), or a new title and a
   new source for the one the other replica wrote just before (PUT with If-Match). After each acknowledgement
   the other replica is polled, by three pollers at once, until its record (GET /datasets/{id}: the ETag the
   write answered), its catalogue search (GET /datasets?q=<a word only this version's title has>) and its
   lineage (GET /datasets/{id}/lineage?direction=upstream: the edge from the new source) show the new version.
   Each lag runs from the acknowledgement to the answer that showed it.
2. The same while background writers post new datasets to A without pause. Here every measured write goes
   through A too and B is read: writes through two replicas at once can both extend the audit chain from the
   same head (README, "Several API replicas in front of one store"), so a loaded deployment has one writer.
3. Every record written (measured and background) read from both replicas: the same ETag on each, the one
   its last write answered; then GET /audit/verify on B.

The figures (p50, p95, max of each lag) are printed as a table and written as JSON to --out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import fuseki, virtuoso, workloads
from bench.__main__ import machine, virtuoso_buffers
from bench.client import LeanClient
from bench.fuseki import FusekiServer
from bench.measure import percentile, registry_cli, run_child, wind_up
from bench.report import number
from bench.servers import Server
from bench.servers import start as start_server
from bench.synth import Synth
from bench.virtuoso import VirtuosoServer

STORES = ("fuseki", "virtuoso")
#: what the three pollers look at on the other replica
TARGETS = ("record", "search", "lineage")


def store_missing(kind: str) -> str | None:
    """Why this remote store cannot run here, or None."""
    if kind == "fuseki":
        return fuseki.missing()
    return None if virtuoso.installed() else "virtuoso-t (and isql-vt) not installed"


def choose_store(asked: str | None) -> tuple[str | None, str]:
    """The store to run (the one asked, else Fuseki, else Virtuoso), or None and why none can run."""
    reasons = []
    for kind in ([asked] if asked else STORES):
        why = store_missing(kind)
        if why is None:
            return kind, ""
        reasons.append(f"{kind}: {why}")
    return None, "; ".join(reasons)


def remote_store(kind: str, root: Path, nq: Path) -> FusekiServer | VirtuosoServer:
    if kind == "fuseki":
        return FusekiServer(root=root, heap="2g")
    return VirtuosoServer(root=root, buffers=virtuoso_buffers(nq, 0))


# ---------------------------------------------------------------------------------------- writes
@dataclass
class Written:
    """One record the run wrote, as its last write left it."""

    id: str
    body: dict[str, Any]
    etag: str
    word: str  # the word only this version's title has
    source: str  # the dataset it derives from


@dataclass
class Lag:
    """What one write took to show on the other replica."""

    write: str  # "POST" or "PUT"
    through: str  # the replica written to
    ack_ms: float
    seconds: dict[str, float | None] = field(default_factory=dict)  # per target; None: never within the limit
    reads: dict[str, int] = field(default_factory=dict)  # answers asked for until it showed
    steady: dict[str, float | None] = field(default_factory=dict)  # the same read again, nothing to catch up


class Writes:
    """The bodies of the run's writes: new derived datasets, and new versions of them."""

    def __init__(self, s: Synth, seed: int) -> None:
        self.s, self.rng = s, random.Random(seed + 7)
        self.n = 0
        self.lock = threading.Lock()

    def _next(self) -> tuple[int, str]:
        with self.lock:
            self.n += 1
            return self.n, f"rpl{self.n}x{self.rng.randrange(10**6)}"

    def new(self, prefix: str) -> tuple[dict[str, Any], str, str]:
        k, word = self._next()
        with self.lock:
            body = workloads.new_dataset(self.s, k, self.rng)
        body["id"] = f"{prefix}-{k}"
        body["title"] = f"{body['title'].rsplit(' ', 1)[0]} {word}"
        return body, word, body["derived_from"][0]

    def changed(self, old: Written) -> tuple[dict[str, Any], str, str]:
        """A new title and a new source for a record already written."""
        _k, word = self._next()
        source = old.source
        while source == old.source:
            with self.lock:
                source = self.s.ds_id[self.rng.randrange(self.s.datasets)]
        body = {**old.body, "title": f"{old.body['title'].rsplit(' ', 1)[0]} {word}", "derived_from": [source]}
        return body, word, source


class Clients:
    """One kept-alive connection per thread and replica."""

    def __init__(self) -> None:
        self.local = threading.local()

    def to(self, url: str) -> LeanClient:
        got: dict[str, LeanClient] = self.local.__dict__.setdefault("clients", {})
        if url not in got:
            got[url] = LeanClient(url, timeout=120)
        return got[url]


def write(client: LeanClient, headers: dict[str, str], body: dict[str, Any], old: Written | None) -> str:
    """POST a new record, or PUT a new version of `old` (If-Match its ETag); the ETag the write answered."""
    if old is None:
        r = client.post("/datasets", json=body, headers=headers)
        want = 201
    else:
        r = client.put(f"/datasets/{old.id}", json=body, headers={**headers, "If-Match": f'"{old.etag}"'})
        want = 200
    if r.status_code != want:
        raise RuntimeError(f"{'PUT' if old else 'POST'} /datasets answered {r.status_code}: {r.text[:300]}")
    return r.headers["etag"].strip('"')


def shows(client: LeanClient, headers: dict[str, str], target: str, w: Written) -> bool:
    """Whether this replica's answer shows the version `w` of the record."""
    if target == "record":
        r = client.get(f"/datasets/{w.id}", headers=headers)
        return r.status_code == 200 and r.headers.get("etag", "").strip('"') == w.etag
    if target == "search":
        r = client.get("/datasets", params={"q": w.word, "limit": 10}, headers=headers)
        return r.status_code == 200 and any(i.get("id") == w.id for i in r.json()["items"])
    r = client.get(f"/datasets/{w.id}/lineage", params={"direction": "upstream", "depth": 1}, headers=headers)
    return r.status_code == 200 and {(e["from"], e["to"]) for e in r.json()["edges"]} == {(w.source, w.id)}


def poll(clients: Clients, url: str, headers: dict[str, str], target: str, w: Written, acked: float,
         limit: float) -> tuple[float | None, int, float | None]:
    """Ask `url` until it shows `w`: seconds from `acked` to the answer that showed it, answers asked, and the
    seconds of the same read once more (with nothing left to catch up)."""
    client = clients.to(url)
    reads = 0
    while True:
        reads += 1
        ok = shows(client, headers, target, w)
        now = time.perf_counter()
        if ok:
            shows(client, headers, target, w)
            return now - acked, reads, time.perf_counter() - now
        if now - acked > limit:
            return None, reads, None
        time.sleep(0.001)


@dataclass
class Background:
    """Writers posting new datasets to one replica without pause, until stopped."""

    url: str
    headers: dict[str, str]
    writes: Writes
    clients: Clients
    count: int
    written: list[Written] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    seconds: float = 0.0

    def _run(self, w: int) -> None:
        client = self.clients.to(self.url)
        while not self.stop.is_set():
            body, word, source = self.writes.new(f"replica-bg{w}")
            try:
                etag = write(client, self.headers, body, None)
            except Exception as e:  # a failed write is a figure, not a crash of the run
                self.errors.append(f"{type(e).__name__}: {e}"[:300])
                continue
            self.written.append(Written(body["id"], body, etag, word, source))

    def __enter__(self) -> Background:
        self.started = time.perf_counter()
        self.threads = [threading.Thread(target=self._run, args=(w,), daemon=True) for w in range(self.count)]
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)
        self.seconds = time.perf_counter() - self.started


def measured_writes(urls: dict[str, str], order: Callable[[int], tuple[str, str]], count: int, writes: Writes,
                    headers: dict[str, str], written: dict[str, Written], limit: float) -> list[Lag]:
    """`count` writes one at a time; `order(i)` names the replica written to and the one read. Every third
    write is a new version of the record the write before made; the others are new records."""
    clients = Clients()
    lags: list[Lag] = []
    last: Written | None = None
    with ThreadPoolExecutor(len(TARGETS)) as pollers:
        for i in range(count):
            into, other = order(i)
            old = last if i % 3 == 2 and last is not None else None
            body, word, source = writes.changed(old) if old else writes.new("replica")
            started = time.perf_counter()
            etag = write(clients.to(urls[into]), headers, body, old)
            acked = time.perf_counter()
            last = written[body["id"]] = Written(body["id"], body, etag, word, source)
            futures = {t: pollers.submit(poll, clients, urls[other], headers, t, last, acked, limit) for t in TARGETS}
            lag = Lag("PUT" if old else "POST", into, (acked - started) * 1000)
            for t, f in futures.items():
                lag.seconds[t], lag.reads[t], lag.steady[t] = f.result()
            lags.append(lag)
    return lags


def same_everywhere(urls: dict[str, str], headers: dict[str, str], written: list[Written]) -> list[str]:
    """Each record read from every replica: the ETag its last write answered, on each. What differs."""
    clients = Clients()
    wrong = []
    for w in written:
        got = {name: clients.to(url).get(f"/datasets/{w.id}", headers=headers) for name, url in urls.items()}
        tags = {name: r.headers.get("etag", "").strip('"') if r.status_code == 200 else f"HTTP {r.status_code}"
                for name, r in got.items()}
        if set(tags.values()) != {w.etag}:
            wrong.append(f"{w.id}: written {w.etag}, " + ", ".join(f"{k} {v}" for k, v in tags.items()))
    return wrong


# --------------------------------------------------------------------------------------- figures
@dataclass
class Row:
    name: str
    values: list[float]  # seconds
    note: str = ""
    #: the same reads once caught up (seconds): what the lag holds besides the catch-up
    steady: list[float] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        ms = [v * 1000 for v in self.values]
        out = {"name": self.name, "unit": "ms", "n": len(ms), "p50": _r(percentile(ms, 50)),
               "p95": _r(percentile(ms, 95)), "max": _r(max(ms) if ms else None), "note": self.note}
        if self.steady:
            out["caught_up_p50"] = _r(percentile([v * 1000 for v in self.steady], 50))
            out["caught_up_p95"] = _r(percentile([v * 1000 for v in self.steady], 95))
        return out


def _r(v: float | None) -> float | None:
    return None if v is None or v != v else round(v, 2)


HEADER = f"{'figure':<58} {'unit':<5} {'p50':>9} {'p95':>9} {'max':>9} {'n':>5}  note"


def show(row: Row) -> str:
    j = row.as_json()
    return (f"{row.name:<58} {'ms':<5} {number(j['p50']):>9} {number(j['p95']):>9} {number(j['max']):>9} "
            f"{j['n']:>5}  {row.note}")


def lag_rows(phase: str, lags: list[Lag]) -> list[Row]:
    rows = [Row(f"{phase}: write acknowledged", [x.ack_ms / 1000 for x in lags],
                ", ".join(f"{k} {sum(1 for x in lags if x.write == k)}" for k in ("POST", "PUT")))]
    what = {"record": "record GET /datasets/{id}", "search": "search ?q=word", "lineage": "lineage upstream"}
    for t in TARGETS:
        seen = [x for x in lags if x.seconds.get(t) is not None]
        first = sum(1 for x in seen if x.reads[t] == 1)
        steady = [v for x in seen if (v := x.steady.get(t)) is not None]
        note = (f"first answer after the ack showed it in {first}/{len(lags)}; the same read once caught up: p50 "
                f"{number(percentile(steady, 50) * 1000)} ms, p95 {number(percentile(steady, 95) * 1000)} ms")
        if len(seen) < len(lags):
            note += f"; NEVER SHOWN in {len(lags) - len(seen)}"
        rows.append(Row(f"{phase}: lag, {what[t]}", [x.seconds[t] or 0.0 for x in seen], note,
                        steady))
    return rows


# ------------------------------------------------------------------------------------------ main
def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m bench.replicas",
                                 description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--datasets", type=int, default=1000, help="size of the synthetic registry (default 1000)")
    ap.add_argument("--writes", type=int, default=100, help="measured writes in each phase (default 100)")
    ap.add_argument("--background-writers", type=int, default=4,
                    help="writers posting to replica A during the second phase (default 4; 0 leaves it out)")
    ap.add_argument("--store", choices=STORES, default=None,
                    help="the remote store (default: Fuseki where it can run, else Virtuoso)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("bench/out"), help="folder for the JSON figures")
    ap.add_argument("--limit", type=float, default=60.0,
                    help="seconds a poller waits for a write to show before it counts it as never shown (default 60)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds the load may run (default 3600)")
    ap.add_argument("--ready-timeout", type=float, default=0.0,
                    help="seconds a replica may take to start (default 600 + datasets / 5: over a remote store each "
                         "replica copies the public graphs into its SPARQL view at start)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGINT):  # end through `finally`, which stops what was started
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))
    kind, why = choose_store(args.store)
    if kind is None:
        print(f"no remote store can run here ({why}); Debian: apt-get install default-jre-headless maven, "
              "or virtuoso-opensource", file=sys.stderr)
        return 2
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="registry-replicas-"))
    meta: dict[str, Any] = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "datasets": args.datasets,
                            "seed": args.seed, "store": kind, "machine": machine(),
                            "load_average_start": [round(x, 2) for x in os.getloadavg()]}
    rows: list[Row] = []
    notes: list[str] = []

    def note(text: str) -> None:
        notes.append(text)
        print(f"  note: {text}", flush=True)

    remote: FusekiServer | VirtuosoServer | None = None
    servers: list[Server] = []
    try:
        nq = tmp / "registry.nq"
        t = time.perf_counter()
        s = Synth(datasets=args.datasets, seed=args.seed,
                  base_iri=os.environ.get("REGISTRY_BASE_IRI") or "https://registry.example.org")
        synth = s.write(nq)
        meta["synth"], meta["synth_seconds"] = synth.as_json(), round(time.perf_counter() - t, 2)
        remote = remote_store(kind, tmp / kind, nq)
        t = time.perf_counter()
        remote.start()
        meta["store_start_seconds"] = round(time.perf_counter() - t, 1)
        version = fuseki.VERSION if kind == "fuseki" else virtuoso.version()
        m = meta["machine"]
        print(f"two replicas over one {kind} {version}: {args.datasets:,} datasets ({synth.quads:,} quads), "
              f"{args.writes} writes a phase, on {m['cpus']} x {m['cpu']}; load average "
              f"{meta['load_average_start'][0]} (other work on the machine skews the figures)", flush=True)
        load = run_child([*registry_cli(), "load", str(nq), "--data", remote.location], timeout=args.timeout)
        if load.returncode != 0:
            raise RuntimeError(f"registry load exited {load.returncode}: {load.stderr[-500:]}")
        meta["load_seconds"] = round(load.seconds, 1)
        note(f"{kind} started in {meta['store_start_seconds']:.1f} s; `registry load` through the remote store: "
             f"{synth.quads:,} quads in {load.seconds:.1f} s")
        tok = run_child([*registry_cli(), "token", "create", "--role", "privacy-officer", "--data", remote.location],
                        timeout=300)
        if tok.returncode != 0:
            raise RuntimeError(f"registry token create exited {tok.returncode}: {tok.stderr[-500:]}")
        meta["token_seconds"] = round(tok.seconds, 1)
        headers = {"Authorization": f"Bearer {tok.stdout.strip().splitlines()[-1]}"}
        env = {**os.environ, "REGISTRY_RATE_PER_MINUTE": "0"}
        location = remote.location

        def replica(name: str) -> Server:
            return start_server(f"replica {name}", lambda port: [*registry_cli(), "serve", "--data", location,
                                                                 "--port", str(port), "--no-access-log"],
                                tmp / f"replica-{name}.log", timeout=args.ready_timeout or 600 + args.datasets / 5, env=env)

        with ThreadPoolExecutor(2) as starting:  # both at once; one that fails is stopped by `finally`
            futures = [starting.submit(replica, name) for name in ("A", "B")]
            for f in futures:
                if f.exception() is None:
                    servers.append(f.result())
            for f in futures:
                f.result()
        urls = {"A": servers[0].url, "B": servers[1].url}
        meta["ready_seconds"] = {f"replica {srv.name[-1]}": round(srv.ready_after or 0, 1) for srv in servers}
        note(f"`registry token create` {tok.seconds:.1f} s; replicas ready after "
             + ", ".join(f"{k} {v:.1f} s" for k, v in meta["ready_seconds"].items())
             + ", started together (each builds its catalogue index and lineage graph from the store by SPARQL, "
               "and copies the graphs its SPARQL views may show into memory)")
        print(f"\n{HEADER}\n{'-' * len(HEADER)}", flush=True)

        writes = Writes(s, args.seed)
        written: dict[str, Written] = {}
        alternate = lambda i: ("A", "B") if i % 2 == 0 else ("B", "A")  # noqa: E731
        lags1 = measured_writes(urls, alternate, args.writes, writes, headers, written, args.limit)
        for row in lag_rows("idle, A/B alternating", lags1):
            rows.append(row)
            print(show(row), flush=True)
        lags2: list[Lag] = []
        bg_written: list[Written] = []
        if args.background_writers > 0:
            with Background(urls["A"], headers, writes, Clients(), args.background_writers) as bg:
                lags2 = measured_writes(urls, lambda i: ("A", "B"), args.writes, writes, headers, written, args.limit)
            bg_written = bg.written
            phase = f"{args.background_writers} writers on A, A to B"
            for row in lag_rows(phase, lags2):
                rows.append(row)
                print(show(row), flush=True)
            note(f"{phase}: {len(bg.written):,} background writes in {bg.seconds:.1f} s = "
                 f"{len(bg.written) / bg.seconds:.1f} writes/s beside the measured ones"
                 + (f"; {len(bg.errors)} failed (first: {bg.errors[0][:200]})" if bg.errors else ""))
            meta["background"] = {"writers": args.background_writers, "writes": len(bg.written),
                                  "seconds": round(bg.seconds, 1), "errors": len(bg.errors)}
        everything = [*written.values(), *bg_written]
        wrong = same_everywhere(urls, headers, everything)
        meta["readback"] = {"records": len(everything), "differ": len(wrong)}
        note(f"read back from both replicas: {len(everything) - len(wrong)}/{len(everything)} records with the "
             "ETag their last write answered, on each" + (f"; differ: {'; '.join(wrong[:5])}" if wrong else ""))
        check = LeanClient(urls["B"], timeout=600).get("/audit/verify", headers=headers)
        verify = check.json() if check.status_code == 200 else {"status": check.status_code}
        meta["audit_verify"] = verify
        note(f"GET /audit/verify on B: {json.dumps(verify)[:300]}")
        meta["visible"] = {t: sum(1 for x in [*lags1, *lags2] if x.seconds.get(t) is not None) for t in TARGETS}
        meta["measured_writes"] = len(lags1) + len(lags2)
    finally:
        wind_up([*servers, remote], tmp, args.keep, meta, started)
    total = meta["total_seconds"]
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"replicas-{args.datasets}.json"
    out.write_text(json.dumps({"meta": meta, "figures": [r.as_json() for r in rows], "notes": notes}, indent=2) + "\n")
    print(f"\nfigures written to {out} (whole run {total:.0f} s; load average {meta['load_average_start'][0]} at the "
          f"start, {meta['load_average_end'][0]} at the end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
