"""Tokens from the province's OIDC identity provider: RS256/ES256 checked against its JWKS.

Every service and the gateway verify the same way (defence in depth). Algorithms come from
settings only; the token's header merely names the key (``kid``). Claims map to a principal:
``jz_role`` (one of the design's roles; machine clients using client credentials carry
``system``) and ``jz_division`` (the 12-digit jurisdiction); both claim names are settings.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal, Protocol

import httpx
import jwt
from pydantic_settings import BaseSettings, SettingsConfigDict

from jzkit import divisions
from jzkit.auth import Principal, Role, verify_token
from jzkit.errors import DomainError, Unauthorized
from jzkit.settings import CommonSettings

AsymmetricAlgorithm = Literal["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]


class OidcSettings(BaseSettings):
    """The identity provider (env prefix ``JZ_OIDC_``); OIDC is on when ``jwks_url`` is set."""

    model_config = SettingsConfigDict(env_prefix="JZ_OIDC_", env_file=".env", extra="ignore")

    issuer: str = ""
    jwks_url: str = ""
    audience: str = "jingzhun"
    algorithms: list[AsymmetricAlgorithm] = ["RS256", "ES256"]
    leeway_seconds: int = 30
    jwks_cache_seconds: float = 300.0
    # An unknown ``kid`` refetches the JWKS (key rotation), at most this often.
    jwks_refetch_min_seconds: float = 30.0
    jwks_timeout_seconds: float = 5.0
    role_claim: str = "jz_role"
    jurisdiction_claim: str = "jz_division"

    @property
    def enabled(self) -> bool:
        """True when tokens come from the identity provider rather than the local secret."""
        return bool(self.jwks_url)


@lru_cache
def get_oidc_settings() -> OidcSettings:
    """The process-wide OIDC settings (tests call ``cache_clear`` after changing env)."""
    return OidcSettings()


class IdentityProviderUnavailable(DomainError):
    """503: the identity provider's keys could not be fetched and none are cached."""

    status = 503


class TokenVerifier(Protocol):
    """Turns a bearer token into a verified principal or raises ``Unauthorized``."""

    async def verify(self, token: str) -> Principal:
        """The verified caller."""
        ...


class LocalTokenVerifier:
    """HS256 tokens signed with ``JZ_JWT_SECRET`` (embedded mode's dev tokens, test harnesses)."""

    def __init__(self, common: CommonSettings) -> None:
        self.common = common

    async def verify(self, token: str) -> Principal:
        """The verified caller."""
        return verify_token(self.common, token)


def _refuse(reason_en: str, reason_zh: str) -> Unauthorized:
    return Unauthorized("invalid-token", reason_en, reason_zh)


