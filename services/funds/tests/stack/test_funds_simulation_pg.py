"""Randomized simulation on PostgreSQL: applications, approvals, batches and bank reports, duplicated,
reordered and partly failed, households exiting mid-way; after every step the ledger invariants hold,
no grant is paid twice, and every refused operation changed nothing.

Replay a failure with ``JZ_FUNDS_SIM_SEED=<printed seed>``; ``JZ_FUNDS_SIM_STEPS`` sets the length.
"""

from __future__ import annotations

import os
import random
from typing import Any

import pytest
import sqlalchemy as sa

from funds.domain.iso20022.camt054 import Reversal, build_camt054
from funds.domain.iso20022.ids import end_to_end_id
from funds.domain.iso20022.pain002 import TxStatus, build_pain002
from funds.repository import batches as batch_repo
from funds.service import batches, grants, reconcile
from funds.service.batches import BatchDraft
from funds.service.grants import GrantDraft, TransitionDraft
from funds.service.ledger import invariant_problems
from funds.testing import decision, industry_program, registry_event
from jzkit.errors import DomainError

pytestmark = pytest.mark.stack

Driver = Any  # the ``driver`` fixture (stack/conftest.py)
VILLAGES = ("510822104201", "510822104202")
CHABA = "510822104000"
HOUSEHOLDS = 400
INDUSTRIES = ("farming", "breeding", "processing", "services")
SNAPSHOT = sa.text(
    "SELECT (SELECT coalesce(sum(available_fen), 0) || '/' || coalesce(sum(reserved_fen), 0) || '/' ||"
    " coalesce(sum(paid_fen), 0) || '/' || coalesce(sum(delegated_fen), 0) FROM budget_balances),"
    " (SELECT string_agg(id || status || version, ',' ORDER BY id) FROM grants),"
    " (SELECT string_agg(id || status, ',' ORDER BY id) FROM payments),"
    " (SELECT count(*) FROM ledger_entries), (SELECT count(*) FROM outbox), (SELECT count(*) FROM batches),"
    " (SELECT count(*) FROM bank_reports)"
)
PAID_TWICE = sa.text(
    "SELECT grant_id FROM payments WHERE status = 'paid' GROUP BY grant_id HAVING count(*) > 1"
    " UNION SELECT g.id FROM grants g WHERE g.status = 'paid'"
    " AND (SELECT count(*) FROM payments p WHERE p.grant_id = g.id AND p.status = 'paid') <> 1"
)


