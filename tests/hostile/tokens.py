"""Bearer tokens that must all be refused: each differs from a valid admin token in one way only.

The claims otherwise name the most powerful caller there is (admin of the whole province), so a
token accepted anywhere would be an open door, not a small leak.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt

from jzkit.settings import CommonSettings

ROLE = "admin"
PROVINCE = "510000000000"
EXPIRED_SECONDS = 3600  # far beyond the verifier's leeway (JZ_JWT_LEEWAY_SECONDS, 30 s)
OTHER_KEY = "another-key-that-is-not-this-stacks-secret-0123456789"


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(common: CommonSettings, **changes: Any) -> dict[str, Any]:
    """Valid claims for this stack, with ``changes`` applied (a value None drops the claim)."""
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "hostile-caller",
        "role": ROLE,
        "jurisdiction": PROVINCE,
        "iss": common.jwt_issuer,
        "aud": common.jwt_audience,
        "iat": now,
        "exp": now + 600,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def bad_tokens(common: CommonSettings) -> dict[str, str | None]:
    """Kind of flaw → the ``Authorization`` header value (None: no header at all)."""
    key = common.jwt_secret.get_secret_value()
    algorithm = common.jwt_algorithm
    now = int(time.time())
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims(common))}."
    return {
        "missing": None,
        "expired": jwt.encode(
            claims(common, iat=now - 2 * EXPIRED_SECONDS, exp=now - EXPIRED_SECONDS), key, algorithm
        ),
        "wrong-key": jwt.encode(claims(common), OTHER_KEY, algorithm),
        "alg-none": unsigned,
        "other-audience": jwt.encode(claims(common, aud="another-application"), key, algorithm),
        "other-issuer": jwt.encode(claims(common, iss="https://idp.elsewhere.example"), key, algorithm),
        "no-sub": jwt.encode(claims(common, sub=None), key, algorithm),
        "garbage": "not-a-token.@@@.%%%",
    }


def header(token: str | None) -> dict[str, str]:
    """The request headers carrying ``token`` (none for a missing token)."""
    return {} if token is None else {"Authorization": f"Bearer {token}"}


def valid(common: CommonSettings) -> str:
    """The same token with no flaw: the control that shows the sweep's requests are otherwise fine."""
    return jwt.encode(claims(common), common.jwt_secret.get_secret_value(), common.jwt_algorithm)
