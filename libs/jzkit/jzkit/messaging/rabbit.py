"""RabbitMQ adapters (stack mode): a confirming publisher, a retrying consumer and dead-letter tools."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractRobustConnection,
    AbstractRobustExchange,
    AbstractRobustQueue,
)
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError, DeliveryError
from pamqp.commands import Basic
from pydantic import ValidationError

from jzkit import failpoints, metrics
from jzkit.contracts.envelope import CloudEvent
from jzkit.messaging.acks import UnsettledDeliveries
from jzkit.messaging.bus import EventRejected
from jzkit.messaging.inbox import InboxConsumer

log = logging.getLogger(__name__)

DEAD_LETTER_EXCHANGE = "jingzhun.dlx"
CONTENT_TYPE = "application/cloudevents+json"
RECONNECT_INTERVAL_SECONDS = 2.0
# Raised by ack/nack when the channel died under us: the broker redelivers and the inbox dedups.
_CHANNEL_GONE = (AMQPError, ChannelInvalidStateError, ConnectionError)


def dead_letter_queue(queue_name: str) -> str:
    """Name of the dead-letter queue of ``queue_name``."""
    return f"{queue_name}.dlq"


class RabbitPublisher:
    """Publishes CloudEvents to a durable topic exchange and waits for the broker's confirm."""

    def __init__(
        self,
        url: str,
        exchange: str,
        *,
        confirm_timeout: float = 10.0,
        reconnect_interval: float = RECONNECT_INTERVAL_SECONDS,
    ) -> None:
        self._url = url
        self._exchange_name = exchange
        self._confirm_timeout = confirm_timeout
        self._reconnect_interval = reconnect_interval
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractRobustExchange | None = None

    async def connect(self) -> None:
        """Open a robust connection and a confirming channel; declare the exchange."""
        self._connection = await aio_pika.connect_robust(
            self._url, reconnect_interval=self._reconnect_interval
        )
        # on_return_raises turns "no queue is bound" into an error instead of a silent drop.
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        self._exchange = await channel.declare_exchange(
            self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._connection is not None:
            await self._connection.close()
        self._connection = None
        self._exchange = None

    async def publish(self, event: CloudEvent) -> None:
        """Publish ``event`` under its type; raise unless the broker confirmed and routed it."""
        if self._exchange is None:
            raise ConnectionError("publisher is not connected")
        message = aio_pika.Message(
            body=event.to_json().encode(),
            content_type=CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=event.id,
            type=event.type,
            timestamp=event.time,
        )
        # The bound also covers waiting for a reconnect, so a relay pass never hangs on a dead broker.
        try:
            async with asyncio.timeout(self._confirm_timeout):
                confirmation = await self._exchange.publish(message, routing_key=event.type, mandatory=True)
        except DeliveryError as exc:  # returned unroutable or nacked: this event, not the broker
            raise EventRejected(f"event {event.id} ({event.type}) refused: {exc}") from exc
        if not isinstance(confirmation, Basic.Ack):
            raise EventRejected(f"event {event.id} not confirmed: {confirmation!r}")


class RabbitConsumer:
    """Feeds a quorum queue into an inbox consumer: ack after commit, delayed retries, then the DLQ.

    A message is delivered at most ``delivery_limit + 1`` times before the broker dead-letters it.
    When the inbox has a batch handler, messages are gathered into batches of up to ``batch_size``
    (waiting at most ``batch_wait`` seconds after the first) and applied in one transaction; each
    is acked after that commit. A batch that fails is retried message by message through the
    single-message path, so a poison message takes the usual retry and dead-letter route alone.
    Batching raises the prefetch to at least twice ``batch_size`` so the next batch can fill.
    """

    def __init__(
        self,
        url: str,
        exchange: str,
        queue_name: str,
        patterns: Sequence[str],
        inbox: InboxConsumer,
        delivery_limit: int = 5,
        retry_delay: float = 1.0,
        prefetch: int = 32,
        *,
        max_retry_delay: float = 30.0,
        reconnect_interval: float = RECONNECT_INTERVAL_SECONDS,
        stop_grace: float = 10.0,
        batch_size: int = 500,
        batch_wait: float = 0.02,
    ) -> None:
        self.queue_name = queue_name
        self._url = url
        self._exchange_name = exchange
        self._patterns = tuple(patterns)
        self._inbox = inbox
        self._delivery_limit = delivery_limit
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._prefetch = prefetch
        self._reconnect_interval = reconnect_interval
        self._stop_grace = stop_grace
        self._connection: AbstractRobustConnection | None = None
        self._queue: AbstractRobustQueue | None = None
        self._dlq: AbstractRobustQueue | None = None
        self._consumer_tag: str | None = None
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._stopping = asyncio.Event()
        self._batching = inbox.batches and batch_size > 1
        self._batch_size = batch_size
        self._batch_wait = batch_wait
        if self._batching:
            self._prefetch = max(prefetch, 2 * batch_size)
        self._pending: asyncio.Queue[_Pending] = asyncio.Queue()
        self._batcher: asyncio.Task[None] | None = None
        self._retries: set[asyncio.Task[None]] = set()
        self._unsettled = UnsettledDeliveries()

    async def start(self) -> None:
        """Declare the exchanges and queues, bind the patterns and start consuming."""
        self._stopping.clear()
        if self._batching and self._batcher is None:
            self._batcher = asyncio.create_task(self._run_batches())
        self._connection = await aio_pika.connect_robust(
            self._url, reconnect_interval=self._reconnect_interval
        )
        try:
            await self._declare_and_consume(self._connection)
        except BaseException:
            await self._connection.close()
            self._connection = None
            await self._stop_batcher()
            raise

    async def _declare_and_consume(self, connection: AbstractRobustConnection) -> None:
        # Declared on a robust channel, so queues, bindings, QoS and the consumer come back after a reconnect.
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=self._prefetch)
        exchange = await channel.declare_exchange(
            self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        dlx = await channel.declare_exchange(DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
        dlq_name = dead_letter_queue(self.queue_name)
        self._dlq = await channel.declare_queue(dlq_name, durable=True, arguments={"x-queue-type": "quorum"})
        await self._dlq.bind(dlx, dlq_name)
        self._queue = await channel.declare_queue(
            self.queue_name,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": self._delivery_limit,
                "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
                "x-dead-letter-routing-key": dlq_name,
                # at-least-once dead-lettering needs reject-publish, else it falls back to at-most-once.
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
        )
        for pattern in self._patterns:
            await self._queue.bind(exchange, pattern)
        self._consumer_tag = await self._queue.consume(self._on_message)

    async def stop(self) -> None:
        """Stop taking messages, let in-flight ones finish (bounded), close the connection."""
        if self._connection is None:
            return
        # While reconnecting there is no consumer on the broker to cancel, and waiting would only stall.
        connected = self._connection.connected.is_set()
        if connected and self._queue is not None and self._consumer_tag is not None:
            try:
                async with asyncio.timeout(self._stop_grace):
                    await self._queue.cancel(self._consumer_tag)
            except (*_CHANNEL_GONE, TimeoutError) as exc:
                log.warning("consumer %s: cancel failed (%s); closing anyway", self.queue_name, exc)
        # After the cancel, so messages given back by cut-short retry waits are not handed to us again.
        self._stopping.set()
        if self._in_flight:
            _, late = await asyncio.wait(set(self._in_flight), timeout=self._stop_grace)
            # Unacked messages go back to the queue when the channel closes; the inbox dedups any re-run.
            for task in late:
                task.cancel()
        await self._stop_batcher()
        await self._connection.close()
        self._connection = None
        self._queue = self._dlq = None
        self._consumer_tag = None

    async def dead_letter_count(self) -> int:
        """Messages waiting in this consumer's DLQ (also exported as a gauge)."""
        if self._dlq is None:
            raise RuntimeError("consumer not started")
        # Re-declaring with the same arguments is idempotent and returns the current depth.
        async with asyncio.timeout(10):
            declared = await self._dlq.declare()
        count = declared.message_count or 0
        metrics.DEAD_LETTERS.labels(self._inbox.name).set(count)
        return count

    async def _settle(self, outcome: Awaitable[None], message: AbstractIncomingMessage) -> None:
        self._unsettled.discard(message)
        await _settle(outcome, message)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._unsettled.add(message)
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await self._handle(message)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        try:
            event = CloudEvent.model_validate_json(message.body)
        except ValidationError:
            # Retrying cannot fix a malformed envelope: straight to the DLQ.
            metrics.EVENTS_FAILED.labels(self._inbox.name, message.type or "unparseable").inc()
            log.error(
                "consumer %s: unparseable message %s dead-lettered", self.queue_name, message.message_id
            )
            await self._settle(message.reject(requeue=False), message)
            return
        if self._batching:
            # The batcher settles the message; this task stays in flight until it has, so stop() waits.
            done = asyncio.get_running_loop().create_future()
            self._pending.put_nowait(_Pending(message, event, done))
            await done
            return
        try:
            await self._inbox.deliver(event)
        except Exception as exc:  # any handler failure is retried by the broker, then dead-lettered
            await self._retry_later(message, event, exc)
            return
        failpoints.reached(failpoints.CONSUMER_COMMITTED)
        await self._settle(message.ack(), message)

    async def _retry_later(self, message: AbstractIncomingMessage, event: CloudEvent, exc: Exception) -> None:
        metrics.EVENTS_FAILED.labels(self._inbox.name, event.type).inc()
        delay = self._retry_delay_for(message)
        # Class name only: exception text (SQL parameters, constraint details) may hold personal data.
        log.warning(
            "consumer %s: event %s (%s) failed with %s; retry in %.2fs",
            self.queue_name,
            event.id,
            event.type,
            type(exc).__name__,
            delay,
        )
        # Holding the message for a while before the nack is what stops a hot redelivery loop.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=delay)
        await self._settle(message.nack(requeue=True), message)

    async def _stop_batcher(self) -> None:
        tasks = [t for t in (self._batcher, *self._retries) if t is not None]
        self._batcher = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Whatever was still waiting is unacked and goes back to the queue with the channel.
        while not self._pending.empty():
            _resolve(self._pending.get_nowait().done)

    async def _next_batch(self) -> list[_Pending]:
        batch = [await self._pending.get()]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._batch_wait
        while len(batch) < self._batch_size:
            if not self._pending.empty():
                batch.append(self._pending.get_nowait())
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._pending.get(), timeout=remaining))
            except TimeoutError:
                break
        return batch

    async def _run_batches(self) -> None:
        while True:
            batch = await self._next_batch()
            try:
                await self._apply_batch(batch)
            except Exception:  # keep batching; unsettled messages return when the channel closes
                log.exception("consumer %s: batch settling failed", self.queue_name)
            finally:
                for item in batch:
                    if not item.retrying:  # a retrying message is resolved after its nack
                        _resolve(item.done)

    async def _apply_batch(self, batch: list[_Pending]) -> None:
        try:
            await self._inbox.deliver_many([item.event for item in batch])
        except Exception as exc:  # fall back to one by one, so only the culprit is retried
            log.warning(
                "consumer %s: batch of %d failed with %s; delivering one by one",
                self.queue_name,
                len(batch),
                type(exc).__name__,
            )
            await self._apply_one_by_one(batch)
            return
        failpoints.reached(failpoints.CONSUMER_COMMITTED)
        # One frame for the batch when a multiple-ack settles exactly these messages, else one each.
        last = self._unsettled.covering([item.message for item in batch])
        if last is not None:
            for item in batch:
                self._unsettled.discard(item.message)
            await _settle(last.ack(multiple=True), last)
            return
        for item in batch:
            await self._settle(item.message.ack(), item.message)

    async def _apply_one_by_one(self, batch: list[_Pending]) -> None:
        for item in batch:
            try:
                await self._inbox.deliver(item.event)
            except Exception as exc:  # retried later in the background, not holding up the batches
                item.retrying = True
                task = asyncio.create_task(self._retry_and_resolve(item, exc))
                self._retries.add(task)
                task.add_done_callback(self._retries.discard)
                continue
            await self._settle(item.message.ack(), item.message)

    async def _retry_and_resolve(self, item: _Pending, exc: Exception) -> None:
        try:
            await self._retry_later(item.message, item.event, exc)
        finally:
            _resolve(item.done)

    def _retry_delay_for(self, message: AbstractIncomingMessage) -> float:
        count = message.headers.get("x-delivery-count")
        attempts = count if isinstance(count, int) else 0
        return float(min(self._retry_delay * 2 ** min(attempts, 16), self._max_retry_delay))


