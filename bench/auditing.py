"""Audit log: append rate from RabbitMQ against a raw COPY, proof latency against in-memory proofs."""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import aio_pika
import asyncpg

import audit
from audit import service
from audit.domain import merkle
from audit.domain.entry import KIND_EVENT, event_entry
from audit.events.consume import CONSUMER, PATTERNS, handle, handle_many
from jzkit.contracts.envelope import CloudEvent
from jzkit.db import make_engine, make_session_factory
from jzkit.messaging.inbox import InboxConsumer
from jzkit.messaging.rabbit import RabbitConsumer, RabbitPublisher, dead_letter_queue
from jzkit.migrate import upgrade
from jzkit.pgadmin import recreate_database, with_database
from jzkit.testing.stack import drop_database

PUBLISH_BATCH = 500
POLL_SECONDS = 0.1
APPEND_TIMEOUT_SECONDS = 1800.0
COPY_BATCH = 100_000
ENTRY_COLUMNS = ("index", "entry_json", "leaf_hash", "kind", "type", "subject", "event_id", "recorded_at")


@dataclass(frozen=True)
class AppendResult:
    """Events appended through the consumer, and the seconds each way took."""

    events: int
    # Publishing and consuming at once, the publisher in this process (it shares the CPU).
    live_seconds: float
    # Draining the same number of events already waiting in the queue: the consumer alone.
    drain_seconds: float
    copy_seconds: float


@dataclass(frozen=True)
class ProofResult:
    """Inclusion proof latencies (ms) from the stored nodes and, for a sample, from a leaf list."""

    entries: int
    build_seconds: float
    stored_ms: list[float]
    memory_ms: list[float]


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def bench_event(n: int) -> CloudEvent:
    """A registry-like event, the shape the audit log mostly holds (money in integer fen: no floats)."""
    data = {
        "household": {
            "household_id": f"hh-{n}",
            "division_code": "510822104201",
            "annual_net_income_fen": 600_000,
        }
    }
    return CloudEvent(
        source="jingzhun/bench", type="registry.household.updated", subject=f"hh-{n}", data=data
    )


def _scratch(label: str) -> str:
    return f"jz_bench_audit_{label}_{uuid.uuid4().hex[:8]}"


async def _migrated(admin_url: str, name: str) -> str:
    await recreate_database(admin_url, name)
    url = with_database(admin_url, name, "postgresql+asyncpg")
    await asyncio.to_thread(upgrade, audit.MIGRATIONS_DIR, url)
    return with_database(admin_url, name)


