"""bench/scaling.py: the power-law fit of figures over run sizes, and its table (no timings involved)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from bench.scaling import fit, main, markdown, series


def run(n: int, figures: list[dict[str, Any]], load: float = 1.0) -> dict[str, Any]:
    return {"meta": {"datasets": n, "load_average_start": [load], "load_average_end": [load]}, "figures": figures}


def fig(name: str, ours: float | None, unit: str = "s", **kw: Any) -> dict[str, Any]:
    return {"name": name, "unit": unit, "ours": ours, **kw}


def test_an_exact_power_is_found_again() -> None:
    curve = fit("load", "s", [(n, 3.0 * n ** 0.5) for n in (100_000, 300_000, 1_000_000)])
    assert curve is not None
    assert math.isclose(curve.b, 0.5, rel_tol=1e-9) and math.isclose(curve.a, 3.0, rel_tol=1e-6)
    assert math.isclose(curve.at(10_000_000), 3.0 * 10_000_000 ** 0.5, rel_tol=1e-6)
    assert math.isclose(curve.spread, 1.0, rel_tol=1e-9)


def test_a_flat_figure_has_exponent_zero_and_the_spread_shows_noise() -> None:
    curve = fit("lookup", "ms", [(100_000, 2.0), (300_000, 1.0), (1_000_000, 2.0)])
    assert curve is not None and abs(curve.b) < 0.1
    assert curve.spread > 1.2  # the middle run is off the line by that much


def test_points_without_a_value_are_left_out_and_one_size_is_no_curve() -> None:
    assert fit("x", "s", [(100, None), (1000, 5.0)]) is None  # type: ignore[list-item]
    assert fit("x", "s", [(100, 0.0), (1000, float("nan"))]) is None
    assert fit("x", "s", [(100, 1.0), (100, 2.0)]) is None


def test_series_reads_the_disk_total_and_the_baseline_columns() -> None:
    runs = [run(n, [fig("disk once ready: all files / the store alone", 1.8, "x",
                        note=f"{n // 10:,} MB in all: store {n // 20:,} MB"),
                    fig("SPARQL x8", 100.0, "queries/s", virtuoso=200.0, fuseki=50.0)]) for n in (1000, 10_000)]
    got = {name: (unit, pts) for name, unit, pts in series(runs)}
    assert got["disk once ready: all files"] == ("MB", [(1000, 100.0), (10_000, 1000.0)])
    assert got["SPARQL x8 (Virtuoso)"][1] == [(1000, 200.0), (10_000, 200.0)]
    assert got["SPARQL x8 (Fuseki)"][1] == [(1000, 50.0), (10_000, 50.0)]


def test_the_table_has_a_column_per_size_and_per_target() -> None:
    runs = [run(n, [fig("load", n / 1000)], load=2.5) for n in (300_000, 100_000)]  # any order
    text = markdown(runs)
    header = text.splitlines()[0]
    assert "| 100,000 | 300,000 |" in header and "10,000,000 (fit)" in header and "100,000,000 (fit)" in header
    row = next(line for line in text.splitlines() if line.startswith("| load |"))
    assert "| 1.00 |" in row and "| 10,000 | 100,000 |" in row  # exponent 1: 10M -> 10,000 s
    assert "100,000: 2.5-2.5" in text


def test_one_run_is_refused_with_a_usage_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit, match="usage"):
        main(["only-one.json"])
