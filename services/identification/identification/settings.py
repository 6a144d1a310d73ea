"""Identification settings (env prefix ``JZ_IDENTIFICATION_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from jzkit.settings import ServiceSettings


class IdentificationSettings(ServiceSettings):
    """Database, port, list sizes and the notice scheduler (policy values live in policy data)."""

    model_config = SettingsConfigDict(env_prefix="JZ_IDENTIFICATION_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/identification.db"
    port: int = 8002
    page_size_default: int = 50
    page_size_max: int = 500
    # How often the scheduler looks for notices whose period has run out.
    notice_poll_seconds: float = 5.0
    # How often an idle review runner looks for reviews another process (or a lost wake-up) left queued.
    review_poll_seconds: float = 5.0
    # Cases a review opens per transaction: a crash repeats at most one such chunk.
    review_cases_per_transaction: int = 200


@lru_cache
def get_settings() -> IdentificationSettings:
    """Process-wide identification settings."""
    return IdentificationSettings()
