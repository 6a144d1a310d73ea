"""One faults scenario on a fresh stack: the flow, a fault injected at a phase, the caught-up snapshot."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import httpx
from aio_pika.abc import AbstractIncomingMessage

from jzkit.testing.stack import Stack
from tests.faults.flow import Flow
from tests.faults.snapshot import Snapshot, caught_up, decisions_superseded, duplicates_skipped, queue_depths

DEFAULT_HOUSEHOLDS = 40
COPY_HEADER = "x-faults-copy"
SHUFFLE_WINDOW_SECONDS = 0.2
UPDATED = "registry.household.updated"


def households() -> int:
    """How many households a scenario registers (``JZ_FAULTS_HOUSEHOLDS`` scales it up outside CI)."""
    return int(os.environ.get("JZ_FAULTS_HOUSEHOLDS", DEFAULT_HOUSEHOLDS))


@dataclass
class Fault:
    """What to break and at which phase; records what it did and how long the process took to come back."""

    phase: str = ""
    injected: list[str] = field(default_factory=list)
    recover_seconds: float = 0.0
    # A real client's bounded retries on 5xx and connection errors, with an Idempotency-Key per call.
    client_retries: bool = False

    async def at(self, phase: str, flow: Flow) -> None:
        """Called by the flow at each phase."""
        if phase == self.phase:
            await self.inject(flow)

    async def inject(self, flow: Flow) -> None:
        """The fault itself (none in the baseline)."""

    async def finish(self) -> None:
        """Wait for a fault still running beside the flow (bounded by the fault itself)."""

    async def reconcile(self, flow: Flow) -> None:
        """Post the bank's report (a fault may interfere)."""
        posted = await flow.post_report()
        assert posted.status_code == 200, posted.text


def kill_and_restart(fault: Fault, stack: Stack, name: str, down: float) -> None:
    """SIGKILL ``name``, wait ``down`` seconds, start it and wait until it is ready (timed)."""
    pid = stack.processes[name].pid
    stack.stop(name, kill=True)
    fault.injected.append(f"kill -9 {name} (pid {pid})")
    time.sleep(down)
    started = time.monotonic()
    stack.start(name)
    fault.recover_seconds += time.monotonic() - started


@dataclass
class KillFundsWhileReconciling(Fault):
    """kill -9 the funds API while it applies the bank report, restart it, post the same report again."""

    # The report of 40 payments is applied in tens of milliseconds: kill soon after it is sent.
    delay: float = 0.01

    async def reconcile(self, flow: Flow) -> None:
        """First post interrupted by the kill, second post after the restart."""
        first = asyncio.create_task(flow.post_report())
        await asyncio.sleep(self.delay)
        await asyncio.to_thread(kill_and_restart, self, flow.stack, "funds", 0.5)
        try:
            outcome = str((await first).status_code)
        except httpx.HTTPError as exc:
            outcome = type(exc).__name__
        self.injected.append(f"first bank-report POST answered {outcome}")
        await super().reconcile(flow)


@dataclass
class Outcome:
    """A scenario's final snapshot and figures."""

    snapshot: Snapshot
    fault: Fault
    dead_letters: dict[str, int]
    catch_up_seconds: float
    copies_sent: int = 0
    requests_retried: int = 0
    requests_throttled: int = 0
    # Redeliveries the inboxes skipped: a kill between commit and ack, or a republish, must show here.
    duplicates_skipped: int = 0
    superseded: int = 0

    def report(self, name: str, baseline: Snapshot | None) -> str:
        """The printed figures of the run."""
        diff = discrepancies(baseline, self.snapshot, self.superseded) if baseline else []
        return (
            f"[faults:{name}] households={sum(self.snapshot.households.values())} "
            f"events sent={self.snapshot.events_sent} audit entries={self.snapshot.audit_size} "
            f"(+{self.snapshot.audit_requests} request logs) copies re-published={self.copies_sent} "
            f"client retries={self.requests_retried} 429s waited out={self.requests_throttled} "
            f"redeliveries skipped={self.duplicates_skipped} "
            f"decisions superseded={self.superseded} "
            f"faults injected={self.fault.injected or ['none']} final discrepancies={len(diff)} {diff} "
            f"payments made twice={self.snapshot.paid_twice} dead-lettered={self.dead_letters} "
            f"ledger problems={self.snapshot.ledger_problems} "
            f"time to recover: restart {self.fault.recover_seconds:.1f}s"
            f" + catch-up {self.catch_up_seconds:.1f}s"
        )


def discrepancies(baseline: Snapshot, run: Snapshot, superseded: int = 0) -> list[str]:
    """Every comparable figure that differs from the fault-free run.

    Each decision the registry ignored as superseded (see ``decisions_superseded``) accounts for one
    ``registry.household.updated`` audit entry the fault-free run has and this run rightly lacks.
    """
    want, got = baseline.comparable(), run.comparable()
    if superseded:
        types = dict(got["audit_types"])
        types[UPDATED] = types.get(UPDATED, 0) + superseded
        got |= {"audit_types": types, "audit_size": got["audit_size"] + superseded}
    return [f"{key}: {got[key]} != {want[key]}" for key in want if got[key] != want[key]]


async def run(stack: Stack, fault: Fault, count: int) -> Outcome:
    """The whole flow with ``fault``, then the caught-up snapshot and the dead-letter depths."""
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30.0) as client:
        flow = Flow(stack, client, count, retries=fault.client_retries)
        await flow.register(fault.at)
        await flow.identify(fault.at)
        await flow.grant(fault.at)
        await flow.batch()
        await fault.reconcile(flow)
        await fault.finish()
    snapshot, waited = await caught_up(stack)
    dead = {service: dlq for service, (_, dlq) in (await queue_depths(stack)).items()}
    return Outcome(
        snapshot,
        fault,
        dead,
        waited,
        requests_retried=flow.retried,
        requests_throttled=flow.throttled,
        duplicates_skipped=await duplicates_skipped(stack),
        superseded=await decisions_superseded(stack),
    )


@asynccontextmanager
async def duplicating(stack: Stack) -> AsyncIterator[list[int]]:
    """Re-publish every event on the stack's exchange once more, shuffled in small windows, same id."""
    sent = [0]
    buffer: list[AbstractIncomingMessage] = []
    rng = random.Random(8)
    connection = await aio_pika.connect_robust(stack.broker_url, timeout=10)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.declare_exchange(stack.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, "#")

    async def collect(message: AbstractIncomingMessage) -> None:
        if (message.headers or {}).get(COPY_HEADER):
            await message.ack()
        else:
            buffer.append(message)

    async def flush() -> None:
        window = buffer[:]
        del buffer[: len(window)]
        rng.shuffle(window)
        for message in window:
            await exchange.publish(_copy(message), routing_key=message.routing_key or "")
            await message.ack()
            sent[0] += 1

    async def pump() -> None:
        while True:
            await asyncio.sleep(SHUFFLE_WINDOW_SECONDS)
            await flush()

    await queue.consume(collect)
    task = asyncio.create_task(pump())
    try:
        yield sent
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await flush()
        await connection.close()


def _copy(message: AbstractIncomingMessage) -> aio_pika.Message:
    headers: dict[str, Any] = dict(message.headers or {})
    headers[COPY_HEADER] = 1
    return aio_pika.Message(
        message.body,
        headers=headers,
        content_type=message.content_type,
        message_id=message.message_id,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )
