"""Readiness reports a database whose schema is behind the code (k8s has no start order)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from jzkit.migrate import upgrade
from jzkit.settings import CommonSettings
from registry import MIGRATIONS_DIR
from registry.app import create_app
from registry.settings import RegistrySettings


async def _ready(url: str) -> httpx.Response:
    app = create_app(settings=RegistrySettings(database_url=url), common=CommonSettings())
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as client:
            return await client.get("/readyz")


async def test_readyz_is_503_until_the_schema_is_at_head(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"
    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url, "0001")
    behind = await _ready(url)
    assert behind.status_code == 503
    assert "run migrate" in behind.json()["checks"]["database"]

    await asyncio.to_thread(upgrade, MIGRATIONS_DIR, url)
    ready = await _ready(url)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["database"] == "ok"
