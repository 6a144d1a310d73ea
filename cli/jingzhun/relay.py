"""Stack mode's outbox relay process for one service: its database to RabbitMQ."""

from __future__ import annotations

import contextlib

from prometheus_client import start_http_server

from jingzhun.catalog import SERVICES
from jingzhun.worker import RELAY_METRICS_PORT_OFFSET, retry_until_connected, stop_on_signals
from jzkit.db import make_engine, make_session_factory
from jzkit.messaging.rabbit import RabbitPublisher
from jzkit.messaging.relay import OutboxRelay
from jzkit.settings import get_common_settings, refuse_dev_secrets_outside_embedded


async def run_relay(name: str, metrics_port: int | None = None) -> None:
    """Publish the service's outbox until SIGTERM/SIGINT."""
    spec = SERVICES[name]
    settings = spec.settings()
    common = get_common_settings()
    refuse_dev_secrets_outside_embedded(common)
    start_http_server(metrics_port or settings.port + RELAY_METRICS_PORT_OFFSET, addr=settings.host)
    engine = make_engine(settings.database_url)
    publisher = RabbitPublisher(common.broker_url, common.exchange)
    stop = stop_on_signals()
    try:
        if not await retry_until_connected(publisher.connect, stop):
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
