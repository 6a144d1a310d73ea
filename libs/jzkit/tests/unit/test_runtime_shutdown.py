"""Shutdown of a service runtime whose relay is stuck on a slow bus: it ends, and loses nothing."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import SQLModel, select

from jzkit import runtime
from jzkit.contracts.envelope import CloudEvent
from jzkit.db import unit_of_work
from jzkit.messaging.outbox import record_event
from jzkit.messaging.tables import OutboxMessage
from jzkit.runtime import service_runtime
from jzkit.settings import CommonSettings, ServiceSettings


class StuckBus:
    """Takes events and never confirms them (an overloaded in-process subscriber)."""

    def __init__(self) -> None:
        self.called = asyncio.Event()

    async def publish(self, event: CloudEvent) -> None:
        self.called.set()
        await asyncio.Event().wait()


async def test_shutdown_cancels_a_stuck_relay_pass_and_keeps_its_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(runtime, "STOP_TIMEOUT_SECONDS", 0.2)
    settings = ServiceSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'kit.db'}")
    common = CommonSettings(relay_interval_seconds=0.01)
    bus = StuckBus()
    with caplog.at_level(logging.WARNING, logger="jzkit.runtime"):
        async with service_runtime(FastAPI(), "stuck", common, settings, bus) as rt:
            async with rt.engine.begin() as conn:
                await conn.run_sync(
                    lambda sync: SQLModel.metadata.create_all(sync, tables=[OutboxMessage.__table__])  # type: ignore[attr-defined]
                )
            async with unit_of_work(rt.sessions) as session:
                record_event(session, CloudEvent(source="kit-test", type="kit.thing.happened", data={}))
            rt.after_commit()
            await asyncio.wait_for(bus.called.wait(), timeout=10)
            sessions = rt.sessions
        # The context ended without raising although the relay's pass never finished.
        async with sessions() as session:
            [row] = (await session.execute(select(OutboxMessage))).scalars().all()
    assert row.published_at is None, "the interrupted pass must leave its row to the next start"
    assert "did not stop in time" in caplog.text
