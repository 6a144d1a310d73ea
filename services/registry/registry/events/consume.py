"""What the registry consumes: identification's decisions, mirrored into each household's ``status``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from jzkit.contracts.envelope import CloudEvent
from registry.decisions import apply_decision

CONSUMER = "registry"
PATTERNS: tuple[str, ...] = (
    "identification.case.opened",
    "identification.case.rejected",
    "identification.household.*",
)


async def handle(session: AsyncSession, event: CloudEvent) -> None:
    """Set the household's status from ``event`` (the inbox makes a redelivery a no-op)."""
    await apply_decision(session, event)
