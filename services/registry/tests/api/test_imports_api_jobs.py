"""Import jobs through the API: who may see a job, and a job interrupted mid-way resuming on restart."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

Registry = Any  # the ``registry`` fixture (api/conftest.py): the app's client, its database, importing
Helper = Callable[
    ..., Any
]  # ``auth``, ``open_runner``, ``queue_import`` (conftest.py); the rest api/conftest.py


async def test_jobs_are_visible_only_inside_the_creators_jurisdiction(
    registry: Registry, auth: Helper, drafts: Helper, file_rows: Helper, csv_file: Helper
) -> None:
    job = await registry.run_import("township", "a.csv", csv_file(file_rows(drafts(1))))
    for user, status in (("township2", 404), ("clerk", 404), ("county", 200), ("admin", 200)):
        response = await registry.client.get(f"/api/v1/jobs/{job['id']}", headers=auth(user))
        assert response.status_code == status, user
        errors = await registry.client.get(f"/api/v1/jobs/{job['id']}/errors", headers=auth(user))
        assert errors.status_code == status
    missing = await registry.client.get("/api/v1/jobs/nope", headers=auth("admin"))
    assert missing.status_code == 404


async def test_interrupted_job_resumes_where_it_stopped(
    registry_settings: Helper,
    start_registry: Helper,
    open_runner: Helper,
    queue_import: Helper,
    drafts: Helper,
    file_rows: Helper,
    csv_file: Helper,
) -> None:
    households = drafts(10, seed=51)
    async with open_runner(registry_settings()) as runner:
        body = csv_file(file_rows(households))
        job_id = await queue_import(runner, "township", "big.csv", io.BytesIO(body))
        task: asyncio.Task[None] | None = None

        def crash_after_first_chunk(done: int, _total: int | None) -> None:
            if done and task is not None:
                task.cancel()

        task = asyncio.create_task(runner.run_job(job_id, progress=crash_after_first_chunk))
        await asyncio.gather(task, return_exceptions=True)
        async with runner.runtime.engine.begin() as conn:
            # What a killed process leaves behind: "running", and a heartbeat nobody renews.
            await conn.execute(
                sa.text("UPDATE import_jobs SET status = 'running', heartbeat_at = :t"),
                {"t": datetime.now(UTC) - timedelta(hours=1)},
            )
            processed = (await conn.execute(sa.text("SELECT processed_rows FROM import_jobs"))).scalar()
    assert 0 < processed < sum(len(h.members) for h in households)
    async with start_registry() as restarted:
        job = await restarted.wait("township", job_id)
        assert job["status"] == "succeeded"
        assert job["counts"]["households_created"] == 10
        assert job["counts"]["households_unchanged"] == 0
        assert job["progress"]["processed_rows"] == job["progress"]["total_rows"]
        assert await restarted.count("households") == 10
        assert await restarted.business_events() == 10
