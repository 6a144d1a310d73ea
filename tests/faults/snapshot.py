"""Final states read from each service's database, ids normalised away, and the caught-up wait."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from funds.service.ledger import invariant_problems
from jzkit.testing.stack import Stack, consumer_name, queue_depths

PUBLISHERS = ("registry", "identification", "funds")
CONSUMERS = ("registry", "identification", "funds", "audit")
CATCH_UP_SECONDS = 60.0
RABBITMQCTL_SECONDS = 30.0
# Every HTTP request is logged as ``<service>.request.handled``: how often a client polled (404, 409
# notice-running) depends on timing, so those entries are counted apart and not compared.
REQUEST_LOG = "%.request.handled"
NOT_REQUEST = f"type NOT LIKE '{REQUEST_LOG}'"
_DUPLICATES = re.compile(r"^jz_events_duplicate_total\{[^}]*\} (\S+)$", re.MULTILINE)
_SUPERSEDED = re.compile(r'^jz_events_superseded_total\{consumer="registry",[^}]*\} (\S+)$', re.MULTILINE)
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Snapshot:
    """What a run leaves behind, comparable across runs (counts and totals, never ids)."""

    households: dict[str, int]
    cases: dict[str, int]
    grants: dict[str, int]
    payments: dict[str, int]
    payments_per_grant: dict[int, int]
    ledger: dict[str, int]
    audit_types: dict[str, int]
    audit_subjects: dict[str, int]
    audit_size: int
    audit_requests: int
    events_sent: int
    paid_twice: int
    ledger_problems: list[str] = field(default_factory=list)

    def comparable(self) -> dict[str, Any]:
        """Everything that must equal the fault-free run's (events_sent may differ: duplicates are ours)."""
        skip = {"events_sent", "ledger_problems", "audit_requests"}
        return {k: v for k, v in vars(self).items() if k not in skip}


async def _rows(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


def _url(stack: Stack, service: str) -> str:
    return stack.database_url(service, driver="postgresql")


def _counts(rows: list[asyncpg.Record]) -> dict[str, int]:
    return {str(r[0]): int(r[1]) for r in rows}


async def take(stack: Stack) -> Snapshot:
    """Read the final states straight from the databases."""
    funds = _url(stack, "funds")
    per_grant = await _rows(
        funds, "SELECT n, count(*) FROM (SELECT count(*) n FROM payments GROUP BY grant_id) g GROUP BY n"
    )
    twice = await _rows(
        funds,
        "SELECT count(*) FROM (SELECT grant_id FROM payments WHERE status IN ('accepted', 'paid')"
        " GROUP BY grant_id HAVING count(*) > 1) t",
    )
    ledger: Counter[str] = Counter()
    for r in await _rows(
        funds, "SELECT account, sum(debit_fen) - sum(credit_fen) FROM ledger_entries GROUP BY account"
    ):
        ledger[_ID.sub("*", r[0])] += int(r[1])
    audit = _url(stack, "audit")
    sent = 0
    for service in PUBLISHERS:
        sent += int(
            (await _rows(_url(stack, service), "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"))[
                0
            ][0]
        )
    engine = create_async_engine(stack.database_url("funds"))
    try:
        async with AsyncSession(engine) as session:
            problems = await invariant_problems(session)
    finally:
        await engine.dispose()
    return Snapshot(
        households=_counts(
            await _rows(_url(stack, "registry"), "SELECT status, count(*) FROM households GROUP BY status")
        ),
        cases=_counts(
            await _rows(
                _url(stack, "identification"), "SELECT kind || '/' || stage, count(*) FROM cases GROUP BY 1"
            )
        ),
        grants=_counts(await _rows(funds, "SELECT status, count(*) FROM grants GROUP BY status")),
        payments=_counts(await _rows(funds, "SELECT status, count(*) FROM payments GROUP BY status")),
        payments_per_grant={int(r[0]): int(r[1]) for r in per_grant},
        ledger=dict(ledger),
        audit_types=_counts(
            await _rows(
                audit,
                f"SELECT type, count(*) FROM audit_entries WHERE {NOT_REQUEST} GROUP BY type",
            )
        ),
        audit_subjects=_counts(
            await _rows(
                audit,
                f"SELECT type, count(DISTINCT subject) FROM audit_entries WHERE {NOT_REQUEST} GROUP BY type",
            )
        ),
        audit_size=int((await _rows(audit, f"SELECT count(*) FROM audit_entries WHERE {NOT_REQUEST}"))[0][0]),
        audit_requests=int(
            (await _rows(audit, f"SELECT count(*) FROM audit_entries WHERE type LIKE '{REQUEST_LOG}'"))[0][0]
        ),
        events_sent=sent,
        paid_twice=int(twice[0][0]),
        ledger_problems=problems,
    )


async def _pending(stack: Stack) -> int:
    """Outbox rows not yet published plus messages waiting in the consumers' queues."""
    waiting = 0
    for service in PUBLISHERS:
        rows = await _rows(_url(stack, service), "SELECT count(*) FROM outbox WHERE published_at IS NULL")
        waiting += int(rows[0][0])
    depths = await queue_depths(stack)
    return waiting + sum(ready for ready, _ in depths.values()) + await unacknowledged(stack)


async def unacknowledged(stack: Stack) -> int:
    """Messages delivered to this stack's consumers and not yet acked (AMQP itself does not tell)."""
    listing = await asyncio.create_subprocess_exec(
        "rabbitmqctl",
        "list_queues",
        "--quiet",
        "--no-table-headers",
        "name",
        "messages_unacknowledged",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(RABBITMQCTL_SECONDS):
        out, err = await listing.communicate()
    assert listing.returncode == 0, err.decode(errors="replace")
    total = 0
    for line in out.decode().splitlines():
        name, _, count = line.rpartition("\t")
        if name.startswith(f"{stack.queue_prefix}."):
            total += int(count)
    return total


async def caught_up(stack: Stack) -> tuple[Snapshot, float]:
    """Wait (bounded) until nothing is pending and two snapshots a second apart agree (and how long)."""
    started = time.monotonic()
    previous: Snapshot | None = None
    async with asyncio.timeout(CATCH_UP_SECONDS):
        while True:
            if await _pending(stack) == 0:
                current = await take(stack)
                if previous is not None and current == previous:
                    return current, time.monotonic() - started
                previous = current
            await asyncio.sleep(1.0)


async def _consumer_counts(stack: Stack, pattern: re.Pattern[str]) -> int:
    total = 0.0
    async with httpx.AsyncClient(timeout=5.0) as client:
        for service in CONSUMERS:
            port = stack.metrics_ports[consumer_name(service)]
            page = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            total += sum(float(value) for value in pattern.findall(page))
    return int(total)


async def duplicates_skipped(stack: Stack) -> int:
    """Redelivered events the consumers' inboxes recognised and skipped (live counters of each process)."""
    return await _consumer_counts(stack, _DUPLICATES)


async def decisions_superseded(stack: Stack) -> int:
    """Decisions the registry ignored because a newer one about the household was applied first.

    Each is one ``registry.household.updated`` fewer than in the fault-free run (the status it would
    have set in passing, under_review, is skipped): a relay retrying an event after an outage lets
    newer events overtake it. The final states are the same.
    """
    return await _consumer_counts(stack, _SUPERSEDED)
