"""Settings shared by every process (prefix ``JZ_``) and the per-service base class."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "jingzhun-dev-secret-not-for-production-0123456789"  # noqa: S105 - refused outside embedded
DEV_PII_KEY = "ZGV2LXBpaS1rZXktbm90LWZvci1wcm9kdWN0aW9uISE="  # base64 of 32 dev bytes


class CommonSettings(BaseSettings):
    """What every process shares: mode, broker, token and personal-data keys."""

    model_config = SettingsConfigDict(env_prefix="JZ_", env_file=".env", extra="ignore")

    mode: Literal["embedded", "stack"] = "embedded"
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    exchange: str = "jingzhun.events"
    # Consumer queues are <queue_prefix>.<service>: stacks sharing one broker need prefixes of their own.
    queue_prefix: str = "jz"
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_algorithm: Literal["HS256"] = "HS256"
    jwt_issuer: str = "jingzhun-dev"
    jwt_audience: str = "jingzhun"
    jwt_ttl_seconds: int = 8 * 3600
    jwt_leeway_seconds: int = 30
    pii_key: SecretStr = SecretStr(DEV_PII_KEY)
    data_dir: Path = Path("var")
    log_level: str = "INFO"
    log_json: bool = True
    relay_interval_seconds: float = 0.2
    relay_batch_size: int = 500
    consumer_delivery_limit: int = 5
    consumer_retry_delay_seconds: float = 1.0
    consumer_prefetch: int = 32

    def uses_dev_secrets(self) -> bool:
        """True when a dev default key is in use (allowed only in embedded mode)."""
        return self.jwt_secret.get_secret_value() == DEV_JWT_SECRET or (
            self.pii_key.get_secret_value() == DEV_PII_KEY
        )


class ServiceSettings(BaseSettings):
    """Per-service settings; each service subclasses this with its own env prefix."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 0


class DevSecretsOutsideEmbedded(RuntimeError):
    """The published development keys must never protect real data."""


def refuse_dev_secrets_outside_embedded(common: CommonSettings) -> None:
    """Raise unless embedded mode or real keys are configured (every process calls this at start)."""
    if common.mode != "embedded" and common.uses_dev_secrets():
        raise DevSecretsOutsideEmbedded(
            "set JZ_JWT_SECRET and JZ_PII_KEY: the dev keys are for embedded mode only"
        )


@lru_cache
def get_common_settings() -> CommonSettings:
    """The process-wide common settings (tests call ``cache_clear`` after changing env)."""
    return CommonSettings()
