"""Annotated dependency aliases of the registry routes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends

from jzkit.deps import CurrentUser, RuntimeDep, SessionDep
from registry.domain.household import Limits
from registry.service import Context
from registry.settings import RegistrySettings


async def get_registry_settings(runtime: RuntimeDep) -> RegistrySettings:
    """This service's settings, as loaded by the app factory."""
    settings = runtime.settings
    assert isinstance(settings, RegistrySettings)
    return settings


SettingsDep = Annotated[RegistrySettings, Depends(get_registry_settings)]


async def get_context(principal: CurrentUser, runtime: RuntimeDep, settings: SettingsDep) -> Context:
    """The acting principal with the keys and bounds the use cases need."""
    limits = Limits(max_annual_income_fen=settings.max_annual_income_fen, max_members=settings.max_members)
    return Context(principal=principal, pii=runtime.pii, limits=limits, today=date.today())


ContextDep = Annotated[Context, Depends(get_context)]

__all__ = ["ContextDep", "CurrentUser", "RuntimeDep", "SessionDep", "SettingsDep"]
