"""Closes notice periods that have run out, every ``notice_poll_seconds``, for the app's lifetime."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI

from identification.service.notices import close_ended_notices
from identification.settings import IdentificationSettings
from jzkit.db import SessionFactory, unit_of_work
from jzkit.runtime import ServiceRuntime

log = logging.getLogger(__name__)

__all__ = ["close_ended_notices", "poll_once", "running_scheduler"]


async def poll_once(sessions: SessionFactory, clock: Callable[[], datetime]) -> int:
    """One pass in its own transaction: close the notices that ended by the clock's now."""
    async with unit_of_work(sessions) as session:
        return await close_ended_notices(session, clock())


async def _run(app: FastAPI, runtime: ServiceRuntime, interval: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        # Wait first: at start-up nothing is due that the first request would not settle itself.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
        if stop.is_set():
            return
        try:
            if await poll_once(runtime.sessions, app.state.clock):
                runtime.after_commit()
        except Exception:  # logged and retried next pass: a lost pass only delays the notice.ended event
            log.exception("closing ended notices failed")


@asynccontextmanager
async def running_scheduler(
    app: FastAPI, runtime: ServiceRuntime, settings: IdentificationSettings
) -> AsyncIterator[None]:
    """Start the notice scheduler for the app's lifetime."""
    stop = asyncio.Event()
    task = asyncio.create_task(_run(app, runtime, settings.notice_poll_seconds, stop))
    try:
        yield
    finally:
        stop.set()
        await task
