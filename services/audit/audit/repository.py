"""Every SQL statement of the audit service."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, literal, select, tuple_, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from audit.domain.entry import KIND_EVENT, EventEntry
from audit.domain.merkle import HASH_SIZE, Node
from audit.models import TREE_ROW_ID, AuditEntry, AuditNode, AuditTree
from jzkit.db import is_postgres


@dataclass(frozen=True)
class TreeState:
    """Size and frontier hashes of the log as stored."""

    size: int
    hashes: tuple[bytes, ...]


@dataclass(frozen=True)
class EntryFilter:
    """Query of the log: all fields optional; ``division_prefix`` None means every division."""

    subject: str | None = None
    actor: str | None = None
    type: str | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    after_index: int | None = None
    division_prefix: str | None = None


# Core tables: typed columns for mypy, and no ORM identity map on the hot append path.
ENTRIES: Table = AuditEntry.__table__  # type: ignore[attr-defined]
TREE: Table = AuditTree.__table__  # type: ignore[attr-defined]
NODES: Table = AuditNode.__table__  # type: ignore[attr-defined]


def _split(frontier: bytes) -> tuple[bytes, ...]:
    return tuple(frontier[i : i + HASH_SIZE] for i in range(0, len(frontier), HASH_SIZE))


async def tree_state(session: AsyncSession, *, for_update: bool = False) -> TreeState:
    """The tree row; ``for_update`` locks it (PostgreSQL) so appends are serialised."""
    stmt = select(TREE.c.size, TREE.c.frontier).where(TREE.c.id == TREE_ROW_ID)
    # SQLite has one writer at a time and the inbox insert already took the write lock.
    if for_update and is_postgres(session):
        stmt = stmt.with_for_update()
    size, frontier = (await session.execute(stmt)).one()
    return TreeState(int(size), _split(bytes(frontier)))


async def save_tree(session: AsyncSession, state: TreeState) -> None:
    """Store the tree's new size and frontier."""
    await session.execute(
        update(TREE).where(TREE.c.id == TREE_ROW_ID).values(size=state.size, frontier=b"".join(state.hashes))
    )


async def has_event(session: AsyncSession, event_id: str) -> bool:
    """True when the event is already in the log."""
    return bool(await logged_events(session, [event_id]))


async def logged_events(session: AsyncSession, event_ids: Sequence[str]) -> set[str]:
    """The ids among ``event_ids`` already in the log."""
    if not event_ids:
        return set()
    stmt = select(ENTRIES.c.event_id).where(ENTRIES.c.event_id.in_(set(event_ids)))
    return {str(i) for i in (await session.execute(stmt)).scalars()}


def _entry_row(index: int, entry: EventEntry) -> dict[str, Any]:
    return {
        "index": index,
        "entry_json": entry.entry_json,
        "leaf_hash": entry.leaf_hash,
        "kind": KIND_EVENT,
        "type": entry.type,
        "subject": entry.subject,
        "actor": entry.actor,
        "division_code": entry.division_code,
        "event_id": entry.event_id,
        "recorded_at": entry.recorded_at,
    }


async def insert_entry(session: AsyncSession, index: int, entry: EventEntry) -> None:
    """Append one entry row at ``index``."""
    await insert_entries(session, [(index, entry)])


async def insert_entries(session: AsyncSession, entries: Sequence[tuple[int, EventEntry]]) -> None:
    """Append entry rows, given as (index, entry), in one executemany."""
    if entries:
        await session.execute(insert(ENTRIES), [_entry_row(index, entry) for index, entry in entries])


async def find_entries(session: AsyncSession, query: EntryFilter, limit: int) -> Sequence[AuditEntry]:
    """Entries matching ``query`` in index order, at most ``limit``."""
    col = ENTRIES.c
    stmt = select(AuditEntry).order_by(col.index).limit(limit)
    if query.subject is not None:
        stmt = stmt.where(col.subject == query.subject)
    if query.actor is not None:
        stmt = stmt.where(col.actor == query.actor)
    if query.type is not None:
        stmt = stmt.where(col.type == query.type)
    if query.recorded_from is not None:
        stmt = stmt.where(col.recorded_at >= query.recorded_from)
    if query.recorded_to is not None:
        stmt = stmt.where(col.recorded_at < query.recorded_to)
    if query.after_index is not None:
        stmt = stmt.where(col.index > query.after_index)
    if query.division_prefix is not None:
        stmt = stmt.where(col.division_code.startswith(query.division_prefix, autoescape=True))
    return (await session.execute(stmt)).scalars().all()


async def leaf_hashes(session: AsyncSession, tree_size: int) -> list[bytes]:
    """Leaf hashes of entries [0, tree_size), in order."""
    col = ENTRIES.c
    stmt = select(col.leaf_hash).where(col.index < tree_size).order_by(col.index)
    return [bytes(h) for h in (await session.execute(stmt)).scalars()]


async def entry_page(
    session: AsyncSession, start: int, stop: int, limit: int
) -> list[tuple[int, str, bytes]]:
    """Up to ``limit`` entries with ``start <= index < stop`` as (index, entry JSON, leaf hash)."""
    col = ENTRIES.c
    stmt = (
        select(col.index, col.entry_json, col.leaf_hash)
        .where(col.index >= start, col.index < stop)
        .order_by(col.index)
        .limit(limit)
    )
    return [(int(i), str(j), bytes(h)) for i, j, h in (await session.execute(stmt)).all()]


async def leaf_hash_page(session: AsyncSession, start: int, stop: int, limit: int) -> list[bytes]:
    """Up to ``limit`` leaf hashes of entries ``start <= index < stop``, in order."""
    col = ENTRIES.c
    stmt = select(col.leaf_hash).where(col.index >= start, col.index < stop).order_by(col.index).limit(limit)
    return [bytes(h) for h in (await session.execute(stmt)).scalars()]


async def insert_nodes(session: AsyncSession, nodes: Sequence[tuple[int, int, bytes]]) -> None:
    """Store the subtrees an append completed, as (level, idx, hash) with level >= 1."""
    if nodes:
        await session.execute(insert(NODES), [{"level": lv, "idx": i, "hash": h} for lv, i, h in nodes])


async def node_hashes(session: AsyncSession, nodes: Iterable[Node]) -> dict[Node, bytes]:
    """Stored hashes of the given complete subtrees, level 0 from the entries, in one query."""
    wanted = set(nodes)
    leaves = [idx for level, idx in wanted if level == 0]
    inner = [(level, idx) for level, idx in wanted if level > 0]
    parts = []
    if leaves:
        col = ENTRIES.c
        parts.append(select(literal(0).label("level"), col.index, col.leaf_hash).where(col.index.in_(leaves)))
    if inner:
        col = NODES.c
        parts.append(select(col.level, col.idx, col.hash).where(tuple_(col.level, col.idx).in_(inner)))
    if not parts:
        return {}
    stmt = parts[0] if len(parts) == 1 else union_all(*parts)
    found = {(int(lv), int(i)): bytes(h) for lv, i, h in (await session.execute(stmt)).all()}
    if len(found) != len(wanted):
        raise RuntimeError(f"audit log is missing stored nodes {sorted(wanted - found.keys())}")
    return found
