"""Appending a batch of events equals appending them one by one."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from audit import repository, service
from audit.domain import merkle
from audit.events.consume import handle_many
from audit.models import AuditEntry, AuditNode
from jzkit.contracts.envelope import CloudEvent
from jzkit.db import SessionFactory, make_engine, make_session_factory

LUCHANG = "510822104201"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
EventFactory = Callable[..., Any]


async def _log(audit_db_template: Path, path: Path) -> AsyncIterator[SessionFactory]:
    shutil.copyfile(audit_db_template, path)
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        yield make_session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def single(audit_db_template: Path, tmp_path: Path) -> AsyncIterator[SessionFactory]:
    async for sessions in _log(audit_db_template, tmp_path / "single.db"):
        yield sessions


@pytest.fixture
async def batched(audit_db_template: Path, tmp_path: Path) -> AsyncIterator[SessionFactory]:
    async for sessions in _log(audit_db_template, tmp_path / "batched.db"):
        yield sessions


async def _snapshot(sessions: SessionFactory) -> tuple[Any, ...]:
    async with sessions() as session:
        state = await repository.tree_state(session)
        entries = (await session.execute(select(AuditEntry).order_by(AuditEntry.index))).scalars().all()  # type: ignore[arg-type]
        rows = [
            (e.index, e.entry_json, bytes(e.leaf_hash), e.kind, e.type, e.subject, e.event_id)
            for e in entries
        ]
        nodes = sorted(
            (n.level, n.idx, bytes(n.hash)) for n in (await session.execute(select(AuditNode))).scalars()
        )
        leaves = await repository.leaf_hashes(session, state.size)
    return state, rows, nodes, leaves


async def test_a_batch_equals_one_by_one_appends(
    single: SessionFactory, batched: SessionFactory, event_about: EventFactory
) -> None:
    events: list[CloudEvent] = [event_about(LUCHANG, f"hh-{n}") for n in range(37)]
    # Batches of uneven sizes, with a duplicate inside one batch and one of an earlier batch.
    chunks = [events[:1], events[1:12], [events[12], events[5], *events[13:30], events[13]], events[30:]]

    expected: list[int | None] = []
    for event in events:
        async with single() as session, session.begin():
            expected.append(await service.append_event(session, event, NOW))
    got: list[int | None] = []
    for chunk in chunks:
        async with batched() as session, session.begin():
            got += await service.append_events(session, chunk, NOW)

    assert [i for i in got if i is not None] == [i for i in expected if i is not None] == list(range(37))
    assert got.count(None) == 2
    one_by_one, in_batches = await _snapshot(single), await _snapshot(batched)
    assert one_by_one == in_batches
    state, rows, nodes, leaves = in_batches
    assert state.size == 37
    assert merkle.Frontier(state.size, state.hashes).root() == merkle.root(leaves)
    assert len(nodes) == 37 - (37).bit_count()
    assert [row[6] for row in rows] == [e.id for e in events]


async def test_handle_many_skips_logged_events_and_an_empty_batch(
    batched: SessionFactory, event_about: EventFactory
) -> None:
    first, second = event_about(LUCHANG, "hh-1"), event_about(LUCHANG, "hh-2")
    async with batched() as session, session.begin():
        await handle_many(session, [first])
    async with batched() as session, session.begin():
        await handle_many(session, [first, second])
        await handle_many(session, [])
    async with batched() as session:
        assert (await repository.tree_state(session)).size == 2
        assert await repository.logged_events(session, [first.id, second.id, "other"]) == {
            first.id,
            second.id,
        }
