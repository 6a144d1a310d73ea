"""Gateway settings (env prefix ``JZ_GATEWAY_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """Where the upstream services are and how long to wait for them."""

    model_config = SettingsConfigDict(env_prefix="JZ_GATEWAY_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    registry_url: str = "http://127.0.0.1:8001"
    identification_url: str = "http://127.0.0.1:8002"
    funds_url: str = "http://127.0.0.1:8003"
    audit_url: str = "http://127.0.0.1:8004"
    connect_timeout_seconds: float = 2.0
    read_timeout_seconds: float = 30.0
    max_connections_per_upstream: int = 100
    demo_password: str = "demo"  # noqa: S105 - the token endpoint exists in embedded mode only


@lru_cache
def get_settings() -> GatewaySettings:
    """Process-wide gateway settings."""
    return GatewaySettings()
