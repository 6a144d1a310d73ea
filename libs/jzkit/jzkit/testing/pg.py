"""Throwaway PostgreSQL databases for stack tests and benchmarks (see :mod:`jzkit.pgadmin`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jzkit.migrate import upgrade
from jzkit.pgadmin import ensure_database, recreate_database, with_database
from jzkit.testing.stack import drop_database

__all__ = ["ensure_database", "migrated_database", "recreate_database", "with_database"]


@contextmanager
def migrated_database(admin_url: str, label: str, migrations: Path) -> Iterator[tuple[str, str]]:
    """A fresh database migrated to head: yields (asyncpg DSN, SQLAlchemy URL); dropped afterwards.

    Synchronous, for session- or function-scoped fixtures (it runs its own event loop).
    """
    name = f"jz_{label}_{uuid.uuid4().hex[:10]}"
    asyncio.run(recreate_database(admin_url, name))
    try:
        url = with_database(admin_url, name, "postgresql+asyncpg")
        upgrade(migrations, url)
        yield with_database(admin_url, name), url
    finally:
        asyncio.run(drop_database(admin_url, name))
