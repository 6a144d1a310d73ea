"""Audit settings (env prefix ``JZ_AUDIT_``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from jzkit.settings import CommonSettings, ServiceSettings

# Published on purpose so embedded mode works out of the box; refused outside embedded mode.
DEV_SIGNER_KEY = "PRIVATE+KEY+jingzhun.local/audit+2c8ef070+AS/mdNzpVQwd+vJHK0UosG91OeSX6Aeu8uABSVWhh/fG"


class AuditSettings(ServiceSettings):
    """Database, port, the log's origin line and its note signing key."""

    model_config = SettingsConfigDict(env_prefix="JZ_AUDIT_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/audit.db"
    port: int = 8004
    origin: str = "jingzhun.local/audit"
    signer_key: SecretStr = SecretStr(DEV_SIGNER_KEY)
    page_size_default: int = 50
    page_size_max: int = 500


class DevSignerKeyOutsideEmbedded(RuntimeError):
    """A tree head signed with the published dev key proves nothing."""


def refuse_dev_signer_outside_embedded(settings: AuditSettings, common: CommonSettings) -> None:
    """Raise unless embedded mode or a real signer key is configured."""
    if common.mode != "embedded" and settings.signer_key.get_secret_value() == DEV_SIGNER_KEY:
        raise DevSignerKeyOutsideEmbedded("set JZ_AUDIT_SIGNER_KEY: the dev key is for embedded mode only")


@lru_cache
def get_settings() -> AuditSettings:
    """Process-wide audit settings."""
    return AuditSettings()
