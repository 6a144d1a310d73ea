"""Import templates and exports through the registry app in embedded mode (SQLite file, in-process bus)."""

from __future__ import annotations

import asyncio
import io
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from jzkit.auth import Role, issue_token
from jzkit.db import make_engine, make_session_factory, unit_of_work
from jzkit.messaging.bus import InProcessBus
from jzkit.migrate import upgrade
from jzkit.settings import CommonSettings
from registry import MIGRATIONS_DIR, divisions, repository
from registry.app import create_app
from registry.domain.household import HouseholdDraft
from registry.exports.rows import from_draft, sheet_rows
from registry.exports.sheets import csv_bytes
from registry.imports.columns import LABELS
from registry.seed import world_csv
from registry.settings import RegistrySettings
from registry.synth import Synthesizer

COMMON = CommonSettings()
USERS = {
    "clerk": (Role.VILLAGE_CLERK, "510822104201"),
    "township": (Role.TOWNSHIP_REVIEWER, "510822104000"),
    "township2": (Role.TOWNSHIP_REVIEWER, "510822100000"),
    "county": (Role.COUNTY_APPROVER, "510822000000"),
    "funds": (Role.FUNDS_OFFICER, "510822000000"),
    "admin": (Role.ADMIN, "510000000000"),
}


def auth(user: str) -> dict[str, str]:
    role, jurisdiction = USERS[user]
    return {"Authorization": f"Bearer {issue_token(COMMON, user, role, jurisdiction)}"}


def drafts(count: int, seed: int) -> list[HouseholdDraft]:
    return list(Synthesizer(seed=seed).households(count, [("510822104201", "炉场村")]))


def household_csv(households: list[HouseholdDraft]) -> bytes:
    rows = [row for i, h in enumerate(households, start=1) for row in sheet_rows(from_draft(f"H{i}", h))]
    return csv_bytes(rows, with_header=True)


@dataclass
class Running:
    """The app's client, and importing through it."""

    client: httpx.AsyncClient

    async def run_import(self, user: str, name: str, body: bytes) -> dict[str, Any]:
        response = await self.client.post("/api/v1/imports", headers=auth(user), files={"file": (name, body)})
        assert response.status_code == 202, response.text
        for _ in range(400):
            job: dict[str, Any] = (
                await self.client.get(response.headers["location"], headers=auth(user))
            ).json()
            if job["status"] in ("succeeded", "failed"):
                return job
            await asyncio.sleep(0.025)
        raise AssertionError(f"import did not finish: {job}")


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the demo divisions, made once and copied for each test."""
    path = tmp_path_factory.mktemp("exports") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(MIGRATIONS_DIR, url)

    async def load() -> None:
        engine = make_engine(url)
        async with unit_of_work(make_session_factory(engine)) as session:
            await repository.upsert_divisions(session, divisions.parse_csv(world_csv()))
        await engine.dispose()

    asyncio.run(load())
    return path


@pytest.fixture
async def app(template_db: Path, tmp_path: Path) -> AsyncIterator[Running]:
    shutil.copy(template_db, tmp_path / "registry.db")
    settings = RegistrySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}",
        import_dir=tmp_path / "imports",
        import_poll_seconds=0.05,
        export_page_households=2,  # several pages even for a handful of households
    )
    registry = create_app(settings=settings, common=COMMON, publisher=InProcessBus())
    async with registry.router.lifespan_context(registry):
        transport = httpx.ASGITransport(app=registry)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            yield Running(client)


async def test_templates_round_trip_through_import(app: Running) -> None:
    for suffix, media in (("csv", "text/csv"), ("xlsx", "spreadsheetml")):
        response = await app.client.get(f"/api/v1/imports/template.{suffix}", headers=auth("clerk"))
        assert response.status_code == 200 and media in response.headers["content-type"]
        job = await app.run_import("clerk", f"template.{suffix}", response.content)
        assert job["status"] == "succeeded" and job["counts"]["errors"] == 0
        expected = 1 if suffix == "csv" else 0  # the second template holds the same household
        assert job["counts"]["households_created"] == expected
    csv_template = (await app.client.get("/api/v1/imports/template.csv", headers=auth("clerk"))).content
    assert csv_template.startswith("\ufeff户编号,".encode())
    assert csv_template.decode("utf-8-sig").count("\r\n") == 2  # header and one example row
    book = load_workbook(
        io.BytesIO((await app.client.get("/api/v1/imports/template.xlsx", headers=auth("clerk"))).content)
    )
    assert [c.value for c in book.worksheets[0][1]] == list(LABELS)
    assert book.worksheets[1].title == "填写说明"


async def _seed_for_export(app: Running) -> HouseholdDraft:
    household = drafts(1, seed=61)[0]
    head = household.members[0].model_copy(update={"name": '=HYPERLINK("http://x")'})
    household = household.model_copy(update={"address": "-1组", "members": [head, *household.members[1:]]})
    await app.run_import("township", "seed.csv", household_csv([household]))
    return household


async def test_export_masks_numbers_by_role_and_neutralises_formulas(app: Running) -> None:
    household = await _seed_for_export(app)
    head_id = household.members[0].id_number
    clerk = await app.client.get("/api/v1/exports/households.csv", headers=auth("clerk"))
    assert clerk.status_code == 200 and clerk.content.startswith(b"\xef\xbb\xbf")
    text = clerk.content.decode("utf-8-sig")
    assert head_id not in text and f"{head_id[:4]}**********{head_id[-4:]}" in text
    assert "'=HYPERLINK" in text and "'-1组" in text
    county = (await app.client.get("/api/v1/exports/households.csv", headers=auth("county"))).content.decode(
        "utf-8-sig"
    )
    assert head_id in county  # county approvers check identities
    if household.bank_account is not None:
        account = household.bank_account.account_number
        assert account not in county
        funds = (
            await app.client.get("/api/v1/exports/households.csv", headers=auth("funds"))
        ).content.decode("utf-8-sig")
        assert account in funds and head_id not in funds
    xlsx = await app.client.get("/api/v1/exports/households.xlsx", headers=auth("clerk"))
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == list(LABELS)
    assert any(v == '\'=HYPERLINK("http://x")' for row in values for v in row)


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
async def test_export_by_an_allowed_role_reimports_unchanged(app: Running, suffix: str) -> None:
    await _seed_for_export(app)  # a formula-like name and address survive the round trip
    await app.run_import("township", "a.csv", household_csv(drafts(4, seed=71)))
    exported = await app.client.get(f"/api/v1/exports/households.{suffix}", headers=auth("admin"))
    job = await app.run_import("admin", f"export.{suffix}", exported.content)
    assert job["counts"] == {
        "households_created": 0,
        "households_unchanged": 5,
        "households_rejected": 0,
        "errors": 0,
    }


async def test_export_is_limited_to_the_jurisdiction_and_filters(app: Running) -> None:
    await app.run_import("township", "a.csv", household_csv(drafts(2, seed=81)))
    other = await app.client.get("/api/v1/exports/households.csv", headers=auth("township2"))
    assert other.content.decode("utf-8-sig").count("\r\n") == 1  # header only
    refused = await app.client.get(
        "/api/v1/exports/households.csv", params={"division": "510822104000"}, headers=auth("township2")
    )
    assert refused.status_code == 403
    none = await app.client.get(
        "/api/v1/exports/households.csv", params={"status": "poor"}, headers=auth("county")
    )
    assert none.content.decode("utf-8-sig").count("\r\n") == 1
