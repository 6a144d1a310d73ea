"""Migrating each service's database (created first when it is PostgreSQL and missing)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlparse, urlunparse

from jingzhun.catalog import SERVICES
from jzkit.migrate import upgrade
from jzkit.pgadmin import ensure_database


def _admin_url(database_url: str) -> str:
    parsed = urlparse(database_url)
    return urlunparse(parsed._replace(scheme="postgresql", path="/postgres"))


def migrate(names: list[str] | None = None) -> None:
    """Create (PostgreSQL) and upgrade every named service's database to head."""
    for name in names or list(SERVICES):
        spec = SERVICES[name]
        url = spec.settings().database_url
        if url.startswith("postgresql"):
            database = urlparse(url).path.lstrip("/")
            asyncio.run(ensure_database(_admin_url(url), database))
        upgrade(spec.migrations, url)
        print(f"migrated {name}")
