"""Reconciliation (对账): the bank's pain.002 status reports and camt.054 return notifications.

A report's message id is recorded UNIQUE, so the same report posted twice changes nothing; each
transaction status is applied only to a payment still in the state it expects (pending for
pain.002, paid for a return), so reports out of order or overlapping change nothing twice.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from lxml import etree
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from funds.domain.iso20022.camt054 import parse_camt054
from funds.domain.iso20022.ids import end_to_end_id
from funds.domain.iso20022.pain002 import parse_pain002
from funds.models.tables import bank_reports, roster
from funds.repository import batches as repo
from funds.service import money, postings
from funds.service.batches import PAYERS, load_batch
from funds.service.context import Context
from funds.service.events import bulk_emit
from jzkit.contracts.envelope import EventData
from jzkit.contracts.funds import Disbursed, DisbursementFailed, PaymentEvent, PaymentReturned
from jzkit.errors import Conflict, InvalidInput

ROOTS = {"CstmrPmtStsRpt": "pain.002", "BkToCstmrDbtCdtNtfctn": "camt.054"}


def report_kind(xml: bytes) -> str:
    """``pain.002`` or ``camt.054``, by the element under ``Document``."""
    kind = _root_kind(xml)
    if kind is None:
        raise InvalidInput(
            "unknown-bank-report",
            "expected a pain.002 status report or a camt.054 notification",
            "应为 pain.002 状态报告或 camt.054 通知",
            field="body",
        )
    return kind


def _root_kind(xml: bytes) -> str | None:
    """The report kind named by the first two elements; None for another document or malformed XML."""
    parser = etree.iterparse(io.BytesIO(xml), events=("start",), resolve_entities=False, no_network=True)
    try:
        for depth, (_event, element) in enumerate(parser):
            name = etree.QName(element).localname
            if name in ROOTS:
                return ROOTS[name]
            if depth >= 1:
                return None
    except etree.XMLSyntaxError:  # not XML at all: the same refusal as an unknown document
        return None
    return None


async def apply_report(session: AsyncSession, ctx: Context, batch_id: str, xml: bytes) -> dict[str, Any]:
    """Apply a bank report to a batch once; a second posting reports ``duplicate`` and changes nothing."""
    ctx.require(*PAYERS)
    batch = await load_batch(session, ctx, batch_id)
    kind = report_kind(xml)
    if kind == "pain.002":
        report = parse_pain002(xml)
        if report.original_msg_id != batch.message_id:
            raise InvalidInput(
                "report-for-other-batch",
                f"the report answers {report.original_msg_id}, not {batch.message_id}",
                "该报告不属于此批次",
                field="OrgnlMsgId",
            )
        msg_id = report.msg_id
    else:
        reversals = parse_camt054(xml)
        # parse_camt054 gives the entries only: the document's digest keys it (the same file twice).
        msg_id = "camt054-" + hashlib.sha256(xml).hexdigest()[:27]
    previous = await repo.report(session, msg_id)
    if previous is not None:
        return _summary(
            previous.message_id, previous.kind, previous.applied, previous.ignored, duplicate=True
        )
    try:
        await session.execute(
            sa.insert(bank_reports).values(
                message_id=msg_id,
                batch_id=batch_id,
                kind=kind,
                applied=0,
                ignored=0,
                received_at=ctx.now,
                received_by=ctx.actor,
            )
        )
    except IntegrityError:
        # The same report racing itself: the other request applies it; this one changes nothing.
        raise Conflict(
            "report-in-progress",
            "this report is being applied; retry to see its result",
            "该回单正在处理",
            field="MsgId",
        ) from None
    rows = await repo.payments_of(session, batch_id)
    if kind == "pain.002":
        pending = {end_to_end_id(p.grant_id): p for p in rows if p.status == "pending"}
        resolved = report.resolve(pending)
        accepted = [pending[e] for e, s in resolved.items() if s.status == "accepted"]
        rejected = {
            pending[e].id: s.reason_code or "RJCT" for e, s in resolved.items() if s.status == "rejected"
        }
        applied = await _settle(session, ctx, accepted, msg_id) + await _fail(
            session, ctx, rows, rejected, msg_id
        )
        ignored = len(report.statuses) + (1 if report.group_status else 0) - applied
    else:
        paid = {end_to_end_id(p.grant_id): p for p in rows if p.status == "paid"}
        returns = {
            paid[r.end_to_end_id].id: r.reason_code or "RTRN" for r in reversals if r.end_to_end_id in paid
        }
        applied = await _return(session, ctx, rows, returns, msg_id)
        ignored = len(reversals) - applied
    ignored = max(ignored, 0)
    await session.execute(
        sa.update(bank_reports)
        .where(bank_reports.c.message_id == msg_id)
        .values(applied=applied, ignored=ignored)
    )
    return _summary(msg_id, kind, applied, ignored, duplicate=False)


def _summary(msg_id: str, kind: str, applied: int, ignored: int, duplicate: bool) -> dict[str, Any]:
    return {
        "message_id": msg_id,
        "kind": kind,
        "applied": applied,
        "ignored": ignored,
        "duplicate": duplicate,
    }


def _event(cls: type[PaymentEvent], p: Any, **extra: Any) -> EventData:
    return cls(
        payment_id=p.id,
        batch_id=p.batch_id,
        grant_id=p.grant_id,
        household_id=p.household_id,
        division_code=p.division_code,
        program_id=p.program_id,
        period=p.period,
        amount_fen=p.amount_fen,
        **extra,
    )


async def _step(
    session: AsyncSession, ctx: Context, changed: Sequence[Any], action: str, old: str, new: str, reason: str
) -> None:
    """Move the changed payments' grants and record who did it."""
    ids = [p.grant_id for p in changed]
    await repo.set_grants(session, ids, old, {"status": new, "updated_at": ctx.now})
    await repo.history(
        session,
        [
            {
                "grant_id": g,
                "action": action,
                "from_status": old,
                "to_status": new,
                "actor": ctx.actor,
                "reason": reason,
                "at": ctx.now,
            }
            for g in ids
        ],
    )


