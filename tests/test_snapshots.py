"""Snapshots for the SPARQL evaluators: a retired snapshot stays while a query that was given it runs."""

from __future__ import annotations

from pathlib import Path

from registry.store import open_store
from registry.store.snapshots import Snapshots


def test_a_retired_snapshot_stays_until_the_query_given_it_is_done(tmp_path: Path) -> None:
    store = open_store("memory")
    snapshots = Snapshots(tmp_path / "snapshots")
    try:
        first = snapshots.path("public", 1, store)  # a query is given this one...
        second = snapshots.path("public", 2, store)  # ...then a write moves the view on
        snapshots.release(second)
        snapshots.sweep(set())  # no evaluator has either open yet
        assert Path(first).is_dir(), "a snapshot a query still holds was removed"
        snapshots.release(first)
        snapshots.sweep(set())
        assert not Path(first).exists() and Path(second).is_dir()
    finally:
        snapshots.close()
        store.close()
