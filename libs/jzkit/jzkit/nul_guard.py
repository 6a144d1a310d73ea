"""Refuse NUL characters in a request (422 naming the field) before they reach PostgreSQL.

PostgreSQL text cannot hold U+0000: a path id, query value or JSON string carrying one made the
database raise and the service answer 500. The path and query are checked on every request; a
JSON body only when its bytes contain the escape ``\\u0000`` (a raw NUL is invalid JSON already).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jzkit.errors import InvalidInput, problem_body

NUL = "\x00"
_ESCAPED_NUL = b"\\u0000"


def nul_field(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (or key) in ``value`` holding a NUL, else None."""
    if isinstance(value, str):
        return (path or "body") if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return here
            found = nul_field(item, here)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_field(item, f"{path}[{index}]")
            if found:
                return found
    return None


def _url_field(scope: Scope) -> str | None:
    if NUL in scope.get("path", ""):
        return "path"
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query:
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if NUL in key or NUL in value:
                return key.replace(NUL, "") or "query"
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            media = bytes(value).split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


class NulGuard:
    """ASGI middleware: 422 ``invalid-character`` for a NUL in the path, the query or a JSON body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the URL; buffer and check a JSON body; pass everything else through untouched."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = _url_field(scope)
        if field is None and _is_json(scope) and scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            messages, body = await _read_body(receive)
            if _ESCAPED_NUL in body:
                field = _body_field(body)
            receive = _replay(messages, receive)
        if field is not None:
            await _refuse(scope, field, send)
            return
        await self.app(scope, receive, send)


async def _read_body(receive: Receive) -> tuple[list[Message], bytes]:
    messages: list[Message] = []
    body = bytearray()
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body.extend(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return messages, bytes(body)


def _body_field(body: bytes) -> str | None:
    try:
        return nul_field(json.loads(body))
    except ValueError:
        return None  # not JSON after all: the route's own validation answers


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _refuse(scope: Scope, field: str, send: Send) -> None:
    from jzkit.web import language, problem_response  # web installs this guard

    error = InvalidInput(
        "invalid-character",
        f"{field} contains a NUL character",
        f"{field} 含有空字符（NUL）",
        field=field,
    )
    request = Request(scope)
    body = problem_body(error, language(request), scope.get("path", "").replace(NUL, "\ufffd"))
    await problem_response(error.status, body)(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
