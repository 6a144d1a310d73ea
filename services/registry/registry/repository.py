"""Every SQL statement of the registry, and nothing else."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from registry.models import Division, Household, Member


@dataclass(frozen=True)
class HouseholdFilter:
    """List filters; ``division_prefix`` is already narrowed to the caller's jurisdiction."""

    division_prefix: str
    status: str | None = None
    name: str | None = None
    id_number_hash: str | None = None


async def get_division(session: AsyncSession, code: str) -> Division | None:
    """One division by code."""
    return await session.get(Division, code)


async def get_divisions(session: AsyncSession, codes: Sequence[str]) -> Sequence[Division]:
    """The divisions among ``codes`` that exist, in no particular order."""
    query = select(Division).where(col(Division.code).in_(codes))
    return (await session.execute(query)).scalars().all()


async def list_divisions(session: AsyncSession, parent: str | None, prefix: str | None) -> Sequence[Division]:
    """Children of ``parent`` (or the roots), optionally only inside ``prefix``."""
    query = select(Division).order_by(col(Division.code))
    query = (
        query.where(col(Division.parent_code) == parent)
        if parent
        else query.where(col(Division.parent_code).is_(None))
    )
    if prefix:
        query = query.where(col(Division.code).startswith(prefix))
    return (await session.execute(query)).scalars().all()


async def upsert_divisions(session: AsyncSession, rows: Iterable[Division]) -> int:
    """Insert or rename divisions; returns how many rows were written."""
    count = 0
    for row in rows:
        await session.merge(row)
        count += 1
    await session.flush()
    return count


async def count_divisions(session: AsyncSession) -> int:
    """How many divisions are loaded (an empty registry gets the demo world)."""
    return len((await session.execute(select(col(Division.code)))).all())


async def get_household(session: AsyncSession, household_id: str) -> Household | None:
    """One household (not its members)."""
    return await session.get(Household, household_id)


async def get_household_for_update(session: AsyncSession, household_id: str) -> Household | None:
    """One household, its row locked until commit on PostgreSQL (a no-op on SQLite, which has one writer)."""
    query = select(Household).where(col(Household.id) == household_id).with_for_update()
    return (await session.execute(query)).scalars().first()


async def get_members(session: AsyncSession, household_id: str) -> list[Member]:
    """A household's members, head first then by creation."""
    query = (
        select(Member)
        .where(col(Member.household_id) == household_id)
        .order_by(col(Member.created_at), col(Member.id))
    )
    members = list((await session.execute(query)).scalars())
    return sorted(members, key=lambda m: m.relation != "head")


async def get_members_of(session: AsyncSession, household_ids: Sequence[str]) -> dict[str, list[Member]]:
    """Members of several households, grouped by household id."""
    grouped: dict[str, list[Member]] = {hid: [] for hid in household_ids}
    if not household_ids:
        return grouped
    query = (
        select(Member)
        .where(col(Member.household_id).in_(household_ids))
        .order_by(col(Member.created_at), col(Member.id))
    )
    for member in (await session.execute(query)).scalars():
        grouped[member.household_id].append(member)
    for members in grouped.values():
        members.sort(key=lambda m: m.relation != "head")
    return grouped


async def find_members_by_hash(session: AsyncSession, hashes: Sequence[str]) -> list[tuple[Member, str]]:
    """Members already registered under these ID hashes, with their household's division."""
    if not hashes:
        return []
    query = (
        select(Member, col(Household.division_code))
        .join(Household, col(Household.id) == col(Member.household_id))
        .where(col(Member.id_number_hash).in_(hashes))
    )
    return [(m, code) for m, code in (await session.execute(query)).all()]


async def find_household_by_bank_hash(session: AsyncSession, account_hash: str) -> Household | None:
    """The household that already holds this card, if any."""
    query = select(Household).where(col(Household.bank_account_hash) == account_hash)
    return (await session.execute(query)).scalars().first()


async def list_households(
    session: AsyncSession, flt: HouseholdFilter, after_id: str | None, limit: int
) -> list[Household]:
    """A page of households ordered by id (time-ordered UUIDs), after the cursor."""
    query = select(Household).where(col(Household.division_code).startswith(flt.division_prefix))
    if flt.status:
        query = query.where(col(Household.status) == flt.status)
    if flt.name or flt.id_number_hash:
        member_match = select(col(Member.id)).where(col(Member.household_id) == col(Household.id))
        if flt.name:
            member_match = member_match.where(col(Member.name).startswith(flt.name))
        if flt.id_number_hash:
            member_match = member_match.where(col(Member.id_number_hash) == flt.id_number_hash)
        query = query.where(exists(member_match))
    if after_id:
        query = query.where(col(Household.id) > after_id)
    query = query.order_by(col(Household.id)).limit(limit)
    return list((await session.execute(query)).scalars())


def add_household(session: AsyncSession, household: Household, members: Iterable[Member]) -> None:
    """Stage a new household and its members."""
    session.add(household)
    session.add_all(list(members))


async def delete_member(session: AsyncSession, member_id: str) -> None:
    """Remove one member row."""
    await session.execute(delete(Member).where(col(Member.id) == member_id))


async def claim_version(session: AsyncSession, household_id: str, expected: int) -> bool:
    """Advance the version iff it is still ``expected`` (row lock on PostgreSQL serialises racers)."""
    result = await session.execute(
        update(Household)
        .where(col(Household.id) == household_id, col(Household.version) == expected)
        .values(version=expected + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
