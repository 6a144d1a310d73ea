"""The services this installation has, and how to build, migrate and configure each."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jzkit.settings import ServiceSettings


@dataclass(frozen=True)
class ServiceSpec:
    """One service: its package, default stack port and database name."""

    name: str
    package: str
    database: str
    # Services with an outbox get a relay process; consumers get a consumer process (stack mode)
    # and an in-process subscription (embedded mode).
    publishes: bool = True
    consumes: bool = False

    @property
    def migrations(self) -> Path:
        """The service's Alembic folder, shipped inside its package."""
        migrations: Path = importlib.import_module(self.package).MIGRATIONS_DIR
        return migrations

    def settings(self) -> ServiceSettings:
        """Fresh settings read from the environment."""
        module = importlib.import_module(f"{self.package}.settings")
        module.get_settings.cache_clear()
        settings: ServiceSettings = module.get_settings()
        return settings

    def create_app(self, **kwargs: Any) -> Any:
        """The service's FastAPI app."""
        return importlib.import_module(f"{self.package}.app").create_app(**kwargs)

    def consumer(self) -> Any:
        """The service's ``events.consume`` module: ``CONSUMER``, ``PATTERNS`` and ``handle``."""
        return importlib.import_module(f"{self.package}.events.consume")

    @property
    def env_prefix(self) -> str:
        """Environment prefix of this service's settings."""
        return f"JZ_{self.name.upper()}_"


SERVICES: dict[str, ServiceSpec] = {
    "registry": ServiceSpec(name="registry", package="registry", database="jz_registry", consumes=True),
    "identification": ServiceSpec(
        name="identification", package="identification", database="jz_identification", consumes=True
    ),
    "funds": ServiceSpec(name="funds", package="funds", database="jz_funds", consumes=True),
    "audit": ServiceSpec(name="audit", package="audit", database="jz_audit", publishes=False, consumes=True),
}
