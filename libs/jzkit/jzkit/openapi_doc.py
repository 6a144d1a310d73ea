"""What every OpenAPI document of the API says about errors and tokens, added in one place.

FastAPI documents a route's success and its 422 only (with its own validation body, not ours).
The errors every route can answer come from the kit and the gateway, so they are documented here
from the shape of each operation: a token (401, 403), an id in the path or body (404), a write
(409), a body (400, 413), ``If-Match`` (412, 428), the gateway's rate limits (429); all problem+json.
The gateway adds 502 and 504 to every operation it forwards (``gateway.openapi.merge``).
A route with answers of its own adds them with ``responses=problems(...)``. ``web.install``
applies :func:`document` to every service; the gateway to its own routes before merging.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.security import HTTPBearer

from jzkit.errors import PROBLEM_MEDIA_TYPE

SCHEME = "bearer"
SCHEME_DESCRIPTION = "OIDC access token of the province's identity provider (dev: POST /api/v1/auth/token)"
# Only documents the scheme: the token itself is read and checked by the kit (jzkit.auth.bearer_token).
BEARER = HTTPBearer(auto_error=False, scheme_name=SCHEME, bearerFormat="JWT", description=SCHEME_DESCRIPTION)
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; ``code`` is stable, ``field`` names the offending field.",
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "description": "urn:jingzhun:problem:<code>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": ["string", "null"]},
                    "message": {"type": ["string", "null"]},
                },
            },
        },
        "request_id": {"type": ["string", "null"]},
        "retry_after": {"type": "integer"},
    },
}

DESCRIPTIONS = {
    400: "The request cannot be read (e.g. a body that is not the declared format)",
    401: "No valid bearer token (missing, expired, wrongly signed, another audience or issuer)",
    403: "The caller's role may not do this, or it names a division outside the caller's jurisdiction",
    404: "No such object, or one outside the caller's jurisdiction (the two are indistinguishable)",
    409: "Conflicts with the current state (or an Idempotency-Key reused with another request)",
    412: "If-Match does not carry the current ETag",
    413: "Request body larger than the limit",
    415: "Request body of a media type this route does not take",
    422: "A field breaks a rule; ``field`` names it",
    428: "If-Match is required",
    429: "Too many requests from this client or address; Retry-After says when to come back",
    502: "The gateway got no answer from the service behind this route; try again later",
    504: "The service behind this route answered too slowly; try again later",
}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}},
    429: {"Retry-After": {"required": True, "schema": {"type": "string"}}},
}


def problem(status: int, description: str | None = None) -> dict[str, Any]:
    """One documented problem+json response."""
    response: dict[str, Any] = {
        "description": description or DESCRIPTIONS.get(status, "Problem"),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status in HEADERS:
        response["headers"] = copy.deepcopy(HEADERS[status])
    return response


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route decorator: route-specific problem answers."""
    return {status: problem(status) for status in statuses}


def file_response(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route answering a file or text (CSV, XLSX, XML, NDJSON) instead of JSON."""
    bare = media_type.split(";", 1)[0].strip()
    return {200: {"description": description, "content": {bare: {"schema": {"type": "string"}}}}}


def _statuses(method: str, path: str, operation: dict[str, Any]) -> set[int]:
    params = operation.get("parameters", [])
    header_names = {str(p.get("name", "")).lower() for p in params if p.get("in") == "header"}
    statuses = {422}
    if operation.get("security"):
        statuses |= {401, 403}
    if operation.get("security") or path.startswith("/api/v1/public/"):
        statuses.add(429)  # the gateway's token buckets: per client, per address on public routes
    if "requestBody" in operation or any(p.get("in") == "path" for p in params):
        statuses.add(404)  # an id in the path or the body names nothing the caller may see
    if method in WRITE_METHODS and (operation.get("security") or "idempotency-key" in header_names):
        statuses.add(409)  # state conflicts of a write; an Idempotency-Key reused with another body
    if "requestBody" in operation:
        statuses |= {400, 413}  # a body that cannot be parsed; one over the gateway's limit
    if "if-match" in header_names:
        statuses |= {412, 428}
    return statuses


def document(openapi: dict[str, Any]) -> dict[str, Any]:
    """``openapi`` with the bearer scheme, the Problem schema and every operation's problem answers."""
    doc = copy.deepcopy(openapi)
    components = doc.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    components.setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": SCHEME_DESCRIPTION,
    }
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(method, path, operation)):
                # 422 is replaced: FastAPI documents its own validation body, the kit sends a problem.
                if status == 422 or str(status) not in responses:
                    responses[str(status)] = problem(status)
    # FastAPI's validation schemas describe a body this API never sends (errors are problem+json).
    for name in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(name, None)
    return doc


def install(app: FastAPI) -> None:
    """Serve :func:`document` of the app's own schema at its ``openapi_url`` (built once)."""
    original: Callable[[], dict[str, Any]] = app.openapi
    documented: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not documented:
            documented.update(document(original()))
        return documented

    app.openapi = openapi  # type: ignore[method-assign]
