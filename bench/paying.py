"""Paying: a batch of approved grants built, exported to pain.001 and reconciled from a pain.002."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

import funds
from bench import memory
from bench.report import Line, Report
from funds.domain.budget import split_by_sources
from funds.domain.iso20022.ids import end_to_end_id
from funds.domain.iso20022.pain002 import TxStatus, build_pain002
from funds.domain.program import parse_program
from funds.models.tables import grants, roster
from funds.repository.batches import insert_many
from funds.service import batches, budgets, money, postings, programs, reconcile
from funds.service.batches import BatchDraft
from funds.service.budgets import BudgetDraft
from funds.service.context import Context
from funds.service.ledger import invariant_problems
from funds.settings import FundsSettings
from funds.testing import industry_program
from jzkit.auth import Principal, Role
from jzkit.db import make_engine, make_session_factory, unit_of_work
from jzkit.ids import new_id
from jzkit.migrate import upgrade
from jzkit.pgadmin import recreate_database, with_database
from jzkit.pii import PiiCipher
from jzkit.settings import CommonSettings
from jzkit.testing.stack import drop_database

COUNTY, CHABA = "510822000000", "510822104000"
VILLAGES = tuple(f"510822104{n:03d}" for n in range(201, 212))
GRANT_FEN = 200_000
PAY_SECONDS_AIM = 30.0
MB = 2**20
REJECTED_EVERY = 100  # 1% of the payments are rejected by the bank


@dataclass(frozen=True)
class PayingResult:
    """Seconds per step of one batch, the file's size and the process's peak memory."""

    grants: int
    build_seconds: float
    export_seconds: float
    reconcile_seconds: float
    file_bytes: int
    paid: int
    failed: int
    peak_rss_bytes: int

    @property
    def total_seconds(self) -> float:
        """The three timed steps together (the aim: at most 30 s)."""
        return self.build_seconds + self.export_seconds + self.reconcile_seconds


def _ctx(common: CommonSettings, role: Role = Role.FUNDS_OFFICER) -> Context:
    principal = Principal("bench", role, COUNTY)
    return Context(
        principal, datetime.now(UTC), PiiCipher(common.pii_key.get_secret_value()), FundsSettings()
    )


async def _seed(sessions: Any, common: CommonSettings, count: int) -> None:
    """The program, budgets, roster and ``count`` approved grants with their reservations (bulk, untimed)."""
    ctx = _ctx(common)
    doc = industry_program()
    program = parse_program(doc)
    total = count * GRANT_FEN
    async with unit_of_work(sessions) as session:
        await programs.create_program(session, ctx, doc)
        for division in (COUNTY, CHABA):
            amounts = split_by_sources(total, program.funding_sources)
            await budgets.create_budget(
                session,
                ctx,
                BudgetDraft(program_id=program.code, division_code=division, year=2026, amounts_fen=amounts),
            )
    pii = ctx.pii
    async with unit_of_work(sessions) as session:
        budget_id = (
            await session.execute(sa.text("SELECT id FROM budgets WHERE division_code = :d"), {"d": CHABA})
        ).scalar_one()
        parts = split_by_sources(GRANT_FEN, program.funding_sources)
        households, rows = [], []
        for n in range(count):
            household, village = f"hh-{n:07d}", VILLAGES[n % len(VILLAGES)]
            households.append(
                {
                    "household_id": household,
                    "division_code": village,
                    "locked_in": True,
                    "decided_at": ctx.now,
                    "facts_version": 1,
                    "facts": "{}",
                    "bank_name": "农村信用社",
                    "account_masked": "6230********0000",
                    "account_ciphertext": pii.encrypt(f"6230{n:012d}"),
                    "card_update_required": False,
                    "updated_at": ctx.now,
                }
            )
            rows.append(
                {
                    "id": new_id(),
                    "program_id": program.code,
                    "household_id": household,
                    "division_code": village,
                    "period": "2026",
                    "amount_fen": GRANT_FEN,
                    "breakdown": "{}",
                    "details": "{}",
                    "status": "approved",
                    "notice_ends_at": ctx.now,
                    "budget_id": budget_id,
                    "reserved": json.dumps(parts, sort_keys=True),
                    "frozen": "{}",
                    "version": 4,
                    "created_at": ctx.now,
                    "updated_at": ctx.now,
                }
            )
        await insert_many(session, roster, households)
        await insert_many(session, grants, rows)
        # The approvals' reservations, summed per source, with one ledger transaction per grant and source.
        rows_as = [_Grant(r["id"], budget_id, r["reserved"]) for r in rows]
        await money.shift(session, ctx, rows_as, "available_fen", "reserved_fen", postings.reservation)


@dataclass(frozen=True)
class _Grant:
    id: str
    budget_id: str
    reserved: str


async def run_paying(url: str, common: CommonSettings, count: int) -> PayingResult:
    """Seed, then time building, exporting and reconciling one batch of ``count`` grants."""
    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)
        await _seed(sessions, common, count)
        ctx = _ctx(common)
        started = time.perf_counter()
        async with unit_of_work(sessions) as session:
            draft = BatchDraft(
                program_id="industry-2026",
                period="2026",
                division_code=CHABA,
                payments_count=count,
                total_fen=count * GRANT_FEN,
            )
            batch_id = await batches.create_batch(session, ctx, draft)
        built = time.perf_counter()
        async with unit_of_work(sessions) as session:
            xml = await batches.payment_file(session, ctx, batch_id)
        exported = time.perf_counter()
        async with sessions() as session:
            msg_id = (
                await session.execute(
                    sa.text("SELECT message_id FROM batches WHERE id = :b"), {"b": batch_id}
                )
            ).scalar_one()
            ids = [
                r[0]
                for r in (
                    await session.execute(
                        sa.text("SELECT grant_id FROM payments WHERE batch_id = :b ORDER BY grant_id"),
                        {"b": batch_id},
                    )
                ).all()
            ]
        statuses = [
            TxStatus(end_to_end_id(g), "rejected", "AC04")
            if n % REJECTED_EVERY == 0
            else TxStatus(end_to_end_id(g), "accepted")
            for n, g in enumerate(ids)
        ]
        report = build_pain002("BANK-BENCH-1", ctx.now, msg_id, statuses)
        reconcile_start = time.perf_counter()
        async with unit_of_work(sessions) as session:
            summary = await reconcile.apply_report(session, ctx, batch_id, report)
        done = time.perf_counter()
        async with sessions() as session:
            problems = await invariant_problems(session)
        if problems:
            raise RuntimeError(f"ledger invariants broken after the bench: {problems[:3]}")
        failed = len(ids[::REJECTED_EVERY])
        return PayingResult(
            grants=count,
            build_seconds=built - started,
            export_seconds=exported - built,
            reconcile_seconds=done - reconcile_start,
            file_bytes=len(xml),
            paid=int(summary["applied"]) - failed,
            failed=failed,
            peak_rss_bytes=memory.peak_rss_bytes(),
        )
    finally:
        await engine.dispose()


async def paying_benchmark(admin_url: str, grants: int = 100_000) -> PayingResult:
    """Run the paying bench on a scratch PostgreSQL database (dropped afterwards)."""
    memory.reset_peak()
    name = f"jz_bench_funds_{uuid.uuid4().hex[:8]}"
    await recreate_database(admin_url, name)
    url = with_database(admin_url, name, "postgresql+asyncpg")
    try:
        await asyncio.to_thread(upgrade, funds.MIGRATIONS_DIR, url)
        return await run_paying(url, CommonSettings(mode="embedded"), grants)
    finally:
        await drop_database(admin_url, name)


if __name__ == "__main__":
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    result = asyncio.run(paying_benchmark("postgresql://postgres:postgres@127.0.0.1:5432/postgres", size))
    print(result, f"total {result.total_seconds:.2f} s, peak RSS {result.peak_rss_bytes / 2**20:.0f} MiB")


def report_lines(report: Report, grants: int, admin_url: str) -> None:
    """One disbursement batch: build, pain.001 export, pain.002 reconciliation, and peak memory."""
    print(f"pay: a batch of {grants:,} approved grants in a scratch database ...")
    result = asyncio.run(paying_benchmark(admin_url, grants))
    report.add(Line("pay", "build batch", result.build_seconds, "s"))
    report.add(Line("pay", "export pain.001", result.export_seconds, "s"))
    report.add(Line("pay", "reconcile pain.002", result.reconcile_seconds, "s"))
    report.add(Line("pay", "three steps (aim)", result.total_seconds, "s", aim=PAY_SECONDS_AIM))
    report.add(Line("pay", "payment file", result.file_bytes / MB, "MB"))
    report.add(Line("pay", "peak RSS", result.peak_rss_bytes / MB, "MB"))
    report.notes.append(
        f"pay: {result.grants:,} approved grants (reserved in bulk beforehand, untimed); build = claim the"
        " grants into a batch whose control totals match, freeze amount and card per payment; export ="
        " the XSD-valid pain.001.001.09 file; reconcile = a pain.002 with"
        f" {result.paid:,} accepted and {result.failed:,} rejected, ledger posted, ledger invariants checked"
    )
