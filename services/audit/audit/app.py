"""The audit service's FastAPI app factory and lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from audit import MIGRATIONS_DIR
from audit.api.routes import router
from audit.domain.note import Signer
from audit.events.consume import CONSUMER, PATTERNS, handle
from audit.settings import AuditSettings, get_settings, refuse_dev_signer_outside_embedded
from jzkit import web
from jzkit.messaging.bus import Publisher, Subscriber
from jzkit.runtime import consume_in_process, service_runtime
from jzkit.settings import CommonSettings, get_common_settings

SERVICE = "audit"


def create_app(
    settings: AuditSettings | None = None,
    common: CommonSettings | None = None,
    publisher: Publisher | None = None,
    subscriber: Subscriber | None = None,
) -> FastAPI:
    """Build the app; with ``subscriber`` (embedded mode) every event on that bus is logged."""
    settings = settings or get_settings()
    common = common or get_common_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        refuse_dev_signer_outside_embedded(settings, common)
        app.state.signer = Signer.from_signer_key(settings.signer_key.get_secret_value())
        async with service_runtime(
            app, SERVICE, common, settings, publisher, migrations=MIGRATIONS_DIR
        ) as runtime:
            consume_in_process(subscriber, runtime, CONSUMER, PATTERNS, handle)
            yield

    app = FastAPI(title="Jingzhun audit", version="1.0.0", lifespan=lifespan)
    app.include_router(router)

    web.install_service(app, SERVICE)
    return app
