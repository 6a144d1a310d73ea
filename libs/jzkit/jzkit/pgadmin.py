"""PostgreSQL database administration: create a service database if missing, or afresh for tests."""

from __future__ import annotations

import re
from urllib.parse import urlparse, urlunparse

import asyncpg

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def with_database(url: str, database: str, driver: str = "postgresql") -> str:
    """``url`` pointing at ``database`` with scheme ``driver`` (e.g. ``postgresql+asyncpg``)."""
    parsed = urlparse(url)
    return urlunparse(parsed._replace(scheme=driver, path="/" + database))


async def recreate_database(admin_url: str, database: str) -> None:
    """Drop ``database`` if it exists and create it empty."""
    if not _NAME.match(database):
        raise ValueError(f"unsafe database name {database!r}")
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


async def ensure_database(admin_url: str, database: str) -> bool:
    """Create ``database`` if missing; True when it was created."""
    if not _NAME.match(database):
        raise ValueError(f"unsafe database name {database!r}")
    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
        return not exists
    finally:
        await conn.close()
