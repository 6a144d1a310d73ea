"""Use cases of policies: store a new version, load one, pick the one that applies to a household."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identification.domain.policy import Policy
from identification.repository import policies as repo
from jzkit import divisions
from jzkit.auth import Principal, Role
from jzkit.errors import Conflict, InvalidInput, NotFound
from jzkit.ids import new_id

WRITERS = (Role.ADMIN, Role.COUNTY_APPROVER)


@dataclass(frozen=True)
class StoredPolicy:
    """A policy as stored: identity, version, scope and the validated document."""

    id: str
    name: str
    version: int
    year: int
    division_code: str
    created_at: datetime
    created_by: str
    reason: str
    policy: Policy

    def to_json(self) -> dict[str, Any]:
        """The API representation."""
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "year": self.year,
            "division_code": self.division_code,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "reason": self.reason,
            "document": self.policy.model_dump(mode="json"),
        }


def _stored(row: sa.Row[tuple[object, ...]]) -> StoredPolicy:
    m = row._mapping
    return StoredPolicy(
        id=str(m["id"]),
        name=str(m["name"]),
        version=int(str(m["version"])),
        year=int(str(m["year"])),
        division_code=str(m["division_code"]),
        created_at=m["created_at"],
        created_by=str(m["created_by"]),
        reason=str(m["reason"]),
        policy=Policy.model_validate_json(str(m["document"])),
    )


def _field(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "document"


def parse_policy(document: dict[str, Any]) -> Policy:
    """Validate a policy document; the first problem becomes a 422 naming its field."""
    try:
        return Policy.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "document." + _field(tuple(first["loc"]))
        msg = first["msg"]
        raise InvalidInput(
            "invalid-policy",
            f"policy field {field}: {msg}",
            f"政策字段 {field} 无效：{msg}",
            field=field,
            extra={"errors": [{"field": _field(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]},
        ) from None


async def create_policy(
    session: AsyncSession, principal: Principal, document: dict[str, Any], reason: str, now: datetime
) -> StoredPolicy:
    """Store ``document`` as the next version of its name (admin or county approver, inside their area)."""
    principal.require_role(*WRITERS)
    policy = parse_policy(document)
    if not principal.covers(policy.division_code):
        raise InvalidInput(
            "outside-jurisdiction",
            "the policy's division is outside your jurisdiction",
            "政策适用区划不在您的辖区内",
            field="division_code",
            status=403,
        )
    version = await repo.next_version(session, policy.name)
    policy_id = new_id()
    try:
        async with session.begin_nested():
            await repo.insert(
                session,
                policy_id=policy_id,
                name=policy.name,
                version=version,
                year=policy.year,
                division_code=policy.division_code,
                document=policy.model_dump_json(),
                now=now,
                actor=principal.subject,
                reason=reason,
            )
    except IntegrityError:
        raise Conflict(
            "policy-version-exists",
            "that policy version exists; retry",
            "该政策版本已存在，请重试",
            field="name",
        ) from None
    return await load_policy(session, policy_id)


async def load_policy(session: AsyncSession, policy_id: str) -> StoredPolicy:
    """The stored policy ``policy_id`` (NotFound otherwise)."""
    row = await repo.by_id(session, policy_id)
    if row is None:
        raise NotFound("policy", policy_id, "政策")
    return _stored(row)


def _scopes(division_code: str) -> list[str]:
    chain: list[str] = []
    code: str | None = division_code
    while code is not None:
        chain.append(code)
        code = divisions.parent(code)
    return chain


async def policy_for(session: AsyncSession, division_code: str, year: int) -> StoredPolicy:
    """The most specific policy for ``division_code`` in force in ``year`` (newest year, then version)."""
    scopes = _scopes(division_code)
    rows = [_stored(r) for r in await repo.in_scopes(session, scopes, year)]
    if not rows:
        raise NotFound("policy", f"{division_code}/{year}", "适用政策")
    rows.sort(key=lambda s: (scopes.index(s.division_code), -s.year, -s.version))
    return rows[0]


async def list_policies(session: AsyncSession, after: str | None, limit: int) -> Sequence[StoredPolicy]:
    """One page of policies in id order."""
    return [_stored(r) for r in await repo.page(session, after, limit)]
