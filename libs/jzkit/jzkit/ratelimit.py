"""Token buckets per key (client id, IP address): in memory, one set per process."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class TokenBuckets:
    """``rate`` tokens per second refill each key's bucket up to ``burst``; a request takes one."""

    def __init__(
        self,
        rate: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a bucket needs a positive rate and room for at least one request")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.max_keys = max_keys
        # key -> (tokens left, when they were counted)
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """0 when ``key`` may go ahead (a token is taken), else the seconds until it may retry."""
        now = self.clock()
        tokens, then = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens >= 1:
            if key not in self._buckets and len(self._buckets) >= self.max_keys:
                self._forget_idle(now)
            self._buckets[key] = (tokens - 1, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        """Drop buckets that have refilled (forgetting them changes nothing); else the oldest half."""
        full = [
            k
            for k, (tokens, then) in self._buckets.items()
            if tokens + (now - then) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            for key in list(self._buckets)[: len(self._buckets) // 2 + 1]:
                del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


def retry_after_header(wait_seconds: float) -> str:
    """``Retry-After`` in whole seconds, never 0 for a refused request."""
    return str(max(1, math.ceil(wait_seconds)))
