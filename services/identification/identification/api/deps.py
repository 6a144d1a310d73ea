"""``Annotated`` dependency aliases of the identification routes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from identification.settings import IdentificationSettings
from jzkit.deps import CurrentUser, RuntimeDep, SessionDep

__all__ = ["ClockDep", "CurrentUser", "RuntimeDep", "SessionDep", "SettingsDep"]


async def get_clock(request: Request) -> Callable[[], datetime]:
    """The app's clock (injected by tests)."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock


async def get_settings_dep(request: Request) -> IdentificationSettings:
    """The settings the app was built with."""
    settings: IdentificationSettings = request.app.state.settings
    return settings


ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
SettingsDep = Annotated[IdentificationSettings, Depends(get_settings_dep)]
