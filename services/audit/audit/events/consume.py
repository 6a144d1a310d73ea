"""The audit consumer: every event on the bus becomes the next log entry."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from audit.service import append_event
from jzkit.contracts.envelope import CloudEvent

CONSUMER = "audit"
# Every routing key: the log records all events, whoever publishes them.
PATTERNS: tuple[str, ...] = ("#",)


async def handle(session: AsyncSession, event: CloudEvent) -> None:
    """Append ``event`` (the inbox guarantees one run per event; the UNIQUE event_id backs it up)."""
    await append_event(session, event)
