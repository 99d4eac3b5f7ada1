"""Write latency through the app on a store on disk: `python -m bench.durable_writes [--writes 200] [--threads 4]
[--rounds 3]`.

POSTs organisations (SHACL validation, one transaction with the audit entry, and, since issue 14, the
sync of the write-ahead log before the answer) through the real app in this process, one writer and then
`--threads` writers at once, and prints p50 and p95 of each, with the sync and (for comparison, on a
store whose `durability` is switched off here: never in the product) without it, alternating, `--rounds`
times each. The store is a fresh folder under --dir (a temporary one by default: put it on the disk a
server would use)."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from registry.api import create_app
from registry.config import Settings
from registry.services.registry import open_registry


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def run(folder: Path, writes: int, threads: int, sync: bool) -> None:
    reg = open_registry(Settings(data=str(folder / "store"), rate_per_minute=0))
    if not sync:
        reg.store.durability = None  # type: ignore[attr-defined]
    try:
        headers = {"Authorization": f"Bearer {reg.tokens.create('admin')[1]}"}
        with TestClient(create_app(registry=reg)) as client:
            def post(prefix: str, n: int, out: list[float]) -> None:
                for i in range(n):
                    body = {"id": f"{prefix}-{i}", "name": f"Unit {prefix} {i}", "kind": "agency", "parent": None}
                    start = time.perf_counter()
                    r = client.post("/organizations", json=body, headers=headers)
                    out.append((time.perf_counter() - start) * 1000)
                    assert r.status_code == 201, r.text

            post("warm", 20, [])
            one: list[float] = []
            post("one", writes, one)
            many: list[list[float]] = [[] for _ in range(threads)]
            workers = [threading.Thread(target=post, args=(f"t{k}", writes // threads, many[k])) for k in range(threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            together = [x for m in many for x in m]
        d = getattr(reg.store, "durability", None)
        print(f"{'with' if sync else 'WITHOUT'} the sync, store in {folder}")
        print(f"1 writer:  {len(one)} POST /organizations  p50 {_pct(one, 0.5):.2f} ms  p95 {_pct(one, 0.95):.2f} ms"
              f"  mean {statistics.mean(one):.2f} ms")
        print(f"{threads} writers: {len(together)} POST /organizations  p50 {_pct(together, 0.5):.2f} ms  "
              f"p95 {_pct(together, 0.95):.2f} ms")
        if d is not None:
            print(f"writes committed {d.committed}, synced {d.synced}, in {d.syncs} syncs")
        else:
            print("the store does not sync its writes")
    finally:
        reg.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where to make the store (default: a temporary folder)")
    args = parser.parse_args()
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
    print(f"{platform.node()} {platform.machine()}, {platform.processor() or '?'}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    for _ in range(args.rounds):
        for sync in (False, True):
            with tempfile.TemporaryDirectory(dir=args.dir, prefix="durable-writes-") as tmp:
                run(Path(tmp), args.writes, args.threads, sync)


if __name__ == "__main__":
    main()
