"""Every write request a service answers becomes a ``<service>.request.handled`` event in its outbox.

Recorded after the response, in a transaction of its own: a refused request (403, 409, 422) left
no transaction to join, and the business event of an accepted one is already committed with the
change. The audit consumer logs these events like any other (docs/decisions/0007).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jzkit import metrics
from jzkit.auth import Principal
from jzkit.contracts.envelope import make_event
from jzkit.contracts.requests import RequestHandled
from jzkit.db import unit_of_work
from jzkit.logs import request_id_var
from jzkit.messaging.outbox import record_event

log = logging.getLogger(__name__)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Where ``deps.get_principal`` leaves the verified caller for this middleware (ASGI scope state).
PRINCIPAL_STATE_KEY = "principal"
# A create answers with the new record; its ``id`` is read from at most this much of a JSON body.
CREATED_BODY_LIMIT = 64 * 1024


class WriteRecorder:
    """ASGI middleware: after a write to ``/api/`` is answered, stage its record in the outbox."""

    def __init__(self, app: ASGIApp, service: str, contract: type[RequestHandled]) -> None:
        self.app = app
        self.service = service
        self.contract = contract

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; record it once the status is known."""
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS or not _is_api(scope):
            await self.app(scope, receive, send)
            return
        status = 500
        json_body = False
        body = bytearray()

        async def send_wrapper(message: Message) -> None:
            nonlocal status, json_body
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = dict(message.get("headers") or [])
                json_body = headers.get(b"content-type", b"").startswith(b"application/json")
            elif message["type"] == "http.response.body" and json_body and 200 <= status < 300:
                body.extend(message.get("body", b"")[: CREATED_BODY_LIMIT - len(body)])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            await self._record(scope, status, _target(scope, bytes(body)))

    async def _record(self, scope: Scope, status: int, target_id: str | None) -> None:
        principal = scope.get("state", {}).get(PRINCIPAL_STATE_KEY)
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        data = self.contract(
            method=scope["method"],
            route=route,
            path=scope["path"].replace("\x00", "\ufffd"),  # a NUL refused by NulGuard: jsonb holds none
            target_id=target_id,
            status=status,
            request_id=request_id_var.get() or "",
            role=principal.role.value if isinstance(principal, Principal) else None,
            division_code=principal.jurisdiction if isinstance(principal, Principal) else None,
        )
        actor = principal.subject if isinstance(principal, Principal) else None
        runtime: Any = scope["app"].state.runtime
        try:
            async with unit_of_work(runtime.sessions) as session:
                record_event(
                    session,
                    make_event(
                        data,
                        source=f"/jingzhun/{self.service}",
                        subject=scope["path"],
                        actor=actor,
                        requestid=data.request_id,
                    ),
                )
            runtime.after_commit()
        except Exception:
            # The response is already sent; a lost record is counted and logged, never raised into it.
            metrics.WRITE_RECORDS_FAILED.labels(self.service).inc()
            log.exception("write request %s %s not recorded", scope["method"], route)


def _target(scope: Scope, body: bytes) -> str | None:
    """What the request acted on: the last id in the path, else the ``id`` of what it created."""
    params = scope.get("path_params") or {}
    if params:
        return str(list(params.values())[-1])
    if not body:
        return None
    try:
        created = json.loads(body)
    except ValueError:  # cut off at the limit, or not JSON after all: no target to name
        return None
    target = created.get("id") if isinstance(created, dict) else None
    return target if isinstance(target, str) else None


def _is_api(scope: Scope) -> bool:
    return str(scope.get("path", "")).startswith("/api/")
