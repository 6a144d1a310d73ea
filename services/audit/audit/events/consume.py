"""The audit consumer: every event on the bus becomes the next log entry."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from audit.service import append_events
from jzkit.contracts.envelope import CloudEvent

CONSUMER = "audit"
# Every routing key: the log records all events, whoever publishes them.
PATTERNS: tuple[str, ...] = ("#",)


async def handle(session: AsyncSession, event: CloudEvent) -> None:
    """Append ``event`` (the inbox guarantees one run per event; the UNIQUE event_id backs it up)."""
    await handle_many(session, [event])


async def handle_many(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
    """Append ``events`` in order under one lock of the tree (the batch path of :func:`handle`)."""
    await append_events(session, events)
