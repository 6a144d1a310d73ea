"""Idempotent consumption: the inbox row and the handler's effect commit together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from jzkit import metrics
from jzkit.contracts.envelope import CloudEvent
from jzkit.db import SessionFactory, is_postgres, unit_of_work
from jzkit.messaging.tables import InboxMessage

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
# Applies several new events, in order, inside the caller's transaction.
BatchHandler = Callable[[AsyncSession, Sequence[CloudEvent]], Awaitable[None]]


class InboxConsumer:
    """Runs ``handler`` at most once per (consumer, event id), in one transaction with its inbox row.

    With a ``batch_handler``, :meth:`deliver_many` applies a whole batch in one transaction.
    """

    def __init__(
        self,
        name: str,
        sessions: SessionFactory,
        handler: Handler,
        batch_handler: BatchHandler | None = None,
    ) -> None:
        self.name = name
        self._sessions = sessions
        self._handler = handler
        self._batch_handler = batch_handler

    @property
    def batches(self) -> bool:
        """True when :meth:`deliver_many` is available."""
        return self._batch_handler is not None

    def _row(self, event: CloudEvent, now: datetime) -> dict[str, Any]:
        return {"consumer": self.name, "event_id": event.id, "event_type": event.type, "processed_at": now}

    async def deliver(self, event: CloudEvent) -> bool:
        """Apply ``event``; False when it had been applied before (a redelivery)."""
        async with unit_of_work(self._sessions) as session:
            table = InboxMessage.__table__  # type: ignore[attr-defined]
            dialect_insert = pg_insert if is_postgres(session) else sqlite_insert
            stmt = (
                dialect_insert(table).values(**self._row(event, datetime.now(UTC))).on_conflict_do_nothing()
            )
            result = await session.execute(stmt)
            if result.rowcount == 0:  # type: ignore[attr-defined]
                metrics.EVENTS_DUPLICATE.labels(self.name, event.type).inc()
                return False
            await self._handler(session, event)
        metrics.EVENTS_CONSUMED.labels(self.name, event.type).inc()
        return True

    async def deliver_many(self, events: Sequence[CloudEvent]) -> list[bool]:
        """Apply ``events`` in one transaction; per event, False when it is a redelivery.

        The inbox rows go in with one statement and the batch handler sees only the new events
        (first occurrence of each id, in order). Any failure rolls the whole batch back.
        """
        if self._batch_handler is None:
            raise RuntimeError(f"consumer {self.name} has no batch handler")
        if not events:
            return []
        unique: dict[str, CloudEvent] = {}
        for event in events:
            unique.setdefault(event.id, event)
        async with unit_of_work(self._sessions) as session:
            table = InboxMessage.__table__  # type: ignore[attr-defined]
            dialect_insert = pg_insert if is_postgres(session) else sqlite_insert
            now = datetime.now(UTC)
            stmt = dialect_insert(table).on_conflict_do_nothing().returning(table.c.event_id)
            # An executemany with RETURNING: SQLAlchemy sends it as multi-row INSERTs ("insertmanyvalues")
            # and, unlike .values([...]) of a varying length, compiles the statement once.
            rows = [self._row(event, now) for event in unique.values()]
            inserted = set((await session.execute(stmt, rows)).scalars())
            new = [event for event in unique.values() if event.id in inserted]
            if new:
                await self._batch_handler(session, new)
        outcome: list[bool] = []
        for event in events:
            fresh = event.id in inserted
            inserted.discard(event.id)  # a second copy in the same batch is a duplicate
            counter = metrics.EVENTS_CONSUMED if fresh else metrics.EVENTS_DUPLICATE
            counter.labels(self.name, event.type).inc()
            outcome.append(fresh)
        return outcome
