"""Funds events: written to the outbox in the same transaction as the state change."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from jzkit.contracts.envelope import EventData, make_event
from jzkit.logs import request_id_var
from jzkit.messaging.outbox import record_event

SOURCE = "/jingzhun/funds"


def emit(session: AsyncSession, data: EventData, subject: str, actor: str, reason: str | None) -> None:
    """Stage ``data`` in the outbox with the actor and reason (for the audit log)."""
    event = make_event(
        data, source=SOURCE, subject=subject, actor=actor, reason=reason, requestid=request_id_var.get()
    )
    record_event(session, event)
