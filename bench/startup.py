"""Start-up after a bulk load, alone: `registry load FILE.nq` into a new store (wall time, peak RSS), then
`registry serve` on it until `GET /health` says ready (seconds, the server's RSS once ready), and the disk
each file beside the store takes.

    python -m bench.synth --datasets 100000 --out /tmp/r.nq
    python -m bench.startup /tmp/r.nq --work /tmp/startup

Prints one JSON object (the last line), the figures bench/RESULTS.md quotes in "Start-up after a bulk
load". The work folder is emptied first. `--at-start` loads without building the projections (as
`registry load` did before it built them), so the server builds them at its start instead.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path

from bench import servers
from bench.measure import python, registry_cli, run_child

#: a bulk load that leaves the projections to the server (loader.load_file without `build`)
LOAD_ONLY = ("import sys; from pathlib import Path; from registry.config import Settings; "
             "from registry.services.ingest.loader import load_file; from registry.services.registry import "
             "open_registry; reg = open_registry(Settings(data=sys.argv[2])); "
             "print('{\"quads\": %d}' % load_file(reg, Path(sys.argv[1])).quads); reg.close()")


def disk_mb(path: Path, seen: set[tuple[int, int]] | None = None) -> float:
    """MB on disk under `path` (a file or a folder); a file linked twice (a RocksDB checkpoint links the
    store's files) counted once, here and across the calls given the same `seen`."""
    seen = set() if seen is None else seen
    paths = [path] if path.is_file() else [Path(root, name) for root, _dirs, names in os.walk(path) for name in names]
    total = 0
    for p in paths:
        try:
            st = p.stat()
        except FileNotFoundError:
            continue
        if (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512
    return total / 1e6


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a running process has used so far (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def beside(store: Path) -> dict[str, float]:
    """MB on disk of the store and of each file or folder beside it named after it (what they share, once,
    with the store)."""
    seen: set[tuple[int, int]] = set()
    out = {"store": disk_mb(store, seen)}
    for p in sorted(store.parent.iterdir()):
        if p != store and p.name.startswith(store.name + "."):
            out[p.name[len(store.name) + 1:]] = disk_mb(p, seen)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    ap.add_argument("nq", type=Path, help="the N-Quads file (python -m bench.synth)")
    ap.add_argument("--work", type=Path, required=True, help="a folder for the store (emptied first)")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--restarts", type=int, default=1, help="start the server again this many times after")
    ap.add_argument("--at-start", action="store_true", help="leave the projections to the server's start")
    args = ap.parse_args(argv)
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    store = args.work / "registry"
    started = time.time()
    cmd = ([python(), "-c", LOAD_ONLY, str(args.nq), str(store)] if args.at_start
           else [*registry_cli(), "load", str(args.nq), "--data", str(store)])
    load = run_child(cmd, timeout=args.timeout)
    if load.returncode != 0:
        raise SystemExit(f"registry load exited {load.returncode}: {load.stderr[-2000:]}")
    figures: dict[str, object] = {
        "projections": "at the server's start" if args.at_start else "by registry load",
        "file_mb": args.nq.stat().st_size / 1e6, "quads": load.json_tail().get("quads"),
        "load_seconds": round(load.seconds, 2), "load_cpu_seconds": round(load.cpu_seconds, 2),
        "load_peak_rss_mb": round(load.max_rss_mb),
        "disk_after_load_mb": {k: round(v, 1) for k, v in beside(store).items()},
        "load_average": os.getloadavg()[0], "at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
    }
    env = {**os.environ, "REGISTRY_RATE_PER_MINUTE": "0"}
    starts = []
    for i in range(1 + args.restarts):
        srv = servers.start("registry serve", lambda port: [*registry_cli(), "serve", "--data", str(store),
                                                            "--port", str(port), "--no-access-log"],
                            args.work / f"serve-{i}.log", timeout=args.timeout, env=env)
        try:
            (rss, peak), cpu = servers.process_memory_mb(srv.proc.pid), cpu_seconds(srv.proc.pid)
        finally:
            srv.stop()
        starts.append({"ready_seconds": round(srv.ready_after or 0, 2), "cpu_seconds": round(cpu, 2),
                       "rss_mb": round(rss) if rss == rss else 0, "peak_rss_mb": round(peak) if peak == peak else 0})
    figures["starts"] = starts
    figures["disk_after_serve_mb"] = {k: round(v, 1) for k, v in beside(store).items()}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
