"""Consumer lag and dead letters as gauges: the depth of a consumer's queue and of its DLQ."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aio_pika
import aio_pika.exceptions

from jzkit import metrics
from jzkit.gauges import REFRESH_SECONDS
from jzkit.messaging.rabbit import dead_letter_queue

log = logging.getLogger(__name__)


async def queue_depths(connection: aio_pika.abc.AbstractConnection, queue_name: str) -> tuple[int, int]:
    """(waiting, dead-lettered) messages of ``queue_name``; a queue not declared yet counts as empty."""
    depths = []
    for name in (queue_name, dead_letter_queue(queue_name)):
        # A passive declare of a missing queue closes its channel: one channel per look-up.
        try:
            async with connection.channel() as channel:
                queue = await channel.declare_queue(name, passive=True)
                depths.append(queue.declaration_result.message_count or 0)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            depths.append(0)
    return depths[0], depths[1]


async def watch_queue(
    url: str, consumer: str, queue_name: str, stop: asyncio.Event, interval: float = REFRESH_SECONDS
) -> None:
    """Export ``jz_consumer_queue_messages`` and ``jz_dead_letter_messages`` of ``consumer`` until stopped."""
    connection: aio_pika.abc.AbstractRobustConnection | None = None
    try:
        while not stop.is_set():
            try:
                if connection is None:
                    connection = await aio_pika.connect_robust(url)
                waiting, dead = await queue_depths(connection, queue_name)
                metrics.QUEUE_MESSAGES.labels(consumer).set(waiting)
                metrics.DEAD_LETTERS.labels(consumer).set(dead)
            except (OSError, ConnectionError, aio_pika.exceptions.AMQPError) as exc:
                log.warning("%s: queue depths unavailable (%s)", consumer, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
    finally:
        if connection is not None:
            await connection.close()
