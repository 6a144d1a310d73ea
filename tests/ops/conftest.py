"""The embedded apps (every catalog service behind the gateway) on seeded SQLite files, for scraping."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from jingzhun.catalog import SERVICES
from jingzhun.embedded import seed_if_empty
from jzkit.messaging.bus import InProcessBus
from jzkit.migrate import upgrade
from jzkit.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def seeded_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A migrated database file per service, with the demo world ``make run`` loads."""
    folder = tmp_path_factory.mktemp("ops")
    files = {name: folder / f"{name}.db" for name in SERVICES}
    env = {f"{spec.env_prefix}DATABASE_URL": _url(files[name]) for name, spec in SERVICES.items()}
    for name, spec in SERVICES.items():
        upgrade(spec.migrations, _url(files[name]))
    with mock.patch.dict(os.environ, {**env, "JZ_MODE": "embedded"}):
        assert asyncio.run(seed_if_empty()) > 0
    return files


@dataclass
class Scraper:
    """HTTP clients of the gateway and of each embedded service app."""

    clients: dict[str, httpx.AsyncClient]
    apps: dict[str, Any]

    def routes(self) -> set[str]:
        """Every route template of every app (the ``route`` label's values)."""
        return {getattr(r, "path", "") for app in self.apps.values() for r in app.routes}

    async def scrape(self, name: str) -> dict[str, Any]:
        """``/metrics`` of app ``name``, parsed: family name -> family."""
        r = await self.clients[name].get("/metrics")
        assert r.status_code == 200, r.text
        return {f.name: f for f in text_string_to_metric_families(r.text)}


@pytest.fixture
async def apps(seeded_templates: dict[str, Path], tmp_path: Path) -> AsyncIterator[Scraper]:
    """Gateway and services as ``make run`` composes them, each copy of the seeded files its own."""
    common = CommonSettings(mode="embedded", relay_interval_seconds=0.05)
    bus = InProcessBus(held=True)
    embedded: dict[str, Any] = {}
    for name, spec in SERVICES.items():
        db = tmp_path / f"{name}.db"
        db.write_bytes(seeded_templates[name].read_bytes())
        settings = type(spec.settings())(database_url=_url(db))
        wiring: dict[str, Any] = {"publisher": bus} if spec.publishes else {}
        if spec.consumes:
            wiring["subscriber"] = bus
        embedded[name] = spec.create_app(settings=settings, common=common, **wiring)
    gateway = create_gateway(GatewaySettings(), common, embedded=embedded)
    async with gateway.router.lifespan_context(gateway):
        bus.release()
        every = {"gateway": gateway, **embedded}
        clients = {
            name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
            for name, app in every.items()
        }
        try:
            yield Scraper(clients, every)
        finally:
            for client in clients.values():
                await client.aclose()
