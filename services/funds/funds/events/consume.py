"""What the funds service consumes: identification decisions and registry snapshots feed the roster."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from funds.service.roster import apply_decision, apply_facts
from jzkit.contracts.envelope import CloudEvent

CONSUMER = "funds"
PATTERNS: tuple[str, ...] = ("identification.household.*", "registry.household.*", "registry.member.*")
LOCKING = {"identification.household.approved": True, "identification.household.reentered": True}
UNLOCKING = {"identification.household.exited": False}


async def handle(session: AsyncSession, event: CloudEvent) -> None:
    """Fold one event into the roster (older decisions and household versions are ignored)."""
    decision = {**LOCKING, **UNLOCKING}.get(event.type)
    if decision is not None:
        await apply_decision(session, event, locked_in=decision)
    elif event.type.startswith("registry.") and "household" in event.data:
        await apply_facts(session, event)
