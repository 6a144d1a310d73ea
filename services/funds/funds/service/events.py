"""Many events at once: encoded in one pass and written to the outbox in chunks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from funds.events.publish import SOURCE
from funds.repository.batches import insert_many
from funds.service.context import Context
from jzkit.contracts.envelope import EventData, encode_event
from jzkit.logs import request_id_var
from jzkit.messaging.outbox import outbox_row_values
from jzkit.messaging.tables import OutboxMessage


async def bulk_emit(
    session: AsyncSession, ctx: Context, events: Sequence[tuple[EventData, str]], reason: str
) -> None:
    """Stage ``(data, subject)`` events in the outbox with the actor and reason."""
    request_id = request_id_var.get()
    rows = [
        outbox_row_values(
            encode_event(
                data, source=SOURCE, subject=subject, actor=ctx.actor, reason=reason, requestid=request_id
            )
        )
        for data, subject in events
    ]
    await insert_many(session, OutboxMessage.__table__, rows)  # type: ignore[attr-defined]
