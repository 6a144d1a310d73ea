"""One household, one dossier (一户一档): every service's part, fetched in parallel with the caller's token.

A part that fails (service down, timeout, refused for the caller's role) is listed in ``missing``
with the reason instead of failing the whole dossier; only the registry's record decides whether
the household exists for the caller (404 outside their jurisdiction, as the registry says).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from gateway.paging import TooManyPages, all_items
from gateway.proxy import Upstream
from jzkit.errors import DomainError, NotFound
from jzkit.logs import request_id_var

# Grants are listed by the household's village and filtered here: funds has no household filter yet.
GRANT_PAGES_MAX = 20
GRANT_PAGE_SIZE = 200


@dataclass(frozen=True)
class PartFailed(Exception):
    """A part could not be fetched: why, in a word, and the upstream's status if it answered."""

    error: str
    status: int | None = None


class Dossier:
    """Fetches the parts of one household's dossier from the upstreams."""

    def __init__(self, upstreams: dict[str, Upstream], authorization: str, language: str | None) -> None:
        self.upstreams = upstreams
        self.headers = {"authorization": authorization, "x-request-id": request_id_var.get() or ""}
        if language:
            self.headers["accept-language"] = language

    async def _get(self, upstream: str, path: str, params: dict[str, str] | None = None) -> Any:
        target = self.upstreams.get(upstream)
        if target is None:
            raise PartFailed("not-configured")
        try:
            response = await target.client.get(path, params=params, headers=self.headers)
        except httpx.TimeoutException:
            raise PartFailed("timeout") from None
        except httpx.TransportError:
            raise PartFailed("unavailable") from None
        if response.status_code != 200:
            code = "http-error"
            if response.headers.get("content-type", "").startswith("application/problem+json"):
                code = str(response.json().get("code", code))
            raise PartFailed(code, response.status_code)
        return response.json()

    async def _grants(self, household_id: str) -> list[dict[str, Any]]:
        async def fetch(params: dict[str, str]) -> Any:
            return await self._get("funds", "/api/v1/grants", params)

        try:
            return await all_items(fetch, {"household_id": household_id}, GRANT_PAGE_SIZE, GRANT_PAGES_MAX)
        except TooManyPages:
            raise PartFailed("too-many-grants") from None

    async def _payments(self, household_id: str) -> list[dict[str, Any]]:
        listed = await self._get("funds", "/api/v1/payments", {"household_id": household_id})
        return list(listed["items"])

    async def build(self, household_id: str) -> dict[str, Any]:
        """The dossier, or the registry's refusal (404 for a household the caller may not see)."""
        # The id goes into upstream paths encoded: a control character or "/" in it stays one segment.
        segment = quote(household_id, safe="")
        household = asyncio.create_task(self._get("registry", f"/api/v1/households/{segment}"))
        parts: dict[str, asyncio.Task[Any]] = {
            "assessment": asyncio.create_task(
                self._get("identification", f"/api/v1/households/{segment}/assessment")
            ),
            "cases": asyncio.create_task(
                self._get("identification", "/api/v1/cases", {"household_id": household_id})
            ),
            "roster": asyncio.create_task(self._get("funds", f"/api/v1/roster/{segment}")),
            "grants": asyncio.create_task(self._grants(household_id)),
            "payments": asyncio.create_task(self._payments(household_id)),
            "audit": asyncio.create_task(
                self._get("audit", "/api/v1/audit/entries", {"subject": f"household/{household_id}"})
            ),
        }
        await asyncio.gather(household, *parts.values(), return_exceptions=True)
        failure = household.exception()
        if isinstance(failure, PartFailed):
            raise _registry_refusal(household_id, failure)
        if failure is not None:
            raise failure
        doc: dict[str, Any] = {"household_id": household_id, "household": household.result(), "missing": []}
        for name, task in parts.items():
            error = task.exception()
            if error is None:
                doc[name] = _unwrap(task.result())
            elif isinstance(error, PartFailed):
                doc[name] = None
                doc["missing"].append({"part": name, "error": error.error, "status": error.status})
            else:
                raise error
        return doc


def _unwrap(result: Any) -> Any:
    """A page's items (the dossier holds whole histories, never cursors)."""
    if isinstance(result, dict) and set(result) == {"items", "next_cursor"}:
        return result["items"]
    return result


def _registry_refusal(household_id: str, failure: PartFailed) -> DomainError:
    """What the caller gets when the registry record itself cannot be had."""
    if failure.status == 404:
        return NotFound("household", household_id, "农户")
    if failure.status is not None and failure.status < 500:
        return DomainError(
            failure.error,
            "the registry refused this household",
            "登记服务拒绝了该请求",
            status=failure.status,
        )
    return DomainError(
        "dossier-unavailable",
        f"the registry record is unavailable ({failure.error})",
        f"登记记录暂不可用（{failure.error}）",
        status=502 if failure.error != "timeout" else 504,
    )
