"""Growth curves from runs of `python -m bench` at several sizes (for bench/SCALING.md).

    python -m bench.scaling bench/out/bench-100000.json bench/out/bench-300000.json bench/out/bench-1000000.json

Each figure of ours present in every run is fitted as a power of the number of datasets, y = a * n^b, by
least squares on the logarithms, and extrapolated to 10M and 100M datasets. The exponent says how the
figure grows: about 0 for a figure that does not grow with the registry, about 1 for one that grows in
proportion. Extrapolation from three points of a noisy machine is an estimate, and it is printed as one:
each row says how far the runs lie from the fitted line (the largest ratio of a measured value to its fit).
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import number

#: the sizes extrapolated to
TARGETS = (10_000_000, 100_000_000)
#: the total MB on disk is in the note of the disk figure
DISK_TOTAL = re.compile(r"([\d,]+) MB in all")


@dataclass
class Curve:
    name: str
    unit: str
    sizes: list[int]
    values: list[float]
    a: float
    b: float

    def at(self, n: float) -> float:
        return self.a * n ** self.b

    @property
    def spread(self) -> float:
        """The largest ratio (>= 1) between a measured value and the fitted value at its size."""
        return max(max(v / self.at(n), self.at(n) / v) for n, v in zip(self.sizes, self.values, strict=True))


def fit(name: str, unit: str, points: list[tuple[int, float]]) -> Curve | None:
    """y = a * n^b through `points` (size, value) by least squares on logs; None without two usable points."""
    pts = [(n, v) for n, v in points if v is not None and v > 0 and not math.isnan(v)]
    if len({n for n, _ in pts}) < 2:
        return None
    xs = [math.log(n) for n, _ in pts]
    ys = [math.log(v) for _, v in pts]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    a = math.exp(my - b * mx)
    return Curve(name, unit, [n for n, _ in pts], [v for _, v in pts], a, b)


def series(runs: list[dict[str, Any]]) -> list[tuple[str, str, list[tuple[int, float]]]]:
    """(figure, unit, [(datasets, ours)]) for every figure of ours, in the order of the last run, with the
    Virtuoso column of a figure as a row of its own and the disk's total MB beside its ratio."""
    out: dict[str, tuple[str, list[tuple[int, float]]]] = {}
    for run in runs:
        n = int(run["meta"]["datasets"])
        for f in run["figures"]:
            out.setdefault(f["name"], (f["unit"], []))[1].append((n, f["ours"]))
            if f["name"].startswith("disk once ready"):
                m = DISK_TOTAL.search(f.get("note") or "")
                if m:
                    out.setdefault("disk once ready: all files", ("MB", []))[1].append(
                        (n, float(m.group(1).replace(",", ""))))
            if f.get("virtuoso") is not None:
                out.setdefault(f"{f['name']} (Virtuoso)", (f["unit"], []))[1].append((n, f["virtuoso"]))
            if f.get("fuseki") is not None:
                out.setdefault(f"{f['name']} (Fuseki)", (f["unit"], []))[1].append((n, f["fuseki"]))
    return [(name, unit, pts) for name, (unit, pts) in out.items()]


def markdown(runs: list[dict[str, Any]]) -> str:
    runs = sorted(runs, key=lambda r: r["meta"]["datasets"])
    sizes = [int(r["meta"]["datasets"]) for r in runs]
    head = ["figure", "unit", *[f"{n:,}" for n in sizes], "exponent b", "spread", *[f"{n:,} (fit)" for n in TARGETS]]
    lines = ["| " + " | ".join(head) + " |", "| --- | --- |" + " ---: |" * (len(head) - 2)]
    for name, unit, pts in series(runs):
        by_size = dict(pts)
        curve = fit(name, unit, pts)
        cells = [name.replace("|", "\\|"), unit, *[number(by_size.get(n)) for n in sizes]]
        if curve is None:
            cells += ["-", "-", *["-" for _ in TARGETS]]
        else:
            cells += [f"{curve.b:.2f}", f"{curve.spread:.2f}x", *[number(curve.at(t)) for t in TARGETS]]
        lines.append("| " + " | ".join(cells) + " |")
    loads = ", ".join(f"{r['meta']['datasets']:,}: {r['meta'].get('load_average_start', ['?'])[0]}-"
                      f"{r['meta'].get('load_average_end', ['?'])[0]}" for r in runs)
    return "\n".join(lines) + f"\n\nLoad average at the start and end of each run: {loads}.\n"


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit("usage: python -m bench.scaling RUN.json RUN.json [...] (runs at two sizes or more)")
    print(markdown([json.loads(Path(p).read_text()) for p in argv]))


if __name__ == "__main__":
    main(sys.argv[1:])
