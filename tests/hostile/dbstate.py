""" "Nothing changed": a fingerprint of every business table, taken once the stack is at rest.

Every table of the registry, identification and funds databases is fingerprinted (row count and
an md5 of its rows) except the outbox and inbox: a refused write is recorded there on purpose
(``<service>.request.handled``, docs/decisions/0007), which is no change to the business state.
The audit database only logs what the others did, so it is left out for the same reason.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg

from jzkit.testing.stack import Stack

SERVICES = ("registry", "identification", "funds")
SKIPPED = frozenset({"alembic_version", "outbox", "inbox"})
SETTLE_SECONDS = 30.0
SETTLE_INTERVAL_SECONDS = 0.5
STABLE_SECONDS = 1.5  # several relay polls (0.2 s) and consumer round trips

# The rows in a stable order, hashed: any change of any column shows.
DIGEST = "md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"

Fingerprint = dict[str, tuple[int, str]]


async def _fingerprint(stack: Stack) -> Fingerprint:
    found: Fingerprint = {}
    for service in SERVICES:
        conn = await asyncpg.connect(stack.database_url(service, "postgresql"))
        try:
            tables = await conn.fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
            for row in tables:
                table = str(row["table_name"])
                if table in SKIPPED:
                    continue
                # Names come from the catalogue, quoted: no outside input reaches the statement.
                count, digest = await conn.fetchrow(f'SELECT count(*), {DIGEST} FROM "{table}" t')
                found[f"{service}.{table}"] = (int(count), str(digest))
        finally:
            await conn.close()
    return found


def fingerprint(stack: Stack) -> Fingerprint:
    """The business state now."""
    return asyncio.run(_fingerprint(stack))


def settled(stack: Stack) -> Fingerprint:
    """The business state once it has not changed for ``STABLE_SECONDS`` (events still in flight
    from earlier tests would otherwise be mistaken for a change the sweep caused)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    previous = fingerprint(stack)
    unchanged_since = time.monotonic()
    while time.monotonic() - unchanged_since < STABLE_SECONDS:
        if time.monotonic() > deadline:
            raise AssertionError(f"the stack did not come to rest in {SETTLE_SECONDS:.0f} s")
        time.sleep(SETTLE_INTERVAL_SECONDS)
        current = fingerprint(stack)
        if current != previous:
            previous, unchanged_since = current, time.monotonic()
    return previous


def changes(before: Fingerprint, after: Fingerprint) -> list[str]:
    """Tables whose fingerprint differs (empty when nothing changed)."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
