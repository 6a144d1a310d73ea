"""Embedded mode: gateway and every service in one process, SQLite files, the in-process bus."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.app import create_app as create_gateway
from gateway.auth_routes import demo_users
from gateway.settings import get_settings as gateway_settings
from jingzhun.catalog import SERVICES
from jzkit.db import make_engine, make_session_factory, unit_of_work
from jzkit.messaging.bus import InProcessBus
from jzkit.pii import PiiCipher
from jzkit.settings import get_common_settings


def build() -> FastAPI:
    """The gateway app with every service mounted in-process behind it."""
    common = get_common_settings()
    # Held until every service's lifespan has run: a relay starting before a later service
    # subscribes would otherwise deliver the seeded events to nobody.
    bus = InProcessBus(held=True)
    services = {}
    for name, spec in SERVICES.items():
        wiring: dict[str, Any] = {}
        if spec.publishes:
            wiring["publisher"] = bus
        if spec.consumes:
            wiring["subscriber"] = bus
        services[name] = spec.create_app(common=common, **wiring)
    gateway = create_gateway(gateway_settings(), common, embedded=services)
    started = gateway.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with started(app):
            bus.release()
            yield

    gateway.router.lifespan_context = lifespan
    return gateway


async def seed_if_empty() -> int:
    """Load the demo world into every empty service database; returns registry households created."""
    from registry.domain.household import Limits
    from registry.seed import seed_demo

    common = get_common_settings()
    settings = SERVICES["registry"].settings()
    async with _session(settings.database_url) as session:
        limits = Limits(settings.max_annual_income_fen, settings.max_members)  # type: ignore[attr-defined]
        created = await seed_demo(session, PiiCipher(common.pii_key.get_secret_value()), limits)
    # Policies, quotas, programs and budgets: each service's own ``seed.seed_demo(session)``.
    for name, spec in SERVICES.items():
        if name == "registry" or importlib.util.find_spec(f"{spec.package}.seed") is None:
            continue
        async with _session(spec.settings().database_url) as session:
            await importlib.import_module(f"{spec.package}.seed").seed_demo(session)
    return created


@asynccontextmanager
async def _session(url: str) -> AsyncIterator[AsyncSession]:
    engine = make_engine(url)
    try:
        async with unit_of_work(make_session_factory(engine)) as session:
            yield session
    finally:
        await engine.dispose()


def banner(host: str, port: int) -> str:
    """What a newcomer needs to start: URLs and demo users."""
    base = f"http://{host}:{port}"
    lines = [
        "",
        "Jingzhun is running (embedded mode: SQLite under ./var, in-process bus).",
        f"  API:     {base}/api/v1/",
        f"  Docs:    {base}/docs   (OpenAPI: {base}/openapi.json)",
        f"  Health:  {base}/healthz   Metrics: {base}/metrics",
        "  Demo users (password: demo):",
    ]
    lines += [f"    {u.username:<10} {u.role.value:<18} {u.jurisdiction}  {u.label}" for u in demo_users()]
    lines += [
        "  Try:",
        f"    curl -s -X POST {base}/api/v1/auth/token -d username=county -d password=demo",
        f"    curl -s -H 'Authorization: Bearer <token>' '{base}/api/v1/households?limit=2'",
        f"  Today: {date.today():%Y-%m-%d}. Stop with Ctrl-C.",
        "",
    ]
    return "\n".join(lines)


def seed() -> int:
    """Blocking wrapper for the CLI."""
    return asyncio.run(seed_if_empty())
