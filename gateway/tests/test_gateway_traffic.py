"""Traffic at the edge: rate limits (429 + Retry-After), body limits (413), timeouts, retries, streaming."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from gateway.app import create_app as create_gateway
from gateway.proxy import Upstream
from gateway.settings import GatewaySettings
from jzkit.auth import Role, issue_token
from jzkit.settings import CommonSettings

Problem = Callable[..., dict[str, Any]]
Handler = Callable[[httpx.Request], httpx.Response]
COMMON = CommonSettings(mode="embedded")
HOUSEHOLD = "/api/v1/households/h-1"


def bearer(subject: str = "county", role: Role = Role.COUNTY_APPROVER) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(COMMON, subject, role, '510822000000')}"}


@asynccontextmanager
async def gateway(handler: Handler, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose every upstream is ``handler`` (an httpx mock transport)."""
    config = GatewaySettings(**{"retry_backoff_seconds": 0.0, **settings})
    app = create_gateway(config, COMMON, embedded={})
    async with app.router.lifespan_context(app):
        for name, old in list(app.state.upstreams.items()):
            await old.client.aclose()
            client = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url=f"http://{name}")
            app.state.upstreams[name] = Upstream(
                name,
                client,
                config.upstream_retries,
                0.0,
                config.max_body_bytes,
                config.buffer_response_below_bytes,
                config.upload_max_body_bytes,
            )
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            yield client


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"path": request.url.path, "method": request.method})


async def test_client_over_its_rate_is_429_with_retry_after(expect_problem: Problem) -> None:
    async with gateway(ok, client_rate_per_second=0.5, client_burst=3) as gw:
        for _ in range(3):
            assert (await gw.get(HOUSEHOLD, headers=bearer())).status_code == 200
        r = await gw.get(HOUSEHOLD, headers=bearer())
        body = expect_problem(r, 429, "rate-limited")
        assert r.headers["retry-after"] == "2" and body["retry_after"] == 2
        # Another client has its own bucket.
        assert (await gw.get(HOUSEHOLD, headers=bearer("funds", Role.FUNDS_OFFICER))).status_code == 200
        metrics = (await gw.get("/metrics")).text
        assert re.search(r'jz_gateway_rate_limited_total\{scope="client"\} [1-9]', metrics)


async def test_public_routes_are_limited_per_address(expect_problem: Problem) -> None:
    async with gateway(ok, public_rate_per_second=0.1, public_burst=2) as gw:
        url = "/api/v1/public/notices"
        assert [(await gw.get(url)).status_code for _ in range(2)] == [200, 200]
        r = await gw.get(url)
        expect_problem(r, 429, "rate-limited")
        assert r.headers["retry-after"] == "10"
        # The gateway's own public routes share the address's bucket.
        expect_problem(
            await gw.get("/api/v1/public/board", params={"division": "510822104000"}), 429, "rate-limited"
        )
        # Authenticated routes are limited per client, not per address.
        assert (await gw.get(HOUSEHOLD, headers=bearer())).status_code == 200


async def test_forwarded_for_counts_only_behind_a_trusted_proxy() -> None:
    async with gateway(ok, public_rate_per_second=0.1, public_burst=1, trust_forwarded_for=True) as gw:
        url = "/api/v1/public/notices"
        assert (await gw.get(url, headers={"X-Forwarded-For": "198.51.100.1"})).status_code == 200
        assert (await gw.get(url, headers={"X-Forwarded-For": "198.51.100.2"})).status_code == 200
        assert (await gw.get(url, headers={"X-Forwarded-For": "198.51.100.2"})).status_code == 429
    async with gateway(ok, public_rate_per_second=0.1, public_burst=1) as gw:
        assert (await gw.get(url, headers={"X-Forwarded-For": "198.51.100.1"})).status_code == 200
        assert (await gw.get(url, headers={"X-Forwarded-For": "198.51.100.2"})).status_code == 429


async def test_no_token_is_refused_at_the_edge(expect_problem: Problem) -> None:
    reached: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        reached.append(request)
        return ok(request)

    async with gateway(record) as gw:
        expect_problem(await gw.get(HOUSEHOLD), 401, "missing-token")
        expect_problem(
            await gw.get(HOUSEHOLD, headers={"Authorization": "Bearer x.y.z"}), 401, "invalid-token"
        )
    assert reached == []


async def test_body_over_the_limit_is_413(expect_problem: Problem) -> None:
    reached: list[bytes] = []

    def record(request: httpx.Request) -> httpx.Response:
        reached.append(request.read())
        return httpx.Response(201, json={})

    async with gateway(record, max_body_bytes=1000) as gw:
        r = await gw.post("/api/v1/households", content=b"x" * 1001, headers=bearer())
        expect_problem(r, 413, "payload-too-large", "body")

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(11):
                yield b"y" * 100

        r = await gw.post("/api/v1/households", content=chunks(), headers=bearer())
        expect_problem(r, 413, "payload-too-large", "body")
        r = await gw.post("/api/v1/households", content=b"z" * 1000, headers=bearer())
        assert r.status_code == 201
    assert reached == [b"z" * 1000]


async def test_import_files_have_their_own_larger_limit_and_stream(expect_problem: Problem) -> None:
    reached: list[int] = []

    def record(request: httpx.Request) -> httpx.Response:
        reached.append(len(request.read()))
        return httpx.Response(202, json={})

    async with gateway(record, max_body_bytes=1000, upload_max_body_bytes=5000) as gw:
        headers = {**bearer(), "Idempotency-Key": "file-1"}  # never buffered for a retry, all the same
        r = await gw.post("/api/v1/imports", content=b"f" * 4000, headers=headers)
        assert r.status_code == 202
        r = await gw.post("/api/v1/imports", content=b"f" * 5001, headers=headers)
        expect_problem(r, 413, "payload-too-large", "body")
        r = await gw.post("/api/v1/households", content=b"j" * 4000, headers=bearer())
        expect_problem(r, 413, "payload-too-large", "body")
    assert reached == [4000]


