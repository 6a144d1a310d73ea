"""``Idempotency-Key`` handling: the first response is stored and replayed for the same request."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jzkit.errors import Conflict, InvalidInput
from jzkit.messaging.tables import IdempotencyRecord

MAX_KEY_LENGTH = 200


def request_hash(*parts: bytes | str) -> str:
    """SHA-256 over the request parts that must match for a replay (method, path, body)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


async def replay_or_run(
    session: AsyncSession,
    scope: str,
    key: str | None,
    fingerprint: str,
    run: Callable[[], Awaitable[tuple[int, dict[str, Any]]]],
) -> tuple[int, dict[str, Any]]:
    """Run ``run`` once per (scope, key); a retry with the same fingerprint gets the stored result.

    The record is written in the caller's transaction, so it exists exactly when the effect does;
    a concurrent duplicate fails on the primary key instead of applying twice.
    """
    if key is None:
        return await run()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            "invalid-idempotency-key",
            f"Idempotency-Key must be 1..{MAX_KEY_LENGTH} characters",
            f"Idempotency-Key 长度须为 1..{MAX_KEY_LENGTH}",
            field="Idempotency-Key",
        )
    found = await session.get(IdempotencyRecord, (scope, key))
    if found is not None:
        if found.request_hash != fingerprint:
            raise InvalidInput(
                "idempotency-key-reused",
                "this Idempotency-Key was used with a different request",
                "此 Idempotency-Key 已用于不同的请求",
                field="Idempotency-Key",
            )
        return found.status_code, json.loads(found.response_body)
    status, body = await run()
    session.add(
        IdempotencyRecord(
            scope=scope,
            key=key,
            request_hash=fingerprint,
            status_code=status,
            response_body=json.dumps(body, ensure_ascii=False, default=str),
            created_at=datetime.now(UTC),
        )
    )
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            "idempotent-request-in-progress",
            "a request with this Idempotency-Key is being processed; retry shortly",
            "相同 Idempotency-Key 的请求正在处理，请稍后重试",
            field="Idempotency-Key",
        ) from None
    return status, body


__all__ = ["replay_or_run", "request_hash"]
