"""Storage: the `Store` protocol and its backends."""

from registry.store.base import Store, Triple, open_store

__all__ = ["Store", "Triple", "open_store"]
