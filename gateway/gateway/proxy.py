"""Forwarding a request to its upstream over a pooled client, streaming the answer back."""

from __future__ import annotations

import httpx
from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from jzkit.errors import DomainError
from jzkit.logs import request_id_var

FORWARDED_REQUEST_HEADERS = (
    "authorization",
    "content-type",
    "accept",
    "accept-language",
    "if-match",
    "if-none-match",
    "idempotency-key",
)
# Hop-by-hop headers (RFC 9110 §7.6.1) and those the ASGI server sets itself.
DROPPED_RESPONSE_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "content-length",
        "x-request-id",
    }
)


class UpstreamUnavailable(DomainError):
    """502: the service behind this path did not answer."""

    status = 502


class UpstreamTimeout(DomainError):
    """504: the service behind this path answered too slowly."""

    status = 504


async def forward(request: Request, client: httpx.AsyncClient, upstream: str) -> StreamingResponse:
    """Send ``request`` to ``upstream`` unchanged (path, query, body) and stream its response."""
    headers = {name: value for name in FORWARDED_REQUEST_HEADERS if (value := request.headers.get(name))}
    headers["x-request-id"] = request_id_var.get() or ""
    outgoing = client.build_request(
        request.method,
        httpx.URL(path=request.url.path, query=request.url.query.encode() or None),
        headers=headers,
        content=request.stream(),
    )
    try:
        response = await client.send(outgoing, stream=True)
    except httpx.TimeoutException:
        raise UpstreamTimeout(
            "upstream-timeout", f"{upstream} did not answer in time", f"{upstream} 服务响应超时"
        ) from None
    except httpx.TransportError:
        raise UpstreamUnavailable(
            "upstream-unavailable", f"{upstream} is unavailable", f"{upstream} 服务不可用"
        ) from None
    kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in DROPPED_RESPONSE_HEADERS]
    return StreamingResponse(
        response.aiter_raw(),
        status_code=response.status_code,
        headers=dict(kept),
        background=BackgroundTask(response.aclose),
    )
