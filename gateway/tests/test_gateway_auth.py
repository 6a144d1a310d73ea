"""The dev token endpoint and token checks, through the gateway in embedded mode."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from pydantic import SecretStr

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from jzkit.auth import Principal, Role, verify_token
from jzkit.settings import CommonSettings, DevSecretsOutsideEmbedded
from registry.app import create_app as create_registry
from registry.settings import RegistrySettings

Api = Any  # the ``api`` fixture (conftest.py): gateway client, event recorder, registry state
Problem = Callable[..., dict[str, Any]]
TOKEN_URL = "/api/v1/auth/token"
DEMO = json.loads(resources.files("gateway").joinpath("demo_users.json").read_text(encoding="utf-8"))


def test_demo_users_are_the_designed_ones() -> None:
    by_name = {u["username"]: (u["role"], u["jurisdiction"]) for u in DEMO}
    assert by_name == {
        "admin": ("admin", "510000000000"),
        "county": ("county_approver", "510822000000"),
        "township": ("township_reviewer", "510822104000"),
        "township2": ("township_reviewer", "510822100000"),
        "clerk": ("village_clerk", "510822104201"),
        "funds": ("funds_officer", "510822000000"),
        "auditor": ("auditor", "510822000000"),
    }


@pytest.mark.parametrize("user", [u["username"] for u in DEMO])
async def test_demo_user_gets_a_token_for_its_role_and_jurisdiction(api: Api, user: str) -> None:
    r = await api.client.post(TOKEN_URL, data={"username": user, "password": "demo"})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    expected = next(u for u in DEMO if u["username"] == user)
    principal = verify_token(CommonSettings(mode="embedded"), body["access_token"])
    assert principal == Principal(user, Role(expected["role"]), expected["jurisdiction"])


@pytest.mark.parametrize(
    "form", [{"username": "county", "password": "wrong"}, {"username": "nobody", "password": "demo"}]
)
async def test_wrong_password_or_unknown_user_is_401(
    api: Api, expect_problem: Problem, form: dict[str, str]
) -> None:
    r = await api.client.post(TOKEN_URL, data=form, headers={"Accept-Language": "en"})
    body = expect_problem(r, 401, "invalid-credentials")
    assert body["title"] == "unknown user or wrong password"
    assert "access_token" not in r.text


async def test_missing_form_field_is_422(api: Api, expect_problem: Problem) -> None:
    expect_problem(
        await api.client.post(TOKEN_URL, data={"username": "county"}), 422, "validation-failed", "password"
    )


def _forged(secret: str, **claims: Any) -> str:
    now = int(time.time())
    doc: dict[str, Any] = {
        "sub": "county",
        "role": "county_approver",
        "jurisdiction": "510822000000",
        "iss": "jingzhun-dev",
    }
    doc.update({"aud": "jingzhun", "iat": now, "exp": now + 600, **claims})
    return jwt.encode(doc, secret, algorithm="HS256")


@pytest.mark.parametrize(
    "token",
    [
        _forged("someone-elses-secret-0123456789abcdef0123456789"),
        _forged(CommonSettings().jwt_secret.get_secret_value(), exp=int(time.time()) - 3600),
        _forged(CommonSettings().jwt_secret.get_secret_value(), aud="another-system"),
    ],
    ids=["wrong-secret", "expired", "wrong-audience"],
)
async def test_bad_tokens_are_401_at_the_service(api: Api, expect_problem: Problem, token: str) -> None:
    r = await api.client.get("/api/v1/households", headers={"Authorization": f"Bearer {token}"})
    expect_problem(r, 401, "invalid-token")
    assert r.headers["www-authenticate"] == "Bearer"


async def test_no_token_is_401(api: Api, expect_problem: Problem) -> None:
    expect_problem(await api.client.get("/api/v1/households"), 401, "missing-token")
    expect_problem(await api.client.post("/api/v1/households", json={}), 401, "missing-token")


STACK = CommonSettings(
    mode="stack",
    jwt_secret=SecretStr("stack-secret-" + "x" * 40),
    pii_key=SecretStr("c3RhY2sta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiEhISE="),
)


async def test_no_token_endpoint_outside_embedded_mode(expect_problem: Problem) -> None:
    app = create_gateway(GatewaySettings(), STACK, embedded={})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        r = await client.post(TOKEN_URL, data={"username": "admin", "password": "demo"})
    expect_problem(r, 404, "route-not-found")


async def test_dev_secrets_refused_outside_embedded_mode() -> None:
    app = create_gateway(GatewaySettings(), CommonSettings(mode="stack"), embedded={})
    with pytest.raises(DevSecretsOutsideEmbedded):
        async with app.router.lifespan_context(app):
            pass


async def test_services_refuse_dev_secrets_outside_embedded_mode(tmp_path: Path) -> None:
    app = create_registry(
        settings=RegistrySettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"),
        common=CommonSettings(mode="stack"),
    )
    with pytest.raises(DevSecretsOutsideEmbedded):
        async with app.router.lifespan_context(app):
            pass
