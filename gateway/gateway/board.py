"""The public notice board (张榜公示): notices and fund use per village, as JSON and as a printable page.

Both come from the services' public (unauthenticated, masked) routes: identification's
``/api/v1/public/notices`` and funds' ``/api/v1/public/fund-use``. Nothing here needs a token.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import httpx

from gateway.paging import TooManyPages, all_items
from gateway.proxy import Upstream
from jzkit.errors import DomainError
from jzkit.logs import request_id_var

# The board shows at most this many notices per request (pages of the upstream's maximum size).
NOTICE_PAGES_MAX = 10
NOTICE_PAGE_SIZE = 200


class BoardPartFailed(Exception):
    """One of the board's sources did not answer."""


async def _get(upstream: Upstream | None, path: str, params: dict[str, str]) -> Any:
    if upstream is None:
        raise BoardPartFailed("not-configured")
    try:
        response = await upstream.client.get(
            path, params=params, headers={"x-request-id": request_id_var.get() or ""}
        )
    except httpx.HTTPError as exc:
        raise BoardPartFailed(type(exc).__name__) from None
    if response.status_code != 200:
        raise BoardPartFailed(f"status {response.status_code}")
    return response.json()


async def notices(upstream: Upstream | None, division: str) -> list[dict[str, Any]]:
    """Every notice item under ``division`` (following the upstream's cursor, bounded)."""

    async def fetch(params: dict[str, str]) -> Any:
        return await _get(upstream, "/api/v1/public/notices", params)

    try:
        return await all_items(fetch, {"division": division}, NOTICE_PAGE_SIZE, NOTICE_PAGES_MAX)
    except TooManyPages:
        raise BoardPartFailed("too many notices") from None


async def fund_use(upstream: Upstream | None, division: str) -> list[dict[str, Any]]:
    """Fund-use report lines under ``division``."""
    doc = await _get(upstream, "/api/v1/public/fund-use", {"division": division})
    return list(doc["items"])


async def board(upstreams: dict[str, Upstream], division: str) -> dict[str, Any]:
    """Notices and fund use grouped by village; a source that fails is named in ``missing``."""
    results = await asyncio.gather(
        notices(upstreams.get("identification"), division),
        fund_use(upstreams.get("funds"), division),
        return_exceptions=True,
    )
    missing: list[dict[str, str]] = []
    found: list[list[dict[str, Any]]] = []
    for part, result in zip(("notices", "fund_use"), results, strict=True):
        if isinstance(result, BoardPartFailed):
            missing.append({"part": part, "error": str(result)})
            found.append([])
        elif isinstance(result, BaseException):
            raise result
        else:
            found.append(result)
    villages: dict[str, dict[str, Any]] = defaultdict(lambda: {"notices": [], "fund_use": []})
    for item in found[0]:
        villages[item["village"]]["notices"].append(item)
    for line in found[1]:
        villages[line["division_code"]]["fund_use"].append(line)
    return {
        "division": division,
        "villages": [{"division_code": code, **villages[code]} for code in sorted(villages)],
        "missing": missing,
    }


def unavailable(reason: str) -> DomainError:
    """502 for a page that cannot be made without its main source."""
    return DomainError(
        "notices-unavailable",
        f"the notices are unavailable ({reason})",
        f"公示信息暂不可用（{reason}）",
        status=502,
    )


async def village(
    upstreams: dict[str, Upstream], code: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """One village's notices (502 without them) and fund-use lines (None when funds did not answer)."""
    notice_task = asyncio.create_task(notices(upstreams.get("identification"), code))
    funds_task = asyncio.create_task(fund_use(upstreams.get("funds"), code))
    await asyncio.wait((notice_task, funds_task))
    failed = notice_task.exception()
    if isinstance(failed, BoardPartFailed):
        raise unavailable(str(failed))
    village_notices = [i for i in notice_task.result() if i["village"] == code]
    if isinstance(funds_task.exception(), BoardPartFailed):
        return village_notices, None
    return village_notices, [f for f in funds_task.result() if f["division_code"] == code]
