"""Read latency: concurrent clients hammering one URL pattern for a fixed time."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

WARMUP_SHARE = 0.1  # of the duration, at most WARMUP_MAX_SECONDS, not counted
WARMUP_MAX_SECONDS = 2.0


@dataclass(frozen=True)
class LoadResult:
    """What one load phase measured."""

    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        """Successful requests per second."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(share * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


async def run_load(
    name: str,
    base_url: str,
    paths: Callable[[random.Random], str],
    *,
    clients: int,
    duration: float,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """``clients`` concurrent keep-alive clients GET ``paths(rng)`` for ``duration`` seconds."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=30) as http:
        warmup = min(duration * WARMUP_SHARE, WARMUP_MAX_SECONDS)
        counting_from = time.perf_counter() + warmup
        stop_at = counting_from + duration

        async def client(seed: int) -> None:
            nonlocal errors
            rng = random.Random(seed)
            while (started := time.perf_counter()) < stop_at:
                try:
                    response = await http.get(paths(rng))
                    await response.aread()
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if started >= counting_from:
                    latencies.append(time.perf_counter() - started)
                    errors += not ok

        await asyncio.gather(*(client(seed) for seed in range(clients)))
    latencies.sort()
    return LoadResult(
        name=name,
        requests=len(latencies),
        errors=errors,
        seconds=duration,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
    )


def household_paths(ids: Sequence[str]) -> Callable[[random.Random], str]:
    """Random ``GET /api/v1/households/{id}`` paths over ``ids``."""

    def pick(rng: random.Random) -> str:
        return f"/api/v1/households/{rng.choice(ids)}"

    return pick


def fixed_path(path: str) -> Callable[[random.Random], str]:
    """Always ``path``."""
    return lambda _rng: path