async def _log_size(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT size FROM audit_tree"))
    finally:
        await conn.close()


async def append_rate(admin_url: str, broker_url: str, events: int) -> AppendResult:
    """Time ``events`` through RabbitMQ into the log, live and from a backlog, and a COPY of the same rows."""
    live_db, drain_db, copy_db = _scratch("live"), _scratch("drain"), _scratch("copy")
    batch = [bench_event(n) for n in range(events)]
    try:
        live = await _through_consumer(admin_url, live_db, broker_url, batch, backlog=False)
        drain = await _through_consumer(admin_url, drain_db, broker_url, batch, backlog=True)
        copy_seconds = await _copy_entries(await _migrated(admin_url, copy_db), batch)
    finally:
        for name in (live_db, drain_db, copy_db):
            await drop_database(admin_url, name)
    return AppendResult(events, live, drain, copy_seconds)


async def _through_consumer(
    admin_url: str, log_db: str, broker_url: str, batch: list[CloudEvent], *, backlog: bool
) -> float:
    """Seconds until the consumer has logged ``batch``: published meanwhile, or waiting in its queue."""
    exchange = f"jingzhun.bench.{uuid.uuid4().hex[:8]}"
    queue = f"{exchange}.audit"
    dsn = await _migrated(admin_url, log_db)
    engine = make_engine(with_database(admin_url, log_db, "postgresql+asyncpg"))
    inbox = InboxConsumer(CONSUMER, make_session_factory(engine), handle, handle_many)
    consumer = RabbitConsumer(broker_url, exchange, queue, PATTERNS, inbox)
    publisher = RabbitPublisher(broker_url, exchange)
    try:
        await consumer.start()  # declares and binds the queue, so every publish is routable
        await publisher.connect()
        if backlog:
            await consumer.stop()
            await _publish(publisher, batch)
            started = time.perf_counter()
            await consumer.start()
        else:
            started = time.perf_counter()
            await _publish(publisher, batch)
        deadline = started + APPEND_TIMEOUT_SECONDS
        while (size := await _log_size(dsn)) < len(batch):
            if time.perf_counter() > deadline:
                raise TimeoutError(f"audit log reached {size} of {len(batch)} entries")
            await asyncio.sleep(POLL_SECONDS)
        return time.perf_counter() - started
    finally:
        await publisher.close()
        await consumer.stop()
        await engine.dispose()
        await _delete_broker_objects(broker_url, exchange, queue)


async def _publish(publisher: RabbitPublisher, batch: list[CloudEvent]) -> None:
    for i in range(0, len(batch), PUBLISH_BATCH):
        await asyncio.gather(*(publisher.publish(e) for e in batch[i : i + PUBLISH_BATCH]))


async def _delete_broker_objects(broker_url: str, exchange: str, queue: str) -> None:
    connection = await aio_pika.connect(broker_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await channel.queue_delete(dead_letter_queue(queue))
        await channel.exchange_delete(exchange)


async def _copy_entries(dsn: str, events: list[CloudEvent]) -> float:
    """Seconds to COPY the entry rows of ``events`` (canonical JSON, leaf hash) into audit_entries."""
    now = datetime.now(UTC)
    records = []
    for index, event in enumerate(events):
        entry = event_entry(json.loads(event.to_json()), now)
        records.append(
            (
                index,
                entry.entry_json,
                entry.leaf_hash,
                KIND_EVENT,
                entry.type,
                entry.subject,
                entry.event_id,
                now,
            )
        )
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await conn.copy_records_to_table("audit_entries", records=records, columns=ENTRY_COLUMNS)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def proof_latency(
    admin_url: str, entries: int, proofs: int, memory_sample: int, seed: int
) -> ProofResult:
    """Build a log of ``entries`` by COPY, then time inclusion proofs through the service."""
    name = _scratch("proof")
    try:
        dsn = await _migrated(admin_url, name)
        started = time.perf_counter()
        leaves, root = await _build_log(dsn, entries)
        build_seconds = time.perf_counter() - started
        rng = random.Random(seed)
        indexes = [rng.randrange(entries) for _ in range(proofs)]
        engine = make_engine(with_database(admin_url, name, "postgresql+asyncpg"))
        stored_ms: list[float] = []
        answers: dict[int, list[bytes]] = {}
        try:
            async with make_session_factory(engine)() as session:
                await service.inclusion(session, 0, entries)  # warm the connection
                for index in indexes:
                    t0 = time.perf_counter()
                    proof = await service.inclusion(session, index, entries)
                    stored_ms.append((time.perf_counter() - t0) * 1000)
                    if not merkle.verify_inclusion(leaves[index], index, entries, proof, root):
                        raise AssertionError(f"stored-node proof of {index} does not verify")
                    answers[index] = proof
        finally:
            await engine.dispose()
        memory_ms: list[float] = []
        for index in indexes[:memory_sample]:
            t0 = time.perf_counter()
            proof = merkle.inclusion_proof(index, entries, leaves)
            memory_ms.append((time.perf_counter() - t0) * 1000)
            if proof != answers[index]:
                raise AssertionError(f"proofs of {index} differ between the stored nodes and the leaf list")
    finally:
        await drop_database(admin_url, name)
    return ProofResult(entries, build_seconds, stored_ms, memory_ms)


async def _build_log(dsn: str, entries: int) -> tuple[list[bytes], bytes]:
    """COPY ``entries`` synthetic entries and their complete subtrees; set the tree row. (leaves, root)"""
    now = datetime.now(UTC)
    frontier = merkle.Frontier()
    leaves: list[bytes] = []
    conn = await asyncpg.connect(dsn)
    try:
        for start in range(0, entries, COPY_BATCH):
            rows, nodes = [], []
            for index in range(start, min(entries, start + COPY_BATCH)):
                entry_json = f'{{"index":{index}}}'
                leaf = merkle.leaf_hash(entry_json.encode())
                leaves.append(leaf)
                nodes += frontier.append(leaf)
                rows.append((index, entry_json, leaf, KIND_EVENT, "bench.synthetic", None, f"e-{index}", now))
            await conn.copy_records_to_table("audit_entries", records=rows, columns=ENTRY_COLUMNS)
            await conn.copy_records_to_table("audit_nodes", records=nodes, columns=("level", "idx", "hash"))
        await conn.execute(
            "UPDATE audit_tree SET size = $1, frontier = $2", frontier.size, b"".join(frontier.hashes)
        )
        await conn.execute("ANALYZE audit_entries; ANALYZE audit_nodes")
    finally:
        await conn.close()
    return leaves, frontier.root()


def median(values: list[float]) -> float:
    """The median, 0 for no values."""
    return statistics.median(values) if values else 0.0
