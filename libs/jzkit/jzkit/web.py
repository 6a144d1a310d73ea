"""What every FastAPI app gets: request ids, metrics, problem+json errors, health and readiness."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jzkit import metrics, openapi_doc
from jzkit.access import WriteRecorder
from jzkit.contracts.requests import REQUEST_HANDLED
from jzkit.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, DomainError, problem_body
from jzkit.ids import new_id
from jzkit.logs import actor_var, request_id_var
from jzkit.nul_guard import NulGuard

log = logging.getLogger(__name__)
ReadinessCheck = Callable[[], Awaitable[None]]
REQUEST_ID_HEADER = "x-request-id"


def preferred_language(header: str) -> str:
    """ "en" or "zh", whichever ``Accept-Language`` weights higher; Chinese when neither is named."""
    best = ("zh", 0.0)
    for part in header.split(","):
        tag, _, params = part.strip().lower().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        lang = "en" if tag.startswith("en") else "zh" if tag.startswith("zh") else None
        if lang and weight > best[1]:
            best = (lang, weight)
    return best[0]


def language(request: Request) -> str:
    """The response language for ``request``."""
    return preferred_language(request.headers.get("accept-language", ""))


def problem_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    """A problem+json response."""
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "form") else loc)
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem_response(exc.status, problem_body(exc, language(request), request.url.path), headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    lang = language(request)
    errors = [
        {"field": _field_path(tuple(e.get("loc", ()))), "code": e.get("type"), "message": e.get("msg")}
        for e in exc.errors()
    ]
    first = errors[0]["field"] if errors else None
    title = "请求数据无效" if lang == "zh" else "request data is invalid"
    body = {
        "type": PROBLEM_BASE + "validation-failed",
        "title": title,
        "status": 422,
        "code": "validation-failed",
        "detail": f"{title}: {first}",
        "field": first,
        "errors": errors,
        "instance": request.url.path,
    }
    return problem_response(422, body)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(
        exc.status_code, "http-error"
    )
    body = {
        "type": PROBLEM_BASE + code,
        "title": str(exc.detail),
        "status": exc.status_code,
        "code": code,
        "detail": str(exc.detail),
        "instance": request.url.path,
    }
    return problem_response(exc.status_code, body, dict(exc.headers or {}))


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Starlette calls this outside RequestContextMiddleware, after the request's context is gone;
    # the middleware answers first (with the request id), so this response is only a fallback.
    return _internal_error(request)


def _internal_error(request: Request) -> JSONResponse:
    lang = language(request)
    title = "服务器内部错误" if lang == "zh" else "internal server error"
    body = {
        "type": PROBLEM_BASE + "internal-error",
        "title": title,
        "status": 500,
        "code": "internal-error",
        "detail": title,
        "request_id": request_id_var.get(),
    }
    return problem_response(500, body)


class RequestContextMiddleware:
    """Assigns/propagates ``X-Request-ID`` and records latency by route template."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 128 else new_id()
        token = request_id_var.set(request_id)
        actor_token = actor_var.set(None)
        status = 500
        started = time.perf_counter()
        metrics.HTTP_IN_FLIGHT.labels(self.service).inc()
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            if not response_started:
                # Answered here, while the request id is still set, so the 500 carries it (body and header).
                log.exception("unhandled error on %s %s", scope["method"], scope.get("path"))
                await _internal_error(Request(scope))(scope, receive, send_wrapper)
            raise
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            metrics.HTTP_IN_FLIGHT.labels(self.service).dec()
            metrics.HTTP_REQUESTS.labels(self.service, method, template, str(status)).inc()
            metrics.HTTP_LATENCY.labels(self.service, method, template).observe(time.perf_counter() - started)
            request_id_var.reset(token)
            actor_var.reset(actor_token)


def install(
    app: FastAPI, service: str, readiness: dict[str, ReadinessCheck], *, refuse_nul: bool = False
) -> None:
    """Add middleware, error handlers, ``/healthz``, ``/readyz`` and ``/metrics`` to ``app``.

    A service with write routes (``REQUEST_HANDLED``) also records each write request it answers;
    ``refuse_nul`` (services: PostgreSQL text holds no NUL) refuses one inside the recorder, so the
    refusal is recorded too.
    """
    if refuse_nul:
        app.add_middleware(NulGuard)
    contract = REQUEST_HANDLED.get(service)
    if contract is not None:
        # Added first, so it runs inside the request-context middleware (the request id is set).
        app.add_middleware(WriteRecorder, service=service, contract=contract)
    app.add_middleware(RequestContextMiddleware, service=service)
    openapi_doc.install(app)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)

    @app.get("/healthz", tags=["ops"], include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/readyz", tags=["ops"], include_in_schema=False)
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        ok = True
        for name, check in readiness.items():
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:  # reported in the body: readiness is the place to say what is down
                ok = False
                results[name] = f"{type(exc).__name__}: {exc}"[:200]
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": results}, status_code=200 if ok else 503
        )

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def install_service(app: FastAPI, service: str) -> None:
    """:func:`install` for a service: ready when its database answers at the migrated schema."""

    async def database_ready() -> None:
        await app.state.runtime.check_database()

    install(app, service, {"database": database_ready}, refuse_nul=True)
