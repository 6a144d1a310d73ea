"""Disbursement batches (发放批次): control totals first, then the approved grants frozen into payments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from funds.domain.iso20022.ids import end_to_end_id
from funds.domain.iso20022.pain001 import Debtor, Payment, build_pain001
from funds.events.publish import emit
from funds.models.tables import batches, payments
from funds.repository import batches as repo
from funds.service.context import Context
from funds.service.programs import load_program
from jzkit import divisions
from jzkit.auth import Role
from jzkit.contracts.funds import BatchCreated
from jzkit.errors import Conflict, InvalidInput, NotFound
from jzkit.ids import new_id

PAYERS = (Role.FUNDS_OFFICER,)


class BatchDraft(BaseModel):
    """``POST /api/v1/batches``: which grants, and the control totals they must add up to."""

    model_config = ConfigDict(extra="forbid")

    program_id: str = Field(min_length=1, max_length=64)
    period: str = Field(min_length=4, max_length=16)
    division_code: str = Field(pattern=r"^\d{12}$")
    payments_count: int = Field(ge=1)
    total_fen: int = Field(ge=1)
    reason: str | None = Field(default=None, max_length=500)


def message_id(batch_id: str) -> str:
    """The batch's pain.001 MsgId (Max35Text): its UUID's hex digits."""
    return "JZ" + batch_id.replace("-", "")[:32]


async def create_batch(session: AsyncSession, ctx: Context, draft: BatchDraft) -> str:
    """Freeze the approved grants into payments if they match the declared control totals exactly."""
    ctx.require(*PAYERS)
    ctx.require_covers(draft.division_code)
    program = await load_program(session, draft.program_id)
    found = await repo.batchable(session, program.code, draft.period, divisions.prefix(draft.division_code))
    total = sum(r.amount_fen for r in found)
    if len(found) != draft.payments_count or total != draft.total_fen:
        field = "payments_count" if len(found) != draft.payments_count else "total_fen"
        raise InvalidInput(
            "control-totals-mismatch",
            f"the approved grants are {len(found)} payments of {total} fen, not "
            f"{draft.payments_count} of {draft.total_fen}",
            f"已批准补助为 {len(found)} 笔共 {total} 分,"
            f"与控制数 {draft.payments_count} 笔 {draft.total_fen} 分不符",
            field=field,
            extra={"found_count": len(found), "found_total_fen": total},
        )
    batch_id = new_id()
    await session.execute(
        sa.insert(batches).values(
            id=batch_id,
            program_id=program.code,
            period=draft.period,
            division_code=draft.division_code,
            message_id=message_id(batch_id),
            payments_count=len(found),
            total_fen=total,
            created_at=ctx.now,
            created_by=ctx.actor,
        )
    )
    ids = [r.id for r in found]
    if await repo.claim(session, ids, {"status": "in_batch", "updated_at": ctx.now}) != len(ids):
        raise Conflict(
            "batch-race",
            "some grants changed while the batch was built; retry",
            "组批期间补助已变更,请重试",
            field="program_id",
        )
    attempts = await repo.last_attempts(session, ids)
    # The card and amount are frozen on the payment: a later registry change does not alter this batch.
    await repo.insert_many(
        session,
        payments,
        [
            {
                "id": new_id(),
                "batch_id": batch_id,
                "grant_id": r.id,
                "attempt": attempts.get(r.id, 0) + 1,
                "household_id": r.household_id,
                "division_code": r.division_code,
                "amount_fen": r.amount_fen,
                "bank_name": r.bank_name,
                "account_masked": r.account_masked,
                "account_ciphertext": r.account_ciphertext,
                "holder_name_ciphertext": r.holder_name_ciphertext,
                "status": "pending",
                "bank_reason": None,
                "updated_at": ctx.now,
            }
            for r in found
        ],
    )
    await repo.history(
        session,
        [
            {
                "grant_id": g,
                "action": "batch",
                "from_status": "approved",
                "to_status": "in_batch",
                "actor": ctx.actor,
                "reason": f"batch {batch_id}",
                "at": ctx.now,
            }
            for g in ids
        ],
    )
    emit(
        session,
        BatchCreated(
            batch_id=batch_id,
            program_id=program.code,
            period=draft.period,
            division_code=draft.division_code,
            payments=len(found),
            total_fen=total,
        ),
        f"batch/{batch_id}",
        ctx.actor,
        draft.reason,
    )
    return batch_id


async def load_batch(session: AsyncSession, ctx: Context, batch_id: str) -> sa.Row[Any]:
    """The batch, or 404 when absent or outside the caller's jurisdiction."""
    row = await repo.get(session, batch_id)
    if row is None or not ctx.principal.covers(row.division_code):
        raise NotFound("batch", batch_id, "批次")
    return row


async def batch_doc(session: AsyncSession, ctx: Context, batch_id: str) -> dict[str, Any]:
    """The batch with its control totals and its payments counted per status."""
    row = await load_batch(session, ctx, batch_id)
    counts = await repo.status_counts(session, batch_id)
    return {
        "id": row.id,
        "program_id": row.program_id,
        "period": row.period,
        "division_code": row.division_code,
        "message_id": row.message_id,
        "payments_count": row.payments_count,
        "total_fen": row.total_fen,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
        "payments_by_status": {s: {"count": n, "total_fen": t} for s, (n, t) in sorted(counts.items())},
    }


async def household_payments(session: AsyncSession, ctx: Context, household_id: str) -> list[dict[str, Any]]:
    """The payment attempts to ``household_id`` the caller may see (for the household's dossier)."""
    rows = await repo.payments_of_household(session, household_id, ctx.scope(None))
    return [
        {
            "id": p.id,
            "grant_id": p.grant_id,
            "batch_id": p.batch_id,
            "attempt": p.attempt,
            "amount_fen": p.amount_fen,
            "status": p.status,
            "bank_reason": p.bank_reason,
            "bank_name": p.bank_name,
            "account_masked": p.account_masked,
            "updated_at": p.updated_at.isoformat(),
        }
        for p in rows
    ]


def _payee(ctx: Context, payment: Any) -> str:
    # Households registered before the registry sent the holder's name are paid under their id.
    if payment.holder_name_ciphertext is None:
        return f"户 {payment.household_id}"
    return ctx.pii.decrypt(payment.holder_name_ciphertext)


async def payment_file(session: AsyncSession, ctx: Context, batch_id: str) -> bytes:
    """The batch's pain.001.001.09 credit-transfer file (card numbers decrypted only into it)."""
    ctx.require(*PAYERS)
    row = await load_batch(session, ctx, batch_id)
    rows = await repo.payments_of(session, batch_id)
    debtor = Debtor(ctx.settings.debtor_name, ctx.settings.debtor_account, ctx.settings.debtor_bank)

    def items() -> Iterator[Payment]:
        for p in rows:
            yield Payment(
                end_to_end_id=end_to_end_id(p.grant_id),
                amount_fen=p.amount_fen,
                creditor_name=_payee(ctx, p),
                creditor_account=ctx.pii.decrypt(p.account_ciphertext),
                creditor_bank=p.bank_name,
                remittance=f"{p.program_id} {p.period}",
            )

    return build_pain001(row.message_id, row.created_at, debtor, items())
