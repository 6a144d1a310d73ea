"""Idempotent consumption: the inbox row and the handler's effect commit together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from jzkit import metrics
from jzkit.contracts.envelope import CloudEvent
from jzkit.db import SessionFactory, is_postgres, unit_of_work
from jzkit.messaging.tables import InboxMessage

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


class InboxConsumer:
    """Runs ``handler`` at most once per (consumer, event id), in one transaction with its inbox row."""

    def __init__(self, name: str, sessions: SessionFactory, handler: Handler) -> None:
        self.name = name
        self._sessions = sessions
        self._handler = handler

    async def deliver(self, event: CloudEvent) -> bool:
        """Apply ``event``; False when it had been applied before (a redelivery)."""
        async with unit_of_work(self._sessions) as session:
            values = {
                "consumer": self.name,
                "event_id": event.id,
                "event_type": event.type,
                "processed_at": datetime.now(UTC),
            }
            table = InboxMessage.__table__  # type: ignore[attr-defined]
            dialect_insert = pg_insert if is_postgres(session) else sqlite_insert
            stmt = dialect_insert(table).values(**values).on_conflict_do_nothing()
            result = await session.execute(stmt)
            if result.rowcount == 0:  # type: ignore[attr-defined]
                metrics.EVENTS_DUPLICATE.labels(self.name, event.type).inc()
                return False
            await self._handler(session, event)
        metrics.EVENTS_CONSUMED.labels(self.name, event.type).inc()
        return True