def flaky(failures: int, error: type[httpx.TransportError] = httpx.ConnectError) -> tuple[Handler, list[str]]:
    """A handler failing ``failures`` times with ``error`` before answering; it logs each attempt."""
    attempts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request.method)
        if len(attempts) <= failures:
            raise error("down", request=request)
        return httpx.Response(200 if request.method == "GET" else 201, json={"body": request.read().decode()})

    return handler, attempts


async def test_idempotent_requests_are_retried_on_connect_errors() -> None:
    handler, attempts = flaky(2)
    async with gateway(handler, upstream_retries=2) as gw:
        r = await gw.get(HOUSEHOLD, headers=bearer())
        assert r.status_code == 200 and attempts == ["GET"] * 3
        metrics = (await gw.get("/metrics")).text
        assert re.search(r'jz_gateway_upstream_retries_total\{upstream="registry"\} [2-9]', metrics)


async def test_a_post_with_an_idempotency_key_is_retried_with_its_body() -> None:
    handler, attempts = flaky(1)
    async with gateway(handler) as gw:
        headers = {**bearer(), "Idempotency-Key": "k-1"}
        r = await gw.post("/api/v1/households", json={"a": 1}, headers=headers)
    assert r.status_code == 201 and r.json() == {"body": '{"a":1}'} and attempts == ["POST", "POST"]


async def test_a_post_without_a_key_is_not_retried(expect_problem: Problem) -> None:
    handler, attempts = flaky(1)
    async with gateway(handler) as gw:
        expect_problem(
            await gw.post("/api/v1/households", json={}, headers=bearer()), 502, "upstream-unavailable"
        )
    assert attempts == ["POST"]


async def test_retries_give_up(expect_problem: Problem) -> None:
    handler, attempts = flaky(10)
    async with gateway(handler, upstream_retries=2) as gw:
        expect_problem(await gw.get(HOUSEHOLD, headers=bearer()), 502, "upstream-unavailable")
    assert len(attempts) == 3


async def test_read_timeout_is_504_and_not_retried(expect_problem: Problem) -> None:
    handler, attempts = flaky(1, httpx.ReadTimeout)
    async with gateway(handler) as gw:
        expect_problem(await gw.get(HOUSEHOLD, headers=bearer()), 504, "upstream-timeout")
        metrics = (await gw.get("/metrics")).text
    assert attempts == ["GET"]  # the upstream may be working on it: never sent twice
    assert re.search(r'jz_gateway_upstream_errors_total\{kind="timeout",upstream="registry"\} [1-9]', metrics)


def test_read_timeouts_per_upstream() -> None:
    from gateway.app import _upstreams

    settings = GatewaySettings(read_timeout_seconds=30, upstream_read_timeouts={"funds": 120})
    upstreams = _upstreams(settings, {})
    assert upstreams["funds"].client.timeout.read == 120
    assert upstreams["registry"].client.timeout.read == 30
    assert upstreams["registry"].client.timeout.connect == settings.connect_timeout_seconds


@pytest.mark.parametrize("size", [100, 300_000])
async def test_small_answers_are_whole_large_ones_streamed(size: int) -> None:
    payload = bytes(range(256)) * (size // 256 + 1)

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, size, 65536):
            yield payload[start : min(size, start + 65536)]

    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/xml", "content-length": str(size)}
        return httpx.Response(200, content=pieces(), headers=headers)

    async with gateway(answer, buffer_response_below_bytes=256 * 1024) as gw:
        async with gw.stream("GET", "/api/v1/batches/b-1/payment-file", headers=bearer()) as r:
            chunks = [chunk async for chunk in r.aiter_raw()]
    assert b"".join(chunks) == payload[:size]
    assert r.headers["content-type"] == "application/xml"
    if size < 256 * 1024:
        assert r.headers["content-length"] == str(size)
    else:
        assert "content-length" not in r.headers  # sent on as it arrives (chunked), not read first


async def test_upstream_metrics_are_on_metrics() -> None:
    async with gateway(ok) as gw:
        assert (await gw.get(HOUSEHOLD, headers=bearer())).status_code == 200
        text = (await gw.get("/metrics")).text
    assert re.search(
        r'jz_gateway_upstream_duration_seconds_count\{method="GET",upstream="registry"\} [1-9]', text
    )
    assert re.search(
        r'jz_gateway_upstream_responses_total\{status_class="2xx",upstream="registry"\} [1-9]', text
    )
    assert 'jz_gateway_upstream_in_flight{upstream="registry"} 0.0' in text


async def test_encoded_answers_pass_through_undecoded() -> None:
    import gzip

    packed = gzip.compress(b'{"ok": true}' * 50)

    async def body() -> AsyncIterator[bytes]:
        yield packed

    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"content-encoding": "gzip", "content-length": str(len(packed))}
        return httpx.Response(200, content=body(), headers=headers)

    async with gateway(answer) as gw:
        async with gw.stream("GET", HOUSEHOLD, headers=bearer()) as r:
            raw = b"".join([chunk async for chunk in r.aiter_raw()])
    assert r.headers["content-encoding"] == "gzip" and raw == packed


async def test_a_streamed_answer_releases_its_upstream() -> None:
    async def pieces() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * 100_000

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=pieces())

    async with gateway(answer) as gw:
        r = await gw.get("/api/v1/exports/households.csv", headers=bearer())
        text = (await gw.get("/metrics")).text
    assert len(r.content) == 500_000
    assert 'jz_gateway_upstream_in_flight{upstream="registry"} 0.0' in text
