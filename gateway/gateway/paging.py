"""Following an upstream list's ``next_cursor`` for the gateway's aggregates, with a bound."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Fetch = Callable[[dict[str, str]], Awaitable[Any]]


class TooManyPages(Exception):
    """The list did not end within the bound."""


async def all_items(
    fetch: Fetch, params: dict[str, str], page_size: int, max_pages: int
) -> list[dict[str, Any]]:
    """Every item of a cursor-paginated list; ``fetch(params)`` returns one page."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(max_pages):
        query = {**params, "limit": str(page_size)}
        if cursor:
            query["cursor"] = cursor
        page = await fetch(query)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items
    raise TooManyPages(f"more than {max_pages} pages of {page_size}")
