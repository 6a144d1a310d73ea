"""Stack mode's consumer process for one service: its RabbitMQ queue into its inbox and handler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import aio_pika
from prometheus_client import start_http_server

from jingzhun.catalog import SERVICES
from jingzhun.relay import METRICS_PORT_OFFSET
from jzkit.db import make_engine, make_session_factory
from jzkit.messaging.inbox import InboxConsumer
from jzkit.messaging.rabbit import RabbitConsumer
from jzkit.settings import get_common_settings, refuse_dev_secrets_outside_embedded

log = logging.getLogger(__name__)


def queue_name(service: str) -> str:
    """The quorum queue a service consumes from."""
    return f"jz.{service}"


async def _start_until_stopped(consumer: RabbitConsumer, stop: asyncio.Event) -> bool:
    """Keep trying the broker (it may start after us); False if stopped first."""
    delay = 0.5
    while not stop.is_set():
        try:
            await consumer.start()
            return True
        except (OSError, ConnectionError, aio_pika.exceptions.AMQPError) as exc:
            log.warning("broker not reachable (%s); retrying in %.1fs", type(exc).__name__, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, 10.0)
    return False


async def run_consumer(name: str, metrics_port: int | None = None) -> None:
    """Consume the service's queue until SIGTERM/SIGINT."""
    spec = SERVICES[name]
    settings = spec.settings()
    common = get_common_settings()
    refuse_dev_secrets_outside_embedded(common)
    # A service has either a relay or a consumer process, so both may use port + 100.
    start_http_server(metrics_port or settings.port + METRICS_PORT_OFFSET, addr=settings.host)
    handlers = spec.consumer()
    engine = make_engine(settings.database_url)
    consumer = RabbitConsumer(
        common.broker_url,
        common.exchange,
        queue_name(name),
        handlers.PATTERNS,
        InboxConsumer(handlers.CONSUMER, make_session_factory(engine), handlers.handle),
        delivery_limit=common.consumer_delivery_limit,
        retry_delay=common.consumer_retry_delay_seconds,
        prefetch=common.consumer_prefetch,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        if await _start_until_stopped(consumer, stop):
            await stop.wait()
    finally:
        await consumer.stop()
        await engine.dispose()
