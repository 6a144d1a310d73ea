"""Cursor paging helpers shared by the list routes."""

from __future__ import annotations

from typing import Any

from identification.settings import IdentificationSettings
from jzkit.pagination import decode_cursor, encode_cursor


def page_size(settings: IdentificationSettings, limit: int | None) -> int:
    """The page size a request gets (default and maximum from settings)."""
    return min(limit or settings.page_size_default, settings.page_size_max)


def after_id(cursor: str | None) -> str | None:
    """The id a cursor points after."""
    position = decode_cursor(cursor)
    return None if position is None else str(position.get("id", ""))


def page(items: list[dict[str, Any]], size: int) -> dict[str, Any]:
    """``{items, next_cursor}`` from ``size + 1`` fetched rows."""
    more = len(items) > size
    shown = items[:size]
    return {"items": shown, "next_cursor": encode_cursor({"id": shown[-1]["id"]}) if more else None}
