"""Forwarding a request to its upstream over a pooled client: small answers whole, large ones streamed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote_from_bytes

import httpx
from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from gateway import metrics
from jzkit.errors import DomainError
from jzkit.logs import request_id_var

FORWARDED_REQUEST_HEADERS = frozenset(
    {
        b"authorization",
        b"content-type",
        b"content-length",
        b"accept",
        b"accept-language",
        b"if-match",
        b"if-none-match",
        b"idempotency-key",
    }
)
# Hop-by-hop headers (RFC 9110 §7.6.1) and those the ASGI server sets itself.
DROPPED_RESPONSE_HEADERS = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"transfer-encoding",
        b"te",
        b"trailer",
        b"upgrade",
        b"content-length",
        b"x-request-id",
    }
)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class UpstreamUnavailable(DomainError):
    """502: the service behind this path did not answer."""

    status = 502


class UpstreamTimeout(DomainError):
    """504: the service behind this path answered too slowly."""

    status = 504


class PayloadTooLarge(DomainError):
    """413: the request body is larger than the gateway accepts."""

    status = 413


@dataclass(frozen=True)
class Upstream:
    """One upstream service: its pooled client and how the gateway treats it."""

    name: str
    client: httpx.AsyncClient
    retries: int
    backoff_seconds: float
    max_body_bytes: int
    buffer_below_bytes: int
    # File uploads (bulk import) may be far larger than any JSON body; they stream, never buffered.
    upload_max_body_bytes: int = 0


UPLOAD_PREFIXES = ("/api/v1/imports",)


def too_large(limit: int) -> PayloadTooLarge:
    """The 413 problem for a body over ``limit`` bytes."""
    return PayloadTooLarge(
        "payload-too-large", f"request body exceeds {limit} bytes", f"请求内容超过 {limit} 字节", "body"
    )


async def _limited(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The request body as it arrives, refused once it passes ``limit`` (chunked bodies have no length)."""
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise too_large(limit)
        if chunk:
            yield chunk


def _request_headers(request: Request) -> tuple[list[tuple[bytes, bytes]], int | None, bool]:
    """Headers passed on, the declared body length, and whether a body follows at all."""
    kept: list[tuple[bytes, bytes]] = []
    length: int | None = None
    chunked = False
    for name, value in request.scope["headers"]:
        if name in FORWARDED_REQUEST_HEADERS:
            if name == b"content-length":
                length = int(value) if value.isdigit() else None
                continue
            kept.append((name, value))
        elif name == b"transfer-encoding":
            chunked = True
    kept.append((b"x-request-id", (request_id_var.get() or "").encode("latin-1")))
    return kept, length, chunked or bool(length)


def is_upload(path: str) -> bool:
    """Paths that take files (multipart bulk imports)."""
    return any(path == p or path.startswith(p + "/") for p in UPLOAD_PREFIXES)


async def forward(request: Request, upstream: Upstream) -> Response:
    """Send ``request`` to ``upstream`` unchanged (path, query, body) and pass its response back."""
    headers, length, has_body = _request_headers(request)
    upload = is_upload(request.url.path) and upstream.upload_max_body_bytes > 0
    limit = upstream.upload_max_body_bytes if upload else upstream.max_body_bytes
    if length is not None and length > limit:
        raise too_large(limit)
    retryable = not upload and (
        request.method in IDEMPOTENT_METHODS or request.headers.get("idempotency-key") is not None
    )
    content: bytes | AsyncIterator[bytes] | None = None
    if has_body and retryable:
        # Kept in memory so a retry can send it again; bounded by the body limit.
        content = b"".join([chunk async for chunk in _limited(request, limit)])
    elif has_body:
        content = _limited(request, limit)
        if length is not None:
            headers.append((b"content-length", str(length).encode()))
    client = upstream.client
    outgoing = client.build_request(request.method, _target(request), headers=headers, content=content)
    response = await _send(upstream, outgoing, retryable)
    metrics.UPSTREAM_RESPONSES.labels(upstream.name, f"{response.status_code // 100}xx").inc()
    if response.status_code >= 500:
        metrics.UPSTREAM_ERRORS.labels(upstream.name, "server_error").inc()
    kept = [(k, v) for k, v in response.headers.raw if k.lower() not in DROPPED_RESPONSE_HEADERS]
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) <= upstream.buffer_below_bytes:
        # One ASGI body message, no streaming task: most API answers are a few kilobytes.
        try:
            if "content-encoding" in response.headers:
                # Raw: the body goes on with its Content-Encoding, so it must not be decoded here.
                body = b"".join([chunk async for chunk in response.aiter_raw()])
            else:
                body = await response.aread()
        finally:
            await _close(upstream, response)
        answer = Response(content=body, status_code=response.status_code)
        answer.raw_headers = [*kept, (b"content-length", str(len(body)).encode())]
        return answer
    streamed = StreamingResponse(_relay(upstream, response), status_code=response.status_code)
    streamed.raw_headers = kept
    return streamed


