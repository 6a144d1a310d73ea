"""The README documents every setting the code reads (a new setting without docs fails here)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings

from gateway.settings import GatewaySettings
from jingzhun.catalog import SERVICES
from jzkit.failpoints import FailpointSettings
from jzkit.oidc import OidcSettings
from jzkit.settings import CommonSettings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def env_names(cls: type[BaseSettings]) -> list[str]:
    prefix = str(cls.model_config.get("env_prefix", ""))
    return [f"{prefix}{name}".upper() for name in cls.model_fields]


def test_every_setting_is_in_the_readme() -> None:
    classes: list[type[BaseSettings]] = [CommonSettings, GatewaySettings, OidcSettings, FailpointSettings]
    classes += [type(spec.settings()) for spec in SERVICES.values()]
    missing = [name for cls in classes for name in env_names(cls) if f"`{name}`" not in README]
    assert missing == []


def test_the_readme_route_table_is_the_one_the_matrix_test_checks() -> None:
    from gateway.route_roles import markdown_table

    assert markdown_table().strip() in README, "regenerate the README's route table from gateway.route_roles"
