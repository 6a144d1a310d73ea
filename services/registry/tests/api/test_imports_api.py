"""Bulk import and export through the registry app in embedded mode (SQLite file, in-process bus)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from jzkit.auth import Principal, Role, issue_token
from jzkit.db import make_engine, make_session_factory, unit_of_work
from jzkit.messaging.bus import InProcessBus
from jzkit.migrate import upgrade
from jzkit.pii import PiiCipher
from jzkit.runtime import ServiceRuntime
from jzkit.settings import CommonSettings
from registry import MIGRATIONS_DIR, divisions, repository
from registry.app import create_app
from registry.domain.household import HouseholdDraft
from registry.domain.vocabulary import Relation
from registry.events.publish import household_facts
from registry.exports.rows import from_draft, sheet_rows
from registry.exports.sheets import XlsxWriter, csv_bytes
from registry.imports import jobs, uploads
from registry.imports.columns import LABELS
from registry.imports.runner import ImportRunner
from registry.seed import world_csv
from registry.settings import RegistrySettings
from registry.synth import Synthesizer

COMMON = CommonSettings()
LUCHANG, XINGLONG, CHABA, QIAOZHUANG, COUNTY = (
    "510822104201",
    "510822104202",
    "510822104000",
    "510822100000",
    "510822000000",
)
USERS = {
    "clerk": (Role.VILLAGE_CLERK, LUCHANG),
    "township": (Role.TOWNSHIP_REVIEWER, CHABA),
    "township2": (Role.TOWNSHIP_REVIEWER, QIAOZHUANG),
    "county": (Role.COUNTY_APPROVER, COUNTY),
    "admin": (Role.ADMIN, "510000000000"),
    "auditor": (Role.AUDITOR, COUNTY),
    "funds": (Role.FUNDS_OFFICER, COUNTY),
}


def auth(user: str) -> dict[str, str]:
    role, jurisdiction = USERS[user]
    return {"Authorization": f"Bearer {issue_token(COMMON, user, role, jurisdiction)}"}


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the demo divisions, made once and copied for each test."""
    path = tmp_path_factory.mktemp("imports") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(MIGRATIONS_DIR, url)

    async def load() -> None:
        engine = make_engine(url)
        async with unit_of_work(make_session_factory(engine)) as session:
            await repository.upsert_divisions(session, divisions.parse_csv(world_csv()))
        await engine.dispose()

    asyncio.run(load())
    return path


@dataclass
class Registry:
    """The running app, its client and its database."""

    client: httpx.AsyncClient
    url: str
    import_dir: Path

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
            "/api/v1/imports", headers={**auth(user), **headers}, files={"file": (name, body)}
        )

    async def run_import(self, user: str, name: str, body: bytes) -> dict[str, Any]:
        response = await self.post_file(user, name, body)
        assert response.status_code == 202, response.text
        assert response.headers["location"] == f"/api/v1/jobs/{response.json()['id']}"
        return await self.wait(user, response.json()["id"])

    async def wait(self, user: str, job_id: str) -> dict[str, Any]:
        for _ in range(400):
            job = (await self.client.get(f"/api/v1/jobs/{job_id}", headers=auth(user))).json()
            if job["status"] in ("succeeded", "failed"):
                return dict(job)
            await asyncio.sleep(0.025)
        raise AssertionError(f"job {job_id} did not finish: {job}")

    async def count(self, table: str) -> int:
        return int(await self.scalar(f"SELECT count(*) FROM {table}"))


@asynccontextmanager
async def _running(template_db: Path, tmp_path: Path, **overrides: Any) -> AsyncIterator[Registry]:
    db = tmp_path / "registry.db"
    if not db.exists():
        shutil.copy(template_db, db)
    url = f"sqlite+aiosqlite:///{db}"
    settings = _settings(url, tmp_path, **overrides)
    app = create_app(settings=settings, common=COMMON, publisher=InProcessBus())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            yield Registry(client=client, url=url, import_dir=tmp_path / "imports")


def _settings(url: str, tmp_path: Path, **overrides: Any) -> RegistrySettings:
    defaults: dict[str, Any] = {
        "database_url": url,
        "import_dir": tmp_path / "imports",
        "import_poll_seconds": 0.05,
        "import_chunk_households": 4,
    }
    return RegistrySettings(**{**defaults, **overrides})


@pytest.fixture
async def registry(template_db: Path, tmp_path: Path) -> AsyncIterator[Registry]:
    async with _running(template_db, tmp_path) as running:
        yield running


def drafts(count: int, village: str = LUCHANG, seed: int = 11) -> list[HouseholdDraft]:
    return list(Synthesizer(seed=seed).households(count, [(village, "村")]))


