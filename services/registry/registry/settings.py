"""Registry settings (env prefix ``JZ_REGISTRY_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import SettingsConfigDict

from jzkit.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    """Database, port and the registry's plausibility bounds."""

    model_config = SettingsConfigDict(env_prefix="JZ_REGISTRY_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/registry.db"
    port: int = 8001
    # Plausibility bounds on input, not eligibility rules (those are identification policy data).
    max_annual_income_fen: int = 1_000_000_000
    max_members: int = 30
    page_size_default: int = 50
    page_size_max: int = 500
    import_max_bytes: int = 256 * 1024 * 1024
    # An XLSX may not unpack to more than this (zip-bomb guard, checked before any XML is parsed).
    import_max_uncompressed_bytes: int = 2 * 1024 * 1024 * 1024
    # Uploaded files wait here until their job finishes; None means <JZ_DATA_DIR>/imports.
    # Several registry replicas need this on shared storage.
    import_dir: Path | None = None
    import_chunk_households: int = 1000
    # A running job whose heartbeat is older than this is taken over (its runner died).
    import_lease_seconds: float = 60.0
    import_poll_seconds: float = 2.0
    export_page_households: int = 500


@lru_cache
def get_settings() -> RegistrySettings:
    """Process-wide registry settings."""
    return RegistrySettings()
