"""The funds app in-process on a fresh SQLite database, fed by an in-process bus, with a fake clock."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import funds
from funds.app import create_app
from funds.service.ledger import invariant_problems
from funds.settings import FundsSettings
from funds.testing import decision, industry_program, registry_event
from jzkit.auth import Role, issue_token
from jzkit.messaging.bus import InProcessBus
from jzkit.migrate import upgrade
from jzkit.settings import CommonSettings

COUNTY = "510822000000"
CHABA = "510822104000"  # 茶坝乡
OTHER_TOWNSHIP = "510822105000"
LUCHANG = "510822104201"  # 炉场村
USERS = {
    "admin": (Role.ADMIN, COUNTY),
    "funds": (Role.FUNDS_OFFICER, COUNTY),
    "county": (Role.COUNTY_APPROVER, COUNTY),
    "township": (Role.TOWNSHIP_REVIEWER, CHABA),
    "township2": (Role.TOWNSHIP_REVIEWER, OTHER_TOWNSHIP),
    "clerk": (Role.VILLAGE_CLERK, LUCHANG),
    "auditor": (Role.AUDITOR, COUNTY),
}
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def funds_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("funds") / "template.db"
    upgrade(funds.MIGRATIONS_DIR, sqlite_url(path))
    return path


@dataclass
class Clock:
    """The app's clock; tests move it forward to let notices run out."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class FundsApi:
    """A client of the funds app, its bus, clock and tokens per demo role."""

    client: httpx.AsyncClient
    bus: InProcessBus
    common: CommonSettings
    clock: Clock
    app: Any
    versions: dict[str, int] = field(default_factory=dict)

    def auth(self, user: str) -> dict[str, str]:
        role, jurisdiction = USERS[user]
        return {"Authorization": f"Bearer {issue_token(self.common, user, role, jurisdiction)}"}

    async def get(self, user: str, url: str, **params: Any) -> httpx.Response:
        return await self.client.get(url, params=params, headers=self.auth(user))

    async def post(self, user: str, url: str, body: Any = None, **kw: Any) -> httpx.Response:
        headers = self.auth(user) | kw.pop("headers", {})
        if isinstance(body, bytes):
            return await self.client.post(
                url, content=body, headers=headers | {"Content-Type": "application/xml"}
            )
        return await self.client.post(url, json=body, headers=headers)

    async def ok(self, user: str, url: str, body: Any = None, status: int = 201) -> dict[str, Any]:
        r = await self.post(user, url, body)
        assert r.status_code == status, r.text
        doc: dict[str, Any] = r.json()
        return doc

    async def lock_in(
        self, household_id: str, division: str = LUCHANG, card: str | None = "6230520000001234"
    ) -> None:
        """Registry facts (with the card) then identification's approval, as events on the bus."""
        version = self.versions.get(household_id, 0) + 1
        self.versions[household_id] = version
        await self.bus.publish(registry_event(self.common, household_id, division, version, card))
        await self.bus.publish(decision(household_id, division, "approved", self.clock.now))

    async def exit(self, household_id: str, division: str = LUCHANG) -> None:
        await self.bus.publish(
            decision(household_id, division, "exited", self.clock.now + timedelta(seconds=1))
        )

    async def approved_grant(
        self, household_id: str, program: str = "industry-2026", **body: Any
    ) -> dict[str, Any]:
        """Apply, verify, publish, wait out the notice and approve."""
        doc = {
            "program_id": program,
            "household_id": household_id,
            "period": "2026",
            "details": {"industries": ["farming"]},
        } | body
        grant = await self.ok("clerk", "/api/v1/grants", doc)
        url = f"/api/v1/grants/{grant['id']}/transitions"
        await self.ok("clerk", url, {"action": "verify", "reason": "work team checked"}, 200)
        await self.ok("township", url, {"action": "publish", "reason": "notice"}, 200)
        self.clock.advance(days=7)
        return await self.ok("township", url, {"action": "approve", "reason": "no objection"}, 200)

    async def invariants(self) -> list[str]:
        async with self.app.state.runtime.sessions() as session:
            return await invariant_problems(session)


@pytest.fixture
async def funds_api(funds_db_template: Path, tmp_path: Path) -> AsyncIterator[FundsApi]:
    db = tmp_path / "funds.db"
    shutil.copyfile(funds_db_template, db)
    common = CommonSettings(mode="embedded")
    bus = InProcessBus()
    clock = Clock()
    app = create_app(
        settings=FundsSettings(database_url=sqlite_url(db)), common=common, subscriber=bus, clock=clock
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://funds") as client:
            api = FundsApi(client, bus, common, clock, app)
            yield api
            # After every test, whatever it did: each transaction balances, no bucket is negative,
            # balances agree with the ledger, and paid equals what the bank confirmed.
            assert await api.invariants() == []


@pytest.fixture
async def with_budget(funds_api: FundsApi) -> FundsApi:
    """The industry program: 100,000 yuan for the county, 20,000 of it passed down to 茶坝乡."""
    await funds_api.ok("funds", "/api/v1/programs", industry_program())
    await funds_api.ok(
        "funds",
        "/api/v1/budgets",
        {
            "program_id": "industry-2026",
            "division_code": COUNTY,
            "year": 2026,
            "amounts_fen": {"region": 7_000_000, "county": 3_000_000},
        },
    )
    await funds_api.ok(
        "funds",
        "/api/v1/budgets",
        {
            "program_id": "industry-2026",
            "division_code": CHABA,
            "year": 2026,
            "amounts_fen": {"region": 1_400_000, "county": 600_000},
        },
    )
    return funds_api
