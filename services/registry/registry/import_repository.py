"""Every SQL statement of imports and exports: job tables, set-based look-ups and bulk writes.

On PostgreSQL households, members and outbox rows go in with binary COPY on the driver connection
of the chunk's own transaction; SQLite gets executemany INSERTs. Look-ups take a whole chunk's
keys in one statement (``= ANY(array)`` on PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jzkit.db import is_postgres
from jzkit.messaging.tables import OutboxMessage
from registry.import_models import ImportJob, ImportRowError
from registry.models import Division, Household, Member

Row = dict[str, object]
HOUSEHOLDS: sa.Table = Household.__table__  # type: ignore[attr-defined]
MEMBERS: sa.Table = Member.__table__  # type: ignore[attr-defined]
OUTBOX: sa.Table = OutboxMessage.__table__  # type: ignore[attr-defined]
JOBS: sa.Table = ImportJob.__table__  # type: ignore[attr-defined]
ERRORS: sa.Table = ImportRowError.__table__  # type: ignore[attr-defined]
OUTBOX_COLUMNS = ("event_id", "event_type", "payload", "created_at", "attempts")
_JSON_COLUMNS = frozenset({"poverty_causes", "flags", "responsible_person", "measures", "results"})
# SQLite allows 32766 bound parameters per statement.
_SQLITE_IN_BATCH = 5000


async def _keyed(
    session: AsyncSession, key: sa.Column[Any], value: sa.Column[Any], keys: Sequence[str]
) -> dict[str, str]:
    if not keys:
        return {}
    found: dict[str, str] = {}
    if is_postgres(session):
        param = sa.bindparam("keys", value=list(keys), type_=postgresql.ARRAY(sa.String))
        result = await session.execute(sa.select(key, value).where(key == sa.any_(param)))
        found.update((str(k), str(v)) for k, v in result.all())
        return found
    for start in range(0, len(keys), _SQLITE_IN_BATCH):
        batch = list(keys[start : start + _SQLITE_IN_BATCH])
        result = await session.execute(sa.select(key, value).where(key.in_(batch)))
        found.update((str(k), str(v)) for k, v in result.all())
    return found


async def member_homes(session: AsyncSession, id_hashes: Sequence[str]) -> dict[str, str]:
    """ID hash -> household id, for the people already registered."""
    return await _keyed(session, MEMBERS.c.id_number_hash, MEMBERS.c.household_id, id_hashes)


async def card_holders(session: AsyncSession, account_hashes: Sequence[str]) -> dict[str, str]:
    """Bank account hash -> household id, for the cards already registered."""
    return await _keyed(session, HOUSEHOLDS.c.bank_account_hash, HOUSEHOLDS.c.id, account_hashes)


async def division_levels(session: AsyncSession, prefix: str) -> dict[str, str]:
    """Code -> level of every division inside ``prefix`` (a county: a few hundred rows)."""
    table: sa.Table = Division.__table__  # type: ignore[attr-defined]
    result = await session.execute(
        sa.select(table.c.code, table.c.level).where(table.c.code.startswith(prefix, autoescape=True))
    )
    return {str(code): str(level) for code, level in result.all()}


async def stored_households(
    session: AsyncSession, household_ids: Sequence[str]
) -> tuple[dict[str, Row], dict[str, list[Row]]]:
    """The stored facts of these households and of their members, for the "unchanged" comparison."""
    if not household_ids:
        return {}, {}
    ids = list(household_ids)
    households = {
        str(r["id"]): dict(r)
        for r in (await session.execute(sa.select(HOUSEHOLDS).where(HOUSEHOLDS.c.id.in_(ids)))).mappings()
    }
    members: dict[str, list[Row]] = {hid: [] for hid in households}
    for r in (await session.execute(sa.select(MEMBERS).where(MEMBERS.c.household_id.in_(ids)))).mappings():
        members[str(r["household_id"])].append(dict(r))
    return households, members


def _records(table: sa.Table, rows: list[Row], columns: tuple[str, ...]) -> list[tuple[object, ...]]:
    json_columns = [c for c in columns if c in _JSON_COLUMNS]
    if json_columns and table is HOUSEHOLDS:
        # SQLAlchemy's asyncpg JSONB codec on this connection takes JSON text.
        rows = [{**row, **{c: _json_text(row[c]) for c in json_columns}} for row in rows]
    pick = itemgetter(*columns)
    return [pick(row) for row in rows]


def _json_text(value: object) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


async def _driver_connection(session: AsyncSession) -> Any:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if driver is None:
        raise RuntimeError("the pooled connection has no driver connection")
    if not driver.is_in_transaction():
        # SQLAlchemy begins lazily on the first statement; COPY must not run outside the chunk's transaction.
        await session.execute(sa.select(1))
    if not driver.is_in_transaction():
        raise RuntimeError("COPY would run outside the chunk's transaction")
    return driver


async def insert_new(
    session: AsyncSession, households: list[Row], members: list[Row], outbox: list[Row]
) -> None:
    """Write new households, their members and outbox rows in the session's transaction."""
    if not households:
        return
    if not is_postgres(session):
        await session.execute(sa.insert(HOUSEHOLDS), households)
        await session.execute(sa.insert(MEMBERS), members)
        await session.execute(sa.insert(OUTBOX), outbox)
        return
    driver = await _driver_connection(session)
    for table, rows, columns in (
        (HOUSEHOLDS, households, tuple(c.name for c in HOUSEHOLDS.columns)),
        (MEMBERS, members, tuple(c.name for c in MEMBERS.columns)),
        (OUTBOX, outbox, OUTBOX_COLUMNS),
    ):
        try:
            await driver.copy_records_to_table(
                table.name, records=_records(table, rows, columns), columns=list(columns)
            )
        except asyncpg.IntegrityConstraintViolationError as exc:
            # The driver's own error bypasses SQLAlchemy: give callers the error they handle.
            raise IntegrityError(f"COPY {table.name}", None, exc) from exc


