"""The RabbitMQ adapters against a real broker and PostgreSQL: confirms, outages, DLQ, reconnects."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlparse, urlunparse

import aio_pika
import asyncpg
import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from jzkit.contracts.envelope import CloudEvent
from jzkit.db import SessionFactory, make_engine, make_session_factory, unit_of_work
from jzkit.messaging.bus import EventRejected
from jzkit.messaging.inbox import BatchHandler, InboxConsumer
from jzkit.messaging.outbox import record_event
from jzkit.messaging.rabbit import (
    CONTENT_TYPE,
    RabbitConsumer,
    RabbitPublisher,
    dead_letter_queue,
    dead_letters,
    replay_dead_letters,
)
from jzkit.messaging.relay import OutboxRelay, RelayBlocked
from jzkit.messaging.tables import InboxMessage, OutboxMessage
from jzkit.testing.pg import recreate_database, with_database
from jzkit.testing.tcpproxy import TcpProxy

pytestmark = pytest.mark.stack

KIT_TABLES = [OutboxMessage.__table__, InboxMessage.__table__]  # type: ignore[attr-defined]
WAIT_SECONDS = 15.0


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A throwaway database for this module, dropped at the end."""
    name = f"jz_kit_rabbit_{uuid.uuid4().hex[:10]}"
    asyncio.run(recreate_database(pg_admin_url, name))
    yield with_database(pg_admin_url, name, "postgresql+asyncpg")

    async def drop() -> None:
        conn = await asyncpg.connect(pg_admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


@pytest.fixture
async def sessions(pg_url: str) -> AsyncIterator[SessionFactory]:
    """Fresh kit tables for each test (the relay commits, so no outer transaction to roll back)."""
    engine = make_engine(pg_url, pool_size=5)
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: SQLModel.metadata.drop_all(sync, tables=KIT_TABLES))
        await conn.run_sync(lambda sync: SQLModel.metadata.create_all(sync, tables=KIT_TABLES))
    yield make_session_factory(engine)
    await engine.dispose()


