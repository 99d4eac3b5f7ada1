"""Bearer tokens as the store last said they stand, by the hash of their secret: a projection of the audit
log, so that a request with a token does not query the store for it each time. Every token entry (made,
revoked) forgets them all; so do a rebuild and a bulk load. Only tokens found are kept (a guess is not)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from registry.projections.base import Entry, Head
from registry.projections.follower import Follower

#: tokens kept at most (the registry's tokens are few; past this the oldest is let go)
KEEP = 4096


@dataclass(frozen=True)
class TokenRow:
    """What authenticating a token reads of it."""

    token_id: str
    role: str
    org: str | None
    expires: str | None
    revoked: bool


class TokenCache:
    name = "tokens"

    def __init__(self, follower: Follower) -> None:
        self.follower = follower
        self._rows: dict[str, TokenRow] = {}
        self._position: Head | None = None

    def get(self, digest: str) -> TokenRow | None:
        """The token kept for this hash; call it inside `follower.reading(self)`."""
        return self._rows.get(digest)

    def put(self, digest: str, row: TokenRow) -> None:
        """Keep a token read from the store inside the same `follower.reading(self)` as the `get` that
        missed: a token entry written meanwhile is applied (forgetting it) before the next read."""
        if len(self._rows) >= KEEP:
            self._rows.pop(next(iter(self._rows)))
        self._rows[digest] = row

    # ---------------------------------------------------------------- the projection protocol
    def position(self) -> Head | None:
        return self._position

    def open(self) -> None:
        """Nothing is kept between runs."""
        self.rebuild()

    def apply(self, entries: Sequence[Entry]) -> None:
        if any(e.kind == "token" for e in entries):
            self._rows.clear()
        self._position = entries[-1].position

    def rebuild(self) -> None:
        self._rows.clear()
        self._position = self.follower.head()

    def invalidate(self) -> None:
        self._rows.clear()
        self._position = None

    def close(self) -> None:
        self.invalidate()