async def _settle(session: AsyncSession, ctx: Context, accepted: list[Any], reference: str) -> int:
    """Accepted: payment paid, grant paid, reserved → paid, ``funds.disbursed``."""
    changed_ids = await repo.settle(
        session, [p.id for p in accepted], "pending", {"status": "paid", "updated_at": ctx.now}
    )
    changed = [p for p in accepted if p.id in changed_ids]
    await _step(session, ctx, changed, "settle", "in_batch", "paid", "bank accepted")
    await money.shift(session, ctx, changed, "reserved_fen", "paid_fen", postings.payment, reference)
    await bulk_emit(
        session, ctx, [(_event(Disbursed, p), f"grant/{p.grant_id}") for p in changed], "bank accepted"
    )
    return len(changed)


async def _fail(
    session: AsyncSession, ctx: Context, rows: list[Any], rejected: dict[str, str], reference: str
) -> int:
    """Rejected: payment and grant failed with the bank's reason, the reservation released."""
    changed: list[Any] = []
    for reason in sorted(set(rejected.values())):
        ids = [pid for pid, r in rejected.items() if r == reason]
        done = await repo.settle(
            session, ids, "pending", {"status": "failed", "bank_reason": reason, "updated_at": ctx.now}
        )
        changed.extend(p for p in rows if p.id in done)
    await _step(session, ctx, changed, "fail", "in_batch", "failed", "bank rejected")
    await money.shift(session, ctx, changed, "reserved_fen", "available_fen", postings.release, reference)
    events = [
        (_event(DisbursementFailed, p, bank_reason=rejected[p.id]), f"grant/{p.grant_id}") for p in changed
    ]
    await bulk_emit(session, ctx, events, "bank rejected")
    return len(changed)


async def _return(
    session: AsyncSession, ctx: Context, rows: list[Any], returns: dict[str, str], reference: str
) -> int:
    """Returned after payment: paid → available, the household flagged to update its card."""
    changed: list[Any] = []
    for reason in sorted(set(returns.values())):
        ids = [pid for pid, r in returns.items() if r == reason]
        done = await repo.settle(
            session, ids, "paid", {"status": "returned", "bank_reason": reason, "updated_at": ctx.now}
        )
        changed.extend(p for p in rows if p.id in done)
    await _step(session, ctx, changed, "return", "paid", "returned", "bank returned the payment")
    await money.shift(session, ctx, changed, "paid_fen", "available_fen", postings.returned, reference)
    for part in repo.chunks([p.household_id for p in changed]):
        await session.execute(
            sa.update(roster)
            .where(repo.among(session, roster.c.household_id, part))
            .values(card_update_required=True, updated_at=ctx.now)
        )
    events = [(_event(PaymentReturned, p, bank_reason=returns[p.id]), f"grant/{p.grant_id}") for p in changed]
    await bulk_emit(session, ctx, events, "bank returned the payment")
    return len(changed)
