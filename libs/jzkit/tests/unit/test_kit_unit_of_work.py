"""The request's unit of work commits before the response: a failed commit is an error, not a 200."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from jzkit import web
from jzkit.deps import SessionDep
from jzkit.runtime import service_runtime
from jzkit.settings import CommonSettings, ServiceSettings


def make_app(db: Path) -> FastAPI:
    settings = ServiceSettings(database_url=f"sqlite+aiosqlite:///{db}")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(app, "uow-test", CommonSettings(), settings, None) as runtime:
            async with runtime.engine.begin() as conn:
                await conn.execute(text("CREATE TABLE t (v INTEGER)"))
            yield

    app = FastAPI(lifespan=lifespan)
    web.install(app, "uow-test", {})

    @app.post("/rows")
    async def add_row(session: SessionDep) -> dict[str, bool]:
        await session.execute(text("INSERT INTO t (v) VALUES (1)"))
        return {"ok": True}

    @app.get("/rows")
    async def count_rows(session: SessionDep) -> dict[str, int]:
        return {"count": int((await session.execute(text("SELECT count(*) FROM t"))).scalar_one())}

    return app


async def test_commit_failure_is_a_500_problem_and_nothing_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tmp_path / "uow.db")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.post("/rows")).status_code == 200
            original = AsyncSession.commit

            async def failing_commit(self: AsyncSession) -> None:
                raise RuntimeError("disk full")

            monkeypatch.setattr(AsyncSession, "commit", failing_commit)
            failed = await client.post("/rows")
            monkeypatch.setattr(AsyncSession, "commit", original)
            assert failed.status_code == 500
            assert failed.headers["content-type"].startswith("application/problem+json")
            assert failed.json()["code"] == "internal-error"
            assert (await client.get("/rows")).json() == {"count": 1}