@dataclass
class _Pending:
    """A parsed message waiting for its batch; ``done`` resolves once it is settled."""

    message: AbstractIncomingMessage
    event: CloudEvent
    done: asyncio.Future[None]
    retrying: bool = False


def _resolve(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)


async def _settle(outcome: Awaitable[None], message: AbstractIncomingMessage) -> None:
    try:
        await outcome
    except _CHANNEL_GONE as exc:
        log.warning("could not settle message %s (%s); the broker will redeliver it", message.message_id, exc)


@dataclass(frozen=True)
class DeadLetter:
    """A message seen in a dead-letter queue."""

    message_id: str | None
    event_type: str | None
    routing_key: str
    reason: str | None
    body: bytes


def _last_death(message: AbstractIncomingMessage) -> dict[str, Any]:
    # The broker keeps x-death newest first.
    deaths = message.headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        return deaths[0]
    return {}


def _original_routing_key(message: AbstractIncomingMessage) -> str:
    keys = _last_death(message).get("routing-keys")
    if isinstance(keys, list) and keys:
        return str(keys[0])
    return message.type or ""


async def dead_letters(url: str, queue_name: str, limit: int = 50) -> list[DeadLetter]:
    """Peek at up to ``limit`` messages in ``<queue_name>.dlq``; they are given back to the queue."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        dlq = await channel.declare_queue(dead_letter_queue(queue_name), passive=True)
        held: list[AbstractIncomingMessage] = []
        # Held unacked until all are read, so the same message is not fetched twice.
        while len(held) < limit:
            message = await dlq.get(fail=False, timeout=10)
            if message is None:
                break
            held.append(message)
        for message in held:
            await message.nack(requeue=True)
    return [
        DeadLetter(
            message_id=m.message_id,
            event_type=m.type,
            routing_key=_original_routing_key(m),
            reason=_last_death(m).get("reason"),
            body=m.body,
        )
        for m in held
    ]


async def replay_dead_letters(url: str, exchange: str, queue_name: str) -> int:
    """Republish the messages of ``<queue_name>.dlq`` to ``exchange`` with confirms; return how many moved."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        target = await channel.get_exchange(exchange)
        dlq = await channel.declare_queue(dead_letter_queue(queue_name), passive=True)
        # Only what is there now: a message that fails again and returns is not replayed twice in one call.
        depth = dlq.declaration_result.message_count or 0
        moved = 0
        for _ in range(depth):
            message = await dlq.get(fail=False, timeout=10)
            if message is None:
                break
            # If this raises, closing the connection returns the unacked message to the DLQ.
            await target.publish(
                _replayed(message), routing_key=_original_routing_key(message), mandatory=True, timeout=10
            )
            await message.ack()
            moved += 1
    return moved


def _replayed(message: AbstractIncomingMessage) -> aio_pika.Message:
    # x-death stays for the history; the delivery count is per queue and restarts.
    headers = {k: v for k, v in message.headers.items() if k != "x-delivery-count"}
    return aio_pika.Message(
        body=message.body,
        headers=headers,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        type=message.type,
        timestamp=message.timestamp,
    )
