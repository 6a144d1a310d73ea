"""The PostgreSQL write path of bulk import (COPY on the chunk's connection), on a throwaway database."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from jzkit.testing.pg import recreate_database, with_database
from registry import divisions, import_repository, repository
from registry.events.publish import household_facts
from registry.exports.rows import from_draft, sheet_rows
from registry.exports.sheets import csv_bytes
from registry.imports.runner import ImportRunner
from registry.seed import world_csv
from registry.settings import RegistrySettings
from registry.synth import Synthesizer

pytestmark = pytest.mark.stack

HOUSEHOLDS = 2000
Helper = Callable[..., Any]  # ``prepare_database``, ``open_runner``, ``queue_import`` (conftest.py)


@pytest.fixture(scope="module")
def pg_url(pg_admin_url: str, prepare_database: Helper) -> Iterator[str]:
    """A migrated throwaway registry database with the demo divisions, dropped at the end."""
    name = f"jz_import_{uuid.uuid4().hex[:10]}"
    asyncio.run(recreate_database(pg_admin_url, name))
    url = with_database(pg_admin_url, name, "postgresql+asyncpg")
    prepare_database(url)
    yield url
    asyncio.run(_drop_database(pg_admin_url, name))


async def _drop_database(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def runner(pg_url: str, tmp_path: Path, open_runner: Helper) -> AsyncIterator[ImportRunner]:
    settings = RegistrySettings(
        database_url=pg_url, import_dir=tmp_path / "imports", import_chunk_households=500
    )
    async with open_runner(settings) as running:
        yield running


def household_file(tmp_path: Path) -> tuple[Path, int]:
    villages = [(d.code, d.name) for d in divisions.parse_csv(world_csv()) if d.level == "village"]
    path = tmp_path / "households.csv"
    members = 0
    with path.open("wb") as out:
        out.write(csv_bytes([], with_header=True))
        for i, draft in enumerate(Synthesizer(seed=4242).households(HOUSEHOLDS, villages), start=1):
            members += len(draft.members)
            out.write(csv_bytes(sheet_rows(from_draft(f"H{i}", draft))))
    return path, members


@pytest.fixture
def run_file(queue_import: Helper) -> Callable[[ImportRunner, Path], Any]:
    """``await run_file(runner, path)``: import the file as the county approver; returns the job's id."""

    async def run(runner: ImportRunner, path: Path) -> str:
        with path.open("rb") as handle:
            job_id: str = await queue_import(runner, "county", path.name, handle)
        await runner.run_job(job_id)
        return job_id

    return run


async def job_row(conn: asyncpg.Connection, job_id: str) -> asyncpg.Record:
    return await conn.fetchrow("SELECT * FROM import_jobs WHERE id = $1", job_id)


async def test_copy_path_imports_and_reimport_changes_nothing(
    runner: ImportRunner, pg_url: str, tmp_path: Path, run_file: Helper
) -> None:
    path, members = household_file(tmp_path)
    conn = await asyncpg.connect(pg_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        first = await job_row(conn, await run_file(runner, path))
        assert first["status"] == "succeeded", first["failure_message"]
        assert (first["households_created"], first["households_unchanged"], first["error_count"]) == (
            HOUSEHOLDS,
            0,
            0,
        )
        assert first["processed_rows"] == first["total_rows"] == members
        assert await conn.fetchval("SELECT count(*) FROM households") == HOUSEHOLDS
        assert await conn.fetchval("SELECT count(*) FROM members") == members
        events = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE event_type = 'registry.household.registered'"
        )
        assert events == HOUSEHOLDS
        # JSONB columns arrived as JSON, not as strings holding JSON.
        assert (
            await conn.fetchval("SELECT count(*) FROM households WHERE jsonb_typeof(flags) <> 'object'") == 0
        )

        second = await job_row(conn, await run_file(runner, path))
        assert (second["households_created"], second["households_unchanged"]) == (0, HOUSEHOLDS)
        assert await conn.fetchval("SELECT count(*) FROM outbox") == HOUSEHOLDS
        assert await conn.fetchval("SELECT count(*) FROM members") == members

        payload = await conn.fetchval("SELECT payload FROM outbox ORDER BY id LIMIT 1")
    finally:
        await conn.close()
    facts = json.loads(payload)["data"]["household"]
    async with runner.runtime.sessions() as session:
        stored = await repository.get_household(session, facts["household_id"])
        assert stored is not None
        expected = household_facts(stored, await repository.get_members(session, stored.id))
    expected_doc = expected.model_dump(mode="json")
    assert sorted(facts.pop("members"), key=str) == sorted(expected_doc.pop("members"), key=str)
    assert facts == expected_doc


async def test_a_chunk_that_loses_a_uniqueness_race_is_retried(
    runner: ImportRunner, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_file: Helper
) -> None:
    # The first look-up misses what a concurrent registration committed a moment earlier: COPY then
    # meets the unique index, the chunk is rolled back and done again, and finds it "unchanged".
    path, _ = household_file(tmp_path)
    real = import_repository.member_homes
    calls = 0

    async def stale_first(session: Any, id_hashes: Any) -> dict[str, str]:
        nonlocal calls
        calls += 1
        return {} if calls == 1 else await real(session, id_hashes)

    conn = await asyncpg.connect(pg_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await job_row(conn, await run_file(runner, path))  # the data exists (first test, or now)
        before = await conn.fetchval("SELECT count(*) FROM outbox")
        monkeypatch.setattr(import_repository, "member_homes", stale_first)
        job = await job_row(conn, await run_file(runner, path))
        assert job["status"] == "succeeded", job["failure_message"]
        assert job["households_unchanged"] == HOUSEHOLDS
        assert calls == HOUSEHOLDS // runner.settings.import_chunk_households + 1  # one chunk twice
        assert await conn.fetchval("SELECT count(*) FROM outbox") == before
    finally:
        await conn.close()
