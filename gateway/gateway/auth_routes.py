"""The dev token endpoint (embedded mode only): demo users sign in with a password."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Form, Request

from jzkit.auth import Role, issue_token
from jzkit.errors import NotFound, Unauthorized
from jzkit.openapi_doc import problem
from jzkit.settings import CommonSettings

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@dataclass(frozen=True)
class DemoUser:
    """A configured demo user."""

    username: str
    role: Role
    jurisdiction: str
    label: str


def demo_users() -> list[DemoUser]:
    """The demo users shipped with the gateway."""
    raw = json.loads(resources.files("gateway").joinpath("demo_users.json").read_text(encoding="utf-8"))
    return [DemoUser(u["username"], Role(u["role"]), u["jurisdiction"], u["label"]) for u in raw]


@router.post(
    "/token",
    responses={
        401: problem(401, "Unknown user or wrong password"),
        404: problem(404, "Outside embedded mode: tokens come from the identity provider"),
    },
)
async def token(
    request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]
) -> dict[str, str | int]:
    """Issue a bearer token for a demo user (OAuth2 password form)."""
    common: CommonSettings = request.app.state.common
    if common.mode != "embedded":
        raise NotFound("route", "/api/v1/auth/token", "接口")
    expected = request.app.state.settings.demo_password
    user = next((u for u in demo_users() if u.username == username), None)
    if user is None or not hmac.compare_digest(password.encode(), expected.encode()):
        raise Unauthorized("invalid-credentials", "unknown user or wrong password", "用户名或密码错误")
    access = issue_token(common, user.username, user.role, user.jurisdiction)
    return {"access_token": access, "token_type": "bearer", "expires_in": common.jwt_ttl_seconds}
