"""Stack mode with the province's OIDC provider: a JWKS served by this test over real HTTP.

The gateway and the registry run as their own processes with ``JZ_OIDC_JWKS_URL`` pointing at a
local HTTP server; both verify every token (defence in depth), pick up a rotated key, and the
gateway applies its rate limits (429 with ``Retry-After``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from jzkit.auth import Role, issue_token
from jzkit.testing.oidc import AUDIENCE, FakeProvider, SigningKey, claims
from jzkit.testing.stack import GATEWAY, Stack

pytestmark = pytest.mark.stack
ISSUER = "https://idp.stack-test.example/realms/sc"
TOWNSHIP = "510822104000"
CLIENT_BURST = 5


class JwksServer:
    """The provider's JWKS endpoint on 127.0.0.1 (a thread of this test process)."""

    def __init__(self, provider: FakeProvider) -> None:
        self.provider = provider
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.provider.fetches += 1
                body = json.dumps(owner.provider.document()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep the test output quiet

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/certs"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> JwksServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def provider() -> FakeProvider:
    return FakeProvider([SigningKey.rsa("stack-rsa-1")])


@pytest.fixture(scope="module")
def oidc_stack(
    pg_admin_url: str, amqp_url: str, tmp_path_factory: pytest.TempPathFactory, provider: FakeProvider
) -> Iterator[Stack]:
    """Registry and gateway processes verifying tokens against the local JWKS."""
    with JwksServer(provider) as jwks:
        stack = Stack(
            ["registry"],
            admin_url=pg_admin_url,
            broker_url=amqp_url,
            workdir=Path(tmp_path_factory.mktemp("oidc-stack")),
            label="oidctest",
            relays=False,
        )
        stack.env.update(
            JZ_OIDC_JWKS_URL=jwks.url,
            JZ_OIDC_ISSUER=ISSUER,
            JZ_OIDC_AUDIENCE=AUDIENCE,
            JZ_OIDC_JWKS_REFETCH_MIN_SECONDS="0",
            JZ_GATEWAY_CLIENT_RATE_PER_SECOND="0.01",
            JZ_GATEWAY_CLIENT_BURST=str(CLIENT_BURST),
            JZ_GATEWAY_PUBLIC_RATE_PER_SECOND="0.01",
            JZ_GATEWAY_PUBLIC_BURST="2",
        )
        # Only the registry runs: the gateway is ready when it serves, not when every upstream is.
        stack.processes[GATEWAY].ready_url = f"{stack.gateway_url}/healthz"
        try:
            stack.setup()
            stack.start()
            yield stack
        except Exception:
            print(stack.logs())
            raise
        finally:
            stack.teardown()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def township_token(provider: FakeProvider, subject: str, key: SigningKey | None = None) -> str:
    signer = key or provider.keys[0]
    return signer.sign(claims(sub=subject, iss=ISSUER, jz_division=TOWNSHIP))


def test_provider_tokens_pass_the_gateway_and_the_service(oidc_stack: Stack, provider: FakeProvider) -> None:
    token = township_token(provider, "stack-reader")
    params = {"division": TOWNSHIP}
    for base in (oidc_stack.gateway_url, oidc_stack.url("registry")):
        r = httpx.get(f"{base}/api/v1/households", params=params, headers=bearer(token), timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["items"] == []


def test_local_tokens_are_refused_everywhere_once_oidc_is_on(oidc_stack: Stack) -> None:
    local = issue_token(oidc_stack.common, "intruder", Role.ADMIN, "510000000000")
    for base in (oidc_stack.gateway_url, oidc_stack.url("registry")):
        r = httpx.get(f"{base}/api/v1/households", headers=bearer(local), timeout=10)
        assert r.status_code == 401 and r.json()["code"] == "invalid-token", r.text
        assert httpx.get(f"{base}/api/v1/households", timeout=10).status_code == 401


def test_a_rotated_key_is_picked_up(oidc_stack: Stack, provider: FakeProvider) -> None:
    rotated = SigningKey.ec("stack-ec-2")
    token = township_token(provider, "stack-rotation", rotated)
    url = f"{oidc_stack.gateway_url}/api/v1/households"
    assert httpx.get(url, headers=bearer(token), timeout=10).status_code == 401  # not published yet
    provider.keys.append(rotated)
    r = httpx.get(url, params={"division": TOWNSHIP}, headers=bearer(token), timeout=10)
    assert r.status_code == 200, r.text


def test_the_gateway_limits_each_client(oidc_stack: Stack, provider: FakeProvider) -> None:
    url = f"{oidc_stack.gateway_url}/api/v1/households"
    token = township_token(provider, "stack-busy-client")
    statuses = [
        httpx.get(url, params={"division": TOWNSHIP}, headers=bearer(token), timeout=10).status_code
        for _ in range(CLIENT_BURST)
    ]
    assert statuses == [200] * CLIENT_BURST
    refused = httpx.get(url, params={"division": TOWNSHIP}, headers=bearer(token), timeout=10)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1 and refused.json()["code"] == "rate-limited"
    other = township_token(provider, "stack-quiet-client")
    assert httpx.get(url, params={"division": TOWNSHIP}, headers=bearer(other), timeout=10).status_code == 200


def test_the_public_board_is_limited_per_address(oidc_stack: Stack) -> None:
    url = f"{oidc_stack.gateway_url}/api/v1/public/notices"
    statuses = [httpx.get(url, timeout=10).status_code for _ in range(3)]
    # identification is not running in this stack: 502 is the gateway's answer until the bucket is empty.
    assert statuses[:2] == [502, 502] and statuses[2] == 429
