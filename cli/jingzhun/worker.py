"""What the stack's long-running broker processes (relays, consumers) share."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

import aio_pika

log = logging.getLogger(__name__)
# A service on port P: its relay exposes metrics on P + 100 (registry 8001 -> 8101), its consumer on
# P + 200 (registry 8201), so a service with both runs them side by side on one host.
RELAY_METRICS_PORT_OFFSET = 100
CONSUMER_METRICS_PORT_OFFSET = 200


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT (call inside the running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def retry_until_connected(connect: Callable[[], Awaitable[None]], stop: asyncio.Event) -> bool:
    """Keep trying the broker (it may start after us); False if stopped first."""
    delay = 0.5
    while not stop.is_set():
        try:
            await connect()
            return True
        except (OSError, ConnectionError, aio_pika.exceptions.AMQPError) as exc:
            log.warning("broker not reachable (%s); retrying in %.1fs", type(exc).__name__, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, 10.0)
    return False
