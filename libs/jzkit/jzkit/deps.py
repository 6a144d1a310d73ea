"""FastAPI dependencies every service uses: the unit of work and the calling principal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.ext.asyncio import AsyncSession

from jzkit.auth import Principal, bearer_token
from jzkit.db import unit_of_work
from jzkit.logs import actor_var
from jzkit.oidc import TokenVerifier, default_verifier
from jzkit.openapi_doc import BEARER
from jzkit.runtime import ServiceRuntime


async def get_runtime(request: Request) -> ServiceRuntime:
    """The service's runtime from app state."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One session per request, committed when the handler returns, rolled back if it raises."""
    async with unit_of_work(runtime.sessions) as session:
        yield session
    runtime.after_commit()


# async: plain functions would each cost a thread-pool hop per request.
async def get_principal(
    request: Request,
    runtime: RuntimeDep,
    # Documents the bearer scheme (OpenAPI ``security``); the header is parsed by bearer_token below.
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> Principal:
    """The verified caller (every service checks the token itself, not only the gateway).

    The identity provider's tokens when ``JZ_OIDC_JWKS_URL`` is set, else local HS256 tokens;
    a test or an embedding process may set ``app.state.token_verifier`` instead.
    """
    verifier: TokenVerifier | None = getattr(request.app.state, "token_verifier", None)
    verifier = verifier or default_verifier(runtime.common)
    principal = await verifier.verify(bearer_token(request.headers.get("authorization")))
    actor_var.set(principal.subject)
    # For the write recorder, which sees the request again once it is answered.
    request.state.principal = principal
    return principal


# scope="function": commit before the response is sent, so a failed commit is never reported as success.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
CurrentUser = Annotated[Principal, Depends(get_principal)]
