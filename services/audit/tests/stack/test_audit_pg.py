"""The audit log on PostgreSQL: appends serialise under concurrency and the table refuses changes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest

import audit
from audit import repository, service
from audit.domain import merkle
from audit.events.consume import CONSUMER, handle
from jzkit.contracts.envelope import CloudEvent
from jzkit.db import make_engine, make_session_factory
from jzkit.messaging.inbox import InboxConsumer
from jzkit.testing.pg import migrated_database

pytestmark = pytest.mark.stack

EVENTS = 40


@pytest.fixture
def database(pg_admin_url: str) -> Iterator[tuple[str, str]]:
    """A migrated throwaway audit database: (asyncpg DSN, SQLAlchemy URL); dropped at the end."""
    with migrated_database(pg_admin_url, "audit", audit.MIGRATIONS_DIR) as database:
        yield database


def event(n: int) -> CloudEvent:
    data = {"household": {"division_code": "510822104201", "n": n}}
    return CloudEvent(source="test", type="registry.household.updated", subject=f"hh-{n}", data=data)


async def test_concurrent_appends_keep_indexes_dense_and_the_root_right(database: tuple[str, str]) -> None:
    dsn, url = database
    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)
        # Two consumers (two connections each) racing, as two replicas of the consumer process would.
        left, right = InboxConsumer(CONSUMER, sessions, handle), InboxConsumer(CONSUMER, sessions, handle)
        events = [event(n) for n in range(EVENTS)]
        results = await asyncio.gather(*(consumer.deliver(e) for e in events for consumer in (left, right)))
        assert sum(results) == EVENTS  # each event applied once, its twin delivery skipped
        async with sessions() as session:
            state = await repository.tree_state(session)
            leaves = await repository.leaf_hashes(session, state.size)
            # The stored subtrees written under the same lock answer proofs like the leaf list does.
            for index in range(0, EVENTS, 7):
                expected = merkle.inclusion_proof(index, EVENTS, leaves)
                assert await service.inclusion(session, index, EVENTS) == expected
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(dsn)
    try:
        indexes = [r["index"] for r in await conn.fetch('SELECT "index" FROM audit_entries ORDER BY "index"')]
        ids = {r["event_id"] for r in await conn.fetch("SELECT event_id FROM audit_entries")}
    finally:
        await conn.close()
    assert indexes == list(range(EVENTS))
    assert ids == {e.id for e in events}
    assert state.size == EVENTS
    assert merkle.Frontier(state.size, state.hashes).root() == merkle.root(leaves)


@pytest.mark.parametrize(
    ("statement", "operation"),
    [
        ("UPDATE audit_entries SET actor = 'mallory'", "UPDATE"),
        ("DELETE FROM audit_entries", "DELETE"),
        ("TRUNCATE audit_entries", "TRUNCATE"),
        ("UPDATE audit_nodes SET hash = 'x'", "UPDATE"),
        ("DELETE FROM audit_nodes", "DELETE"),
        ("TRUNCATE audit_nodes", "TRUNCATE"),
    ],
)
async def test_changing_entries_is_refused_by_the_database(
    database: tuple[str, str], statement: str, operation: str
) -> None:
    dsn, url = database
    engine = make_engine(url)
    try:
        consumer = InboxConsumer(CONSUMER, make_session_factory(engine), handle)
        for n in (998, 999):  # two leaves complete a stored node
            await consumer.deliver(event(n))
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(dsn)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match=f"append-only: {operation} refused"):
            await conn.execute(statement)
        assert await conn.fetchval("SELECT count(*) FROM audit_entries") == 2
        assert await conn.fetchval("SELECT count(*) FROM audit_nodes") == 1
    finally:
        await conn.close()
