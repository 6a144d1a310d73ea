"""One real stack per test session: registry, its relay and the gateway as separate processes.

The processes run on free ports against throwaway databases and a private exchange, so a
developer's ``make stack`` keeps running undisturbed. A failing test's report carries the tail
of every process's log.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from jingzhun.stack import whole_stack
from jzkit.testing.stack import Stack, running
from registry.seed import world_csv
from registry.synth import Synthesizer

WAIT_SECONDS = 20.0
SYNTH_SEED = 11643


@pytest.fixture(scope="session")
def stack(pg_admin_url: str, amqp_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Migrated throwaway databases, every process started and ready, the demo divisions loaded."""
    stack = whole_stack(pg_admin_url, amqp_url, tmp_path_factory.mktemp("stack"), "stacktest")
    with running(stack, world_csv(), sink=True):
        yield stack


@pytest.fixture
def live_stack(stack: Stack) -> Stack:
    """The session's stack with every process running (a failed test may have left one stopped)."""
    stopped = [name for name, process in stack.processes.items() if not process.running()]
    if stopped:
        stack.start(*stopped)
    return stack


@pytest.fixture(scope="session")
def synthesizer() -> Synthesizer:
    """One generator for the session, so no two households share a person or a card."""
    return Synthesizer(seed=SYNTH_SEED)


@dataclass
class Delivery:
    """One message as the broker delivered it."""

    body: bytes
    envelope: dict[str, Any]
    routing_key: str
    content_type: str | None
    message_id: str | None


@dataclass
class EventCollector:
    """Everything the stack publishes under the bound patterns, in arrival order."""

    received: list[Delivery] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """Record and ack one delivery."""
        async with message.process():
            self.received.append(
                Delivery(
                    body=message.body,
                    envelope=json.loads(message.body),
                    routing_key=message.routing_key or "",
                    content_type=message.content_type,
                    message_id=message.message_id,
                )
            )
            self._arrived.set()

    def ids(self) -> list[str]:
        """Event ids received so far (with repetitions)."""
        return [d.envelope["id"] for d in self.received]

    async def wait_for(
        self, done: Callable[[list[Delivery]], bool], seconds: float = WAIT_SECONDS
    ) -> list[Delivery]:
        """Wait (bounded) until ``done`` holds for what has arrived; returns the deliveries."""
        async with asyncio.timeout(seconds):
            while not done(self.received):
                self._arrived.clear()
                await self._arrived.wait()
        return list(self.received)

    async def wait_for_ids(self, ids: set[str], seconds: float = WAIT_SECONDS) -> list[Delivery]:
        """Wait until every event id in ``ids`` has arrived at least once."""
        try:
            return await self.wait_for(lambda got: ids <= {d.envelope["id"] for d in got}, seconds)
        except TimeoutError:
            missing = ids - set(self.ids())
            raise AssertionError(
                f"{len(missing)} of {len(ids)} events never arrived: {sorted(missing)}"
            ) from None


@asynccontextmanager
async def _collect(stack: Stack, pattern: str) -> AsyncIterator[EventCollector]:
    connection: AbstractRobustConnection = await aio_pika.connect_robust(stack.broker_url, timeout=10)
    collector = EventCollector()
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(stack.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, pattern)
        await queue.consume(collector.on_message)
        yield collector
    finally:
        await connection.close()


@pytest.fixture
async def events(live_stack: Stack) -> AsyncIterator[EventCollector]:
    """An exclusive queue bound to every registry event on the stack's exchange."""
    async with _collect(live_stack, "registry.#") as collector:
        yield collector


@pytest.fixture
async def all_events(live_stack: Stack) -> AsyncIterator[EventCollector]:
    """An exclusive queue bound to every event of every service on the stack's exchange."""
    async with _collect(live_stack, "#") as collector:
        yield collector


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the processes' logs to the report of a failed stack test."""
    report = yield
    stack = getattr(item, "funcargs", {}).get("live_stack") or getattr(item, "funcargs", {}).get("stack")
    if report.failed and isinstance(stack, Stack):
        report.sections.append(("stack process logs", stack.logs()))
    return report
