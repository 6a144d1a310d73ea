"""Gateway settings (env prefix ``JZ_GATEWAY_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    """Where the upstream services are, how long to wait for them, and what the edge lets through."""

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
    # "lean": the gateway's own HTTP/1.1 pool (gateway/upstream_transport.py); "httpx": httpcore's.
    upstream_transport: Literal["lean", "httpx"] = "lean"
    # Read timeout per upstream name, overriding read_timeout_seconds (JSON, e.g. {"funds": 120}).
    upstream_read_timeouts: dict[str, float] = {}
    # Extra attempts after a connect error, only for GET/HEAD or requests with an Idempotency-Key.
    upstream_retries: int = 2
    retry_backoff_seconds: float = 0.05
    max_body_bytes: int = 20 * 2**20
    # Bulk import files (/api/v1/imports) stream to the registry, which applies its own limit too.
    upload_max_body_bytes: int = 256 * 2**20
    # Upstream answers up to this size (Content-Length) are sent on in one piece; larger ones stream.
    buffer_response_below_bytes: int = 256 * 2**10
    client_rate_per_second: float = 100.0
    client_burst: float = 200.0
    public_rate_per_second: float = 2.0
    public_burst: float = 30.0
    # Behind a trusted load balancer: take the client address from the last X-Forwarded-For hop.
    trust_forwarded_for: bool = False
    demo_password: str = "demo"  # noqa: S105 - the token endpoint exists in embedded mode only


@lru_cache
def get_settings() -> GatewaySettings:
    """Process-wide gateway settings."""
    return GatewaySettings()
