"""Annotated dependency aliases of the audit routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from audit.domain.note import Signer
from audit.settings import AuditSettings
from jzkit.deps import CurrentUser, RuntimeDep, SessionDep


async def get_audit_settings(runtime: RuntimeDep) -> AuditSettings:
    """This service's settings, as loaded by the app factory."""
    settings = runtime.settings
    assert isinstance(settings, AuditSettings)
    return settings


async def get_signer(request: Request) -> Signer:
    """The tree-head signer parsed once in the lifespan."""
    signer: Signer = request.app.state.signer
    return signer


SettingsDep = Annotated[AuditSettings, Depends(get_audit_settings)]
SignerDep = Annotated[Signer, Depends(get_signer)]

__all__ = ["CurrentUser", "RuntimeDep", "SessionDep", "SettingsDep", "SignerDep"]