def file_rows(households: list[HouseholdDraft], prefix: str = "H") -> list[list[str]]:
    rows: list[list[str]] = []
    for i, draft in enumerate(households, start=1):
        rows.extend(sheet_rows(from_draft(f"{prefix}{i}", draft)))
    return rows


def csv_file(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([list(LABELS), *rows])
    return buffer.getvalue().encode(encoding)


def xlsx_file(rows: list[list[str]]) -> bytes:
    writer = XlsxWriter()
    writer.append(rows)
    out = io.BytesIO()
    writer.save(out)
    return out.getvalue()


# --- importing ----------------------------------------------------------------------------------


async def test_valid_file_creates_households_and_one_event_each(registry: Registry) -> None:
    households = drafts(6)
    job = await registry.run_import(
        "clerk", "households.csv", csv_bytes(file_rows(households), with_header=True)
    )
    assert job["status"] == "succeeded"
    assert job["counts"] == {
        "households_created": 6,
        "households_unchanged": 0,
        "households_rejected": 0,
        "errors": 0,
    }
    members = sum(len(h.members) for h in households)
    assert job["progress"] == {"processed_rows": members, "total_rows": members, "percent": 100.0}
    assert job["file"]["format"] == "csv"
    assert await registry.count("households") == 6
    assert await registry.count("members") == members
    events = await registry.rows(
        "SELECT payload FROM outbox WHERE event_type = 'registry.household.registered'"
    )
    assert len(events) == 6
    listed = (await registry.client.get("/api/v1/households", headers=auth("township"))).json()["items"]
    assert sorted(h["address"] for h in listed) == sorted(h.address for h in households)
    # The bulk path's event snapshot is what household_facts builds from the stored rows.
    engine = make_engine(registry.url)
    async with make_session_factory(engine)() as session:
        for (payload,) in events:
            facts = json.loads(payload)["data"]["household"]
            stored = await repository.get_household(session, facts["household_id"])
            assert stored is not None
            rows = await repository.get_members(session, stored.id)
            expected = household_facts(stored, rows).model_dump(mode="json")
            assert sorted(facts.pop("members"), key=str) == sorted(expected.pop("members"), key=str)
            assert facts == expected
    await engine.dispose()
    assert list(registry.import_dir.iterdir()) == []  # the personal data in the file is not kept


async def test_invalid_rows_are_reported_and_valid_households_still_commit(registry: Registry) -> None:
    households = drafts(5)
    rows = file_rows(households)
    col = {label: i for i, label in enumerate(LABELS)}
    first_rows = {r[0]: n for n, r in reversed(list(enumerate(rows, start=2)))}
    rows[first_rows["H2"] - 2][col["家庭年纯收入(元)"]] = "6000.123"
    rows[first_rows["H4"] - 2][col["性别"]] = "未知"
    job = await registry.run_import("clerk", "mixed.csv", csv_file(rows))
    assert job["status"] == "succeeded"
    assert job["counts"]["households_created"] == 3
    assert job["counts"]["households_rejected"] == 2
    own = [e for e in job["errors"] if e["code"] != "household-rejected"]
    assert {(e["row"], e["column"], e["code"]) for e in own} >= {
        (first_rows["H2"], "家庭年纯收入(元)", "invalid-amount"),
        (first_rows["H4"], "性别", "invalid-choice"),
    }
    income = next(e for e in own if e["code"] == "invalid-amount")
    assert income["field"] == "annual_net_income_fen"
    assert income["message"] == income["message_zh"] and income["message_en"]
    rejected_rows = {e["row"] for e in job["errors"]}
    h2_rows = {n for n, r in enumerate(rows, start=2) if r[0] == "H2"}
    assert h2_rows <= rejected_rows  # whole households only: every row of H2 is reported
    assert await registry.count("households") == 3


async def test_row_errors_are_paginated(registry: Registry) -> None:
    rows = file_rows(drafts(3))
    for row in rows:
        row[1] = "5108221042"  # not a 12-digit code
    job = await registry.run_import("clerk", "bad.csv", csv_file(rows))
    assert job["counts"]["households_rejected"] == 3
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await registry.client.get(
            f"/api/v1/jobs/{job['id']}/errors", params=params, headers=auth("clerk")
        )
        assert page.status_code == 200
        seen += [e["row"] for e in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == job["counts"]["errors"] == len(rows)
    assert seen == sorted(seen)


async def test_same_file_twice_changes_nothing(registry: Registry) -> None:
    body = csv_file(file_rows(drafts(7)))
    first = await registry.run_import("township", "a.csv", body)
    before = (
        await registry.count("households"),
        await registry.count("members"),
        await registry.count("outbox"),
    )
    second = await registry.run_import("township", "a.csv", body)
    assert first["counts"]["households_created"] == 7
    assert second["counts"] == {
        "households_created": 0,
        "households_unchanged": 7,
        "households_rejected": 0,
        "errors": 0,
    }
    after = (
        await registry.count("households"),
        await registry.count("members"),
        await registry.count("outbox"),
    )
    assert after == before


async def test_person_of_another_household_and_changed_facts_are_refused(registry: Registry) -> None:
    households = [h for h in drafts(12) if len(h.members) >= 2][:2]
    await registry.run_import("clerk", "a.csv", csv_file(file_rows(households)))
    before = await registry.count("outbox")
    changed = households[0].model_copy(update={"address": "搬到了五组"})
    job = await registry.run_import("clerk", "b.csv", csv_file(file_rows([changed])))
    different = next(e for e in job["errors"] if e["code"] == "household-already-registered")
    assert "地址" in different["message_zh"] and different["column"] == "户编号"
    mixed = households[1].model_copy(update={"members": [households[1].members[0], households[0].members[1]]})
    job = await registry.run_import("clerk", "c.csv", csv_file(file_rows([mixed])))
    taken = [e for e in job["errors"] if e["code"] == "person-already-registered"]
    assert [(e["row"], e["column"]) for e in taken] == [(3, "身份证号")]  # the head is at home in H2
    # A household headed by someone who is a member (not the head) of a registered household.
    child = households[0].members[1].model_copy(update={"relation": Relation.HEAD})
    split = households[0].model_copy(update={"members": [child], "bank_account": None})
    job = await registry.run_import("clerk", "d.csv", csv_file(file_rows([split])))
    assert [(e["row"], e["code"]) for e in job["errors"]] == [(2, "person-already-registered")]
    assert await registry.count("households") == 2
    assert await registry.count("outbox") == before


async def test_gbk_and_utf8_bom_csv_both_import(registry: Registry) -> None:
    gbk = await registry.run_import("clerk", "gbk.csv", csv_file(file_rows(drafts(2, seed=21)), "gbk"))
    bom = await registry.run_import("clerk", "bom.csv", csv_file(file_rows(drafts(2, seed=22)), "utf-8-sig"))
    assert gbk["file"]["encoding"] == "gb18030" and gbk["counts"]["households_created"] == 2
    assert bom["file"]["encoding"] == "utf-8-sig" and bom["counts"]["households_created"] == 2


async def test_xlsx_imports(registry: Registry) -> None:
    job = await registry.run_import("clerk", "households.xlsx", xlsx_file(file_rows(drafts(3, seed=31))))
    assert job["file"]["format"] == "xlsx"
    assert job["counts"]["households_created"] == 3
    assert list(registry.import_dir.iterdir()) == []  # neither the workbook nor its CSV spool is kept


async def test_idempotency_key_replays_the_first_job(registry: Registry) -> None:
    body = csv_file(file_rows(drafts(1, seed=41)))
    first = await registry.post_file("clerk", "a.csv", body, **{"Idempotency-Key": "k1"})
    again = await registry.post_file("clerk", "a.csv", body, **{"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert await registry.count("import_jobs") == 1


# --- refusals ------------------------------------------------------------------------------------


async def _refused(registry: Registry, response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert await registry.count("import_jobs") == 0
    assert not registry.import_dir.exists() or list(registry.import_dir.iterdir()) == []
    return body


@pytest.mark.parametrize(
    ("name", "body", "code"),
    [
        ("households.pdf", b"%PDF-1.4", "unsupported-file-type"),
        ("households.xls", b"\xd0\xcf\x11\xe0", "unsupported-file-type"),
        ("households.xlsx", b"not a zip at all", "not-xlsx"),
        ("households.csv", b"PK\x03\x04zipped", "not-csv"),
        ("households.csv", b"", "empty-file"),
        ("households.csv", ",".join(LABELS).encode() + b"\r\n\r\n", "empty-file"),
        ("households.csv", b"\xff\xfe\xff\xfe", "undecodable-file"),
    ],
)
async def test_files_that_cannot_be_imported_are_refused(
    registry: Registry, name: str, body: bytes, code: str
) -> None:
    problem = await _refused(registry, await registry.post_file("clerk", name, body), 422, code)
    assert problem["field"] == "file"


async def test_missing_columns_are_named(registry: Registry) -> None:
    header = [label for label in LABELS if label != "身份证号"]
    body = (",".join(header) + "\r\nH1," + ",".join("x" for _ in header[1:]) + "\r\n").encode()
    problem = await _refused(
        registry, await registry.post_file("clerk", "a.csv", body), 422, "missing-columns"
    )
    assert problem["columns"] == ["身份证号"]
    assert "身份证号" in problem["detail"]


async def test_file_above_the_size_limit_is_refused(template_db: Path, tmp_path: Path) -> None:
    async with _running(template_db, tmp_path, import_max_bytes=1000) as small:
        body = csv_file(file_rows(drafts(10)))
        problem = await _refused(
            small, await small.post_file("clerk", "big.csv", body), 413, "file-too-large"
        )
        assert problem["field"] == "file"


async def test_roles_that_do_not_register_households_cannot_import(registry: Registry) -> None:
    body = csv_file(file_rows(drafts(1)))
    await _refused(registry, await registry.post_file("auditor", "a.csv", body), 403, "role-not-allowed")


async def test_households_outside_the_jurisdiction_are_refused_row_by_row(registry: Registry) -> None:
    rows = file_rows(drafts(2, village=XINGLONG)) + file_rows(drafts(1, village="510822104299", seed=5), "U")
    job = await registry.run_import("clerk", "elsewhere.csv", csv_file(rows))
    assert job["counts"]["households_created"] == 0
    codes = {(e["column"], e["code"]) for e in job["errors"] if e["code"] != "household-rejected"}
    assert codes == {("行政区划代码", "outside-jurisdiction")}
    township = await registry.run_import(
        "township", "unknown.csv", csv_file(file_rows(drafts(1, village="510822104299", seed=5)))
    )
    assert {e["code"] for e in township["errors"]} <= {"unknown-division", "household-rejected"}
    assert township["errors"][0]["code"] == "unknown-division"
    assert await registry.count("households") == 0


# --- jobs ----------------------------------------------------------------------------------------


async def test_jobs_are_visible_only_inside_the_creators_jurisdiction(registry: Registry) -> None:
    job = await registry.run_import("township", "a.csv", csv_file(file_rows(drafts(1))))
    for user, status in (("township2", 404), ("clerk", 404), ("county", 200), ("admin", 200)):
        response = await registry.client.get(f"/api/v1/jobs/{job['id']}", headers=auth(user))
        assert response.status_code == status, user
        errors = await registry.client.get(f"/api/v1/jobs/{job['id']}/errors", headers=auth(user))
        assert errors.status_code == status
    missing = await registry.client.get("/api/v1/jobs/nope", headers=auth("admin"))
    assert missing.status_code == 404


async def test_interrupted_job_resumes_where_it_stopped(template_db: Path, tmp_path: Path) -> None:
    households = drafts(10, seed=51)
    shutil.copy(template_db, tmp_path / "registry.db")
    url = f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"
    settings = _settings(url, tmp_path)
    engine = make_engine(url)
    runtime = ServiceRuntime(
        name="registry",
        common=COMMON,
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        pii=PiiCipher(COMMON.pii_key.get_secret_value()),
    )
    runner = ImportRunner(runtime, settings)
    body = csv_file(file_rows(households))
    stored = await uploads.accept(
        _reader(body),
        "big.csv",
        runner.directory,
        settings.import_max_bytes,
        settings.import_max_uncompressed_bytes,
    )
    principal = Principal(subject="township", role=Role.TOWNSHIP_REVIEWER, jurisdiction=CHABA)
    async with unit_of_work(runtime.sessions) as session:
        job_id = jobs.create_job(session, principal, stored, runner.directory).id
    assert await runner.claim(job_id)
    task: asyncio.Task[None] | None = None

    def crash_after_first_chunk(done: int, _total: int | None) -> None:
        if done and task is not None:
            task.cancel()

    task = asyncio.create_task(runner.run_job(job_id, progress=crash_after_first_chunk))
    await asyncio.gather(task, return_exceptions=True)
    async with engine.begin() as conn:
        # What a killed process leaves behind: "running", and a heartbeat nobody renews.
        await conn.execute(
            sa.text("UPDATE import_jobs SET status = 'running', heartbeat_at = :t"),
            {"t": datetime.now(UTC) - timedelta(hours=1)},
        )
        processed = (await conn.execute(sa.text("SELECT processed_rows FROM import_jobs"))).scalar()
    await engine.dispose()
    assert 0 < processed < sum(len(h.members) for h in households)
    async with _running(template_db, tmp_path) as restarted:
        job = await restarted.wait("township", job_id)
        assert job["status"] == "succeeded"
        assert job["counts"]["households_created"] == 10
        assert job["counts"]["households_unchanged"] == 0
        assert job["progress"]["processed_rows"] == job["progress"]["total_rows"]
        assert await restarted.count("households") == 10
        assert await restarted.count("outbox") == 10


def _reader(body: bytes) -> Callable[[int], Awaitable[bytes]]:
    source = io.BytesIO(body)

    async def read(size: int) -> bytes:
        return source.read(size)

    return read
