"""Province OIDC tokens through the embedded gateway: the edge and every service verify the same way."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from jzkit.auth import Role, issue_token
from jzkit.oidc import OidcSettings, OidcTokenVerifier
from jzkit.settings import CommonSettings
from jzkit.testing.oidc import AUDIENCE, ISSUER, JWKS_URL, FakeProvider, SigningKey, claims

Api = Any
Problem = Callable[..., dict[str, Any]]
KEY = SigningKey.rsa("prov-2026")
EC_KEY = SigningKey.ec("prov-ec")
TOWNSHIP = "510822104000"


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider([KEY, EC_KEY])


@pytest.fixture
async def oidc_api(make_api: Callable[..., Any], provider: FakeProvider) -> AsyncIterator[Api]:
    settings = OidcSettings(issuer=ISSUER, jwks_url=JWKS_URL, audience=AUDIENCE)
    verifier = OidcTokenVerifier(settings, provider.transport())
    async with make_api(verifier=verifier) as api:
        yield api


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_provider_token_reads_inside_its_jurisdiction(oidc_api: Api, provider: FakeProvider) -> None:
    token = KEY.sign(claims(jz_division=TOWNSHIP))
    r = await oidc_api.client.get("/api/v1/households", params={"division": TOWNSHIP}, headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.json()["items"] and all(h["division_code"].startswith("510822104") for h in r.json()["items"])
    other = await oidc_api.client.get(
        "/api/v1/households", params={"division": "510822100000"}, headers=bearer(token)
    )
    assert (other.status_code, other.json()["code"]) == (403, "outside-jurisdiction")
    assert provider.fetches == 1  # the gateway and the registry share the verifier's key cache


async def test_an_es256_machine_client_reads_as_system(oidc_api: Api) -> None:
    token = EC_KEY.sign(claims(sub="svc-province", jz_role="system", jz_division="510000000000"))
    r = await oidc_api.client.get("/api/v1/households", params={"division": TOWNSHIP}, headers=bearer(token))
    assert r.status_code == 200, r.text


async def test_dev_hs256_tokens_are_refused_when_oidc_is_on(oidc_api: Api, expect_problem: Problem) -> None:
    dev = issue_token(CommonSettings(mode="embedded"), "admin", Role.ADMIN, "510000000000")
    expect_problem(await oidc_api.client.get("/api/v1/households", headers=bearer(dev)), 401, "invalid-token")


async def test_a_service_reached_directly_refuses_forged_tokens(
    oidc_api: Api, expect_problem: Problem
) -> None:
    """Defence in depth: the registry itself verifies, not only the gateway."""
    registry = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=oidc_api.registry_app), base_url="http://r"
    )
    async with registry:
        dev = issue_token(CommonSettings(mode="embedded"), "admin", Role.ADMIN, "510000000000")
        expect_problem(await registry.get("/api/v1/households", headers=bearer(dev)), 401, "invalid-token")
        expect_problem(await registry.get("/api/v1/households"), 401, "missing-token")
        unknown = SigningKey.rsa("not-the-province").sign(claims())
        expect_problem(
            await registry.get("/api/v1/households", headers=bearer(unknown)), 401, "invalid-token"
        )
        good = KEY.sign(claims(jz_division=TOWNSHIP))
        assert (await registry.get("/api/v1/households", headers=bearer(good))).status_code == 200


@pytest.mark.parametrize(
    "changes",
    [{"exp": None}, {"aud": "other"}, {"iss": "https://evil.example"}, {"jz_role": None}],
    ids=["no-exp", "aud", "iss", "no-role"],
)
async def test_bad_provider_tokens_are_401(
    oidc_api: Api, expect_problem: Problem, changes: dict[str, Any]
) -> None:
    r = await oidc_api.client.get("/api/v1/households", headers=bearer(KEY.sign(claims(**changes))))
    expect_problem(r, 401, "invalid-token")
    assert r.headers["www-authenticate"] == "Bearer"


async def test_provider_down_at_first_use_is_503(
    oidc_api: Api, provider: FakeProvider, expect_problem: Problem
) -> None:
    provider.down = True
    r = await oidc_api.client.get("/api/v1/households", headers=bearer(KEY.sign(claims())))
    expect_problem(r, 503, "identity-provider-unavailable")
