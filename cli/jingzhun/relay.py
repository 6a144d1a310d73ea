"""Stack mode's outbox relay process for one service: its database to RabbitMQ."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import aio_pika
from prometheus_client import start_http_server

from jingzhun.catalog import SERVICES
from jzkit.db import make_engine, make_session_factory
from jzkit.messaging.rabbit import RabbitPublisher
from jzkit.messaging.relay import OutboxRelay
from jzkit.settings import get_common_settings, refuse_dev_secrets_outside_embedded

log = logging.getLogger(__name__)
# The relay of a service on port P exposes its metrics on P + 100 (registry 8001 -> 8101).
METRICS_PORT_OFFSET = 100


async def _connect_until_stopped(publisher: RabbitPublisher, stop: asyncio.Event) -> bool:
    """Keep trying the broker (it may start after us); False if stopped first."""
    delay = 0.5
    while not stop.is_set():
        try:
            await publisher.connect()
            return True
        except (OSError, ConnectionError, aio_pika.exceptions.AMQPError) as exc:
            log.warning("broker not reachable (%s); retrying in %.1fs", type(exc).__name__, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, 10.0)
    return False


async def run_relay(name: str, metrics_port: int | None = None) -> None:
    """Publish the service's outbox until SIGTERM/SIGINT."""
    spec = SERVICES[name]
    settings = spec.settings()
    common = get_common_settings()
    refuse_dev_secrets_outside_embedded(common)
    start_http_server(metrics_port or settings.port + METRICS_PORT_OFFSET, addr=settings.host)
    engine = make_engine(settings.database_url)
    publisher = RabbitPublisher(common.broker_url, common.exchange)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        if not await _connect_until_stopped(publisher, stop):
            return
        relay = OutboxRelay(
            name,
            make_session_factory(engine),
            publisher,
            batch_size=common.relay_batch_size,
            interval=common.relay_interval_seconds,
        )
        await relay.run_forever(stop)
    finally:
        with contextlib.suppress(Exception):
            await publisher.close()
        await engine.dispose()
