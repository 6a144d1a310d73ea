"""Runs queued re-review jobs in the background: one set-based evaluation, then cases in chunks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from identification.domain.reviews import CASE_KINDS
from identification.repository import reviews as repo
from identification.service.cases import open_case
from identification.service.reviews import evaluate_review
from identification.settings import IdentificationSettings
from jzkit.auth import Principal, Role
from jzkit.db import unit_of_work
from jzkit.errors import DomainError
from jzkit.runtime import ServiceRuntime

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 5.0
Clock = Callable[[], datetime]


@asynccontextmanager
async def running_reviews(
    app: FastAPI, runtime: ServiceRuntime, settings: IdentificationSettings
) -> AsyncIterator[None]:
    """Start the review job runner for the app's lifetime (reviews left running are resumed)."""
    runner = ReviewRunner(runtime, app.state.clock, settings)
    app.state.review_runner = runner
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_forever(stop))
    try:
        yield
    finally:
        stop.set()
        runner.wake()
        # Let a pass in progress finish its statement: cancelling mid-query strands the driver's
        # worker thread. A review still running after the grace is resumed by the next start.
        try:
            await asyncio.wait_for(task, timeout=STOP_GRACE_SECONDS)
        except TimeoutError:
            log.warning("review runner did not stop within %.0f s; cancelled", STOP_GRACE_SECONDS)


class ReviewRunner:
    """Runs review jobs one at a time in this process."""

    def __init__(self, runtime: ServiceRuntime, clock: Clock, settings: IdentificationSettings) -> None:
        self.runtime = runtime
        self.clock = clock
        self.settings = settings
        self._wake = asyncio.Event()
        self.idle = asyncio.Event()

    def wake(self) -> None:
        """Look for work now (a review was just queued and committed)."""
        self._wake.set()

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Resume abandoned reviews, then run queued ones as they arrive, until ``stop`` is set."""
        try:
            async with unit_of_work(self.runtime.sessions) as session:
                await repo.requeue_running(session)
        except Exception as exc:  # the database is down: the loop below retries the queued ones later
            log.warning("review runner cannot resume abandoned reviews: %s", exc)
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.run_pending()
            except Exception as exc:  # the database is down: keep polling, reviews stay queued
                log.warning("review runner cannot read reviews: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.review_poll_seconds)

    async def run_pending(self) -> int:
        """Run every queued review; returns how many ran."""
        async with unit_of_work(self.runtime.sessions) as session:
            ids = await repo.queued(session)
        ran = 0
        for review_id in ids:
            async with unit_of_work(self.runtime.sessions) as session:
                claimed = await repo.claim(session, review_id)
            if claimed:
                await self.run(review_id)
                ran += 1
        return ran

    async def run(self, review_id: str) -> None:
        """Evaluate a claimed review and, unless a dry run, open the proposed cases; failures are recorded."""
        try:
            async with unit_of_work(self.runtime.sessions) as session:
                await repo.update_review(session, review_id, phase="evaluating")
            async with unit_of_work(self.runtime.sessions) as session:
                proposals, dry_run = await evaluate_review(session, review_id)
            if not dry_run:
                await self._open_cases(review_id, proposals)
            async with unit_of_work(self.runtime.sessions) as session:
                await repo.update_review(
                    session, review_id, status="done", phase="done", finished_at=self.clock()
                )
        except Exception as exc:  # recorded on the job for the requester; the runner carries on
            log.exception("review %s failed", review_id)
            async with unit_of_work(self.runtime.sessions) as session:
                await repo.update_review(
                    session,
                    review_id,
                    status="failed",
                    phase="failed",
                    error=str(exc)[:2000],
                    finished_at=self.clock(),
                )

    async def _open_cases(self, review_id: str, proposals: int) -> None:
        async with unit_of_work(self.runtime.sessions) as session:
            await repo.update_review(session, review_id, phase="opening_cases", done=0, total=proposals)
        done = 0
        while True:
            async with unit_of_work(self.runtime.sessions) as session:
                row = await repo.get_review(session, review_id)
                assert row is not None
                m = row._mapping
                principal = Principal(
                    subject=str(m["requested_by"]),
                    role=Role(str(m["requested_role"])),
                    jurisdiction=str(m["requested_jurisdiction"]),
                )
                items = await repo.without_case(
                    session, review_id, tuple(CASE_KINDS), self.settings.review_cases_per_transaction
                )
                if not items:
                    return
                for item in items:
                    await self._open_one(
                        session, review_id, principal, str(m["policy_id"]), str(m["reason"]), item
                    )
                done += len(items)
                await repo.update_review(session, review_id, done=min(done, proposals))

    async def _open_one(
        self,
        session: AsyncSession,
        review_id: str,
        principal: Principal,
        policy_id: str,
        reason: str,
        item: repo.Row,
    ) -> None:
        m = item._mapping
        household_id = str(m["household_id"])
        try:
            async with session.begin_nested():
                case = await open_case(
                    session,
                    principal=principal,
                    household_id=household_id,
                    kind=CASE_KINDS[str(m["outcome"])],
                    policy_id=policy_id,
                    reason=f"re-review {review_id}: {reason}",
                    now=self.clock(),
                    review_id=review_id,
                )
        except DomainError as exc:  # e.g. a case opened by hand meanwhile: noted on the item, others go on
            await repo.set_case(session, review_id, household_id, None, error=exc.code)
            return
        await repo.set_case(session, review_id, household_id, case.id)
