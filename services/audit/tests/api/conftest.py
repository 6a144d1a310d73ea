"""The audit app in-process on a fresh SQLite log, fed by an in-process bus tests publish to."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import audit
from audit.app import create_app
from audit.settings import AuditSettings
from jzkit.auth import Role, issue_token
from jzkit.contracts.envelope import CloudEvent
from jzkit.messaging.bus import InProcessBus
from jzkit.migrate import upgrade
from jzkit.settings import CommonSettings

CHABA = "510822104000"  # 茶坝乡
OTHER_TOWNSHIP = "510822105000"
LUCHANG = "510822104201"  # 炉场村, in 茶坝乡
COUNTY = "510822000000"
USERS = {
    "auditor": (Role.AUDITOR, COUNTY),
    "admin": (Role.ADMIN, COUNTY),
    "township": (Role.TOWNSHIP_REVIEWER, CHABA),
    "county": (Role.COUNTY_APPROVER, COUNTY),
}


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def audit_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audit") / "template.db"
    upgrade(audit.MIGRATIONS_DIR, sqlite_url(path))
    return path


def household_event(division_code: str, subject: str = "hh-1", **kw: Any) -> CloudEvent:
    """A registry-like event about a household in ``division_code``."""
    data = {"household": {"household_id": subject, "division_code": division_code, "income": 1.5}}
    doc: dict[str, Any] = {
        "source": "jingzhun/registry",
        "type": "registry.household.registered",
        "subject": subject,
        "actor": "clerk",
        "data": data,
    }
    return CloudEvent(**{**doc, **kw})


@pytest.fixture
def event_about() -> Callable[..., CloudEvent]:
    """Factory of household events: ``event_about(division_code, subject, **envelope_fields)``."""
    return household_event


@dataclass
class AuditApi:
    """A client of the audit app, the bus feeding it and tokens per demo role."""

    client: httpx.AsyncClient
    bus: InProcessBus
    common: CommonSettings

    def auth(self, user: str) -> dict[str, str]:
        role, jurisdiction = USERS[user]
        return {"Authorization": f"Bearer {issue_token(self.common, user, role, jurisdiction)}"}

    async def get(self, user: str, url: str, **params: Any) -> httpx.Response:
        return await self.client.get(url, params=params, headers=self.auth(user))

    async def entries(self, user: str, **params: Any) -> list[dict[str, Any]]:
        r = await self.get(user, "/api/v1/audit/entries", **params)
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return items


@pytest.fixture
async def audit_api(audit_db_template: Path, tmp_path: Path) -> AsyncIterator[AuditApi]:
    db = tmp_path / "audit.db"
    shutil.copyfile(audit_db_template, db)
    common = CommonSettings(mode="embedded")
    bus = InProcessBus()
    app = create_app(settings=AuditSettings(database_url=sqlite_url(db)), common=common, subscriber=bus)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://audit") as client:
            yield AuditApi(client, bus, common)
