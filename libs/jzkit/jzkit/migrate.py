"""Alembic glue shared by the services: async ``env.py`` body and a programmatic upgrade."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from jzkit.db import make_engine


def alembic_config(migrations: Path, url: str) -> Config:
    """Config for the migrations folder a service ships inside its package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision(migrations: Path) -> str | None:
    """The newest revision in ``migrations`` (what a ready database must be at)."""
    return ScriptDirectory.from_config(alembic_config(migrations, "")).get_current_head()


def upgrade(migrations: Path, url: str, revision: str = "head") -> None:
    """Run the service's migrations up to ``revision`` (blocking: use ``asyncio.to_thread`` in a loop)."""
    if url.startswith("sqlite"):
        db_path = url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(migrations, url), revision)


def _do_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=None,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_do_run)
            await conn.commit()
    finally:
        await engine.dispose()


def run_env(default_url: str) -> None:
    """The body of a service's ``migrations/env.py`` (online mode only: migrations need a database)."""
    url = context.config.get_main_option("sqlalchemy.url") or default_url
    asyncio.run(_run_async(url))
