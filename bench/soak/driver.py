"""The open-model schedule: request *i* is due at ``start + i / rate`` whether or not earlier ones returned.

At most ``concurrency`` requests are in flight; one that falls due while the bound is reached is not
sent and counts as an error ("shed"): the stack did not keep up with the rate. Everything is bounded:
the schedule has ``rate * seconds`` slots, every request has the client's timeout, and the drain at
the end waits at most ``DRAIN_SECONDS`` for what is still running.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.reading import percentile
from bench.soak.mix import MIX, Op, choose, review_body
from bench.soak.operations import Soak

DRAIN_SECONDS = 60.0  # requests, job polls and the review still running when the schedule ends
REVIEW_POLL_SECONDS = 2.0
REVIEW_SHARE = 0.25  # the review run is started this far into the schedule


@dataclass
class Schedule:
    """What the schedule did."""

    due: int = 0  # slots in the schedule
    sent: int = 0  # operations started (shed ones not)
    idle: int = 0  # slots where no operation could run (never expected: reads always can)
    skipped: int = 0  # operations that found their target taken by one due in the same instant
    unfinished: int = 0  # cancelled by the drain's bound
    seconds: float = 0.0
    lags: list[float] = field(default_factory=list)  # how late each operation started
    review: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The schedule's part of the report."""
        lags = sorted(self.lags)
        return {
            "due": self.due,
            "sent": self.sent,
            "idle": self.idle,
            "skipped": self.skipped,
            "unfinished": self.unfinished,
            "seconds": self.seconds,
            "achieved_rate": (self.sent - self.skipped) / self.seconds if self.seconds else 0.0,
            "start_lag_p99_ms": percentile(lags, 0.99) * 1000,
            "start_lag_max_ms": (lags[-1] if lags else 0.0) * 1000,
        }


async def drive(soak: Soak, *, rate: float, seconds: float, concurrency: int) -> Schedule:
    """Run the schedule, the review run beside it, then drain (bounded)."""
    schedule = Schedule(due=int(rate * seconds))
    recorder = soak.caller.recorder
    unexercised = {op.route for op in MIX}
    in_flight: set[asyncio.Task[None]] = set()
    loop = asyncio.get_running_loop()
    start = loop.time()
    review = asyncio.create_task(
        _review(soak, start + seconds * REVIEW_SHARE, start + seconds + DRAIN_SECONDS)
    )
    for slot in range(schedule.due):
        due = start + slot / rate
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)
        op = choose(soak.world, soak.rng, unexercised)
        if op is None:
            schedule.idle += 1
            continue
        unexercised.discard(op.route)
        if len(in_flight) >= concurrency:
            recorder.shed(op.route)
            continue
        schedule.lags.append(loop.time() - due)
        schedule.sent += 1
        task = asyncio.create_task(_guarded(soak, op))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    schedule.seconds = loop.time() - start
    pending: set[asyncio.Task[Any]] = {*in_flight, *soak.background, review}
    finish_by = time.monotonic() + DRAIN_SECONDS
    while pending and time.monotonic() < finish_by:
        # Job polls spawned by uploads that were still in flight join the wait as they appear.
        await asyncio.wait(pending, timeout=min(1.0, max(0.0, finish_by - time.monotonic())))
        pending = {t for t in (*in_flight, *soak.background, review) if not t.done()}
    for leftover in pending:
        leftover.cancel()
        schedule.unfinished += 1
    await asyncio.gather(*pending, return_exceptions=True)
    if schedule.unfinished:
        recorder.error("drain", None, f"{schedule.unfinished} unfinished after {DRAIN_SECONDS:.0f} s")
    schedule.review = review.result() if review.done() and not review.cancelled() else {"status": "cancelled"}
    schedule.skipped = soak.skipped
    return schedule


async def _guarded(soak: Soak, op: Op) -> None:
    """An operation whose own bug is an error of its route, never a dead task nobody looks at."""
    try:
        await op.run(soak)
    except Exception as exc:  # reported as this route's error, with its type and text
        soak.caller.recorder.error(op.route, None, f"soak {type(exc).__name__}", str(exc))


async def _review(soak: Soak, at: float, deadline: float) -> dict[str, Any]:
    """POST one re-review of the county at ``at`` (loop time) and poll it until it is done or failed."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, at - loop.time()))
    started = loop.time()
    caller = soak.caller
    posted = await caller.call(
        "POST /api/v1/reviews",
        "POST",
        "/api/v1/reviews",
        "county",
        json=review_body(soak.world),
        expect=(202,),
    )
    if posted is None or posted.status_code != 202:
        return {"status": "not started"}
    review_id = str(posted.json()["id"])
    template = "GET /api/v1/reviews/{review_id}"
    while loop.time() < deadline:
        await asyncio.sleep(REVIEW_POLL_SECONDS)
        polled = await caller.call(
            template, "GET", f"/api/v1/reviews/{review_id}", "county", check=_review_failed
        )
        if polled is None or polled.status_code != 200:
            continue
        body = polled.json()
        if body["status"] in ("done", "failed"):
            return {
                "id": review_id,
                "status": body["status"],
                "seconds": loop.time() - started,
                "households": body.get("progress", {}).get("total"),
            }
    caller.recorder.error(template, None, "review not finished")
    return {"id": review_id, "status": "not finished", "seconds": loop.time() - started}


def _review_failed(response: httpx.Response) -> str | None:
    return "review failed" if response.json().get("status") == "failed" else None