@dataclass
class Broker:
    """Names unique to one test, a direct connection for checks, and what to tear down."""

    url: str
    suffix: str
    connection: AbstractRobustConnection
    channel: AbstractChannel
    exchange: str
    queues: list[str] = field(default_factory=list)
    stoppers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def queue(self, role: str) -> str:
        """A queue name for this test; it and its DLQ are deleted at teardown."""
        name = f"jz.kit-test.{role}.{self.suffix}"
        self.queues += [name, dead_letter_queue(name)]
        return name

    def consumer_name(self, role: str) -> str:
        """A consumer (inbox and metrics label) name for this test."""
        return f"kit-test-{role}-{self.suffix}"

    async def bind_probe(self, pattern: str = "#") -> aio_pika.abc.AbstractQueue:
        """A server-named queue bound to the exchange, gone when the connection closes."""
        exchange = await self.channel.declare_exchange(
            self.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        probe = await self.channel.declare_queue(exclusive=True, auto_delete=True)
        await probe.bind(exchange, pattern)
        return probe

    async def queue_state(self, name: str) -> tuple[int, int]:
        """(ready messages, consumers) of ``name``, read on a separate channel."""
        channel = await self.connection.channel()
        try:
            declared = await channel.declare_queue(name, passive=True, robust=False)
            result = declared.declaration_result
            return result.message_count or 0, result.consumer_count or 0
        finally:
            await channel.close()


@pytest.fixture
async def broker(amqp_url: str) -> AsyncIterator[Broker]:
    suffix = uuid.uuid4().hex[:10]
    connection = await aio_pika.connect_robust(amqp_url)
    channel = await connection.channel()
    state = Broker(amqp_url, suffix, connection, channel, exchange=f"jz.kit-test.events.{suffix}")
    try:
        yield state
    finally:
        # Consumers first: a robust consumer whose queue vanishes would declare it again.
        errors: list[Exception] = []
        for stop in reversed(state.stoppers):
            try:
                await stop()
            except Exception as exc:  # re-raised below, once the queues are gone
                errors.append(exc)
        cleanup = await connection.channel()
        for name in state.queues:
            await cleanup.queue_delete(name, if_unused=False, if_empty=False)
        await cleanup.exchange_delete(state.exchange)
        await connection.close()
        if errors:
            raise errors[0]


@pytest.fixture
async def proxy(amqp_url: str) -> AsyncIterator[TcpProxy]:
    """A cuttable TCP proxy in front of the broker."""
    amqp = urlparse(amqp_url)
    tcp = TcpProxy(amqp.hostname or "127.0.0.1", amqp.port or 5672)
    await tcp.start()
    yield tcp
    await tcp.close()


def _via(url: str, proxy: TcpProxy) -> str:
    parsed = urlparse(url)
    netloc = parsed.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    return urlunparse(parsed._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


# --- helpers -----------------------------------------------------------------------------------


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = WAIT_SECONDS) -> None:
    """Poll ``check`` until it is true; fail after ``seconds`` (a hung check counts too)."""
    try:
        async with asyncio.timeout(seconds):
            # Polling: broker and database state changes signal nothing the test could wait on.
            while True:
                if await check():
                    return
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out after {seconds}s waiting for {what}") from None


async def receive(queue: aio_pika.abc.AbstractQueue, count: int) -> list[AbstractIncomingMessage]:
    """Take ``count`` messages off ``queue`` (acked), waiting a bounded time for them."""
    received: list[AbstractIncomingMessage] = []

    async def got_all() -> bool:
        message = await queue.get(fail=False, no_ack=True)
        if message is not None:
            received.append(message)
        return len(received) >= count

    await eventually(got_all, f"{count} message(s) on {queue.name}")
    return received


def _event(event_type: str = "registry.household.created", n: int = 1) -> CloudEvent:
    return CloudEvent(source="/kit-test", type=event_type, subject=f"household/{n}", data={"n": n})


async def _commit_events(sessions: SessionFactory, events: list[CloudEvent]) -> None:
    async with unit_of_work(sessions) as session:
        for event in events:
            record_event(session, event)


async def _outbox(sessions: SessionFactory) -> list[OutboxMessage]:
    async with sessions() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)  # type: ignore[arg-type]
        return list((await session.execute(query)).scalars())


async def _inbox_count(sessions: SessionFactory, consumer: str) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(InboxMessage).where(col(InboxMessage.consumer) == consumer)
        return int((await session.execute(query)).scalar_one())


def _metric(name: str, consumer: str, event_type: str) -> float:
    return REGISTRY.get_sample_value(name, {"consumer": consumer, "type": event_type}) or 0.0


