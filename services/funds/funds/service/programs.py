"""Programs (资金项目): validated data, stored once and never changed."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from funds.domain.program import Program, parse_program
from funds.models.tables import programs
from funds.repository import budgets as repo
from funds.service.context import Context
from jzkit.auth import Role
from jzkit.errors import Conflict, InvalidInput, NotFound

MANAGERS = (Role.FUNDS_OFFICER, Role.COUNTY_APPROVER)


async def create_program(session: AsyncSession, ctx: Context, doc: dict[str, Any]) -> Program:
    """Validate and store a program; its code may never be reused for a different document."""
    ctx.require(*MANAGERS)
    program = parse_program(doc)
    if program.test_only and ctx.settings.refuse_test_programs:
        raise InvalidInput(
            "test-program-refused",
            "test_only programs are refused in this deployment",
            "本部署不接受仅供测试的资金项目",
            field="test_only",
        )
    existing = await repo.get_program(session, program.code)
    if existing is not None:
        if Program.model_validate_json(existing.document) == program:
            return program
        raise _taken(program.code)
    try:
        await session.execute(
            sa.insert(programs).values(
                id=program.code,
                kind=program.kind,
                name=program.name,
                document=program.model_dump_json(),
                created_at=ctx.now,
                created_by=ctx.actor,
            )
        )
    except IntegrityError:
        raise _taken(program.code) from None
    return program


def _taken(code: str) -> Conflict:
    return Conflict(
        "program-exists",
        f"program {code} exists with a different definition (programs are immutable)",
        f"资金项目 {code} 已存在且内容不同(资金项目不可修改)",
        field="code",
    )


async def load_program(session: AsyncSession, program_id: str, field: str = "program_id") -> Program:
    """The stored program, or 404 (422 naming ``field`` when it came from a request body)."""
    row = await repo.get_program(session, program_id)
    if row is None:
        if field == "path":
            raise NotFound("program", program_id, "资金项目")
        raise InvalidInput(
            "unknown-program", f"no program {program_id}", f"无资金项目 {program_id}", field=field
        )
    return Program.model_validate_json(row.document)


def program_out(program: Program) -> dict[str, Any]:
    """The program as JSON (the notice as an ISO 8601 duration)."""
    doc: dict[str, Any] = json.loads(program.model_dump_json())
    doc["id"] = program.code
    return doc
