"""The modest data set the soak starts from, made through the gateway like any client would.

A policy with one-second notices (so cases and grants move on within the run), the people quotas the
review needs, a grant program with budgets, ``households`` registered households that identification
already has, and ``locked`` of them taken through the whole procedure to the funds roster, so grants
are applied for from the first minute. Every wait is bounded; any failure stops the soak before its load.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bench.soak.operations import CHABA_VILLAGES, Soak
from bench.soak.world import COUNTY, TOWNSHIP
from funds.testing import industry_program
from identification.policies import DEFAULT, document
from identification.seed import CHABA_VILLAGES as CHABA_QUOTAS
from identification.seed import COUNTY_PEOPLE

NOTICE = "PT1S"
PROGRAM = "soak-industry-2026"
BUDGET_GRANTS = 50_000  # budgets cover this many 2000-yuan grants: never the limit of a run
FARMING_FEN = 200_000
QUOTA_YEAR = 2026
PARALLEL = 8
WAIT_SECONDS = 90.0
POLL_SECONDS = 0.3


class SoakFailed(Exception):
    """The soak could not set up or could not produce a trustworthy result."""


async def seed(soak: Soak, households: int, locked: int) -> None:
    """Reference data, households, and ``locked`` households on the roster (bounded waits)."""
    await _reference_data(soak)
    gate = asyncio.Semaphore(PARALLEL)

    async def register() -> None:
        async with gate:
            await soak.register()

    await asyncio.gather(*(register() for _ in range(households)))
    _check(soak, "registering")
    each = _each(gate, lambda: list(soak.world.unprojected), soak.assessment)
    await _until(lambda: not soak.world.unprojected, each, "identification has every household")
    for _ in range(min(locked, households)):
        await soak.open_case()
    _check(soak, "opening cases")
    await _until(lambda: not soak.world.cases, _step_cases(soak), "every seeded case is locked")
    each = _each(gate, lambda: list(soak.world.unlocked), soak.roster_entry)
    await _until(lambda: not soak.world.unlocked, each, "the roster has every locked household")
    _check(soak, "locking households in")


async def _reference_data(soak: Soak) -> None:
    caller, world = soak.caller, soak.world
    policy = document(DEFAULT)
    policy.update(name="soak-fast-notices", division_code=COUNTY)
    policy["notices"] = {"first": NOTICE, "second": NOTICE, "county": None}
    stored = await caller.call(
        "seed",
        "POST",
        "/api/v1/policies",
        "admin",
        json={"document": policy, "reason": "soak"},
        expect=(201,),
    )
    if stored is None or stored.status_code != 201:
        _check(soak, "storing the policy")
    assert stored is not None
    world.policy_id = str(stored.json()["id"])
    quotas = [
        (COUNTY, COUNTY_PEOPLE),
        (TOWNSHIP, sum(CHABA_QUOTAS)),
        *zip(CHABA_VILLAGES, CHABA_QUOTAS, strict=True),
    ]
    for code, people in quotas:  # parents first: a child never exceeds its parent
        body = {"division_code": code, "year": QUOTA_YEAR, "people": people, "reason": "soak"}
        await caller.call("seed", "POST", "/api/v1/quotas", "admin", json=body, expect=(201,))
    world.program = PROGRAM
    program = industry_program(code=PROGRAM, notice=NOTICE, test_only=True)
    await caller.call("seed", "POST", "/api/v1/programs", "funds", json=program, expect=(201,))
    need = BUDGET_GRANTS * FARMING_FEN
    for division, scale in ((COUNTY, 2), (TOWNSHIP, 1)):
        amounts = {"region": need * 7 // 10 * scale, "county": need * 3 // 10 * scale}
        body = {"program_id": PROGRAM, "division_code": division, "year": 2026, "amounts_fen": amounts}
        await caller.call("seed", "POST", "/api/v1/budgets", "funds", json=body, expect=(201,))
    _check(soak, "storing the reference data")


def _each(
    gate: asyncio.Semaphore, targets: Callable[[], list[str]], act: Callable[[str], Awaitable[None]]
) -> Callable[[], Awaitable[None]]:
    """``act`` on every current target, ``PARALLEL`` at a time."""

    async def one(target: str) -> None:
        async with gate:
            await act(target)

    async def each() -> None:
        await asyncio.gather(*(one(t) for t in targets()))

    return each


def _step_cases(soak: Soak) -> Callable[[], Awaitable[None]]:
    async def step() -> None:
        while soak.world.has_ready(soak.world.cases):
            await soak.case_step()

    return step


async def _until(done: Callable[[], bool], act: Callable[[], Awaitable[None]], what: str) -> None:
    """Call ``act`` until ``done`` holds, for at most ``WAIT_SECONDS``."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not done():
        if time.monotonic() > deadline:
            raise SoakFailed(f"seeding: not true after {WAIT_SECONDS:.0f} s: {what}")
        await act()
        await asyncio.sleep(POLL_SECONDS)


def _check(soak: Soak, phase: str) -> None:
    """Stop at the first seeding request that failed (by-design answers, e.g. lag, are fine here)."""
    recorder = soak.caller.recorder
    failed = sum(sum(r.errors.values()) for r in recorder.routes.values())
    if failed:
        raise SoakFailed(f"seeding failed while {phase}: " + "; ".join(recorder.error_samples))
