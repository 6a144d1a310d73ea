"""Domain errors and their RFC 9457 problem+json rendering (zh-CN or en by Accept-Language)."""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "urn:jingzhun:problem:"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class DomainError(Exception):
    """A rule was broken; ``code`` is stable, messages are bilingual."""

    status: int = 422

    def __init__(
        self,
        code: str,
        message_en: str,
        message_zh: str,
        field: str | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_zh = message_zh
        self.field = field
        if status is not None:
            self.status = status
        self.extra = extra or {}

    def message(self, lang: str) -> str:
        """The message in ``lang`` ("zh" or "en")."""
        return self.message_zh if lang == "zh" else self.message_en


class InvalidInput(DomainError):
    """422: a field breaks a rule."""

    status = 422


class NotFound(DomainError):
    """404: no such object, or not visible to the caller."""

    status = 404

    def __init__(self, what: str, ident: str, what_zh: str | None = None) -> None:
        super().__init__(
            code=f"{what}-not-found",
            message_en=f"{what} {ident} not found",
            message_zh=f"未找到{what_zh or what} {ident}",
        )


class Conflict(DomainError):
    """409: the change conflicts with existing state."""

    status = 409


class PreconditionFailed(DomainError):
    """412: stale If-Match."""

    status = 412


class PreconditionRequired(DomainError):
    """428: If-Match missing on an update."""

    status = 428


class Unauthorized(DomainError):
    """401: no valid token."""

    status = 401


class Forbidden(DomainError):
    """403: authenticated, but the role or jurisdiction does not allow this."""

    status = 403


def problem_body(err: DomainError, lang: str, instance: str | None = None) -> dict[str, Any]:
    """The problem+json document for ``err``."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + err.code,
        "title": err.message(lang),
        "status": err.status,
        "code": err.code,
        "detail": err.message(lang),
    }
    if err.field:
        body["field"] = err.field
    if instance:
        body["instance"] = instance
    body.update(err.extra)
    return body
