"""Funds settings (env prefix ``JZ_FUNDS_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from jzkit.settings import ServiceSettings


class FundsSettings(ServiceSettings):
    """Database, port, list sizes and the paying account (policy values live in program data)."""

    model_config = SettingsConfigDict(env_prefix="JZ_FUNDS_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/funds.db"
    port: int = 8003
    page_size_default: int = 50
    page_size_max: int = 500
    # The account the county pays from: the debtor of every pain.001 credit transfer.
    debtor_name: str = "青川县财政局扶贫资金专户"
    debtor_account: str = "510822000000000001"
    debtor_bank: str = "青川县农村信用合作联社"
    # Programs marked test_only (notices shorter than 7 days) are refused unless this is off.
    refuse_test_programs: bool = False


@lru_cache
def get_settings() -> FundsSettings:
    """Process-wide funds settings."""
    return FundsSettings()
