"""Storage: the `Store` protocol and its backends (Oxigraph on disk or in memory, a remote SPARQL 1.1
server)."""

from pathlib import Path

from registry.store.base import Store, Triple
from registry.store.oxigraph import OxigraphStore
from registry.store.sparql_http import SparqlHttpStore

__all__ = ["Store", "Triple", "open_store"]


def open_store(location: str, *, read_only_fallback: bool = False) -> Store:
    """Open the store named by a setting: a path (Oxigraph on disk), "memory", or a remote SPARQL
    server as sparql+http://host:port/path. With `read_only_fallback`, a folder a running server holds
    is opened read-only (`OxigraphStore.read_only`)."""
    if location == "memory":
        return OxigraphStore(None)
    if location.split("://", 1)[0].lower() in ("sparql+http", "sparql+https"):
        return SparqlHttpStore.from_location(location)
    return OxigraphStore(Path(location), read_only_fallback=read_only_fallback)