class JwksCache:
    """The provider's signing keys by ``kid``: refreshed after a TTL, refetched on an unknown kid."""

    def __init__(
        self,
        settings: OidcSettings,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.clock = clock
        self.keys: dict[str, jwt.PyJWK] = {}
        self.fetched_at: float | None = None
        self.attempted_at: float | None = None
        self.fetches = 0
        self._lock = asyncio.Lock()

    def _fresh(self, now: float) -> bool:
        return self.fetched_at is not None and now - self.fetched_at < self.settings.jwks_cache_seconds

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The key named ``kid``, fetching the JWKS when stale or when ``kid`` is new (rate-limited)."""
        if kid in self.keys and self._fresh(self.clock()):
            return self.keys[kid]
        async with self._lock:
            now = self.clock()
            if kid in self.keys and self._fresh(now):
                return self.keys[kid]  # another request refreshed while this one waited
            # Rotation refetches on an unknown kid, but a flood of made-up kids costs one fetch per window.
            if self.attempted_at is None or now - self.attempted_at >= self.settings.jwks_refetch_min_seconds:
                await self._refresh()
            if not self.keys and self.fetched_at is None:
                raise IdentityProviderUnavailable(
                    "identity-provider-unavailable",
                    "the identity provider's keys cannot be fetched",
                    "无法获取身份认证服务的密钥",
                )
        # Stale keys keep serving while the provider is unreachable; the next window tries again.
        return self.keys.get(kid)

    async def _refresh(self) -> None:
        self.attempted_at = self.clock()
        self.fetches += 1
        try:
            async with httpx.AsyncClient(
                transport=self.transport, timeout=self.settings.jwks_timeout_seconds
            ) as client:
                response = await client.get(self.settings.jwks_url)
                response.raise_for_status()
                document = response.json()
        except (httpx.HTTPError, json.JSONDecodeError):
            return
        self.keys = _usable_keys(document, self.settings.algorithms)
        self.fetched_at = self.clock()


def _usable_keys(document: Any, algorithms: list[AsymmetricAlgorithm]) -> dict[str, jwt.PyJWK]:
    """Signing keys with a ``kid`` whose algorithm is allowed; anything else in the set is ignored."""
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys", []) if isinstance(document, dict) else []:
        if not isinstance(entry, dict) or not entry.get("kid") or entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue
        if key.algorithm_name in algorithms:
            keys[str(entry["kid"])] = key
    return keys


class OidcTokenVerifier:
    """Verifies the provider's tokens: allowed algorithms, known kid, issuer, audience, expiry."""

    def __init__(self, settings: OidcSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.jwks = JwksCache(settings, transport)

    async def verify(self, token: str) -> Principal:
        """The verified caller."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _refuse("token invalid", "令牌无效") from None
        if header.get("alg") not in self.settings.algorithms:
            raise _refuse("token algorithm not allowed", "令牌签名算法不被允许")
        kid = header.get("kid")
        key = await self.jwks.key(str(kid)) if isinstance(kid, str) and kid else None
        if key is None:
            raise _refuse("token signed by an unknown key", "令牌签名密钥未知")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(self.settings.algorithms),
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise _refuse("token expired", "令牌已过期") from None
        except jwt.PyJWTError:
            raise _refuse("token invalid", "令牌无效") from None
        return self._principal(claims)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        try:
            role = Role(str(claims.get(self.settings.role_claim)))
        except ValueError:
            raise _refuse("token carries no known role", "令牌角色无效") from None
        jurisdiction = str(claims.get(self.settings.jurisdiction_claim, ""))
        if not divisions.is_code(jurisdiction):
            raise _refuse("token carries no valid jurisdiction", "令牌辖区无效")
        return Principal(subject=str(claims["sub"]), role=role, jurisdiction=jurisdiction)


_shared: dict[tuple[str, ...], OidcTokenVerifier] = {}


def default_verifier(common: CommonSettings, oidc: OidcSettings | None = None) -> TokenVerifier:
    """The provider's verifier when OIDC is configured (one JWKS cache per process), else local HS256."""
    oidc = oidc or get_oidc_settings()
    if not oidc.enabled:
        return LocalTokenVerifier(common)
    identity = (oidc.jwks_url, oidc.issuer, oidc.audience, *oidc.algorithms)
    if identity not in _shared:
        _shared[identity] = OidcTokenVerifier(oidc)
    return _shared[identity]


class CachedVerifier:
    """Remembers verified tokens until they expire, at most ``max_age`` s (the edge sees each one often)."""

    def __init__(
        self,
        inner: TokenVerifier,
        max_age: float = 60.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.inner = inner
        self.max_age = max_age
        self.max_entries = max_entries
        self.clock = clock
        self._known: dict[str, tuple[Principal, float]] = {}

    async def verify(self, token: str) -> Principal:
        """The verified caller, from the cache while the token is still valid."""
        now = self.clock()
        known = self._known.get(token)
        if known is not None and now < known[1]:
            return known[0]
        principal = await self.inner.verify(token)
        # The signature checked out, so the payload's exp is the issuer's word.
        expires = float(jwt.decode(token, options={"verify_signature": False}).get("exp", now))
        if len(self._known) >= self.max_entries:
            self._known.clear()
        self._known[token] = (principal, min(expires, now + self.max_age))
        return principal