class Simulation:
    """One random world: the driver, the random source, and the bank's reports kept for replays."""

    def __init__(self, driver: Driver, rng: random.Random) -> None:
        self.d = driver
        self.rng = rng
        self.versions: dict[str, int] = {}
        self.reports: list[tuple[str, bytes]] = []
        self.refused = 0
        self.codes: dict[str, int] = {}
        self.done = 0

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.d.sessions() as session:
            return list((await session.execute(sa.text(sql), params)).all())

    def household(self) -> tuple[str, str]:
        n = self.rng.randrange(HOUSEHOLDS)
        return f"hh-{n:03d}", VILLAGES[n % 2]

    async def lock_in(self) -> None:
        household, village = self.household()
        self.versions[household] = self.versions.get(household, 0) + 1
        card = None if self.rng.random() < 0.05 else f"6230{self.rng.randrange(10**12):012d}"
        event = registry_event(self.d.common, household, village, self.versions[household], card)
        await self.d.deliver(event)
        await self.d.deliver(event)  # a redelivery: the inbox makes it a no-op
        await self.d.deliver(decision(household, village, "approved", self.d.now))

    async def exit(self) -> None:
        household, village = self.household()
        await self.d.deliver(decision(household, village, "exited", self.d.now))

    async def apply(self) -> None:
        household, village = self.household()
        locked = await self.rows(
            "SELECT household_id, division_code FROM roster WHERE locked_in ORDER BY household_id"
        )
        if locked and self.rng.random() < 0.9:
            household, village = self.rng.choice(locked)
        industries = self.rng.sample(INDUSTRIES, self.rng.randint(1, 2))
        amount = self.rng.choice([None, None, None, 100_000, 500_000])
        draft = GrantDraft(
            program_id="industry-2026",
            household_id=household,
            period="2026",
            amount_fen=amount,
            details={"industries": industries},
        )
        await self.d.run("clerk" if village == VILLAGES[0] else "township", grants.apply, draft)

    async def step_grant(self) -> None:
        found = await self.rows("SELECT id, status, division_code FROM grants ORDER BY id")
        open_ones = [g for g in found if g[1] in ("applied", "verified", "notice", "failed", "returned")]
        if open_ones and self.rng.random() < 0.8:
            found = open_ones
        if not found:
            return
        grant_id, status, village = self.rng.choice(found)
        wanted = {
            "applied": "verify",
            "verified": "publish",
            "notice": "approve",
            "failed": "retry",
            "returned": "retry",
        }.get(status)
        if wanted is None and self.rng.random() < 0.9:
            return  # approved and later grants mostly wait for batches and the bank
        wanted = wanted or "cancel"
        action = (
            wanted if self.rng.random() < 0.85 else self.rng.choice(["reject", "cancel", "approve", "verify"])
        )
        clerk = "clerk" if village == VILLAGES[0] else "township"
        who = {"verify": clerk, "retry": "funds"}.get(action, "township")
        await self.d.run(who, grants.transition, grant_id, TransitionDraft(action=action, reason="sim"))

    async def batch(self) -> None:
        async with self.d.sessions() as session:
            found = await batch_repo.batchable(session, "industry-2026", "2026", "510822104")
        if not found:
            return
        count, total = len(found), sum(r.amount_fen for r in found)
        if self.rng.random() < 0.1:
            total += 1  # a wrong control total: refused
        draft = BatchDraft(
            program_id="industry-2026",
            period="2026",
            division_code=CHABA,
            payments_count=count,
            total_fen=total,
        )
        await self.d.run("funds", batches.create_batch, draft)

    async def bank_report(self) -> None:
        found = await self.rows(
            "SELECT b.id, b.message_id, p.grant_id FROM batches b JOIN payments p ON p.batch_id = b.id"
            " WHERE p.status = 'pending' ORDER BY b.id, p.grant_id"
        )
        if not found:
            return
        batch_id, msg_id, _ = self.rng.choice(found)
        pending = [g for b, _, g in found if b == batch_id]
        statuses = []
        for grant_id in self.rng.sample(pending, self.rng.randint(1, len(pending))):
            state = self.rng.choices(["accepted", "rejected", "pending"], [0.75, 0.2, 0.05])[0]
            statuses.append(TxStatus(end_to_end_id(grant_id), state, "AC04" if state == "rejected" else None))
        xml = build_pain002(f"BANK{self.rng.randrange(10**12)}", self.d.now, msg_id, statuses)
        self.reports.append((batch_id, xml))
        await self.d.run("funds", reconcile.apply_report, batch_id, xml)

    async def replay(self) -> None:
        if self.reports:
            batch_id, xml = self.rng.choice(self.reports)
            await self.d.run("funds", reconcile.apply_report, batch_id, xml)

    async def returned(self) -> None:
        found = await self.rows(
            "SELECT batch_id, grant_id, amount_fen FROM payments WHERE status = 'paid' ORDER BY id"
        )
        if not found:
            return
        batch_id, grant_id, amount = self.rng.choice(found)
        xml = build_camt054(
            f"RET{self.rng.randrange(10**12)}",
            self.d.now,
            "510822000000000001",
            [Reversal(end_to_end_id(grant_id), amount, "AC04", self.d.now)],
        )
        self.reports.append((batch_id, xml))
        await self.d.run("funds", reconcile.apply_report, batch_id, xml)

    async def advance(self) -> None:
        self.d.advance(hours=self.rng.choice([1, 12, 24, 72]))

    async def step(self) -> None:
        ops = [
            self.lock_in,
            self.exit,
            self.apply,
            self.step_grant,
            self.batch,
            self.bank_report,
            self.replay,
            self.returned,
            self.advance,
        ]
        op = self.rng.choices(ops, [12, 2, 14, 40, 4, 6, 3, 2, 6])[0]
        before = await self.rows(SNAPSHOT.text)
        try:
            await op()
            self.done += 1
        except DomainError as exc:
            self.refused += 1
            self.codes[f"{op.__name__}:{exc.code}"] = self.codes.get(f"{op.__name__}:{exc.code}", 0) + 1
            assert await self.rows(SNAPSHOT.text) == before, f"refused {op.__name__} changed state"

    async def check(self) -> None:
        async with self.d.sessions() as session:
            assert await invariant_problems(session) == []
            assert list((await session.execute(PAID_TWICE)).all()) == []


async def test_random_operations_keep_the_money_right(driver: Driver) -> None:
    seed = int(os.environ.get("JZ_FUNDS_SIM_SEED") or random.SystemRandom().randrange(2**32))
    steps = int(os.environ.get("JZ_FUNDS_SIM_STEPS", "2500"))
    print(f"funds simulation seed: {seed} (replay with JZ_FUNDS_SIM_SEED={seed})")
    await driver.program_and_budgets(
        industry_program(),
        {"region": 70_000_000, "county": 30_000_000},
        {"region": 17_500_000, "county": 7_500_000},
    )
    sim = Simulation(driver, random.Random(seed))
    for n in range(steps):
        try:
            await sim.step()
            await sim.check()
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}, step {n}: {exc}") from exc
    outcome = dict(await sim.rows("SELECT status, count(*) FROM payments GROUP BY status"))
    print("refusals:", sim.codes)
    print("grants by status:", dict(await sim.rows("SELECT status, count(*) FROM grants GROUP BY status")))
    print(f"{sim.done} operations applied, {sim.refused} refused; payments by status: {outcome}")
    assert sim.done > steps // 4 and sim.refused > 0
    assert outcome.get("paid", 0) > 0 and outcome.get("failed", 0) > 0 and outcome.get("returned", 0) > 0
