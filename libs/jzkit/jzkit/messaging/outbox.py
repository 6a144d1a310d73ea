"""Writing to the outbox: the event row joins the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jzkit.contracts.envelope import CloudEvent, EncodedEvent
from jzkit.messaging.tables import OutboxMessage


def record_event(session: AsyncSession, event: CloudEvent) -> OutboxMessage:
    """Stage ``event`` in the same transaction as the state change (committed by the caller)."""
    row = OutboxMessage(
        event_id=event.id,
        event_type=event.type,
        payload=event.to_json(),
        created_at=datetime.now(UTC),
    )
    session.add(row)
    return row


def outbox_row_values(event: CloudEvent | EncodedEvent) -> dict[str, object]:
    """Column values for bulk inserts of outbox rows (imports write thousands at once)."""
    return {
        "event_id": event.id,
        "event_type": event.type,
        "payload": event.to_json(),
        "created_at": datetime.now(UTC),
        "attempts": 0,
    }
