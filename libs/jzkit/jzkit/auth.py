"""Bearer tokens, roles and jurisdiction (object-level authorization helpers)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt

from jzkit import divisions
from jzkit.errors import Forbidden, Unauthorized
from jzkit.settings import CommonSettings


class Role(StrEnum):
    """Roles named in the design; each token carries exactly one."""

    VILLAGE_CLERK = "village_clerk"
    TOWNSHIP_REVIEWER = "township_reviewer"
    COUNTY_APPROVER = "county_approver"
    FUNDS_OFFICER = "funds_officer"
    AUDITOR = "auditor"
    ADMIN = "admin"
    SYSTEM = "system"


@dataclass(frozen=True)
class Principal:
    """Who is calling: subject, role and the division they may act in."""

    subject: str
    role: Role
    jurisdiction: str

    def covers(self, division_code: str) -> bool:
        """True when ``division_code`` lies inside the caller's jurisdiction."""
        return divisions.contains(self.jurisdiction, division_code)

    def require_role(self, *roles: Role) -> None:
        """Raise Forbidden unless the caller has one of ``roles``."""
        if self.role not in roles:
            raise Forbidden(
                "role-not-allowed",
                f"role {self.role} may not do this",
                f"角色 {self.role} 无权执行此操作",
            )


def issue_token(settings: CommonSettings, subject: str, role: Role, jurisdiction: str) -> str:
    """Sign a token (embedded/dev token endpoint and tests)."""
    now = int(time.time())
    claims = {
        "sub": subject,
        "role": role.value,
        "jurisdiction": jurisdiction,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + settings.jwt_ttl_seconds,
    }
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=settings.jwt_algorithm)


def _refuse(reason_en: str, reason_zh: str) -> Unauthorized:
    return Unauthorized("invalid-token", reason_en, reason_zh)


def verify_token(settings: CommonSettings, token: str) -> Principal:
    """Check signature, issuer, audience and expiry; algorithms come from settings only."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[settings.jwt_algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=settings.jwt_leeway_seconds,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise _refuse("token expired", "令牌已过期") from None
    except jwt.PyJWTError:
        raise _refuse("token invalid", "令牌无效") from None
    try:
        role = Role(str(claims.get("role")))
    except ValueError:
        raise _refuse("token carries no known role", "令牌角色无效") from None
    jurisdiction = str(claims.get("jurisdiction", ""))
    if not divisions.is_code(jurisdiction):
        raise _refuse("token carries no valid jurisdiction", "令牌辖区无效")
    return Principal(subject=str(claims["sub"]), role=role, jurisdiction=jurisdiction)


def bearer_token(authorization: str | None) -> str:
    """Extract the token from an ``Authorization: Bearer`` header."""
    if not authorization:
        raise Unauthorized("missing-token", "authentication required", "需要身份认证")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("missing-token", "bearer token required", "需要 Bearer 令牌")
    return token.strip()
