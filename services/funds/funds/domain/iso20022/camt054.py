"""ISO 20022 camt.054 debit/credit notifications: returned payments (退回) after they were paid.

A payment the bank returns (closed account, wrong name) comes back as an entry whose
transaction details carry return information (``RtrInf``) or as a reversal (``RvslInd``); each
names the original EndToEndId, the amount and the bank's reason code.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from lxml import etree

from funds.domain.iso20022.text import Reader, iso_datetime, malformed, parse_safely, xml_text
from funds.domain.iso20022.writer import Writer
from funds.domain.money import fen_to_yuan, yuan_to_fen

NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
CURRENCY = "CNY"
W = Writer(NS)


@dataclass(frozen=True)
class Reversal:
    """One paid transfer the bank returned."""

    end_to_end_id: str
    amount_fen: int
    reason_code: str | None
    booked_at: datetime


def _amount(r: Reader, parent: etree._Element, path: str) -> int | None:
    element = r.first(parent, path)
    if element is None:
        return None
    if element.get("Ccy") != CURRENCY:
        raise malformed("Amt", f"currency must be {CURRENCY}")
    amount = yuan_to_fen(element.text or "", "Amt")
    if amount <= 0:
        raise malformed("Amt", "a returned amount must be positive")
    return amount


def _booked(r: Reader, entry: etree._Element) -> datetime:
    moment = r.opt(entry, "BookgDt/DtTm")
    day = r.opt(entry, "BookgDt/Dt")
    try:
        if moment is not None:
            parsed = datetime.fromisoformat(moment)
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        if day is not None:
            return datetime.combine(datetime.fromisoformat(day).date(), time(), UTC)
    except ValueError:
        raise malformed("BookgDt", "not an ISO 8601 date or time") from None
    raise malformed("BookgDt", "missing")


def parse_camt054(xml: bytes) -> list[Reversal]:
    """Every returned or reversed transfer in a camt.054; malformed input names the element."""
    root = parse_safely(xml, "urn:iso:std:iso:20022:tech:xsd:camt.054.")
    r = Reader(root)
    body = r.required(root, "BkToCstmrDbtCdtNtfctn")
    r.text(body, "GrpHdr/MsgId")
    reversals: list[Reversal] = []
    for entry in r.all(body, "Ntfctn/Ntry"):
        reversed_entry = (r.opt(entry, "RvslInd") or "").lower() == "true"
        details = r.all(entry, "NtryDtls/TxDtls")
        for tx in details:
            if r.first(tx, "RtrInf") is None and not reversed_entry:
                continue
            amount = _amount(r, tx, "Amt")
            if amount is None and len(details) == 1:
                amount = _amount(r, entry, "Amt")
            if amount is None:
                raise malformed("Amt", "a returned transaction needs its amount")
            reason = r.opt(tx, "RtrInf/Rsn/Cd") or r.opt(tx, "RtrInf/Rsn/Prtry")
            reversals.append(Reversal(r.text(tx, "Refs/EndToEndId"), amount, reason, _booked(r, entry)))
    return reversals


def _entry(reversal: Reversal, reason_text: str) -> etree._Element:
    entry = W.element("Ntry")
    W.sub(entry, "Amt", fen_to_yuan(reversal.amount_fen)).set("Ccy", CURRENCY)
    W.sub(entry, "CdtDbtInd", "CRDT")
    W.sub(W.sub(entry, "Sts"), "Cd", "BOOK")
    W.sub(W.sub(entry, "BookgDt"), "DtTm", iso_datetime(reversal.booked_at))
    W.sub(W.sub(W.sub(entry, "BkTxCd"), "Prtry"), "Cd", "RTRN")
    tx = W.sub(W.sub(entry, "NtryDtls"), "TxDtls")
    W.sub(W.sub(tx, "Refs"), "EndToEndId", reversal.end_to_end_id)
    W.sub(tx, "Amt", fen_to_yuan(reversal.amount_fen)).set("Ccy", CURRENCY)
    W.sub(tx, "CdtDbtInd", "CRDT")
    info = W.sub(tx, "RtrInf")
    if reversal.reason_code:
        W.sub(W.sub(info, "Rsn"), "Cd", reversal.reason_code)
    if reason_text:
        W.sub(info, "AddtlInf", xml_text(reason_text, 105))
    return entry


def build_camt054(
    msg_id: str, created_at: datetime, account: str, reversals: Iterable[Reversal], reason_text: str = ""
) -> bytes:
    """A camt.054.001.08 notification of ``reversals`` credited back to ``account`` (plays the bank)."""
    out = io.BytesIO()
    with W.document(out, "BkToCstmrDbtCdtNtfctn") as xf:
        xf.write(W.group_header(msg_id, created_at))
        with xf.element(W.q("Ntfctn")):
            notice = W.element("Ntfctn")
            W.sub(notice, "Id", msg_id)
            W.sub(notice, "CreDtTm", iso_datetime(created_at))
            W.sub(W.sub(W.sub(W.sub(notice, "Acct"), "Id"), "Othr"), "Id", account)
            W.write_children(xf, notice)
            for reversal in reversals:
                xf.write(_entry(reversal, reason_text))
    return out.getvalue()
