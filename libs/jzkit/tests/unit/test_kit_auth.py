"""Bearer tokens: issue, verify, refuse; principals and their jurisdiction."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from pydantic import SecretStr

from jzkit.auth import Principal, Role, bearer_token, issue_token, verify_token
from jzkit.errors import Forbidden, Unauthorized
from jzkit.settings import CommonSettings

SETTINGS = CommonSettings(jwt_secret=SecretStr("unit-test-secret-" + "0123456789abcdef" * 3))
TOWNSHIP = "510822104000"


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "township",
        "role": "township_reviewer",
        "jurisdiction": TOWNSHIP,
        "iss": SETTINGS.jwt_issuer,
        "aud": SETTINGS.jwt_audience,
        "iat": now,
        "exp": now + 600,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], secret: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, secret or SETTINGS.jwt_secret.get_secret_value(), algorithm=algorithm)


def refused(token: str) -> Unauthorized:
    with pytest.raises(Unauthorized) as exc:
        verify_token(SETTINGS, token)
    assert exc.value.status == 401
    return exc.value


def test_issue_then_verify() -> None:
    token = issue_token(SETTINGS, "clerk", Role.VILLAGE_CLERK, "510822104201")
    assert verify_token(SETTINGS, token) == Principal("clerk", Role.VILLAGE_CLERK, "510822104201")


def test_expired_token_is_refused() -> None:
    past = int(time.time()) - 3600
    err = refused(sign(claims(iat=past - 600, exp=past)))
    assert err.code == "invalid-token" and err.message("en") == "token expired"


def test_wrong_secret_is_refused() -> None:
    assert refused(sign(claims(), secret="another-secret-" + "0123456789abcdef" * 3)).code == "invalid-token"


@pytest.mark.parametrize("override", [{"aud": "someone-else"}, {"iss": "evil-idp"}])
def test_wrong_audience_or_issuer_is_refused(override: dict[str, str]) -> None:
    refused(sign(claims(**override)))


@pytest.mark.parametrize("missing", ["exp", "iss", "aud", "sub"])
def test_required_claims(missing: str) -> None:
    refused(sign(claims(**{missing: None})))


def _b64(doc: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


def test_alg_none_is_refused() -> None:
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims())}."
    refused(unsigned)


def test_other_hmac_algorithm_is_refused() -> None:
    refused(sign(claims(), algorithm="HS384"))


@pytest.mark.parametrize(
    "override",
    [
        {"role": None},
        {"role": "superuser"},
        {"jurisdiction": None},
        {"jurisdiction": "5108"},
        {"jurisdiction": "not-a-code!!"},
    ],
)
def test_missing_or_unknown_role_and_jurisdiction_are_refused(override: dict[str, Any]) -> None:
    refused(sign(claims(**override)))


def test_garbage_token_is_refused() -> None:
    refused("not.a.token")


def test_bearer_header_parsing() -> None:
    assert bearer_token("Bearer abc.def ") == "abc.def"
    assert bearer_token("bearer abc") == "abc"
    for header in (None, "", "Basic dXNlcjpwYXNz", "Bearer"):
        with pytest.raises(Unauthorized):
            bearer_token(header)


def test_principal_covers_its_jurisdiction_only() -> None:
    township = Principal("t", Role.TOWNSHIP_REVIEWER, TOWNSHIP)
    assert township.covers("510822104201")
    assert township.covers(TOWNSHIP)
    assert not township.covers("510822100201")
    assert not township.covers("510822000000")  # the county around it
    assert Principal("a", Role.ADMIN, "510000000000").covers("510822100201")


def test_require_role() -> None:
    clerk = Principal("c", Role.VILLAGE_CLERK, "510822104201")
    clerk.require_role(Role.VILLAGE_CLERK, Role.ADMIN)
    with pytest.raises(Forbidden) as exc:
        clerk.require_role(Role.ADMIN)
    assert exc.value.status == 403 and exc.value.code == "role-not-allowed"
