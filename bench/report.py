"""Render figures written by `python -m bench` as a Markdown table (for bench/RESULTS.md).

    python -m bench.report bench/out/bench-10000.json [more.json ...]
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any


def number(v: float | None) -> str:
    """A figure with the digits that matter: 12,345 / 123 / 12.3 / 1.23; "-" for none."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _v(x: Any) -> str:
    return number(x) if x is None or isinstance(x, float) else str(x)


def _x(ratio: float | None) -> str:
    return f"{ratio:.2f}x" if ratio is not None else "-"


def markdown(data: dict[str, Any]) -> str:
    meta = data["meta"]
    synth = meta["synth"]
    lines = [
        f"### {meta['datasets']:,} datasets (seed {meta['seed']})",
        "",
        f"{synth['organizations']:,} organisations, {synth['datasets']:,} datasets, {synth['agreements']:,} agreements, "
        f"{synth['quads']:,} quads ({meta['nquads_mb']} MB of N-Quads), written in {meta['synth_seconds']} s; "
        f"{synth['derived']:,} derived datasets, mean in-degree {synth['mean_in_degree']}, max depth "
        f"{synth['max_depth']}. Run at {meta['date']}, {meta.get('total_seconds', '?')} s in all; load average "
        f"{meta.get('load_average_start', ['?'])[0]} at the start, {meta.get('load_average_end', ['?'])[0]} at the end"
        + (f"; commit {meta['git']['commit']} with {meta['git']['changed_files']} files changed in the work tree."
           if meta.get("git") else "."),
        "",
    ]
    chosen = meta.get("baselines")
    if chosen:
        bits = [f"rdflib baselines {'measured' if chosen['rdflib'] else 'skipped'} (up to "
                f"{chosen['baseline_max_datasets']:,} datasets)"]
        if chosen["virtuoso"]:
            bits.append(f"Virtuoso {meta['versions'].get('virtuoso', '?')} with NumberOfBuffers "
                        f"{chosen['virtuoso_buffers']:,}; REST figures over Virtuoso "
                        f"{'measured' if chosen['virtuoso_app'] else 'skipped'}")
        else:
            bits.append("no Virtuoso")
        lines += ["Baselines: " + "; ".join(bits) + ".", ""]
    # runs before the Virtuoso column have no "virtuoso" key: their table keeps its two columns
    virtuoso = any("virtuoso" in f for f in data["figures"])
    fuseki = any(f.get("fuseki") is not None for f in data["figures"])  # a run with the Fuseki column
    if virtuoso:
        head = ["figure", "unit", "ours", "rdflib", "ratio (>1: ours better)", "Virtuoso", "ratio (>1: ours better)"]
        head += ["Fuseki", "ratio (>1: ours better)"] if fuseki else []
        lines += ["| " + " | ".join([*head, "note"]) + " |",
                  "| --- | --- | " + "---: | " * (len(head) - 2) + "--- |"]
    else:
        lines += ["| figure | unit | ours | baseline | ratio (>1: ours better) | note |",
                  "| --- | --- | ---: | ---: | ---: | --- |"]
    for f in data["figures"]:
        note = (f.get("note") or "").replace("|", "\\|")
        cells = [f["name"], f["unit"], _v(f["ours"]), _v(f["baseline"]), _x(f["ratio"])]
        if virtuoso:
            cells += [_v(f.get("virtuoso")), _x(f.get("virtuoso_ratio"))]
        if virtuoso and fuseki:
            cells += [_v(f.get("fuseki")), _x(f.get("fuseki_ratio"))]
        lines.append("| " + " | ".join([*cells, note]) + " |")
    if data.get("notes"):
        lines.append("")
        lines += [f"- {n}" for n in data["notes"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    for path in argv:
        print(markdown(json.loads(Path(path).read_text())))


if __name__ == "__main__":
    main(sys.argv[1:])
