"""Answers computed from the whole registry (the transparency register reads every agreement), kept until an
audit entry changes a record they may read: a projection of nothing but that fact, so such an answer is
computed once per change of the registry, not once per request. Writes that cannot change the answers
(share checks, tokens) leave them kept; a rebuild (after a bulk load or a restore) drops them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from registry.projections.base import Entry, Head
from registry.projections.follower import Follower

T = TypeVar("T")


class Memo:
    """Answers by key, forgotten when an entry of a kind not in `unaffected` follows. One caller computes a
    missing answer while the others asking for any answer wait for it (they would compute the same)."""

    def __init__(self, name: str, follower: Follower, unaffected: frozenset[str], keep: int = 8) -> None:
        self.name, self.follower, self.unaffected, self.keep = name, follower, unaffected, keep
        self._position: Head | None = None
        #: bumped whenever the answers are dropped: an answer computed across a bump is not kept
        self._generation = 0
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._computing = threading.Lock()

    # ---------------------------------------------------------------- the projection protocol
    def position(self) -> Head | None:
        return self._position

    def open(self) -> None:
        """Nothing is kept between runs, and no answer is held: it is at the head of the log as it is."""
        self._drop()
        self._position = self.follower.head()

    def apply(self, entries: Sequence[Entry]) -> None:
        if any(e.kind not in self.unaffected for e in entries):
            self._drop()
        self._position = entries[-1].position

    def rebuild(self) -> None:
        self._drop()
        self._position = self.follower.head()

    def invalidate(self) -> None:
        self._drop()
        self._position = None

    def close(self) -> None:
        self.invalidate()

    def _drop(self) -> None:
        self._answers.clear()
        self._generation += 1

    # ---------------------------------------------------------------- answers
    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer kept for `key`, or `compute()`'s, kept unless the registry changed while it ran. The
        computation runs outside the projection's lock, so writes are applied meanwhile."""
        with self._computing:
            with self.follower.reading(self):
                if key in self._answers:
                    self._answers.move_to_end(key)
                    found: T = self._answers[key]
                    return found
                generation = self._generation
            value = compute()
            with self.follower.reading(self):
                if self._generation == generation:
                    self._answers[key] = value
                    while len(self._answers) > self.keep:
                        self._answers.popitem(last=False)
            return value
