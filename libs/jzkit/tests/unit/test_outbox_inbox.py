"""Outbox, relay and inbox on throwaway SQLite files: atomicity, retries and idempotency."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from jzkit.contracts.envelope import CloudEvent
from jzkit.db import SessionFactory, make_engine, make_session_factory, unit_of_work
from jzkit.messaging.bus import EventRejected
from jzkit.messaging.inbox import InboxConsumer
from jzkit.messaging.outbox import record_event
from jzkit.messaging.relay import OutboxRelay, RelayBlocked
from jzkit.messaging.tables import InboxMessage, OutboxMessage


class FakePublisher:
    """Records what it publishes; refuses everything while ``down`` is set."""

    def __init__(self, unroutable: frozenset[str] = frozenset()) -> None:
        self.published: list[CloudEvent] = []
        self.down = False
        self.unroutable = unroutable

    async def publish(self, event: CloudEvent) -> None:
        if self.down:
            raise ConnectionError("broker unreachable")
        if event.type in self.unroutable:
            raise EventRejected("no queue bound")
        self.published.append(event)


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'kit.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(
            lambda sync: SQLModel.metadata.create_all(
                sync,
                tables=[OutboxMessage.__table__, InboxMessage.__table__],  # type: ignore[attr-defined]
            )
        )
    yield make_session_factory(engine)
    await engine.dispose()


def _event(n: int = 1) -> CloudEvent:
    return CloudEvent(source="kit-test", type="registry.household.created", data={"n": n})


async def _outbox(sessions: SessionFactory) -> list[OutboxMessage]:
    async with sessions() as session:
        return list((await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())  # type: ignore[arg-type]


async def _inbox_count(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return int((await session.execute(select(func.count()).select_from(InboxMessage))).scalar_one())


async def test_committed_event_is_published_by_the_relay_and_marked_sent(sessions: SessionFactory) -> None:
    events = [_event(1), _event(2)]
    async with unit_of_work(sessions) as session:
        for event in events:
            record_event(session, event)
    publisher = FakePublisher()
    relay = OutboxRelay("kit-test", sessions, publisher)

    assert await relay.run_once() == 2
    assert await relay.run_once() == 0  # nothing left: sent rows are not published again

    assert [e.id for e in publisher.published] == [e.id for e in events]
    assert publisher.published[0] == events[0]  # the envelope survives the round trip intact
    rows = await _outbox(sessions)
    assert all(row.published_at is not None and row.attempts == 0 for row in rows)


async def test_an_unroutable_event_does_not_hold_back_the_others(sessions: SessionFactory) -> None:
    stuck = CloudEvent(source="kit-test", type="registry.nobody.listens", data={})
    async with unit_of_work(sessions) as session:
        record_event(session, stuck)
    publisher = FakePublisher(unroutable=frozenset({stuck.type}))
    relay = OutboxRelay("kit-test", sessions, publisher, interval=60.0)
    with pytest.raises(RelayBlocked):
        await relay.run_once()

    later = _event(n=2)
    async with unit_of_work(sessions) as session:
        record_event(session, later)
    assert await relay.run_once() == 1, "the later event goes out at once; the stuck one waits its backoff"
    assert [e.id for e in publisher.published] == [later.id]
    stuck_row, later_row = await _outbox(sessions)
    assert stuck_row.published_at is None and stuck_row.attempts == 1
    assert later_row.published_at is not None


async def test_a_rejected_event_stays_pending_and_is_published_once_its_backoff_is_due(
    sessions: SessionFactory,
) -> None:
    event = _event()
    async with unit_of_work(sessions) as session:
        record_event(session, event)
    publisher = FakePublisher(unroutable=frozenset({event.type}))
    relay = OutboxRelay("kit-test", sessions, publisher, interval=0.05)

    with pytest.raises(RelayBlocked):
        await relay.run_once()

    [row] = await _outbox(sessions)
    assert row.published_at is None
    assert row.attempts == 1
    assert row.last_error == "EventRejected: no queue bound"
    assert row.next_attempt_at is not None

    publisher.unroutable = frozenset()  # a queue got bound
    assert await relay.run_once() == 0, "a rejected row waits for its backoff"
    await asyncio.sleep(0.15)
    assert await relay.run_once() == 1
    [row] = await _outbox(sessions)
    assert row.published_at is not None
    assert [e.id for e in publisher.published] == [event.id]


async def test_events_held_while_the_bus_is_down_are_not_overtaken_by_later_ones(
    sessions: SessionFactory,
) -> None:
    first = _event(n=1)
    async with unit_of_work(sessions) as session:
        record_event(session, first)
    publisher = FakePublisher()
    publisher.down = True
    relay = OutboxRelay("kit-test", sessions, publisher, interval=60.0)
    for _ in range(3):
        with pytest.raises(RelayBlocked):
            await relay.run_once()
    [row] = await _outbox(sessions)
    assert row.published_at is None and row.attempts == 3
    assert row.last_error == "ConnectionError: broker unreachable"
    assert row.next_attempt_at is None, "the relay backs off as a whole, not this row"

    later = _event(n=2)
    async with unit_of_work(sessions) as session:
        record_event(session, later)
    publisher.down = False
    assert await relay.run_once() == 2
    assert [e.id for e in publisher.published] == [first.id, later.id]


async def test_rolled_back_transaction_leaves_no_outbox_row(sessions: SessionFactory) -> None:
    with pytest.raises(ValueError, match="state change failed"):
        async with unit_of_work(sessions) as session:
            record_event(session, _event())
            await session.flush()  # the row reached the database inside the transaction
            raise ValueError("state change failed")

    assert await _outbox(sessions) == []
    publisher = FakePublisher()
    assert await OutboxRelay("kit-test", sessions, publisher).run_once() == 0
    assert publisher.published == []


async def test_inbox_applies_a_redelivered_event_once(sessions: SessionFactory) -> None:
    applied: list[str] = []

    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        applied.append(event.id)

    consumer = InboxConsumer("funds", sessions, handler)
    event = _event()

    assert await consumer.deliver(event) is True
    assert await consumer.deliver(event) is False

    assert applied == [event.id]
    assert await _inbox_count(sessions) == 1


async def test_inbox_is_per_consumer(sessions: SessionFactory) -> None:
    applied: list[str] = []

    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        applied.append(event.id)

    event = _event()
    assert await InboxConsumer("funds", sessions, handler).deliver(event) is True
    assert await InboxConsumer("audit", sessions, handler).deliver(event) is True
    assert applied == [event.id, event.id]


async def test_failing_handler_leaves_no_inbox_row_nor_effect_so_a_retry_applies_it(
    sessions: SessionFactory,
) -> None:
    fail = True
    applied: list[str] = []

    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        # The handler's own effect (here a follow-up event) shares the inbox row's transaction.
        record_event(session, CloudEvent(source="funds", type="funds.grant.proposed", data={}))
        await session.flush()
        if fail:
            raise RuntimeError("handler failed")
        applied.append(event.id)

    consumer = InboxConsumer("funds", sessions, handler)
    event = _event()

    with pytest.raises(RuntimeError, match="handler failed"):
        await consumer.deliver(event)
    assert await _inbox_count(sessions) == 0
    assert await _outbox(sessions) == []

    fail = False
    assert await consumer.deliver(event) is True
    assert applied == [event.id]
    assert await _inbox_count(sessions) == 1
    assert len(await _outbox(sessions)) == 1


async def _run_relay_until(relay: OutboxRelay, done: Callable[[], Awaitable[bool]], seconds: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run_forever(stop))
    try:
        async with asyncio.timeout(seconds):
            while True:  # polling: the relay signals nothing the test could wait on
                if await done():
                    return
                await asyncio.sleep(0.01)
    finally:
        stop.set()
        async with asyncio.timeout(5):
            await task


async def test_wake_during_a_pass_is_not_lost(sessions: SessionFactory) -> None:
    # Regression: run_forever cleared the wake flag after the pass, so an event committed (and
    # woken for) while a pass was publishing waited a whole poll interval.
    late = _event(2)

    class CommitsDuringPublish(FakePublisher):
        async def publish(self, event: CloudEvent) -> None:
            await super().publish(event)
            if event.id != late.id:
                async with unit_of_work(sessions) as session:
                    record_event(session, late)
                relay.wake()

    publisher = CommitsDuringPublish()
    relay = OutboxRelay("kit-test", sessions, publisher, interval=60.0)
    await _commit_events(sessions, [_event(1)])

    async def both_published() -> bool:
        return len(publisher.published) == 2

    await _run_relay_until(relay, both_published, seconds=5)
    assert publisher.published[1].id == late.id


async def test_pending_gauges_are_updated_while_the_bus_refuses_events(sessions: SessionFactory) -> None:
    # Regression: observe() ran only after a successful pass, so during an outage the backlog
    # gauges stayed at their last healthy value and no alert could fire.
    service = f"kit-test-gauge-{uuid.uuid4().hex[:8]}"
    publisher = FakePublisher()
    publisher.down = True
    relay = OutboxRelay(service, sessions, publisher, interval=0.01)
    await _commit_events(sessions, [_event(1), _event(2)])

    async def gauge_shows_backlog() -> bool:
        return REGISTRY.get_sample_value("jz_outbox_pending", {"service": service}) == 2

    await _run_relay_until(relay, gauge_shows_backlog, seconds=5)
    age = REGISTRY.get_sample_value("jz_outbox_oldest_age_seconds", {"service": service})
    assert age is not None and age >= 0
    assert publisher.published == []


async def _commit_events(sessions: SessionFactory, events: list[CloudEvent]) -> None:
    async with unit_of_work(sessions) as session:
        for event in events:
            record_event(session, event)


async def test_deliver_many_applies_duplicates_inside_and_across_batches_once(
    sessions: SessionFactory,
) -> None:
    applied: list[str] = []
    calls: list[int] = []

    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        raise AssertionError("the batch path must not call the single handler")

    async def batch_handler(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        calls.append(len(events))
        applied.extend(event.id for event in events)

    consumer = InboxConsumer("funds", sessions, handler, batch_handler)
    first, second, third = _event(1), _event(2), _event(3)

    assert consumer.batches
    assert await consumer.deliver_many([first, second, first]) == [True, True, False]
    assert await consumer.deliver_many([second, third, third]) == [False, True, False]
    assert await consumer.deliver_many([first, second]) == [False, False]
    assert await consumer.deliver_many([]) == []

    assert applied == [first.id, second.id, third.id]
    assert calls == [2, 1]  # an all-duplicate batch does not call the handler
    assert await _inbox_count(sessions) == 3


async def test_failing_batch_handler_leaves_no_inbox_rows_so_a_retry_applies_them(
    sessions: SessionFactory,
) -> None:
    fail = True
    applied: list[str] = []

    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        applied.append(event.id)

    async def batch_handler(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        record_event(session, CloudEvent(source="funds", type="funds.grant.proposed", data={}))
        await session.flush()
        if fail:
            raise RuntimeError("batch failed")
        applied.extend(event.id for event in events)

    consumer = InboxConsumer("funds", sessions, handler, batch_handler)
    events = [_event(1), _event(2)]

    with pytest.raises(RuntimeError, match="batch failed"):
        await consumer.deliver_many(events)
    assert await _inbox_count(sessions) == 0
    assert await _outbox(sessions) == []

    fail = False
    assert await consumer.deliver(events[0]) is True  # the single path shares the inbox
    assert await consumer.deliver_many(events) == [False, True]
    assert applied == [e.id for e in events]
    assert await _inbox_count(sessions) == 2


async def test_deliver_many_needs_a_batch_handler(sessions: SessionFactory) -> None:
    async def handler(session: AsyncSession, event: CloudEvent) -> None:
        pass

    consumer = InboxConsumer("funds", sessions, handler)
    assert not consumer.batches
    with pytest.raises(RuntimeError, match="no batch handler"):
        await consumer.deliver_many([_event()])
