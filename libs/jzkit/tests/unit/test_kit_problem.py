"""problem+json errors, Accept-Language, request ids, health, readiness and metrics (jzkit.web)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel, Field

from jzkit import web
from jzkit.errors import (
    PROBLEM_MEDIA_TYPE,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    problem_body,
)
from jzkit.logs import request_id_var

SERVICE = "kit-problem-test"
SECRET = "db password is hunter2"


class MemberIn(BaseModel):
    id_number: str = Field(pattern=r"^[0-9]{17}[0-9X]$")


class HouseholdIn(BaseModel):
    address: str
    members: list[MemberIn]


class Switch:
    down = False


@pytest.fixture
def switch() -> Switch:
    return Switch()


@pytest.fixture
async def client(switch: Switch) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()

    async def database() -> None:
        if switch.down:
            raise ConnectionRefusedError("database is down")

    web.install(app, SERVICE, {"database": database})

    @app.get("/things/{thing_id}")
    async def get_thing(thing_id: str) -> dict[str, str]:
        if thing_id == "bad":
            raise InvalidInput("bad-thing", "thing is bad", "东西不好", field="thing_id")
        raise NotFound("thing", thing_id, "东西")

    @app.post("/households")
    async def create(household: HouseholdIn) -> dict[str, int]:
        return {"members": len(household.members)}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET)

    @app.get("/echo-id")
    async def echo_id() -> dict[str, str | None]:
        return {"request_id": request_id_var.get()}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kit") as c:
        yield c


def test_problem_body_shape() -> None:
    err = Conflict("card-in-use", "card in use", "银行卡已被使用", field="bank", extra={"other_id": "h1"})
    assert problem_body(err, "en", "/x") == {
        "type": "urn:jingzhun:problem:card-in-use",
        "title": "card in use",
        "status": 409,
        "code": "card-in-use",
        "detail": "card in use",
        "field": "bank",
        "instance": "/x",
        "other_id": "h1",
    }
    zh = problem_body(PreconditionFailed("stale", "stale", "已过期"), "zh")
    assert zh["title"] == "已过期" and zh["status"] == 412
    assert "field" not in zh and "instance" not in zh
    assert DomainError("x", "x", "x", status=418).status == 418


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "zh"),
        ("", "zh"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("EN-gb", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("fr-FR", "zh"),
    ],
)
def test_language_selection(header: str | None, lang: str) -> None:
    headers = [(b"accept-language", header.encode())] if header is not None else []
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": headers})
    assert web.language(request) == lang


async def test_domain_error_becomes_problem_json(client: httpx.AsyncClient) -> None:
    r = await client.get("/things/bad", headers={"Accept-Language": "en"})
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = r.json()
    assert body["type"] == "urn:jingzhun:problem:bad-thing"
    assert (body["code"], body["field"], body["title"], body["instance"]) == (
        "bad-thing",
        "thing_id",
        "thing is bad",
        "/things/bad",
    )
    zh = (await client.get("/things/bad")).json()
    assert zh["title"] == "东西不好"


async def test_not_found_domain_error(client: httpx.AsyncClient) -> None:
    r = await client.get("/things/42", headers={"Accept-Language": "en"})
    assert r.status_code == 404
    assert r.json()["code"] == "thing-not-found"


async def test_validation_errors_are_reshaped_with_field_paths(client: httpx.AsyncClient) -> None:
    payload = {"address": "x", "members": [{"id_number": "510822198001061234"}, {"id_number": "nope"}]}
    r = await client.post("/households", json=payload, headers={"Accept-Language": "en"})
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = r.json()
    assert body["type"] == "urn:jingzhun:problem:validation-failed"
    assert body["code"] == "validation-failed"
    assert body["field"] == "members[1].id_number"
    assert body["title"] == "request data is invalid"
    assert [e["field"] for e in body["errors"]] == ["members[1].id_number"]
    assert "nope" not in r.text  # the offending input is not echoed back


async def test_validation_error_lists_every_field(client: httpx.AsyncClient) -> None:
    r = await client.post("/households", json={"members": [{}]})
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"address", "members[0].id_number"}
    assert r.json()["title"] == "请求数据无效"


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    r = await client.get("/nowhere")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert r.json()["type"] == "urn:jingzhun:problem:not-found"
    assert (await client.delete("/boom")).json()["code"] == "method-not-allowed"


async def test_unhandled_exception_is_a_500_problem_without_internals(client: httpx.AsyncClient) -> None:
    r = await client.get("/boom", headers={"X-Request-ID": "req-500", "Accept-Language": "en"})
    assert r.status_code == 500
    assert r.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = r.json()
    assert body["type"] == "urn:jingzhun:problem:internal-error"
    assert body["title"] == "internal server error"
    assert SECRET not in r.text and "RuntimeError" not in r.text and "Traceback" not in r.text
    # The caller can quote the request id to ops: it is in the body and the header.
    assert body["request_id"] == "req-500"
    assert r.headers["x-request-id"] == "req-500"


async def test_request_id_is_propagated_or_generated(client: httpx.AsyncClient) -> None:
    r = await client.get("/echo-id", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123" == r.json()["request_id"]
    generated = await client.get("/echo-id")
    rid = generated.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", rid)
    assert generated.json()["request_id"] == rid
    too_long = await client.get("/echo-id", headers={"X-Request-ID": "x" * 129})
    assert too_long.headers["x-request-id"] != "x" * 129
    problem = await client.get("/things/1", headers={"X-Request-ID": "on-error"})
    assert problem.headers["x-request-id"] == "on-error"


async def test_healthz(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "service": SERVICE}


async def test_readyz_reports_failing_checks(client: httpx.AsyncClient, switch: Switch) -> None:
    ok = await client.get("/readyz")
    assert ok.status_code == 200
    assert ok.json() == {"status": "ok", "checks": {"database": "ok"}}
    switch.down = True
    down = await client.get("/readyz")
    assert down.status_code == 503
    assert down.json()["status"] == "unavailable"
    assert down.json()["checks"]["database"] == "ConnectionRefusedError: database is down"


def sample(text: str, metric: str, **labels: str) -> float:
    """The value of ``metric`` with exactly ``labels`` (``service`` added) in an exposition, 0 if absent."""
    wanted = {"service": SERVICE, **labels}
    for found, value in re.findall(rf"^{metric}\{{(.*)\}} (\S+)$", text, re.MULTILINE):
        if dict(re.findall(r'(\w+)="([^"]*)"', found)) == wanted:
            return float(value)
    return 0.0


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    def count(text: str, route: str, status: str) -> float:
        return sample(text, "jz_http_requests_total", method="GET", route=route, status=status)

    before = (await client.get("/metrics")).text
    await client.get("/things/a")
    await client.get("/things/b")
    await client.get("/no/such/path")
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert count(r.text, "/things/{thing_id}", "404") == count(before, "/things/{thing_id}", "404") + 2
    assert count(r.text, "unmatched", "404") == count(before, "unmatched", "404") + 1
    assert "/things/a" not in r.text  # concrete paths never become label values
    # Latency is measured from the start of each request, in seconds.
    latency = sample(r.text, "jz_http_request_duration_seconds_sum", method="GET", route="/things/{thing_id}")
    assert 0 < latency < 5


def test_accept_language_weights_decide() -> None:
    from jzkit.web import preferred_language

    assert preferred_language("") == "zh"
    assert preferred_language("en-US,en;q=0.9") == "en"
    assert preferred_language("zh-CN;q=0.5, en;q=0.8") == "en"
    assert preferred_language("fr, zh;q=0.3, en;q=0.2") == "zh"
    assert preferred_language("fr") == "zh"
