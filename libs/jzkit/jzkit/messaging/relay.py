"""The outbox relay: claims unpublished rows, publishes them with confirms, marks them sent."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlmodel import col

from jzkit import failpoints, metrics
from jzkit.contracts.envelope import CloudEvent
from jzkit.db import SessionFactory, is_postgres, unit_of_work
from jzkit.messaging.bus import EventRejected, Publisher
from jzkit.messaging.tables import OutboxMessage

log = logging.getLogger(__name__)
_MAX_BACKOFF_SECONDS = 10.0
_MAX_ROW_BACKOFF_SECONDS = 300.0


class OutboxRelay:
    """One relay per service database; several may run at once on PostgreSQL (SKIP LOCKED)."""

    def __init__(
        self,
        service: str,
        sessions: SessionFactory,
        publisher: Publisher,
        *,
        batch_size: int = 500,
        interval: float = 0.2,
    ) -> None:
        self.service = service
        self._sessions = sessions
        self._publisher = publisher
        self._batch_size = batch_size
        self._interval = interval
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Run the next pass now instead of after the poll interval."""
        self._wake.set()

    async def run_once(self) -> int:
        """Publish one batch; return how many rows were marked sent."""
        async with unit_of_work(self._sessions) as session:
            now = datetime.now(UTC)
            due = or_(col(OutboxMessage.next_attempt_at).is_(None), col(OutboxMessage.next_attempt_at) <= now)
            query = (
                select(OutboxMessage)
                .where(col(OutboxMessage.published_at).is_(None), due)
                .order_by(OutboxMessage.id)  # type: ignore[arg-type]
                .limit(self._batch_size)
            )
            if is_postgres(session):
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.execute(query)).scalars())
            if not rows:
                return 0
            # Confirms are awaited concurrently: the broker pipelines them, order is kept per channel.
            results = await asyncio.gather(*(self._publish_row(r) for r in rows), return_exceptions=True)
            if not all(isinstance(r, BaseException) for r in results):
                failpoints.reached(failpoints.RELAY_PUBLISHED)
            now = datetime.now(UTC)
            sent = unavailable = 0
            for row, result in zip(rows, results, strict=True):
                if result is None:
                    row.published_at = now
                    sent += 1
                    metrics.EVENTS_PUBLISHED.labels(self.service, row.event_type).inc()
                    continue
                row.attempts += 1
                row.last_error = f"{type(result).__name__}: {result}"[:500]
                metrics.EVENTS_PUBLISH_FAILED.labels(self.service, row.event_type).inc()
                if isinstance(result, EventRejected | ValidationError):
                    # This row's own problem: it waits on its own, the rows after it go on.
                    delay = min(self._interval * 2**row.attempts, _MAX_ROW_BACKOFF_SECONDS)
                    row.next_attempt_at = now + timedelta(seconds=delay)
                else:
                    # The bus is unavailable: no row backoff, so once it is back the oldest row goes
                    # first and events created meanwhile cannot overtake it.
                    unavailable += 1
            failed = len(rows) - sent
            if failed:
                log.warning(
                    "relay %s: %d of %d events not accepted by the bus", self.service, failed, len(rows)
                )
        if unavailable or (failed and not sent):  # back off as a whole before the next pass
            raise RelayBlocked(failed)
        return sent

    async def _publish_row(self, row: OutboxMessage) -> None:
        # Parsing inside the per-row coroutine: one corrupt payload fails its own row, not the batch.
        await self._publisher.publish(CloudEvent.model_validate_json(row.payload))

    async def observe(self) -> None:
        """Update the pending-count and oldest-age gauges."""
        async with self._sessions() as session:
            pending = OutboxMessage.published_at.is_(None)  # type: ignore[union-attr]
            count, oldest = (
                await session.execute(select(func.count(), func.min(OutboxMessage.created_at)).where(pending))
            ).one()
        metrics.OUTBOX_PENDING.labels(self.service).set(count)
        age = 0.0
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            age = (datetime.now(UTC) - oldest).total_seconds()
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(age)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Loop until ``stop`` is set, backing off while the bus refuses events."""
        backoff = self._interval
        while not stop.is_set():
            # Cleared before the pass, so a wake() that arrives during it is not lost.
            self._wake.clear()
            sent = 0
            try:
                sent = await self.run_once()
                backoff = self._interval
            except Exception as exc:  # broker or DB down: keep rows, back off, try again
                log.warning("relay %s pass failed: %s", self.service, exc)
                backoff = min(backoff * 2, _MAX_BACKOFF_SECONDS)
            try:
                # Also after a failed pass: a backlog growing during an outage is what the gauges are for.
                await self.observe()
            except Exception as exc:  # the database itself is down; the next pass tries again
                log.warning("relay %s cannot read the outbox: %s", self.service, exc)
            if sent == self._batch_size:
                continue
            wait_for_wake = asyncio.ensure_future(self._wake.wait())
            wait_for_stop = asyncio.ensure_future(stop.wait())
            await asyncio.wait(
                {wait_for_wake, wait_for_stop}, timeout=backoff, return_when=asyncio.FIRST_COMPLETED
            )
            wait_for_wake.cancel()
            wait_for_stop.cancel()


class RelayBlocked(Exception):
    """Some events in the batch were refused by the bus; they stay pending."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} events refused by the bus")
        self.count = count