class CountingHandler:
    """Counts applications per event id; fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.applied: dict[str, int] = {}
        self.attempted_at: list[float] = []
        self.failing = False

    @property
    def attempts(self) -> int:
        return len(self.attempted_at)

    async def __call__(self, session: AsyncSession, event: CloudEvent) -> None:
        self.attempted_at.append(asyncio.get_running_loop().time())
        if self.failing:
            raise RuntimeError("handler failed on purpose")
        self.applied[event.id] = self.applied.get(event.id, 0) + 1


class PoisonedHandler(CountingHandler):
    """Counts applications per event id, one by one or in batches; any batch holding ``poison`` fails."""

    def __init__(self, poison: str) -> None:
        super().__init__()
        self.poison = poison
        self.batches: list[list[str]] = []

    async def __call__(self, session: AsyncSession, event: CloudEvent) -> None:
        self.failing = event.id == self.poison
        await super().__call__(session, event)

    async def many(self, session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        self.batches.append([event.id for event in events])
        if any(event.id == self.poison for event in events):
            raise RuntimeError("batch holds the poison")
        for event in events:
            self.applied[event.id] = self.applied.get(event.id, 0) + 1


async def _start_consumer(
    broker: Broker,
    sessions: SessionFactory,
    role: str,
    handler: CountingHandler,
    *,
    url: str | None = None,
    delivery_limit: int = 5,
    max_retry_delay: float = 0.2,
    reconnect_interval: float = 0.2,
    batch_handler: BatchHandler | None = None,
    batch_wait: float = 0.02,
) -> tuple[RabbitConsumer, InboxConsumer]:
    inbox = InboxConsumer(broker.consumer_name(role), sessions, handler, batch_handler)
    consumer = RabbitConsumer(
        url or broker.url,
        broker.exchange,
        broker.queue(role),
        ("registry.household.*",),
        inbox,
        delivery_limit=delivery_limit,
        retry_delay=0.05,
        prefetch=8,
        max_retry_delay=max_retry_delay,
        reconnect_interval=reconnect_interval,
        batch_size=50,
        batch_wait=batch_wait,
    )
    await consumer.start()
    broker.stoppers.append(consumer.stop)
    return consumer, inbox


async def _publisher(broker: Broker, url: str | None = None, **options: float) -> RabbitPublisher:
    publisher = RabbitPublisher(url or broker.url, broker.exchange, **options)
    await publisher.connect()
    broker.stoppers.append(publisher.close)
    return publisher


# --- tests -------------------------------------------------------------------------------------


async def test_relay_publishes_committed_event_as_a_cloudevents_envelope(
    broker: Broker, sessions: SessionFactory
) -> None:
    publisher = await _publisher(broker)
    probe = await broker.bind_probe("registry.household.*")
    event = _event()
    await _commit_events(sessions, [event])

    assert await OutboxRelay("kit-test", sessions, publisher).run_once() == 1

    [message] = await receive(probe, 1)
    envelope = json.loads(message.body)
    assert envelope["specversion"] == "1.0"
    assert envelope["id"] == event.id
    assert envelope["source"] == "/kit-test"
    assert envelope["type"] == "registry.household.created"
    assert envelope["subject"] == "household/1"
    assert datetime.fromisoformat(envelope["time"]) == event.time
    assert envelope["data"] == {"n": 1}
    assert message.routing_key == event.type
    assert message.content_type == CONTENT_TYPE
    assert message.message_id == event.id
    assert message.type == event.type
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.timestamp is not None
    [row] = await _outbox(sessions)
    assert row.published_at is not None


async def test_events_committed_while_the_broker_is_down_stay_pending_then_all_arrive(
    broker: Broker, sessions: SessionFactory, proxy: TcpProxy
) -> None:
    publisher = await _publisher(broker, _via(broker.url, proxy), confirm_timeout=2.0, reconnect_interval=0.2)
    probe = await broker.bind_probe()
    relay = OutboxRelay("kit-test", sessions, publisher)

    await proxy.close()
    events = [_event(n=n) for n in range(5)]
    await _commit_events(sessions, events)
    with pytest.raises(RelayBlocked) as blocked:
        await relay.run_once()
    assert blocked.value.count == 5
    rows = await _outbox(sessions)
    assert [row.published_at for row in rows] == [None] * 5
    assert all(row.attempts == 1 and row.last_error for row in rows)
    assert await probe.get(fail=False) is None

    await proxy.reopen()

    async def relay_drained() -> bool:
        try:
            await relay.run_once()
        except RelayBlocked:
            return False  # still reconnecting
        return all(row.published_at is not None for row in await _outbox(sessions))

    await eventually(relay_drained, "the relay to publish the backlog")
    received = await receive(probe, 5)
    assert sorted(m.message_id or "" for m in received) == sorted(e.id for e in events)


async def test_unroutable_event_raises_and_stays_pending(broker: Broker, sessions: SessionFactory) -> None:
    publisher = await _publisher(broker)
    await broker.bind_probe("registry.#")  # bound, but not to the type below

    with pytest.raises(EventRejected):
        await publisher.publish(_event("nobody.listens.here"))

    await _commit_events(sessions, [_event("nobody.listens.here")])
    with pytest.raises(RelayBlocked):
        await OutboxRelay("kit-test", sessions, publisher).run_once()
    [row] = await _outbox(sessions)
    assert row.published_at is None
    assert row.attempts == 1
    assert (row.last_error or "").startswith("EventRejected")
    assert row.next_attempt_at is not None, "it waits on its own; later events are not held back"


async def test_consumer_applies_a_duplicate_event_once_and_acks_both(
    broker: Broker, sessions: SessionFactory
) -> None:
    handler = CountingHandler()
    consumer, inbox = await _start_consumer(broker, sessions, "dup", handler)
    publisher = await _publisher(broker)
    event = _event()

    await publisher.publish(event)
    await publisher.publish(event)

    async def both_seen() -> bool:
        seen = _metric("jz_events_consumed_total", inbox.name, event.type)
        return seen + _metric("jz_events_duplicate_total", inbox.name, event.type) >= 2

    await eventually(both_seen, "two deliveries")
    # stop() waits for in-flight handlers; anything left unacked goes back to the queue on close,
    # which the broker applies asynchronously: give it a moment before asserting "nothing came back".
    await consumer.stop()
    await asyncio.sleep(0.3)
    assert await broker.queue_state(consumer.queue_name) == (0, 0)
    assert handler.applied == {event.id: 1}
    assert await _inbox_count(sessions, inbox.name) == 1
    assert _metric("jz_events_duplicate_total", inbox.name, event.type) == 1


async def test_failing_event_is_dead_lettered_after_the_limit_and_replay_brings_it_back(
    broker: Broker, sessions: SessionFactory
) -> None:
    handler = CountingHandler()
    handler.failing = True
    consumer, inbox = await _start_consumer(
        broker, sessions, "dlq", handler, delivery_limit=2, max_retry_delay=0.08
    )
    publisher = await _publisher(broker)
    event = _event()
    await publisher.publish(event)

    async def dead_lettered() -> bool:
        return await consumer.dead_letter_count() == 1

    await eventually(dead_lettered, "the event in the DLQ")
    assert handler.attempts == 3  # the first delivery plus delivery_limit redeliveries
    # Each retry waited first (no hot loop): 0.05 s, then 0.1 s capped to 0.08 s.
    gaps = [b - a for a, b in zip(handler.attempted_at, handler.attempted_at[1:], strict=False)]
    assert gaps[0] >= 0.05
    assert 0.08 <= gaps[1] < 2.0
    assert _metric("jz_events_failed_total", inbox.name, event.type) == 3
    assert REGISTRY.get_sample_value("jz_dead_letter_messages", {"consumer": inbox.name}) == 1
    assert await broker.queue_state(consumer.queue_name) == (0, 1)
    assert await _inbox_count(sessions, inbox.name) == 0

    [letter] = await dead_letters(broker.url, consumer.queue_name, limit=10)
    assert letter.message_id == event.id
    assert letter.routing_key == event.type
    assert letter.reason == "delivery_limit"
    assert CloudEvent.model_validate_json(letter.body) == event
    # Peeking left it there (the broker applies the give-back asynchronously, hence the wait).
    await eventually(dead_lettered, "the peeked message back in the DLQ")

    handler.failing = False
    assert await replay_dead_letters(broker.url, broker.exchange, consumer.queue_name) == 1

    async def applied() -> bool:
        return handler.applied == {event.id: 1}

    await eventually(applied, "the replayed event to be applied")
    assert await consumer.dead_letter_count() == 0
    assert await _inbox_count(sessions, inbox.name) == 1


async def test_unparseable_message_goes_straight_to_the_dlq(broker: Broker, sessions: SessionFactory) -> None:
    handler = CountingHandler()
    consumer, inbox = await _start_consumer(broker, sessions, "garbage", handler)
    exchange = await broker.channel.declare_exchange(
        broker.exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )
    await exchange.publish(
        aio_pika.Message(b"{not json", message_id="garbage-1", type="registry.household.created"),
        routing_key="registry.household.created",
    )

    async def dead_lettered() -> bool:
        return await consumer.dead_letter_count() == 1

    await eventually(dead_lettered, "the garbage in the DLQ")
    assert handler.attempts == 0
    assert _metric("jz_events_failed_total", inbox.name, "registry.household.created") == 1
    [letter] = await dead_letters(broker.url, consumer.queue_name, limit=10)
    assert (letter.message_id, letter.reason) == ("garbage-1", "rejected")


async def test_consumer_comes_back_by_itself_after_the_connection_drops(
    broker: Broker, sessions: SessionFactory, proxy: TcpProxy
) -> None:
    handler = CountingHandler()
    consumer, _ = await _start_consumer(broker, sessions, "reconnect", handler, url=_via(broker.url, proxy))
    publisher = await _publisher(broker)  # direct, so events can be published during the outage

    async def consumers(expected: int) -> bool:
        return (await broker.queue_state(consumer.queue_name))[1] == expected

    assert await consumers(1)
    await proxy.close()
    await eventually(lambda: consumers(0), "the broker to drop the consumer")
    during = _event(n=1)
    await publisher.publish(during)

    await proxy.reopen()
    await eventually(lambda: consumers(1), "the consumer to be restored")
    after = _event(n=2)
    await publisher.publish(after)

    async def both_applied() -> bool:
        return handler.applied == {during.id: 1, after.id: 1}

    await eventually(both_applied, "both events to be consumed after the reconnect")

    # Stopping while the broker is unreachable must not wait out the grace period on a cancel.
    await proxy.close()
    started = asyncio.get_running_loop().time()
    await consumer.stop()
    assert asyncio.get_running_loop().time() - started < 2.0


async def test_batch_consumer_applies_a_burst_once_acks_it_and_dead_letters_the_poison(
    broker: Broker, sessions: SessionFactory
) -> None:
    good = [_event(n=n) for n in range(6)]
    poison = _event(n=99)
    handler = PoisonedHandler(poison.id)
    consumer, inbox = await _start_consumer(
        broker,
        sessions,
        "batch",
        handler,
        delivery_limit=2,
        max_retry_delay=0.08,
        batch_handler=handler.many,
        batch_wait=0.5,  # long enough for the whole burst to land in one batch
    )
    publisher = await _publisher(broker)

    # One burst: the good events, a duplicate of the first and the poison in the middle.
    burst = [*good[:3], good[0], poison, *good[3:]]
    await asyncio.gather(*(publisher.publish(event) for event in burst))

    async def dead_lettered() -> bool:
        return await consumer.dead_letter_count() == 1

    await eventually(dead_lettered, "the poison in the DLQ")
    # The burst went in as batches; the one holding the poison fell back to one-by-one delivery.
    assert any(poison.id in batch and len(batch) > 1 for batch in handler.batches)
    assert handler.applied == {event.id: 1 for event in good}
    assert handler.attempted_at  # the single-message path ran
    assert _metric("jz_events_failed_total", inbox.name, poison.type) >= 3
    await consumer.stop()
    await asyncio.sleep(0.3)
    # Nothing left unacked or ready: every good message and the duplicate were acked.
    assert await broker.queue_state(consumer.queue_name) == (0, 0)
    assert await _inbox_count(sessions, inbox.name) == len(good)
    [letter] = await dead_letters(broker.url, consumer.queue_name, limit=10)
    assert (letter.message_id, letter.reason) == (poison.id, "delivery_limit")


async def test_batch_consumer_acks_a_clean_burst_after_one_commit(
    broker: Broker, sessions: SessionFactory
) -> None:
    handler = PoisonedHandler("none")
    consumer, inbox = await _start_consumer(
        broker, sessions, "clean-batch", handler, batch_handler=handler.many, batch_wait=0.5
    )
    publisher = await _publisher(broker)
    events = [_event(n=n) for n in range(10)]
    await asyncio.gather(*(publisher.publish(event) for event in [*events, events[1]]))

    async def all_applied() -> bool:
        return len(handler.applied) == len(events)

    await eventually(all_applied, "the burst to be applied")
    await consumer.stop()
    await asyncio.sleep(0.3)
    assert handler.applied == {event.id: 1 for event in events}
    assert handler.attempts == 0  # no fallback to the single path
    assert await broker.queue_state(consumer.queue_name) == (0, 0)
    assert await _inbox_count(sessions, inbox.name) == len(events)
