"""The identification app in embedded mode: a SQLite copy of the template, the in-process bus, a fake clock.

``ident_api.feed(facts)`` publishes a registry event carrying ``facts`` on the bus the app consumes from,
so the projection is filled exactly as in production; ``ident_api.clock`` is settable.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from identification.app import create_app
from identification.settings import IdentificationSettings
from jzkit.contracts.envelope import make_event
from jzkit.contracts.registry import HouseholdFacts, HouseholdRegistered, HouseholdUpdated
from jzkit.db import SessionFactory
from jzkit.messaging.bus import InProcessBus
from jzkit.settings import CommonSettings

START = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """A clock tests move by hand: ``clock.advance(timedelta(days=8))`` or ``clock.now = ...``."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now = self.now + delta
        return self.now


@dataclass
class IdentApi:
    """The running app, its client, the bus feeding it, its clock and tokens per demo role."""

    app: FastAPI
    client: httpx.AsyncClient
    bus: InProcessBus
    clock: FakeClock
    auth: Callable[[str], dict[str, str]]
    fed: dict[str, HouseholdFacts] = field(default_factory=dict)

    @property
    def sessions(self) -> SessionFactory:
        """Session factory of the app's database (for calling services directly)."""
        sessions: SessionFactory = self.app.state.runtime.sessions
        return sessions

    async def get(self, user: str, url: str, **params: Any) -> httpx.Response:
        return await self.client.get(url, params=params, headers=self.auth(user))

    async def post(self, user: str, url: str, body: Any, **headers: str) -> httpx.Response:
        return await self.client.post(url, json=body, headers={**self.auth(user), **headers})

    async def put(self, user: str, url: str, body: Any, **headers: str) -> httpx.Response:
        return await self.client.put(url, json=body, headers={**self.auth(user), **headers})

    async def feed(self, facts: HouseholdFacts, *, updated: bool = False) -> HouseholdFacts:
        """Publish a registry event carrying ``facts`` (registered, or updated) and let the app consume it."""
        data = (
            HouseholdUpdated(household=facts, changed_fields=[])
            if updated
            else HouseholdRegistered(household=facts)
        )
        event = make_event(
            data, source="jingzhun/registry", subject=facts.household_id, actor="clerk", reason="test"
        )
        await self.bus.publish(event)
        self.fed[facts.household_id] = facts
        return facts


@pytest.fixture
def ident_settings(ident_db_template: Path, tmp_path: Path) -> IdentificationSettings:
    """Settings on this test's database (a copy of the migrated template)."""
    db = tmp_path / "identification.db"
    shutil.copyfile(ident_db_template, db)
    return IdentificationSettings(database_url=f"sqlite+aiosqlite:///{db}")


@pytest.fixture
async def ident_api(
    ident_settings: IdentificationSettings,
    common_settings: CommonSettings,
    auth: Callable[[str], dict[str, str]],
) -> AsyncIterator[IdentApi]:
    clock = FakeClock()
    bus = InProcessBus()
    app = create_app(settings=ident_settings, common=common_settings, subscriber=bus, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://identification") as client:
            yield IdentApi(app, client, bus, clock, auth)
