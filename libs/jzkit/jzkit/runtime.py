"""A service's live resources (engine, sessions, bus, relay), created in its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from jzkit.db import SessionFactory, make_engine, make_session_factory
from jzkit.messaging.bus import Publisher, Subscriber
from jzkit.messaging.inbox import Handler, InboxConsumer
from jzkit.messaging.relay import OutboxRelay
from jzkit.pii import PiiCipher
from jzkit.settings import CommonSettings, ServiceSettings, refuse_dev_secrets_outside_embedded

log = logging.getLogger(__name__)
# How long shutdown waits for the relay's pass in flight (a slow bus must not hang or fail the shutdown).
STOP_TIMEOUT_SECONDS = 5.0


@dataclass
class ServiceRuntime:
    """Everything a request handler of one service may touch, stored on ``app.state.runtime``."""

    name: str
    common: CommonSettings
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: SessionFactory
    pii: PiiCipher
    relay: OutboxRelay | None = None
    expected_revision: str | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def after_commit(self) -> None:
        """Nudge the in-process relay so events leave without waiting for the next poll."""
        if self.relay is not None:
            self.relay.wake()

    async def check_database(self) -> None:
        """Readiness: the database answers and its schema is the one this code was written for."""
        async with self.engine.connect() as conn:
            if self.expected_revision is None:
                await conn.execute(text("SELECT 1"))
                return
            found = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        if found != self.expected_revision:
            raise RuntimeError(f"schema at revision {found}, expected {self.expected_revision}: run migrate")


@asynccontextmanager
async def service_runtime(
    app: FastAPI,
    name: str,
    common: CommonSettings,
    settings: ServiceSettings,
    publisher: Publisher | None,
    on_start: Callable[[ServiceRuntime], None] | None = None,
    migrations: Path | None = None,
) -> AsyncIterator[ServiceRuntime]:
    """Open the engine; with a publisher (embedded mode) run the outbox relay in this process."""
    # Alembic loads here, not at import: commands that only use the runtime (import, export) skip it.
    from jzkit.migrate import head_revision

    refuse_dev_secrets_outside_embedded(common)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    runtime = ServiceRuntime(
        name=name,
        common=common,
        settings=settings,
        engine=engine,
        sessions=sessions,
        pii=PiiCipher(common.pii_key.get_secret_value()),
        expected_revision=head_revision(migrations) if migrations else None,
    )
    if publisher is not None:
        runtime.relay = OutboxRelay(
            name,
            sessions,
            publisher,
            batch_size=common.relay_batch_size,
            interval=common.relay_interval_seconds,
        )
        runtime._tasks.append(asyncio.create_task(runtime.relay.run_forever(runtime._stop)))
    if on_start is not None:
        on_start(runtime)
    app.state.runtime = runtime
    try:
        yield runtime
    finally:
        runtime._stop.set()
        for task in runtime._tasks:
            try:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=STOP_TIMEOUT_SECONDS)
            except TimeoutError:  # a pass cut short keeps its rows unpublished: the next start sends them
                log.warning("%s: a background task did not stop in time; cancelled", name)
        await engine.dispose()


def consume_in_process(
    subscriber: Subscriber | None,
    runtime: ServiceRuntime,
    consumer: str,
    patterns: tuple[str, ...],
    handle: Handler,
) -> None:
    """Embedded mode: have the in-process bus deliver ``patterns`` to ``handle`` through the inbox."""
    if subscriber is not None:
        subscriber.subscribe(consumer, patterns, InboxConsumer(consumer, runtime.sessions, handle).deliver)
