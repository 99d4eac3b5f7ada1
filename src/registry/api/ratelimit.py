"""A token bucket per caller (per token, or per client address for anonymous callers)."""

from __future__ import annotations

import threading
import time

from registry.errors import TooManyRequests


class RateLimiter:
    """`per_minute` requests a minute on average, with bursts up to the same number; 0 turns it off."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                retry = max(1, int((1.0 - tokens) / rate + 0.999))
                raise TooManyRequests(f"more than {self.per_minute} requests a minute: retry in {retry} s",
                                      retry_after=retry)
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > 100_000:  # forget idle callers
                cutoff = now - 120
                self._buckets = {k: v for k, v in self._buckets.items() if v[1] >= cutoff}
