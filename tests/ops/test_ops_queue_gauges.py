"""Consumer lag and dead letters as gauges, read from a real RabbitMQ queue and its DLQ."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest

from jzkit import metrics
from jzkit.messaging.queue_gauges import queue_depths, watch_queue
from jzkit.messaging.rabbit import dead_letter_queue

pytestmark = pytest.mark.stack


@pytest.fixture
async def queue(amqp_url: str) -> AsyncIterator[tuple[aio_pika.abc.AbstractChannel, str]]:
    """A fresh quorum queue and DLQ named like a consumer's, deleted afterwards."""
    name = f"jz.opstest.{uuid.uuid4().hex[:8]}"
    connection = await aio_pika.connect_robust(amqp_url)
    channel = await connection.channel()
    for queue_name in (name, dead_letter_queue(name)):
        await channel.declare_queue(queue_name, durable=True, arguments={"x-queue-type": "quorum"})
    try:
        yield channel, name
    finally:
        for queue_name in (name, dead_letter_queue(name)):
            await channel.queue_delete(queue_name)
        await connection.close()


async def _put(channel: aio_pika.abc.AbstractChannel, queue_name: str, count: int) -> None:
    for n in range(count):
        await channel.default_exchange.publish(aio_pika.Message(str(n).encode()), routing_key=queue_name)


async def test_gauges_show_waiting_and_dead_lettered_messages(
    amqp_url: str, queue: tuple[aio_pika.abc.AbstractChannel, str]
) -> None:
    channel, name = queue
    await _put(channel, name, 3)
    await _put(channel, dead_letter_queue(name), 2)
    consumer = name.removeprefix("jz.")
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_queue(amqp_url, consumer, name, stop, interval=0.05))
    try:
        async with asyncio.timeout(10):  # publishes are asynchronous: wait until the broker counts them
            while True:
                waiting = metrics.QUEUE_MESSAGES.labels(consumer)._value.get()
                if (waiting, metrics.DEAD_LETTERS.labels(consumer)._value.get()) == (3, 2):
                    break
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(watcher, timeout=5)


async def test_a_queue_not_declared_yet_counts_as_empty(amqp_url: str) -> None:
    connection = await aio_pika.connect_robust(amqp_url)
    try:
        assert await queue_depths(connection, f"jz.missing.{uuid.uuid4().hex[:8]}") == (0, 0)
    finally:
        await connection.close()
