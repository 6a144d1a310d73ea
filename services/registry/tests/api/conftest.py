"""The registry app in embedded mode (a SQLite file copied from a template, the in-process bus).

``registry`` is the running app of one test; ``start_registry(**settings)`` starts another on the
same database (a restart, or other settings). A test module changes the settings of its app by
overriding ``registry_overrides``. ``drafts``, ``file_rows``, ``csv_file`` and ``xlsx_file`` build
the import files.
"""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from jzkit.db import make_engine
from jzkit.messaging.bus import InProcessBus
from jzkit.settings import CommonSettings
from registry.app import create_app
from registry.domain.household import HouseholdDraft
from registry.exports.rows import from_draft, sheet_rows
from registry.exports.sheets import XlsxWriter
from registry.imports.columns import LABELS
from registry.settings import RegistrySettings
from registry.synth import Synthesizer

LUCHANG = "510822104201"  # 炉场村, the clerk's village

Auth = Callable[[str], dict[str, str]]
MakeSettings = Callable[..., RegistrySettings]


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory, prepare_database: Callable[[str], None]) -> Path:
    """A migrated database with the demo divisions, made once and copied for each test."""
    path = tmp_path_factory.mktemp("registry") / "template.db"
    prepare_database(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def registry_db(template_db: Path, tmp_path: Path) -> Path:
    """This test's database: a copy of the template."""
    db = tmp_path / "registry.db"
    shutil.copy(template_db, db)
    return db


@dataclass
class Registry:
    """The running app, its client and its database."""

    client: httpx.AsyncClient
    url: str
    import_dir: Path
    auth: Auth

    async def scalar(self, sql: str) -> Any:
        engine = make_engine(self.url)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(sa.text(sql))).scalar()
        finally:
            await engine.dispose()

    async def rows(self, sql: str) -> list[Any]:
        engine = make_engine(self.url)
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(sa.text(sql))).all())
        finally:
            await engine.dispose()

    async def post_file(self, user: str, name: str, body: bytes, **headers: str) -> httpx.Response:
        return await self.client.post(
            "/api/v1/imports", headers={**self.auth(user), **headers}, files={"file": (name, body)}
        )

    async def run_import(self, user: str, name: str, body: bytes) -> dict[str, Any]:
        response = await self.post_file(user, name, body)
        assert response.status_code == 202, response.text
        assert response.headers["location"] == f"/api/v1/jobs/{response.json()['id']}"
        return await self.wait(user, response.json()["id"])

    async def wait(self, user: str, job_id: str) -> dict[str, Any]:
        for _ in range(400):
            job = (await self.client.get(f"/api/v1/jobs/{job_id}", headers=self.auth(user))).json()
            if job["status"] in ("succeeded", "failed"):
                return dict(job)
            await asyncio.sleep(0.025)
        raise AssertionError(f"job {job_id} did not finish: {job}")

    async def count(self, table: str) -> int:
        return int(await self.scalar(f"SELECT count(*) FROM {table}"))

    async def business_events(self) -> int:
        """Outbox events other than the write-request records (which every write leaves, refused or not)."""
        return int(
            await self.scalar("SELECT count(*) FROM outbox WHERE event_type NOT LIKE '%.request.handled'")
        )


@pytest.fixture
def registry_overrides() -> dict[str, Any]:
    """Settings of this module's app beyond the defaults of ``registry_settings`` (override per module)."""
    return {"import_chunk_households": 4}  # a handful of households spans several chunks


@pytest.fixture
def registry_settings(registry_db: Path, tmp_path: Path, registry_overrides: dict[str, Any]) -> MakeSettings:
    """``registry_settings(**overrides)``: settings on this test's database, polling for imports quickly."""

    def make(**overrides: Any) -> RegistrySettings:
        defaults: dict[str, Any] = {
            "database_url": f"sqlite+aiosqlite:///{registry_db}",
            "import_dir": tmp_path / "imports",
            "import_poll_seconds": 0.05,
            **registry_overrides,
        }
        return RegistrySettings(**{**defaults, **overrides})

    return make


@pytest.fixture
def start_registry(
    registry_settings: MakeSettings, common_settings: CommonSettings, auth: Auth, tmp_path: Path
) -> Callable[..., AbstractAsyncContextManager[Registry]]:
    """``async with start_registry(**overrides) as running``: the app on this test's database."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Registry]:
        settings = registry_settings(**overrides)
        app = create_app(settings=settings, common=common_settings, publisher=InProcessBus())
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
                yield Registry(client, settings.database_url, tmp_path / "imports", auth)

    return start


@pytest.fixture
async def registry(
    start_registry: Callable[..., AbstractAsyncContextManager[Registry]],
) -> AsyncIterator[Registry]:
    async with start_registry() as running:
        yield running


# --- import files --------------------------------------------------------------------------------


def _drafts(count: int, village: str = LUCHANG, seed: int = 11) -> list[HouseholdDraft]:
    return list(Synthesizer(seed=seed).households(count, [(village, "村")]))


def _file_rows(households: list[HouseholdDraft], prefix: str = "H") -> list[list[str]]:
    rows: list[list[str]] = []
    for i, draft in enumerate(households, start=1):
        rows.extend(sheet_rows(from_draft(f"{prefix}{i}", draft)))
    return rows


def _csv_file(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([list(LABELS), *rows])
    return buffer.getvalue().encode(encoding)


def _xlsx_file(rows: list[list[str]]) -> bytes:
    writer = XlsxWriter()
    writer.append(rows)
    out = io.BytesIO()
    writer.save(out)
    return out.getvalue()


@pytest.fixture(scope="session")
def drafts() -> Callable[..., list[HouseholdDraft]]:
    """``drafts(count, village=LUCHANG, seed=11)``: synthetic households of one village."""
    return _drafts


@pytest.fixture(scope="session")
def file_rows() -> Callable[..., list[list[str]]]:
    """``file_rows(households, prefix="H")``: their rows in an import file, household ids H1, H2, …"""
    return _file_rows


@pytest.fixture(scope="session")
def csv_file() -> Callable[..., bytes]:
    """``csv_file(rows, encoding="utf-8-sig")``: a CSV import file, header row first."""
    return _csv_file


@pytest.fixture(scope="session")
def xlsx_file() -> Callable[[list[list[str]]], bytes]:
    """``xlsx_file(rows)``: an XLSX import file."""
    return _xlsx_file
