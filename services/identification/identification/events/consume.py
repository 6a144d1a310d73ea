"""What the identification service consumes: registry snapshots feed its projection of household facts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from identification.service.facts import apply_registry_event
from jzkit.contracts.envelope import CloudEvent

CONSUMER = "identification"
PATTERNS: tuple[str, ...] = ("registry.household.*", "registry.member.*")


async def handle(session: AsyncSession, event: CloudEvent) -> None:
    """Fold one registry event into the projection (older household versions are ignored)."""
    await apply_registry_event(session, event)
