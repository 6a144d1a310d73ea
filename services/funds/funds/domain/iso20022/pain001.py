"""ISO 20022 pain.001.001.09 credit-transfer initiation: the bank file of a disbursement batch.

Written incrementally with ``lxml.etree.xmlfile`` (one transaction element at a time), so a
batch of 100,000 payments never holds a tree of all of them; lxml escapes every text value.
One PmtInf per file (the funds account pays everyone), CNY, amounts as decimal yuan.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources

from lxml import etree

from funds.domain.iso20022.text import xml_text
from funds.domain.iso20022.writer import Writer
from funds.domain.money import fen_to_yuan
from jzkit.errors import InvalidInput

NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
CURRENCY = "CNY"
XSD_NAME = "pain.001.001.09.xsd"
W = Writer(NS)


@dataclass(frozen=True)
class Debtor:
    """The paying account: the funds office's account at its bank."""

    name: str
    account: str
    bank: str


@dataclass(frozen=True)
class Payment:
    """One credit transfer to a household's card (一卡一户); ``end_to_end_id`` names the grant."""

    end_to_end_id: str
    amount_fen: int
    creditor_name: str
    creditor_account: str
    creditor_bank: str
    remittance: str = ""


def _account(parent: etree._Element, tag: str, number: str, field: str) -> None:
    cleaned = number.replace(" ", "")
    if not 1 <= len(cleaned) <= 34 or xml_text(cleaned, 34) != cleaned:
        raise InvalidInput(
            "invalid-account", "an account number has 1 to 34 characters", "账号应为 1–34 位", field=field
        )
    W.sub(W.sub(W.sub(W.sub(parent, tag), "Id"), "Othr"), "Id", cleaned)


def _agent(parent: etree._Element, tag: str, bank: str) -> None:
    W.sub(W.sub(W.sub(parent, tag), "FinInstnId"), "Nm", xml_text(bank, 140))


def _check(payment: Payment, index: int) -> None:
    if (
        not 1 <= len(payment.end_to_end_id) <= 35
        or xml_text(payment.end_to_end_id, 35) != payment.end_to_end_id
    ):
        raise InvalidInput(
            "invalid-end-to-end-id",
            "EndToEndId has 1 to 35 characters",
            "EndToEndId 应为 1–35 位",
            field=f"payments[{index}].end_to_end_id",
        )
    if payment.amount_fen <= 0:
        raise InvalidInput(
            "amount-not-positive",
            "a payment must be positive",
            "付款金额必须大于零",
            field=f"payments[{index}].amount_fen",
        )


def _transaction(payment: Payment, index: int) -> etree._Element:
    _check(payment, index)
    tx = W.element("CdtTrfTxInf")
    W.sub(W.sub(tx, "PmtId"), "EndToEndId", payment.end_to_end_id)
    amount = W.sub(W.sub(tx, "Amt"), "InstdAmt", fen_to_yuan(payment.amount_fen))
    amount.set("Ccy", CURRENCY)
    _agent(tx, "CdtrAgt", payment.creditor_bank)
    W.sub(W.sub(tx, "Cdtr"), "Nm", xml_text(payment.creditor_name, 140))
    _account(tx, "CdtrAcct", payment.creditor_account, f"payments[{index}].creditor_account")
    if payment.remittance:
        W.sub(W.sub(tx, "RmtInf"), "Ustrd", xml_text(payment.remittance, 140))
    return tx


def build_pain001(
    msg_id: str,
    created_at: datetime,
    debtor: Debtor,
    payments: Iterable[Payment],
    execution_date: date | None = None,
) -> bytes:
    """The pain.001.001.09 document paying ``payments``; NbOfTxs and CtrlSum computed from them."""
    items = list(payments)
    if not items:
        raise InvalidInput(
            "empty-batch",
            "a payment file needs at least one payment",
            "付款文件至少需要一笔付款",
            field="payments",
        )
    if not 1 <= len(msg_id) <= 35:
        raise InvalidInput(
            "invalid-msg-id", "MsgId has 1 to 35 characters", "MsgId 应为 1–35 位", field="msg_id"
        )
    count, total = str(len(items)), fen_to_yuan(sum(p.amount_fen for p in items))
    out = io.BytesIO()
    with W.document(out, "CstmrCdtTrfInitn") as xf:
        header = W.group_header(msg_id, created_at)
        W.sub(header, "NbOfTxs", count)
        W.sub(header, "CtrlSum", total)
        W.sub(W.sub(header, "InitgPty"), "Nm", xml_text(debtor.name, 140))
        xf.write(header)
        with xf.element(W.q("PmtInf")):
            head = W.element("PmtInf")
            W.sub(head, "PmtInfId", msg_id)
            W.sub(head, "PmtMtd", "TRF")
            W.sub(head, "NbOfTxs", count)
            W.sub(head, "CtrlSum", total)
            W.sub(W.sub(head, "ReqdExctnDt"), "Dt", (execution_date or created_at.date()).isoformat())
            W.sub(W.sub(head, "Dbtr"), "Nm", xml_text(debtor.name, 140))
            _account(head, "DbtrAcct", debtor.account, "debtor.account")
            _agent(head, "DbtrAgt", debtor.bank)
            W.write_children(xf, head)
            for index, payment in enumerate(items):
                xf.write(_transaction(payment, index))
    return out.getvalue()


def load_schema() -> etree.XMLSchema:
    """The pain.001.001.09 XSD shipped with this package (for tests and a self-check)."""
    data = resources.files("funds.domain.iso20022").joinpath(XSD_NAME).read_bytes()
    return etree.XMLSchema(etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True)))
