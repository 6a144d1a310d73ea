"""Read latency: concurrent clients hammering one URL pattern for a fixed time."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

PathPicker = Callable[[random.Random], str]
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
    # What went wrong, by HTTP status or exception name, so an error count can be explained.
    error_kinds: dict[str, int] = field(default_factory=dict)

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


class HttpConnection:
    """One keep-alive HTTP/1.1 connection issuing GETs: a load generator far lighter than httpx.

    httpx spends about a millisecond of CPU per request and its pool degrades with many
    concurrent connections; on a small machine that would measure the client, not the server.
    """

    def __init__(self, base_url: str, headers: dict[str, str] | None) -> None:
        parsed = urlparse(base_url)
        self._host = parsed.hostname or "127.0.0.1"
        self._port = parsed.port or 80
        lines = [f"Host: {self._host}:{self._port}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
        self._head = "".join(f"{line}\r\n" for line in lines).encode("latin-1")
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        """GET ``path``, read the whole response, return its status (reconnecting when needed)."""
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        try:
            self._writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self._head + b"\r\n")
            status, keep_alive = await _read_response(self._reader)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.close()
            raise
        if not keep_alive:
            self.close()
        return status

    def close(self) -> None:
        """Drop the connection (the next request opens a new one)."""
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    status = int((await reader.readline()).split()[1])
    length: int | None = None
    chunked = False
    keep_alive = True
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            keep_alive = b"close" not in value.lower()
    if chunked:
        while size := int((await reader.readline()).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        while (await reader.readline()) not in (b"\r\n", b""):
            pass  # trailers
    elif length is not None:
        await reader.readexactly(length)
    else:
        await reader.read()
        keep_alive = False
    return status, keep_alive


async def run_load(
    name: str,
    base_url: str,
    paths: PathPicker,
    *,
    clients: int,
    duration: float,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """``clients`` concurrent keep-alive connections GET ``paths(rng)`` for ``duration`` seconds."""
    latencies: list[float] = []
    errors = 0
    kinds: Counter[str] = Counter()
    warmup = min(duration * WARMUP_SHARE, WARMUP_MAX_SECONDS)
    counting_from = time.perf_counter() + warmup
    stop_at = counting_from + duration

    async def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        connection = HttpConnection(base_url, headers)
        try:
            while (started := time.perf_counter()) < stop_at:
                try:
                    status = await connection.get(paths(rng))
                    kind = str(status)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    kind = type(exc).__name__
                if started >= counting_from:
                    latencies.append(time.perf_counter() - started)
                    if kind != "200":
                        errors += 1
                        kinds[kind] += 1
        finally:
            connection.close()

    await asyncio.gather(*(client(seed) for seed in range(clients)))
    latencies.sort()
    return LoadResult(
        name=name,
        requests=len(latencies),
        errors=errors,
        seconds=duration,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        error_kinds=dict(kinds),
    )


def household_paths(ids: Sequence[str]) -> PathPicker:
    """Random ``GET /api/v1/households/{id}`` paths over ``ids``."""

    def pick(rng: random.Random) -> str:
        return f"/api/v1/households/{rng.choice(ids)}"

    return pick


def fixed_path(path: str) -> PathPicker:
    """Always ``path``."""
    return lambda _rng: path
