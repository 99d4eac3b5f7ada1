"""The store a view keeps its copy of some of the main store's graphs in (projections/views.py): Oxigraph
on disk or in memory, its writes not synced one by one, since what it holds can be copied again."""

from __future__ import annotations

from pathlib import Path

from registry.store.oxigraph import OxigraphStore, StoreHeld

__all__ = ["StoreHeld", "open_view_store"]


def open_view_store(folder: Path | None) -> OxigraphStore:
    """The view store in `folder` (made if need be), or a new one in memory when None. Raises `StoreHeld`
    when another process has the folder open. Its owner syncs it (`OxigraphStore.sync`; a flush when it
    closes it or records a new build) before recording a position; a crash between loses writes the owner
    copies again from the position it recorded."""
    return OxigraphStore(folder, durable=False)
