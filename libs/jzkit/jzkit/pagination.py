"""Opaque cursors and ETag / If-Match parsing shared by list and update endpoints."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from jzkit.errors import InvalidInput, PreconditionRequired


def encode_cursor(position: dict[str, Any]) -> str:
    """An opaque, URL-safe cursor for ``position`` (the last row's sort key)."""
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The position inside ``cursor``; a malformed cursor is a 422 naming the field."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError):
        position = None
    if not isinstance(position, dict):
        raise InvalidInput("invalid-cursor", "cursor is malformed", "分页游标无效", field="cursor")
    return position


def etag(version: int) -> str:
    """Strong ETag for a record version."""
    return f'"{version}"'


def parse_if_match(header: str | None, required: bool = True) -> int | None:
    """The version an ``If-Match`` header names; 428 when required and missing, 422 when malformed."""
    if header is None or not header.strip():
        if required:
            raise PreconditionRequired(
                "if-match-required",
                "If-Match with the record's ETag is required",
                "须提供 If-Match（记录的 ETag）",
                field="If-Match",
            )
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidInput(
            "invalid-if-match", 'If-Match must be an ETag like "3"', "If-Match 格式无效", field="If-Match"
        )
    return int(value)
