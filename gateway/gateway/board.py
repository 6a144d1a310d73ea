"""The public notice board (张榜公示): notices and fund use per village, as JSON and as a printable page.

Both come from the services' public (unauthenticated, masked) routes: identification's
``/api/v1/public/notices``, funds' ``/api/v1/public/fund-use`` and, for the villages' names, the
registry's ``/api/v1/public/divisions`` (by code, or one with its ancestors). Nothing here needs a token.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.paging import TooManyPages, all_items
from gateway.proxy import Upstream
from jzkit.errors import DomainError
from jzkit.logs import request_id_var

# The board shows at most this many notices per request (pages of the upstream's maximum size).
NOTICE_PAGES_MAX = 10
NOTICE_PAGE_SIZE = 200
# Village names per registry read (its limit): a county's villages take a few reads, not one each.
NAMES_PER_READ = 200


class BoardPartFailed(Exception):
    """One of the board's sources did not answer."""


async def _get(upstream: Upstream | None, path: str, params: Mapping[str, str | list[str]]) -> Any:
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


async def division_record(upstream: Upstream | None, code: str) -> dict[str, Any]:
    """The registry's public record of one division: its name, level and the divisions above it."""
    doc: dict[str, Any] = await _get(upstream, f"/api/v1/public/divisions/{code}", {})
    return doc


def full_name(record: dict[str, Any]) -> str:
    """The name as written on paper, province first: 四川省广元市青川县茶坝乡炉场村."""
    return "".join([a["name"] for a in record["ancestors"]] + [record["name"]])


async def _names(upstream: Upstream | None, codes: list[str]) -> list[str | None]:
    """Each village's own name, None where the registry does not know it or did not answer."""
    names: dict[str, str] = {}
    for start in range(0, len(codes), NAMES_PER_READ):
        try:
            doc = await _get(
                upstream, "/api/v1/public/divisions", {"code": codes[start : start + NAMES_PER_READ]}
            )
        except BoardPartFailed:
            break  # the registry is down or failing: the board goes out without the rest of the names
        names |= {str(item["code"]): str(item["name"]) for item in doc["items"]}
    return [names.get(code) for code in codes]


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
    codes = sorted(villages)
    names = await _names(upstreams.get("registry"), codes)
    return {
        "division": division,
        "villages": [
            {"division_code": code, "name": name, **villages[code]}
            for code, name in zip(codes, names, strict=True)
        ],
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


@dataclass(frozen=True)
class VillageBoard:
    """What one village's printed notice shows; None for a part whose source did not answer."""

    notices: list[dict[str, Any]]
    fund_use: list[dict[str, Any]] | None
    full_name: str | None


async def village(upstreams: dict[str, Upstream], code: str) -> VillageBoard:
    """One village's notices (502 without them), fund-use lines and full name (each None when unanswered)."""
    notice_task = asyncio.create_task(notices(upstreams.get("identification"), code))
    funds_task = asyncio.create_task(fund_use(upstreams.get("funds"), code))
    name_task = asyncio.create_task(division_record(upstreams.get("registry"), code))
    await asyncio.wait((notice_task, funds_task, name_task))
    failed = notice_task.exception()
    if isinstance(failed, BoardPartFailed):
        raise unavailable(str(failed))
    lines = None if isinstance(funds_task.exception(), BoardPartFailed) else funds_task.result()
    name = None if isinstance(name_task.exception(), BoardPartFailed) else full_name(name_task.result())
    return VillageBoard(
        notices=[i for i in notice_task.result() if i["village"] == code],
        fund_use=None if lines is None else [f for f in lines if f["division_code"] == code],
        full_name=name,
    )
