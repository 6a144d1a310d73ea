"""Use cases of people quotas: set one (checked against its parent and children), list them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identification.domain.quotas import check_split
from identification.repository import quotas as repo
from jzkit import divisions
from jzkit.auth import Principal, Role
from jzkit.errors import Forbidden, InvalidInput
from jzkit.ids import new_id

WRITERS = (Role.ADMIN, Role.COUNTY_APPROVER)


def _json(row: Any) -> dict[str, Any]:
    m = row._mapping
    return {
        "id": m["id"],
        "division_code": m["division_code"],
        "level": divisions.level(str(m["division_code"])),
        "year": m["year"],
        "people": m["people"],
        "version": m["version"],
        "updated_at": m["updated_at"].isoformat(),
        "updated_by": m["updated_by"],
        "reason": m["reason"],
    }


def _valid_code(code: str) -> str:
    try:
        return divisions.level(code)
    except ValueError:
        raise InvalidInput(
            "invalid-division",
            "division_code must be a 12-digit division code",
            "区划代码无效",
            field="division_code",
        ) from None


async def set_quota(
    session: AsyncSession,
    principal: Principal,
    division_code: str,
    year: int,
    people: int,
    reason: str,
    now: datetime,
) -> dict[str, Any]:
    """Create or change a quota; refused when children would exceed the parent (field ``people``)."""
    principal.require_role(*WRITERS)
    _valid_code(division_code)
    if not principal.covers(division_code):
        raise Forbidden(
            "outside-jurisdiction",
            "division outside your jurisdiction",
            "区划不在您的辖区内",
            field="division_code",
        )
    parent_code = divisions.parent(division_code)
    parent = await repo.get(session, parent_code, year, lock=True) if parent_code else None
    siblings = 0
    if parent is not None and parent_code is not None:
        siblings = sum(
            int(r._mapping["people"])
            for r in await repo.under(session, divisions.prefix(parent_code), year)
            if divisions.parent(str(r._mapping["division_code"])) == parent_code
            and r._mapping["division_code"] != division_code
        )
    children = sum(
        int(r._mapping["people"])
        for r in await repo.under(session, divisions.prefix(division_code), year)
        if divisions.parent(str(r._mapping["division_code"])) == division_code
    )
    parent_people = int(parent._mapping["people"]) if parent is not None else None
    problem = check_split(people, parent_people, siblings, children)
    if problem is not None:
        raise InvalidInput(problem.code, problem.message_en, problem.message_zh, field="people")
    await repo.upsert(
        session,
        quota_id=new_id(),
        division_code=division_code,
        year=year,
        people=people,
        now=now,
        actor=principal.subject,
        reason=reason,
    )
    found = await repo.get(session, division_code, year)
    return _json(found)


async def list_quotas(
    session: AsyncSession,
    principal: Principal,
    division_code: str,
    year: int | None,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Quotas inside ``division_code`` (which the caller must cover), in id order."""
    _valid_code(division_code)
    if not principal.covers(division_code):
        raise Forbidden(
            "outside-jurisdiction",
            "division outside your jurisdiction",
            "区划不在您的辖区内",
            field="division",
        )
    rows = await repo.under(session, divisions.prefix(division_code), year)
    items = [_json(r) for r in rows if after is None or str(r._mapping["id"]) > after]
    return items[:limit]
