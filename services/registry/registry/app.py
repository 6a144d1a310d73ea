"""The registry's FastAPI app factory and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from jzkit import web
from jzkit.gauges import running_gauges
from jzkit.messaging.bus import Publisher, Subscriber
from jzkit.runtime import consume_in_process, service_runtime
from jzkit.settings import CommonSettings, get_common_settings
from registry import MIGRATIONS_DIR
from registry.api.import_routes import router as import_router
from registry.api.public import router as public_router
from registry.api.routes import router
from registry.events.consume import CONSUMER, PATTERNS, handle
from registry.gauges import refresh_gauges
from registry.imports.runner import running_imports
from registry.settings import RegistrySettings, get_settings

SERVICE = "registry"


def create_app(
    settings: RegistrySettings | None = None,
    common: CommonSettings | None = None,
    publisher: Publisher | None = None,
    subscriber: Subscriber | None = None,
) -> FastAPI:
    """Build the app; with ``publisher``/``subscriber`` (embedded mode) relay and consumer run in-process."""
    settings = settings or get_settings()
    common = common or get_common_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(
            app, SERVICE, common, settings, publisher, migrations=MIGRATIONS_DIR
        ) as runtime:
            consume_in_process(subscriber, runtime, CONSUMER, PATTERNS, handle)
            async with running_imports(app, runtime, settings):
                async with running_gauges(SERVICE, runtime.sessions, refresh_gauges):
                    yield

    app = FastAPI(title="Jingzhun registry", version="1.0.0", lifespan=lifespan)
    app.include_router(router)
    app.include_router(import_router)
    app.include_router(public_router)

    web.install_service(app, SERVICE)
    return app
