"""OIDC tokens: RS256/ES256 against the provider's JWKS, key rotation, and every forgery refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from jzkit.auth import Principal, Role
from jzkit.errors import DomainError, Unauthorized
from jzkit.oidc import CachedVerifier, LocalTokenVerifier, OidcSettings, OidcTokenVerifier, default_verifier
from jzkit.settings import CommonSettings
from jzkit.testing.oidc import AUDIENCE, ISSUER, JWKS_URL, FakeProvider, SigningKey, claims

RSA = SigningKey.rsa("rsa-1")
EC = SigningKey.ec("ec-1")
SETTINGS = OidcSettings(issuer=ISSUER, jwks_url=JWKS_URL, audience=AUDIENCE)
TOWNSHIP = Principal("u-1001", Role.TOWNSHIP_REVIEWER, "510822104000")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier(provider: FakeProvider, **overrides: Any) -> tuple[OidcTokenVerifier, Clock]:
    v = OidcTokenVerifier(SETTINGS.model_copy(update=overrides), provider.transport())
    clock = Clock()
    v.jwks.clock = clock
    return v, clock


async def refused(v: OidcTokenVerifier, token: str) -> Unauthorized:
    with pytest.raises(Unauthorized) as exc:
        await v.verify(token)
    assert exc.value.status == 401 and exc.value.code == "invalid-token"
    return exc.value


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], payload: dict[str, Any], sign: Any = None) -> str:
    """A JWT assembled by hand, as an attacker would (PyJWT refuses to make these)."""
    head = b64(json.dumps(header).encode()) + "." + b64(json.dumps(payload).encode())
    return head + "." + (b64(sign(head.encode())) if sign else "")


@pytest.mark.parametrize("key", [RSA, EC], ids=["RS256", "ES256"])
async def test_provider_token_becomes_a_principal(key: SigningKey) -> None:
    v, _ = verifier(FakeProvider([RSA, EC]))
    assert await v.verify(key.sign(claims())) == TOWNSHIP


async def test_machine_client_token_carries_the_system_role() -> None:
    v, _ = verifier(FakeProvider([RSA]))
    token = RSA.sign(claims(sub="svc-province-portal", jz_role="system", jz_division="510000000000"))
    assert await v.verify(token) == Principal("svc-province-portal", Role.SYSTEM, "510000000000")


async def test_claim_names_are_settings() -> None:
    v, _ = verifier(FakeProvider([RSA]), role_claim="roles_jz", jurisdiction_claim="division")
    token = RSA.sign(claims(jz_role=None, jz_division=None, roles_jz="auditor", division="510822000000"))
    assert await v.verify(token) == Principal("u-1001", Role.AUDITOR, "510822000000")


async def test_alg_none_is_refused() -> None:
    v, _ = verifier(FakeProvider([RSA]))
    err = await refused(v, handmade({"alg": "none", "kid": "rsa-1", "typ": "JWT"}, claims()))
    assert err.message("en") == "token algorithm not allowed"


async def test_hs256_signed_with_the_public_key_is_refused() -> None:
    provider = FakeProvider([RSA])
    v, _ = verifier(provider)
    pem = RSA.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for secret in (pem, json.dumps(RSA.jwk()).encode()):
        token = handmade(
            {"alg": "HS256", "kid": "rsa-1", "typ": "JWT"},
            claims(),
            lambda data, s=secret: hmac.new(s, data, hashlib.sha256).digest(),
        )
        await refused(v, token)
    assert provider.fetches == 0  # refused on the header alone


async def test_token_alg_must_match_the_keys_alg() -> None:
    v, _ = verifier(FakeProvider([RSA, EC]))
    # An ES256 signature presented under the RSA key's kid.
    forged = EC.sign(claims(), kid="rsa-1")
    await refused(v, forged)


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": None},
        {"sub": None},
        {"aud": "another-system"},
        {"iss": "https://evil.example/realms/sc"},
        {"exp": 1_000_000, "iat": 999_000},
        {"jz_role": "emperor"},
        {"jz_role": None},
        {"jz_division": "5108"},
        {"jz_division": None},
    ],
    ids=["no-exp", "no-sub", "aud", "iss", "expired", "bad-role", "no-role", "bad-division", "no-division"],
)
async def test_bad_claims_are_refused(changes: dict[str, Any]) -> None:
    v, _ = verifier(FakeProvider([RSA]))
    await refused(v, RSA.sign(claims(**changes)))


async def test_tampered_payload_is_refused() -> None:
    v, _ = verifier(FakeProvider([RSA]))
    header, _, signature = RSA.sign(claims()).split(".")
    widened = b64(json.dumps(claims(jz_division="510000000000")).encode())
    await refused(v, f"{header}.{widened}.{signature}")


async def test_keys_not_in_the_allowed_algorithms_are_ignored() -> None:
    v, _ = verifier(FakeProvider([RSA, EC]), algorithms=["RS256"])
    assert (await v.verify(RSA.sign(claims()))).subject == "u-1001"
    await refused(v, EC.sign(claims()))


async def test_unknown_kid_refetches_once_per_window_then_rotation_works() -> None:
    provider = FakeProvider([RSA])
    v, clock = verifier(provider, jwks_refetch_min_seconds=30, jwks_cache_seconds=300)
    assert await v.verify(RSA.sign(claims())) == TOWNSHIP
    assert provider.fetches == 1
    assert await v.verify(RSA.sign(claims())) == TOWNSHIP
    assert provider.fetches == 1  # cached

    rotated = SigningKey.rsa("rsa-2")
    err = await refused(v, rotated.sign(claims()))
    assert err.message("en") == "token signed by an unknown key"
    assert provider.fetches == 1  # the last fetch is too recent: a flood of new kids cannot hammer the IdP

    clock.now += 31
    provider.keys = [RSA, rotated]
    assert await v.verify(rotated.sign(claims())) == TOWNSHIP
    assert provider.fetches == 2
    await refused(v, SigningKey.rsa("rsa-3").sign(claims()))
    assert provider.fetches == 2


async def test_cache_expires_and_removed_keys_stop_working() -> None:
    provider = FakeProvider([RSA, EC])
    v, clock = verifier(provider, jwks_cache_seconds=300)
    assert await v.verify(EC.sign(claims())) == TOWNSHIP
    provider.keys = [RSA]
    clock.now += 301
    await refused(v, EC.sign(claims()))
    assert provider.fetches == 2


async def test_unreachable_provider_is_503_without_keys_and_stale_keys_serve() -> None:
    provider = FakeProvider([RSA], down=True)
    v, clock = verifier(provider)
    with pytest.raises(DomainError) as exc:
        await v.verify(RSA.sign(claims()))
    assert exc.value.status == 503 and exc.value.code == "identity-provider-unavailable"

    provider.down = False
    clock.now += 31
    assert await v.verify(RSA.sign(claims())) == TOWNSHIP
    provider.down = True
    clock.now += 301
    assert await v.verify(RSA.sign(claims())) == TOWNSHIP  # stale, but better than refusing everyone
    assert provider.fetches == 3


async def test_junk_in_the_jwks_is_skipped() -> None:
    provider = FakeProvider(
        [RSA], extra=[{"kty": "RSA", "kid": "broken", "n": "AA"}, {"kty": "oct", "k": "c2VjcmV0"}]
    )
    v, _ = verifier(provider)
    assert await v.verify(RSA.sign(claims())) == TOWNSHIP
    assert set(v.jwks.keys) == {"rsa-1"}


async def test_default_verifier_is_local_unless_a_jwks_url_is_set() -> None:
    common = CommonSettings()
    assert isinstance(default_verifier(common, OidcSettings()), LocalTokenVerifier)
    first = default_verifier(common, SETTINGS)
    assert isinstance(first, OidcTokenVerifier)
    assert default_verifier(common, SETTINGS.model_copy()) is first  # one JWKS cache per process


class CountingVerifier:
    def __init__(self, inner: OidcTokenVerifier) -> None:
        self.inner = inner
        self.calls = 0

    async def verify(self, token: str) -> Principal:
        self.calls += 1
        return await self.inner.verify(token)


async def test_cached_verifier_remembers_until_expiry_or_max_age() -> None:
    v, _ = verifier(FakeProvider([RSA]))
    counting = CountingVerifier(v)
    clock = Clock()
    clock.now = float(claims()["iat"])
    cached = CachedVerifier(counting, max_age=60, clock=clock)
    token = RSA.sign(claims(exp=int(clock.now) + 100))
    assert await cached.verify(token) == TOWNSHIP
    assert await cached.verify(token) == TOWNSHIP
    assert counting.calls == 1
    clock.now += 61  # max age: checked again
    await cached.verify(token)
    assert counting.calls == 2
    clock.now += 40  # past exp: the inner verifier decides (and refuses past the leeway)
    await cached.verify(token)
    assert counting.calls == 3


async def test_cached_verifier_never_caches_a_refusal() -> None:
    v, _ = verifier(FakeProvider([RSA]))
    counting = CountingVerifier(v)
    cached = CachedVerifier(counting)
    bad = RSA.sign(claims(aud="other"))
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await cached.verify(bad)
    assert counting.calls == 2
