"""Stack mode's consumer process for one service: its RabbitMQ queue into its inbox and handler."""

from __future__ import annotations

import asyncio

from prometheus_client import start_http_server

from jingzhun.catalog import SERVICES
from jingzhun.worker import CONSUMER_METRICS_PORT_OFFSET, retry_until_connected, stop_on_signals
from jzkit.db import make_engine, make_session_factory
from jzkit.messaging.inbox import InboxConsumer
from jzkit.messaging.queue_gauges import watch_queue
from jzkit.messaging.rabbit import RabbitConsumer
from jzkit.settings import get_common_settings, refuse_dev_secrets_outside_embedded


def queue_name(service: str, prefix: str) -> str:
    """The quorum queue a service consumes from (``JZ_QUEUE_PREFIX``.service)."""
    return f"{prefix}.{service}"


async def run_consumer(name: str, metrics_port: int | None = None) -> None:
    """Consume the service's queue until SIGTERM/SIGINT."""
    spec = SERVICES[name]
    settings = spec.settings()
    common = get_common_settings()
    refuse_dev_secrets_outside_embedded(common)
    start_http_server(metrics_port or settings.port + CONSUMER_METRICS_PORT_OFFSET, addr=settings.host)
    handlers = spec.consumer()
    engine = make_engine(settings.database_url)
    queue = queue_name(name, common.queue_prefix)
    consumer = RabbitConsumer(
        common.broker_url,
        common.exchange,
        queue,
        handlers.PATTERNS,
        # A service that offers a batch handler is consumed in batches (one transaction each).
        InboxConsumer(
            handlers.CONSUMER,
            make_session_factory(engine),
            handlers.handle,
            getattr(handlers, "handle_many", None),
        ),
        delivery_limit=common.consumer_delivery_limit,
        retry_delay=common.consumer_retry_delay_seconds,
        prefetch=common.consumer_prefetch,
    )
    stop = stop_on_signals()
    # Queue depth and dead letters for the dashboard and alerts, read on a connection of its own.
    watcher = asyncio.create_task(watch_queue(common.broker_url, handlers.CONSUMER, queue, stop))
    try:
        if await retry_until_connected(consumer.start, stop):
            await stop.wait()
    finally:
        stop.set()
        await consumer.stop()
        await watcher
        await engine.dispose()
