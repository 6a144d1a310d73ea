"""Fixtures shared by the registry's API and stack tests: test users, a prepared database, import runners.

Test modules cannot import each other (``--import-mode=importlib``), so what they share is here, as
fixtures; ``api/conftest.py`` adds the running app on top.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import BinaryIO

import pytest
from fastapi import FastAPI

from jzkit.auth import Principal, Role, issue_token
from jzkit.db import make_engine, make_session_factory, unit_of_work
from jzkit.migrate import upgrade
from jzkit.runtime import service_runtime
from jzkit.settings import CommonSettings
from registry import MIGRATIONS_DIR, divisions, repository
from registry.imports import jobs, uploads
from registry.imports.runner import ImportRunner
from registry.seed import world_csv
from registry.settings import RegistrySettings

# Test users: role and jurisdiction (炉场村, 茶坝乡, 乔庄镇, 青川县, Sichuan).
USERS = {
    "clerk": (Role.VILLAGE_CLERK, "510822104201"),
    "township": (Role.TOWNSHIP_REVIEWER, "510822104000"),
    "township2": (Role.TOWNSHIP_REVIEWER, "510822100000"),
    "county": (Role.COUNTY_APPROVER, "510822000000"),
    "admin": (Role.ADMIN, "510000000000"),
    "auditor": (Role.AUDITOR, "510822000000"),
    "funds": (Role.FUNDS_OFFICER, "510822000000"),
}

Auth = Callable[[str], dict[str, str]]
OpenRunner = Callable[[RegistrySettings], AbstractAsyncContextManager[ImportRunner]]
QueueImport = Callable[[ImportRunner, str, str, BinaryIO], Awaitable[str]]


@pytest.fixture(scope="session")
def common_settings() -> CommonSettings:
    return CommonSettings()


@pytest.fixture(scope="session")
def auth(common_settings: CommonSettings) -> Auth:
    """``auth(user)``: the ``Authorization`` header of test user ``user`` (see ``USERS``)."""

    def headers(user: str) -> dict[str, str]:
        role, jurisdiction = USERS[user]
        return {"Authorization": f"Bearer {issue_token(common_settings, user, role, jurisdiction)}"}

    return headers


def _migrate_and_load_divisions(url: str) -> None:
    upgrade(MIGRATIONS_DIR, url)

    async def load() -> None:
        engine = make_engine(url)
        async with unit_of_work(make_session_factory(engine)) as session:
            await repository.upsert_divisions(session, divisions.parse_csv(world_csv()))
        await engine.dispose()

    asyncio.run(load())


@pytest.fixture(scope="session")
def prepare_database() -> Callable[[str], None]:
    """``prepare_database(url)``: migrate the database to head and load the demo divisions (no households).

    It runs its own event loop: call it from synchronous (session or module) fixtures only.
    """
    return _migrate_and_load_divisions


@pytest.fixture
def open_runner(common_settings: CommonSettings) -> OpenRunner:
    """``async with open_runner(settings) as runner``: an import runner on a runtime of its own (no relay)."""

    @asynccontextmanager
    async def open_(settings: RegistrySettings) -> AsyncIterator[ImportRunner]:
        async with service_runtime(FastAPI(), "registry", common_settings, settings, None) as runtime:
            yield ImportRunner(runtime, settings)

    return open_


@pytest.fixture
def queue_import() -> QueueImport:
    """``await queue_import(runner, user, name, source)``: store the upload read from ``source`` as test user
    ``user`` would, create its job and claim it for ``runner``; returns the job's id."""

    async def queue(runner: ImportRunner, user: str, name: str, source: BinaryIO) -> str:
        role, jurisdiction = USERS[user]
        principal = Principal(subject=user, role=role, jurisdiction=jurisdiction)

        async def read(size: int) -> bytes:
            return source.read(size)

        settings = runner.settings
        stored = await uploads.accept(
            read,
            name,
            runner.directory,
            settings.import_max_bytes,
            settings.import_max_uncompressed_bytes,
        )
        async with unit_of_work(runner.runtime.sessions) as session:
            job_id = jobs.create_job(session, principal, stored, runner.directory).id
        assert await runner.claim(job_id)
        return job_id

    return queue
