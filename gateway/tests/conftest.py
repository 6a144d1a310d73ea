"""Embedded mode behind the gateway: a fresh seeded SQLite registry per test, the in-process bus.

The schema is migrated and the demo world seeded once per session into a template file; each
test copies it, so a test sees exactly the seed and its own changes.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlmodel import col

import registry
from gateway.app import create_app as create_gateway
from gateway.proxy import Upstream
from gateway.settings import GatewaySettings
from jingzhun.catalog import SERVICES
from jzkit.contracts.envelope import CloudEvent
from jzkit.db import make_engine, make_session_factory, unit_of_work
from jzkit.idnumber import check_character
from jzkit.messaging.bus import InProcessBus
from jzkit.messaging.tables import OutboxMessage
from jzkit.migrate import upgrade
from jzkit.oidc import TokenVerifier
from jzkit.pii import PiiCipher
from jzkit.settings import CommonSettings
from registry.domain.household import Limits
from registry.models import Household
from registry.seed import seed_demo
from registry.settings import RegistrySettings

LUCHANG = "510822104201"  # 炉场村, the clerk's village


def common_settings() -> CommonSettings:
    return CommonSettings(mode="embedded", relay_interval_seconds=0.05)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _seed(url: str) -> None:
    settings = RegistrySettings(database_url=url)
    engine = make_engine(url)
    try:
        async with unit_of_work(make_session_factory(engine)) as session:
            pii = PiiCipher(common_settings().pii_key.get_secret_value())
            await seed_demo(session, pii, Limits(settings.max_annual_income_fen, settings.max_members))
            # The seed's events are history: tests record only the events they cause.
            await session.execute(update(OutboxMessage).values(published_at=datetime.now(UTC)))
    finally:
        await engine.dispose()  # the last connection checkpoints the WAL into the file


@pytest.fixture(scope="session")
def registry_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("registry") / "template.db"
    upgrade(registry.MIGRATIONS_DIR, sqlite_url(path))
    asyncio.run(_seed(sqlite_url(path)))
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def service_templates(tmp_path_factory: pytest.TempPathFactory, registry_template: Path) -> dict[str, Path]:
    """A migrated database file per catalog service (the registry's also seeded)."""
    templates = {"registry": registry_template}
    for name, spec in SERVICES.items():
        if name not in templates:
            templates[name] = tmp_path_factory.mktemp(name) / "template.db"
            upgrade(spec.migrations, sqlite_url(templates[name]))
    return templates


class EventRecorder:
    """Subscribed to ``#`` on the bus: keeps every event delivered."""

    def __init__(self) -> None:
        self.events: list[CloudEvent] = []
        self._arrived = asyncio.Event()

    async def __call__(self, event: CloudEvent) -> bool:
        self.events.append(event)
        self._arrived.set()
        return True

    def of_type(self, event_type: str) -> list[CloudEvent]:
        return [e for e in self.events if e.type == event_type]

    async def wait_for(self, event_type: str, count: int = 1) -> list[CloudEvent]:
        """The events of ``event_type`` once ``count`` of them arrived (the relay runs after commit)."""
        async with asyncio.timeout(5):
            while len(self.of_type(event_type)) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.of_type(event_type)


@dataclass
class Api:
    """The gateway client plus what tests need to look behind it."""

    client: httpx.AsyncClient
    events: EventRecorder
    registry_app: Any
    app: Any = None
    services: dict[str, Any] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    async def headers(self, user: str | None, **extra: str) -> dict[str, str]:
        """``Authorization`` for demo ``user`` (token fetched from the gateway once per test)."""
        headers = dict(extra)
        if user is not None:
            if user not in self._tokens:
                r = await self.client.post("/api/v1/auth/token", data={"username": user, "password": "demo"})
                assert r.status_code == 200, r.text
                self._tokens[user] = r.json()["access_token"]
            headers["Authorization"] = f"Bearer {self._tokens[user]}"
        return headers

    async def get(self, user: str | None, url: str, **kw: Any) -> httpx.Response:
        return await self.client.get(url, headers=await self.headers(user, **kw.pop("headers", {})), **kw)

    async def post(self, user: str | None, url: str, **kw: Any) -> httpx.Response:
        return await self.client.post(url, headers=await self.headers(user, **kw.pop("headers", {})), **kw)

    async def patch(self, user: str | None, url: str, **kw: Any) -> httpx.Response:
        return await self.client.patch(url, headers=await self.headers(user, **kw.pop("headers", {})), **kw)

    async def delete(self, user: str | None, url: str, **kw: Any) -> httpx.Response:
        return await self.client.delete(url, headers=await self.headers(user, **kw.pop("headers", {})), **kw)

    async def _count(self, column: Any) -> int:
        async with self.registry_app.state.runtime.sessions() as session:
            return int((await session.execute(select(func.count(column)))).scalar_one())

    async def state(self) -> tuple[int, int]:
        """(households, outbox events) in the registry database: unchanged means nothing happened."""
        households = await self._count(Household.id)
        async with self.registry_app.state.runtime.sessions() as session:
            business = select(func.count(OutboxMessage.id)).where(  # type: ignore[arg-type]
                ~col(OutboxMessage.event_type).like("%.request.handled")
            )
            return households, int((await session.execute(business)).scalar_one())

    def replace_upstream(self, name: str, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        """Answer the gateway's requests to upstream ``name`` with ``handler`` instead of the service."""
        old: Upstream = self.app.state.upstreams[name]
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url=f"http://{name}")
        self.app.state.upstreams[name] = Upstream(
            name, client, 0, 0, old.max_body_bytes, old.buffer_below_bytes
        )

    async def first_household(self, user: str, division: str) -> dict[str, Any]:
        r = await self.get(user, "/api/v1/households", params={"division": division, "limit": 1})
        assert r.status_code == 200, r.text
        return dict(r.json()["items"][0])


@asynccontextmanager
async def gateway_api(
    templates: dict[str, Path],
    tmp_path: Path,
    settings: GatewaySettings | None = None,
    verifier: TokenVerifier | None = None,
) -> AsyncIterator[Api]:
    """The gateway with every catalog service embedded, as ``make run`` composes them."""
    common = common_settings()
    # Held until every service has subscribed (see jingzhun.embedded.build).
    bus = InProcessBus(held=True)
    recorder = EventRecorder()
    bus.subscribe("test-recorder", ("#",), recorder)
    embedded: dict[str, Any] = {}
    for name, spec in SERVICES.items():
        db = tmp_path / f"{name}.db"
        shutil.copyfile(templates[name], db)
        service_settings = type(spec.settings())(database_url=sqlite_url(db))
        wiring = {"publisher": bus} if spec.publishes else {}
        if spec.consumes:
            wiring["subscriber"] = bus
        embedded[name] = spec.create_app(settings=service_settings, common=common, **wiring)
    app = create_gateway(settings or GatewaySettings(), common, embedded=embedded, verifier=verifier)
    async with app.router.lifespan_context(app):
        bus.release()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield Api(client, recorder, embedded["registry"], app=app, services=embedded)


@pytest.fixture
def make_api(service_templates: dict[str, Path], tmp_path: Path) -> Callable[..., Any]:
    """``async with make_api(settings=..., verifier=...) as api``: the embedded gateway, configured."""

    def make(settings: GatewaySettings | None = None, verifier: TokenVerifier | None = None) -> Any:
        return gateway_api(service_templates, tmp_path, settings, verifier)

    return make


@pytest.fixture
async def api(service_templates: dict[str, Path], tmp_path: Path) -> AsyncIterator[Api]:
    """The gateway with every catalog service embedded, default settings."""
    async with gateway_api(service_templates, tmp_path) as api:
        yield api


_serial = itertools.count()


def person(
    relation: str = "head", sex: str = "male", born: date = date(1980, 1, 6), **kw: Any
) -> dict[str, Any]:
    """A member with a valid ID number no other test or the seed uses (region 510823 is not seeded)."""
    n = next(_serial)
    seq = (n % 500) * 2 + (1 if sex == "male" else 0)
    birth = born - timedelta(days=n // 500)
    first17 = f"510823{birth:%Y%m%d}{seq:03d}"
    doc = {
        "name": "王大山" if sex == "male" else "李秀英",
        "id_number": first17 + check_character(first17),
        "relation": relation,
        "sex": sex,
        "birth_date": birth.isoformat(),
        "health": "chronic_illness",
        "education": "primary",
        "labour": "full",
    }
    return {**doc, **kw}


def bank_account_number() -> str:
    return f"6230{next(_serial):015d}"


def household(division_code: str = LUCHANG, *members: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """A valid household payload (the design's example shape): head, spouse and a daughter by default."""
    people = list(members) or [
        person(),
        person("spouse", "female", date(1982, 3, 4)),
        person("child", "female", date(2012, 9, 1), education="primary", labour="none", in_school="primary"),
    ]
    head = next(p for p in people if p["relation"] == "head")
    doc: dict[str, Any] = {
        "division_code": division_code,
        "address": "青川县茶坝乡炉场村三组",
        "annual_net_income_fen": 600_000,
        "housing": "unsafe",
        "poverty_causes": ["illness", "lack_of_labour"],
        "flags": {"wubao": False, "dibao": False, "idle_land": False, "crime": False},
        "bank_account": {
            "bank": "农村信用社",
            "account_number": bank_account_number(),
            "holder_id_number": head["id_number"],
        },
        "members": people,
    }
    return {**doc, **kw}


@pytest.fixture
def new_household() -> Callable[..., dict[str, Any]]:
    """Factory of valid household payloads: ``new_household(division_code, *members, **fields)``."""
    return household


@pytest.fixture
def new_person() -> Callable[..., dict[str, Any]]:
    """Factory of valid members: ``new_person(relation, sex, born, **fields)``."""
    return person


def problem(r: httpx.Response, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    """Assert ``r`` is a problem+json document with this status, code (and field); return it."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert body["type"] == f"urn:jingzhun:problem:{code}"
    assert body["code"] == code and body["status"] == status
    if field is not None:
        assert body.get("field") == field, body
    return body


@pytest.fixture
def expect_problem() -> Callable[..., dict[str, Any]]:
    """``expect_problem(response, status, code, field=None)``."""
    return problem


async def until_ok(api: Api, user: str, url: str, **params: Any) -> dict[str, Any]:
    """GET ``url`` until it answers 200 (a projection fed by events catches up)."""
    async with asyncio.timeout(5):
        while True:
            r = await api.get(user, url, params=params)
            if r.status_code == 200:
                return dict(r.json())
            assert r.status_code == 404, r.text
            await asyncio.sleep(0.02)


async def household_under_notice(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new 炉场村 household whose entry case is in its first (village) notice: (household, case)."""
    from identification.policies import DEFAULT, document

    policy = {**document(DEFAULT), "name": "gateway-test", "division_code": "510822000000"}
    stored = await api.post("admin", "/api/v1/policies", json={"document": policy, "reason": "test"})
    assert stored.status_code == 201, stored.text
    draft = household(LUCHANG)
    created = await api.post("clerk", "/api/v1/households", json=draft)
    assert created.status_code == 201, created.text
    home = {**created.json(), "draft": draft}  # the draft keeps the full ID and card numbers
    await until_ok(api, "clerk", f"/api/v1/households/{home['id']}/assessment", policy=stored.json()["id"])
    body = {"household_id": home["id"], "kind": "entry", "policy": stored.json()["id"], "reason": "本人申请"}
    opened = await api.post("clerk", "/api/v1/cases", json=body)
    assert opened.status_code == 201, opened.text
    case = opened.json()
    for _ in range(2):
        step = {"action": "approve", "reason": "核实无误"}
        r = await api.post("clerk", f"/api/v1/cases/{case['id']}/transitions", json=step)
        assert r.status_code == 200, r.text
        case = r.json()
    assert case["stage"] == "first_notice" and case["notice_state"] == "running", case
    return home, case


@pytest.fixture
def wait_ok() -> Callable[..., Any]:
    """``await wait_ok(api, user, url, **params)``: GET until 200 (an event-fed projection caught up)."""
    return until_ok


@pytest.fixture
def under_notice() -> Callable[[Api], Any]:
    """``await under_notice(api)``: (household, case) with the case in its village notice."""
    return household_under_notice
