"""Audit use cases: append an event, query the log, sign its head, prove inclusion and consistency."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from audit import repository
from audit.domain import merkle
from audit.domain.canonical import loads_plain
from audit.domain.checkpoint import Checkpoint, sign_checkpoint
from audit.domain.entry import EventEntry, event_entry
from audit.domain.note import Signer
from audit.models import AuditEntry
from audit.repository import EntryFilter, TreeState
from jzkit import divisions
from jzkit.auth import Principal, Role
from jzkit.contracts.envelope import CloudEvent
from jzkit.db import SessionFactory
from jzkit.errors import Forbidden, InvalidInput

# Roles that read the whole log; everyone else reads the entries about their jurisdiction.
SEE_ALL = frozenset({Role.AUDITOR, Role.ADMIN, Role.SYSTEM})
# Rows per read while exporting: bounded memory however long the log is.
EXPORT_PAGE = 1000


async def append_event(session: AsyncSession, event: CloudEvent, now: datetime | None = None) -> int | None:
    """Append ``event`` as the next entry; its index, or None when it is already logged."""
    return (await append_events(session, [event], now))[0]


async def append_events(
    session: AsyncSession, events: Sequence[CloudEvent], now: datetime | None = None
) -> list[int | None]:
    """Append ``events`` in order under one lock of the tree row; per event its index or None.

    None marks an event already in the log (or earlier in ``events``).
    """
    state = await repository.tree_state(session, for_update=True)
    # Checked under the tree lock, so a second delivery can never slip in beside the first.
    seen = await repository.logged_events(session, [event.id for event in events])
    recorded_at = now or datetime.now(UTC)
    frontier = merkle.Frontier(state.size, state.hashes)
    entries: list[tuple[int, EventEntry]] = []
    nodes: list[tuple[int, int, bytes]] = []
    indexes: list[int | None] = []
    for event in events:
        if event.id in seen:
            indexes.append(None)
            continue
        seen.add(event.id)
        parsed = loads_plain(event.to_json())
        entry = event_entry(parsed.value, recorded_at, plain=parsed.plain)
        indexes.append(frontier.size)
        entries.append((frontier.size, entry))
        nodes += frontier.append(entry.leaf_hash)
    if entries:
        await repository.insert_entries(session, entries)
        await repository.insert_nodes(session, nodes)
        await repository.save_tree(session, TreeState(frontier.size, frontier.hashes))
    return indexes


def visible_to(principal: Principal, query: EntryFilter) -> EntryFilter:
    """Narrow ``query`` to what ``principal`` may read."""
    if principal.role in SEE_ALL:
        return query
    return replace(query, division_prefix=divisions.prefix(principal.jurisdiction))


async def find_entries(
    session: AsyncSession, principal: Principal, query: EntryFilter, limit: int
) -> Sequence[AuditEntry]:
    """Up to ``limit`` entries matching ``query`` that ``principal`` may read."""
    return await repository.find_entries(session, visible_to(principal, query), limit)


async def signed_tree_head(session: AsyncSession, signer: Signer, origin: str) -> str:
    """The current tree head as a signed C2SP checkpoint."""
    state = await repository.tree_state(session)
    root = merkle.Frontier(state.size, state.hashes).root()
    return sign_checkpoint(signer, Checkpoint(origin, state.size, root))


def _invalid(field: str, message_en: str, message_zh: str) -> InvalidInput:
    return InvalidInput("invalid-proof-request", message_en, message_zh, field=field)


async def inclusion(session: AsyncSession, index: int, tree_size: int) -> list[bytes]:
    """Inclusion proof of entry ``index`` in the tree of ``tree_size`` entries."""
    size = (await repository.tree_state(session)).size
    if tree_size > size:
        raise _invalid(
            "tree_size", f"tree_size exceeds the log size {size}", f"tree_size 超过日志长度 {size}"
        )
    if not 0 <= index < tree_size:
        raise _invalid("index", "index must be below tree_size", "index 必须小于 tree_size")
    stored = await repository.node_hashes(session, merkle.inclusion_nodes(index, tree_size))
    return merkle.inclusion_proof(index, tree_size, merkle.StoredNodes(stored))


async def consistency(session: AsyncSession, first: int, second: int) -> list[bytes]:
    """Consistency proof from the tree of ``first`` entries to the tree of ``second``."""
    size = (await repository.tree_state(session)).size
    if second > size:
        raise _invalid("second", f"second exceeds the log size {size}", f"second 超过日志长度 {size}")
    if not 0 <= first <= second:
        raise _invalid("first", "first must not exceed second", "first 不能大于 second")
    stored = await repository.node_hashes(session, merkle.consistency_nodes(first, second))
    return merkle.consistency_proof(first, second, merkle.StoredNodes(stored))


def require_export(principal: Principal) -> None:
    """Only roles that read the whole log may export it (a partial export could not verify)."""
    if principal.role not in SEE_ALL:
        raise Forbidden(
            "audit-export-forbidden",
            "only auditors and admins may export the log",
            "仅审计员和管理员可导出审计日志",
        )


async def _root_at(session: AsyncSession, tree_size: int) -> bytes:
    """MTH of the first ``tree_size`` leaves, read page by page into a frontier."""
    frontier = merkle.Frontier()
    while frontier.size < tree_size:
        page = await repository.leaf_hash_page(session, frontier.size, tree_size, EXPORT_PAGE)
        if not page:
            raise RuntimeError(f"audit log has no entry {frontier.size} below its size")
        for leaf in page:
            frontier.append(leaf)
    return frontier.root()


async def export_head(
    session: AsyncSession, signer: Signer, origin: str, tree_size: int | None
) -> tuple[int, str]:
    """The size to export and its signed checkpoint (the current head when ``tree_size`` is None)."""
    state = await repository.tree_state(session)
    size = state.size if tree_size is None else tree_size
    if size > state.size:
        raise _invalid(
            "tree_size",
            f"tree_size exceeds the log size {state.size}",
            f"tree_size 超过日志长度 {state.size}",
        )
    if size == state.size:
        root = merkle.Frontier(state.size, state.hashes).root()
    else:
        root = await _root_at(session, size)
    return size, sign_checkpoint(signer, Checkpoint(origin, size, root))


async def export_pages(
    sessions: SessionFactory, tree_size: int
) -> AsyncIterator[list[tuple[int, str, bytes]]]:
    """Entries [0, tree_size) as pages of (index, entry JSON, leaf hash), one short session each."""
    # A session per page: the response streams after the request's session has closed, and entries
    # below a committed size never change, so separate reads still form one consistent log.
    start = 0
    while start < tree_size:
        async with sessions() as session:
            rows = await repository.entry_page(session, start, tree_size, EXPORT_PAGE)
        if not rows:
            raise RuntimeError(f"audit log has no entry {start} below its size")
        yield rows
        start = rows[-1][0] + 1
