"""Requests of a sweep: one route, filled with the victims' ids and the owners' bodies, sent raw.

The owner's own request is replayed where the world has one (a valid body, the current ETag),
so that nothing but the caller's token or jurisdiction can make the difference; other routes get
a minimal body of their media type.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.hostile.routes import Route
from tests.hostile.world import Request, World

TIMEOUT_SECONDS = 30.0


def request_for(route: Route, victims: World) -> Request:
    """The owners' request on ``route``, or a minimal one for its body's media type."""
    known = victims.requests.get(route.label)
    if known is not None:
        return known
    if route.body_media == "multipart/form-data":
        return Request(files={"file": ("hostile.csv", b"code,name\n", "text/csv")})
    if route.body_media == "application/json":
        return Request(json={})
    if route.body_media is not None:
        return Request(content=b"<x/>", headers={"Content-Type": route.body_media})
    return Request()


def send(
    client: httpx.Client, base_url: str, route: Route, victims: World, headers: dict[str, str]
) -> httpx.Response:
    """``route`` against ``base_url`` (the gateway or a service) with ``headers`` on top."""
    request = request_for(route, victims)
    kwargs: dict[str, Any] = {
        "params": request.params,
        "headers": {**request.headers, **headers},
        "timeout": TIMEOUT_SECONDS,
    }
    if request.json is not None:
        kwargs["json"] = request.json
    if request.content is not None:
        kwargs["content"] = request.content
    if request.files is not None:
        kwargs["files"] = request.files
    return client.request(route.method, base_url + route.url(victims.ids), **kwargs)


def problem_of(response: httpx.Response) -> dict[str, Any]:
    """The problem+json body of a refusal (asserting it is one)."""
    media = response.headers.get("content-type", "").split(";")[0]
    assert media == "application/problem+json", f"{response.status_code} as {media}: {response.text[:200]}"
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code and body["code"], body
    return body
