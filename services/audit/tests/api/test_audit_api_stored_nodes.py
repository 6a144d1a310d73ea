"""Proofs answered from the stored subtree hashes equal proofs computed from the leaf list."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

import audit
from audit import repository, service
from audit.domain import merkle
from audit.models import AuditNode
from jzkit.db import SessionFactory, make_engine, make_session_factory
from jzkit.migrate import upgrade

LUCHANG = "510822104201"
SIZES = 70
EventFactory = Callable[..., Any]


@pytest.fixture
async def sessions(audit_db_template: Path, tmp_path: Path) -> AsyncIterator[SessionFactory]:
    db = tmp_path / "nodes.db"
    shutil.copyfile(audit_db_template, db)
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    try:
        yield make_session_factory(engine)
    finally:
        await engine.dispose()


async def test_stored_node_proofs_equal_leaf_list_proofs_for_every_size(
    sessions: SessionFactory, event_about: EventFactory
) -> None:
    for size in range(1, SIZES + 1):
        async with sessions() as session, session.begin():
            assert await service.append_event(session, event_about(LUCHANG, f"hh-{size}")) == size - 1
        async with sessions() as session:
            leaves = await repository.leaf_hashes(session, size)
            for index in range(size):
                expected = merkle.inclusion_proof(index, size, leaves)
                assert await service.inclusion(session, index, size) == expected, (index, size)
            for first in range(size + 1):
                expected = merkle.consistency_proof(first, size, leaves)
                assert await service.consistency(session, first, size) == expected, (first, size)


async def test_every_complete_subtree_is_stored_once(
    sessions: SessionFactory, event_about: EventFactory
) -> None:
    for n in range(SIZES):
        async with sessions() as session, session.begin():
            await service.append_event(session, event_about(LUCHANG, f"hh-{n}"))
    async with sessions() as session:
        count = (await session.execute(select(func.count()).select_from(AuditNode))).scalar_one()
        leaves = await repository.leaf_hashes(session, SIZES)
    # A log of n leaves has n - popcount(n) complete subtrees above the leaves.
    assert count == SIZES - SIZES.bit_count()
    top = await _node(sessions, 6, 0)
    assert top == merkle.root(leaves[:64])


async def _node(sessions: SessionFactory, level: int, idx: int) -> bytes:
    async with sessions() as session:
        return (await repository.node_hashes(session, [(level, idx)]))[(level, idx)]


def test_nodes_of_splits_like_the_rfc() -> None:
    assert merkle.nodes_of(0, 8) == [(3, 0)]
    assert merkle.nodes_of(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert merkle.nodes_of(8, 13) == [(2, 2), (0, 12)]
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(40)]
    every = {
        (lv, i): merkle.root(leaves[i << lv : (i + 1) << lv]) for lv in range(6) for i in range(40 >> lv)
    }
    stored = merkle.StoredNodes(every)
    for lo in range(40):
        for hi in range(lo + 1, 41):
            assert stored.subtree(lo, hi) == merkle.root(leaves[lo:hi])


async def test_the_migration_stores_the_nodes_of_a_log_logged_before_it(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{db}"
    await asyncio.to_thread(upgrade, audit.MIGRATIONS_DIR, url, "0001")
    leaves = [merkle.leaf_hash(f'{{"n":{n}}}'.encode()) for n in range(37)]
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            for index, leaf in enumerate(leaves):
                await conn.execute(
                    text(
                        'INSERT INTO audit_entries ("index", entry_json, leaf_hash, kind, type, event_id,'
                        " recorded_at) VALUES (:i, '{}', :h, 'event', 't', :e, '2026-11-28 00:00:00')"
                    ),
                    {"i": index, "h": leaf, "e": f"e-{index}"},
                )
            frontier = merkle.Frontier()
            for leaf in leaves:
                frontier.append(leaf)
            await conn.execute(
                text("UPDATE audit_tree SET size = :s, frontier = :f"),
                {"s": frontier.size, "f": b"".join(frontier.hashes)},
            )
    finally:
        await engine.dispose()
    await asyncio.to_thread(upgrade, audit.MIGRATIONS_DIR, url)
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as session:
            for index in range(len(leaves)):
                expected = merkle.inclusion_proof(index, len(leaves), leaves)
                assert await service.inclusion(session, index, len(leaves)) == expected
    finally:
        await engine.dispose()
