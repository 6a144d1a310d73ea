"""``Annotated`` dependency aliases of the funds routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from funds.service.context import Context
from funds.settings import FundsSettings
from jzkit.deps import CurrentUser, RuntimeDep, SessionDep

__all__ = ["ContextDep", "CurrentUser", "IdempotencyKey", "RuntimeDep", "SessionDep", "SettingsDep"]


async def get_settings_dep(request: Request) -> FundsSettings:
    """The settings the app was built with."""
    settings: FundsSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[FundsSettings, Depends(get_settings_dep)]


async def get_context(
    request: Request, principal: CurrentUser, runtime: RuntimeDep, settings: SettingsDep
) -> Context:
    """The caller, the app's clock reading, the PII cipher and the settings."""
    return Context(principal=principal, now=request.app.state.clock(), pii=runtime.pii, settings=settings)


ContextDep = Annotated[Context, Depends(get_context)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