# RFC 3986 reserved characters and "%": kept as they are in a request target.
_URL_SAFE = "%:/@!$&'()*+,;="


def _target(request: Request) -> httpx.URL:
    """The path and query exactly as the client sent them (still percent-encoded).

    Rebuilding the URL from the decoded path would fail on an encoded control character (a 500)
    and would turn an encoded ``/`` or ``?`` into a different route upstream.
    """
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope["query_string"]
    # Bytes a lenient parser let through unencoded (non-ASCII, controls) are encoded, escapes kept.
    target = quote_from_bytes(raw_path, safe=_URL_SAFE)
    if query:
        target += "?" + quote_from_bytes(query, safe=_URL_SAFE + "?")
    return httpx.URL(raw_path=target.encode("ascii"))


async def _relay(upstream: Upstream, response: httpx.Response) -> AsyncIterator[bytes]:
    """The upstream's body as it arrives; closed however the sending ends (a client may hang up)."""
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    finally:
        await _close(upstream, response)


async def _close(upstream: Upstream, response: httpx.Response) -> None:
    metrics.UPSTREAM_IN_FLIGHT.labels(upstream.name).dec()
    await response.aclose()


async def _send(upstream: Upstream, outgoing: httpx.Request, retryable: bool) -> httpx.Response:
    """Send with retries on connect errors (the request never reached the upstream) when retryable."""
    attempts = 1 + (upstream.retries if retryable else 0)
    in_flight = metrics.UPSTREAM_IN_FLIGHT.labels(upstream.name)
    for attempt in range(attempts):
        started = time.perf_counter()
        in_flight.inc()
        try:
            response = await upstream.client.send(outgoing, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            in_flight.dec()
            if attempt + 1 < attempts:
                metrics.UPSTREAM_RETRIES.labels(upstream.name).inc()
                await asyncio.sleep(upstream.backoff_seconds * 2**attempt)
                continue
            metrics.UPSTREAM_ERRORS.labels(upstream.name, "unavailable").inc()
            raise _unavailable(upstream.name) from None
        except httpx.TimeoutException:
            in_flight.dec()
            metrics.UPSTREAM_ERRORS.labels(upstream.name, "timeout").inc()
            raise UpstreamTimeout(
                "upstream-timeout", f"{upstream.name} did not answer in time", f"{upstream.name} 服务响应超时"
            ) from None
        except httpx.TransportError:
            in_flight.dec()
            metrics.UPSTREAM_ERRORS.labels(upstream.name, "unavailable").inc()
            raise _unavailable(upstream.name) from None
        except BaseException:
            in_flight.dec()
            raise
        metrics.UPSTREAM_LATENCY.labels(upstream.name, outgoing.method).observe(time.perf_counter() - started)
        return response
    raise AssertionError("unreachable: the last attempt returns or raises")


def _unavailable(name: str) -> UpstreamUnavailable:
    return UpstreamUnavailable("upstream-unavailable", f"{name} is unavailable", f"{name} 服务不可用")
