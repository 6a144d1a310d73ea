"""Division use cases: read the hierarchy, load it from CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from jzkit import divisions
from jzkit.auth import Principal, Role
from jzkit.errors import InvalidInput, NotFound
from registry import repository
from registry.models import Division

CSV_COLUMNS = ("code", "name", "level", "parent_code")


async def get(session: AsyncSession, code: str) -> Division:
    """One division (divisions are public reference data for any signed-in caller)."""
    row = await repository.get_division(session, code) if divisions.is_code(code) else None
    if row is None:
        raise NotFound("division", code, "行政区划")
    return row


async def with_ancestors(session: AsyncSession, code: str) -> tuple[Division, list[Division]]:
    """A division and the divisions above it that the registry holds, province first (public data)."""
    try:
        divisions.level(code)
    except ValueError:
        raise InvalidInput(
            "invalid-division-code", "code names no division", "区划代码无效", field="code"
        ) from None
    chain = [code]
    while (parent := divisions.parent(chain[0])) is not None:
        chain.insert(0, parent)
    found = {row.code: row for row in await repository.get_divisions(session, chain)}
    if code not in found:
        raise NotFound("division", code, "行政区划")
    return found[code], [found[c] for c in chain[:-1] if c in found]


async def named(session: AsyncSession, codes: Sequence[str]) -> list[Division]:
    """The divisions among ``codes`` that the registry holds, in code order."""
    return sorted(await repository.get_divisions(session, sorted(set(codes))), key=lambda d: d.code)


async def children(session: AsyncSession, parent: str | None) -> Sequence[Division]:
    """The divisions directly under ``parent`` (the roots when it is None)."""
    if parent is not None and not divisions.is_code(parent):
        raise InvalidInput(
            "invalid-division-code",
            "parent must be a 12-digit code",
            "parent 须为12位区划代码",
            field="parent",
        )
    return await repository.list_divisions(session, parent, None)


def parse_csv(text: str) -> list[Division]:
    """Rows ``code,name,level,parent_code``; levels and parents must agree with the codes."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or tuple(reader.fieldnames) != CSV_COLUMNS:
        raise InvalidInput(
            "invalid-header",
            f"header must be {','.join(CSV_COLUMNS)}",
            f"表头须为 {','.join(CSV_COLUMNS)}",
            field="header",
        )
    rows: list[Division] = []
    for line, rec in enumerate(reader, start=2):
        code = (rec["code"] or "").strip()
        try:
            level = divisions.level(code)
        except ValueError:
            raise InvalidInput(
                "invalid-division-code",
                f"row {line}: code must be 12 digits naming a division",
                f"第 {line} 行：区划代码须为12位",
                field=f"rows[{line}].code",
            ) from None
        if (rec["level"] or "").strip() != level:
            raise InvalidInput(
                "level-mismatch",
                f"row {line}: code {code} is a {level}",
                f"第 {line} 行：代码 {code} 的级别是 {level}",
                field=f"rows[{line}].level",
            )
        parent = (rec["parent_code"] or "").strip() or None
        if parent != divisions.parent(code):
            raise InvalidInput(
                "parent-mismatch",
                f"row {line}: parent of {code} must be {divisions.parent(code)}",
                f"第 {line} 行：{code} 的上级须为 {divisions.parent(code)}",
                field=f"rows[{line}].parent_code",
            )
        name = (rec["name"] or "").strip()
        if not name:
            raise InvalidInput(
                "missing-name",
                f"row {line}: name is required",
                f"第 {line} 行：名称必填",
                field=f"rows[{line}].name",
            )
        rows.append(Division(code=code, name=name, level=level, parent_code=parent))
    return rows


async def load_csv(session: AsyncSession, principal: Principal, text: str) -> int:
    """Load (insert or rename) divisions; admin or system only, all or nothing."""
    principal.require_role(Role.ADMIN, Role.SYSTEM)
    rows = parse_csv(text)
    return await repository.upsert_divisions(session, rows)
