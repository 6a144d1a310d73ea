"""SQL of the household facts projection and the decision state kept beside it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from identification.domain.derived import tags_text, view
from identification.models.facts import household_facts as T
from jzkit.contracts.registry import HouseholdFacts
from jzkit.db import is_postgres

DECISION_STATUSES = ("registered", "under_review", "poor", "exited", "rejected")


def row_values(facts: HouseholdFacts, now: datetime) -> dict[str, Any]:
    """The projection row of ``facts`` (derived columns computed once, here)."""
    fv = view(facts)
    numbers = {k.value: v for k, v in fv.numbers.items()}
    return {
        "household_id": facts.household_id,
        "household_version": facts.household_version,
        "division_code": facts.division_code,
        "registry_status": facts.status,
        **numbers,
        "housing": facts.housing,
        "causes": tags_text(fv.causes),
        "flags": tags_text(fv.flags),
        "has_disabled_member": facts.has_disabled_member,
        "single_child": facts.single_child,
        "all_daughters": facts.all_daughters,
        "snapshot": facts.model_dump_json(),
        "updated_at": now,
    }


async def upsert_facts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or replace snapshots; a row is replaced only by a strictly newer household version."""
    if not rows:
        return
    insert = pg_insert if is_postgres(session) else sqlite_insert
    stmt = insert(T)
    # The decision state is this service's own: a registry snapshot never overwrites it.
    keep = {"household_id", "decision_status", "monitored"}
    updates = {c.name: stmt.excluded[c.name] for c in T.columns if c.name not in keep}
    stmt = stmt.on_conflict_do_update(
        index_elements=[T.c.household_id],
        set_=updates,
        where=T.c.household_version < stmt.excluded.household_version,
    )
    await session.execute(stmt, rows)


async def get_facts(session: AsyncSession, household_id: str) -> HouseholdFacts | None:
    """The newest snapshot held for ``household_id``, or None."""
    snapshot = (
        await session.execute(sa.select(T.c.snapshot).where(T.c.household_id == household_id))
    ).scalar_one_or_none()
    return None if snapshot is None else HouseholdFacts.model_validate_json(snapshot)


async def get_decision(session: AsyncSession, household_id: str) -> tuple[str, bool] | None:
    """(decision_status, monitored) of ``household_id``, or None when not projected."""
    row = (
        await session.execute(
            sa.select(T.c.decision_status, T.c.monitored).where(T.c.household_id == household_id)
        )
    ).one_or_none()
    return None if row is None else (str(row[0]), bool(row[1]))


async def set_decision(
    session: AsyncSession, household_id: str, *, status: str | None = None, monitored: bool | None = None
) -> None:
    """Record this service's decision state for a household (cases call it when they open/lock/reject)."""
    values: dict[str, Any] = {}
    if status is not None:
        if status not in DECISION_STATUSES:
            raise ValueError(f"unknown decision status {status!r}")
        values["decision_status"] = status
    if monitored is not None:
        values["monitored"] = monitored
    if values:
        await session.execute(sa.update(T).where(T.c.household_id == household_id).values(**values))
