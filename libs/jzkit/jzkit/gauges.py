"""Business gauges refreshed from a service's database by a periodic task in its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager

from prometheus_client import Gauge

from jzkit import metrics
from jzkit.db import SessionFactory

log = logging.getLogger(__name__)
# About one Prometheus scrape interval: fresher values would only cost queries nobody reads.
REFRESH_SECONDS = 15.0

Labels = tuple[str, ...]
Refresh = Callable[[SessionFactory], Awaitable[None]]


class Snapshot:
    """Sets a labelled gauge to a full set of values, removing label sets that vanished since last time."""

    def __init__(self, gauge: Gauge) -> None:
        self.gauge = gauge
        self._seen: set[Labels] = set()

    def publish(self, values: Mapping[Labels, float]) -> None:
        """Make ``values`` the gauge's only samples (a status nobody holds any more drops out)."""
        for labels, value in values.items():
            self.gauge.labels(*labels).set(value)
        for gone in self._seen - set(values):
            with contextlib.suppress(KeyError):
                self.gauge.remove(*gone)
        self._seen = set(values)


async def refresh_forever(
    service: str, sessions: SessionFactory, refresh: Refresh, stop: asyncio.Event, interval: float
) -> None:
    """Call ``refresh`` now and every ``interval`` seconds until ``stop``; a failure keeps the old values."""
    while not stop.is_set():
        try:
            await refresh(sessions)
        except Exception:  # a database hiccup must not end the loop; readiness reports the database
            metrics.GAUGE_REFRESH_FAILED.labels(service).inc()
            log.exception("%s: refreshing business gauges failed", service)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


@asynccontextmanager
async def running_gauges(
    service: str, sessions: SessionFactory, refresh: Refresh, interval: float = REFRESH_SECONDS
) -> AsyncIterator[None]:
    """Run ``refresh`` periodically while the app lives (start it inside the lifespan)."""
    stop = asyncio.Event()
    task = asyncio.create_task(refresh_forever(service, sessions, refresh, stop, interval))
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)
