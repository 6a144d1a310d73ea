"""Business gauges: the services' periodic refresh exports what their databases hold."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Gauge

from funds.models.tables import balances, budgets
from jzkit import metrics
from jzkit.gauges import Snapshot, refresh_forever
from registry.models import Household

if TYPE_CHECKING:
    from conftest import Scraper


async def _samples(apps: Scraper, app: str, family: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Samples of ``family`` scraped from ``app`` once its refresh has run (bounded wait)."""
    async with asyncio.timeout(10):
        while True:
            found = (await apps.scrape(app)).get(family)
            if found is not None and found.samples:
                return {tuple(sorted(s.labels.items())): s.value for s in found.samples}
            await asyncio.sleep(0.05)


async def _rows(apps: Scraper, app: str, query: Any) -> list[Any]:
    async with apps.apps[app].state.runtime.sessions() as session:
        return list((await session.execute(query)).all())


async def test_households_by_status_match_the_registry(apps: Scraper) -> None:
    status = Household.__table__.c.status  # type: ignore[attr-defined]
    counted = await _rows(apps, "registry", sa.select(status, sa.func.count()).group_by(status))
    assert counted, "the seed registers households"
    scraped = await _samples(apps, "registry", "jz_households")
    assert scraped == {(("status", s),): float(n) for s, n in counted}


async def test_money_by_program_adds_up_to_what_the_budgets_hold(apps: Scraper) -> None:
    held = sa.func.sum(balances.c.allocated_fen - balances.c.delegated_fen)
    query = (
        sa.select(budgets.c.program_id, budgets.c.year, held)
        .join(balances, balances.c.budget_id == budgets.c.id)
        .group_by(budgets.c.program_id, budgets.c.year)
    )
    programs = {(p, str(y)): float(total) for p, y, total in await _rows(apps, "funds", query)}
    assert programs, "the seed creates budgets"
    scraped = await _samples(apps, "funds", "jz_budget_fen")
    totals: dict[tuple[str, str], float] = {}
    for labels, value in scraped.items():
        named = dict(labels)
        assert named["state"] in {"available", "reserved", "paid"}
        key = (named["program"], named["year"])
        totals[key] = totals.get(key, 0.0) + value
    assert totals == programs
    used = await _samples(apps, "funds", "jz_budget_used_ratio_max")
    assert {(dict(k)["program"], dict(k)["year"]) for k in used} == set(programs)
    assert all(0.0 <= v <= 1.0 for v in used.values())


def test_snapshot_drops_label_sets_that_vanished() -> None:
    gauge = Gauge("jz_test_snapshot", "test", ["status"], registry=CollectorRegistry())
    snapshot = Snapshot(gauge)
    snapshot.publish({("poor",): 3.0, ("exited",): 1.0})
    snapshot.publish({("poor",): 2.0})
    samples = {s.labels["status"]: s.value for m in gauge.collect() for s in m.samples}
    assert samples == {"poor": 2.0}


async def test_a_failing_refresh_is_counted_and_retried() -> None:
    calls = 0
    stop = asyncio.Event()

    async def refresh(_: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            stop.set()
        raise RuntimeError("database gone")

    before = metrics.GAUGE_REFRESH_FAILED.labels("ops-test")._value.get()
    await asyncio.wait_for(refresh_forever("ops-test", None, refresh, stop, 0.01), timeout=5)  # type: ignore[arg-type]
    assert calls == 2
    assert metrics.GAUGE_REFRESH_FAILED.labels("ops-test")._value.get() == before + 2
