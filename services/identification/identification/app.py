"""The identification service's FastAPI app factory and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from identification import MIGRATIONS_DIR
from identification.api import ROUTERS
from identification.events.consume import CONSUMER, PATTERNS, handle
from identification.service.gauges import refresh_gauges
from identification.service.review_runner import running_reviews
from identification.service.scheduler import running_scheduler
from identification.settings import IdentificationSettings, get_settings
from jzkit import web
from jzkit.clock import Clock, utc_now
from jzkit.gauges import running_gauges
from jzkit.messaging.bus import Publisher, Subscriber
from jzkit.runtime import consume_in_process, service_runtime
from jzkit.settings import CommonSettings, get_common_settings

SERVICE = "identification"


def create_app(
    settings: IdentificationSettings | None = None,
    common: CommonSettings | None = None,
    publisher: Publisher | None = None,
    subscriber: Subscriber | None = None,
    clock: Clock = utc_now,
) -> FastAPI:
    """Build the app; ``clock`` is injectable so tests can let notice periods run out."""
    settings = settings or get_settings()
    common = common or get_common_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(
            app, SERVICE, common, settings, publisher, migrations=MIGRATIONS_DIR
        ) as runtime:
            consume_in_process(subscriber, runtime, CONSUMER, PATTERNS, handle)
            async with running_reviews(app, runtime, settings), running_scheduler(app, runtime, settings):
                async with running_gauges(SERVICE, runtime.sessions, refresh_gauges):
                    yield

    app = FastAPI(title="Jingzhun identification", version="1.0.0", lifespan=lifespan)
    app.state.clock = clock
    app.state.settings = settings
    for router in ROUTERS:
        app.include_router(router)

    web.install_service(app, SERVICE)
    return app
