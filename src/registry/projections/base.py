"""The Projection protocol: an index derived from the store, kept in step with it by the audit log's
entries (follower.py feeds them). A new derived index is one class implementing it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from registry.store.audit import Entry, Head

__all__ = ["Entry", "Head", "Projection"]


class Projection(Protocol):
    """What the follower needs of a derived index. It calls every method but `close` under the projection's
    lock, so a projection needs no lock of its own for them."""

    #: unique among the projections of one follower
    name: str

    def position(self) -> Head | None:
        """The last audit entry applied to what the projection holds now, kept where the projection keeps
        itself; None when it holds nothing to follow from (never built, forgotten, or not opened yet)."""

    def open(self) -> None:
        """Load what the projection kept from an earlier run, if it can be reused, so `position` says how far
        it got; leave `position` None otherwise. Called before the first catch-up of a projection with no
        position; most projections have nothing to load."""

    def apply(self, entries: Sequence[Entry]) -> None:
        """Apply the entries that follow the position (in order, none skipped); the position becomes the
        last one's."""

    def rebuild(self) -> None:
        """Build the projection afresh from the store; the position becomes the head of the audit log read
        before reading the store (the follower's `head()`), so an entry written meanwhile is applied after."""

    def invalidate(self) -> None:
        """Forget the position (after a bulk load, which writes no entries): the next read rebuilds."""

    def close(self) -> None:
        """Keep what must be kept (the position) and let go of files and stores; a later read opens again."""