# --- jobs ---------------------------------------------------------------------------------------


def add_job(session: AsyncSession, job: ImportJob) -> None:
    """Stage a new job."""
    session.add(job)


async def get_job(session: AsyncSession, job_id: str) -> ImportJob | None:
    """One job, read afresh (the runner updates it in other sessions)."""
    return await session.get(ImportJob, job_id, populate_existing=True)


async def claimable_jobs(session: AsyncSession, stale_before: datetime) -> list[str]:
    """Queued jobs, and running jobs whose runner stopped beating, oldest first."""
    stale = sa.and_(JOBS.c.status == "running", JOBS.c.heartbeat_at < stale_before)
    query = sa.select(JOBS.c.id).where(sa.or_(JOBS.c.status == "queued", stale)).order_by(JOBS.c.created_at)
    return [str(i) for i in (await session.execute(query)).scalars()]


async def claim_job(session: AsyncSession, job_id: str, now: datetime, stale_before: datetime) -> bool:
    """Mark the job running for this runner; False if another runner holds it or it is finished."""
    stale = sa.and_(JOBS.c.status == "running", JOBS.c.heartbeat_at < stale_before)
    result = await session.execute(
        sa.update(JOBS)
        .where(JOBS.c.id == job_id, sa.or_(JOBS.c.status == "queued", stale))
        .values(
            status="running",
            attempts=JOBS.c.attempts + 1,
            started_at=sa.func.coalesce(JOBS.c.started_at, now),
            heartbeat_at=now,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def release_job(session: AsyncSession, job_id: str) -> None:
    """Hand a running job back to the queue (this process is stopping; progress is kept)."""
    await session.execute(
        sa.update(JOBS).where(JOBS.c.id == job_id, JOBS.c.status == "running").values(status="queued")
    )


async def set_progress(session: AsyncSession, job_id: str, now: datetime, **counts: int) -> None:
    """Store progress and counts (absolute values) and beat the heartbeat."""
    await session.execute(sa.update(JOBS).where(JOBS.c.id == job_id).values(heartbeat_at=now, **counts))


async def add_row_errors(session: AsyncSession, rows: list[Row]) -> None:
    """Insert row errors (already numbered with ``seq``)."""
    if rows:
        await session.execute(sa.insert(ERRORS), rows)


async def finish_job(
    session: AsyncSession, job_id: str, status: str, now: datetime, code: str | None, message: str | None
) -> None:
    """Mark the job succeeded or failed."""
    await session.execute(
        sa.update(JOBS)
        .where(JOBS.c.id == job_id)
        .values(status=status, finished_at=now, heartbeat_at=now, failure_code=code, failure_message=message)
    )


async def error_page(session: AsyncSession, job_id: str, after_seq: int, limit: int) -> list[ImportRowError]:
    """Row errors of a job in order, after ``after_seq``."""
    query = (
        sa.select(ImportRowError)
        .where(ERRORS.c.job_id == job_id, ERRORS.c.seq > after_seq)
        .order_by(ERRORS.c.seq)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


# --- exports ------------------------------------------------------------------------------------


async def household_page(
    session: AsyncSession, prefix: str, status: str | None, after_id: str | None, limit: int
) -> tuple[list[Row], dict[str, list[Row]]]:
    """A page of households (ordered by id) inside ``prefix``, with their members."""
    query = sa.select(HOUSEHOLDS).where(HOUSEHOLDS.c.division_code.startswith(prefix, autoescape=True))
    if status:
        query = query.where(HOUSEHOLDS.c.status == status)
    if after_id:
        query = query.where(HOUSEHOLDS.c.id > after_id)
    rows = [dict(r) for r in (await session.execute(query.order_by(HOUSEHOLDS.c.id).limit(limit))).mappings()]
    members: dict[str, list[Row]] = {str(r["id"]): [] for r in rows}
    if rows:
        member_query = (
            sa.select(MEMBERS)
            .where(MEMBERS.c.household_id.in_(list(members)))
            .order_by(MEMBERS.c.created_at, MEMBERS.c.id)
        )
        for m in (await session.execute(member_query)).mappings():
            members[str(m["household_id"])].append(dict(m))
    return rows, members
