"""JSON shapes of grants, roster entries and payments (card numbers masked unless the role may see them)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from funds.service.context import Context


@dataclass(frozen=True)
class Member:
    """A member as the amount rules read it."""

    in_school: str | None


@dataclass(frozen=True)
class Facts:
    """The registry facts a roster row holds, shaped like ``HouseholdFacts`` for the amount rules."""

    flags: dict[str, bool] = field(default_factory=dict)
    members: list[Member] = field(default_factory=list)

    @classmethod
    def of(cls, row: sa.Row[Any]) -> Facts:
        """The facts stored on a roster row (empty before the registry's first snapshot)."""
        doc = json.loads(row.facts)
        return cls(
            flags={str(k): bool(v) for k, v in dict(doc.get("flags", {})).items()},
            members=[Member(in_school=m.get("in_school")) for m in doc.get("members", [])],
        )


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def grant_doc(row: sa.Row[Any], history: list[sa.Row[Any]]) -> dict[str, Any]:
    """A grant with its amount breakdown, reservation, frozen basis and history."""
    return {
        "id": row.id,
        "program_id": row.program_id,
        "household_id": row.household_id,
        "division_code": row.division_code,
        "period": row.period,
        "amount_fen": row.amount_fen,
        "breakdown": json.loads(row.breakdown),
        "details": json.loads(row.details),
        "status": row.status,
        "notice_ends_at": _when(row.notice_ends_at),
        "budget_id": row.budget_id,
        "reserved_fen": json.loads(row.reserved) if row.reserved else None,
        "frozen": json.loads(row.frozen) if row.frozen else None,
        "version": row.version,
        "created_at": _when(row.created_at),
        "updated_at": _when(row.updated_at),
        "history": [
            {
                "action": h.action,
                "from_status": h.from_status,
                "to_status": h.to_status,
                "actor": h.actor,
                "reason": h.reason,
                "at": _when(h.at),
            }
            for h in history
        ],
    }


def card(ctx: Context, bank: str | None, masked: str | None, ciphertext: str | None) -> dict[str, Any] | None:
    """The household's one card (一卡一户): the full number only for funds officers."""
    if bank is None or masked is None:
        return None
    doc: dict[str, Any] = {"bank": bank, "account_masked": masked}
    if ctx.sees_bank_accounts() and ciphertext:
        doc["account_number"] = ctx.pii.decrypt(ciphertext)
    return doc


def roster_doc(ctx: Context, row: sa.Row[Any]) -> dict[str, Any]:
    """One roster entry."""
    return {
        "household_id": row.household_id,
        "division_code": row.division_code,
        "locked_in": bool(row.locked_in),
        "decided_at": _when(row.decided_at),
        "facts_version": row.facts_version,
        "card_update_required": bool(row.card_update_required),
        "bank_account": card(ctx, row.bank_name, row.account_masked, row.account_ciphertext),
    }
