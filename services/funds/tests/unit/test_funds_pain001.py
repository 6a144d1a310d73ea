"""pain.001.001.09 files: valid against the XSD, totals right, hostile text escaped, 100k build."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from funds.domain.iso20022.ids import end_to_end_id, grant_id_from_end_to_end
from funds.domain.iso20022.pain001 import NS, Debtor, Payment, build_pain001, load_schema
from funds.domain.money import fen_to_yuan, yuan_to_fen
from jzkit.errors import InvalidInput
from jzkit.ids import new_id

SCHEMA = load_schema()
DEBTOR = Debtor(name="青川县财政局扶贫资金专户", account="6228480000000001", bank="中国农业银行青川支行")
CREATED = datetime(2026, 7, 1, 8, 30, 15, 123456, tzinfo=UTC)
X = {"p": NS}


def _payment(index: int, amount_fen: int = 200000, name: str = "王大山") -> Payment:
    return Payment(
        end_to_end_id=end_to_end_id(new_id()),
        amount_fen=amount_fen,
        creditor_name=name,
        creditor_account=f"6230{index:012d}",
        creditor_bank="四川省农村信用社",
        remittance="产业到户补助 2026",
    )


def _parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml, etree.XMLParser(huge_tree=True, resolve_entities=False))


def test_file_is_valid_and_totals_match() -> None:
    payments = [_payment(i, amount) for i, amount in enumerate([200000, 36000, 75616, 1])]
    xml = build_pain001("B-2026-0001", CREATED, DEBTOR, payments, date(2026, 7, 2))
    doc = _parse(xml)
    assert SCHEMA.validate(doc), SCHEMA.error_log
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=X) == "4"
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=X) == "3116.17"
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm", namespaces=X) == "2026-07-01T08:30:15Z"
    assert doc.findtext("p:CstmrCdtTrfInitn/p:PmtInf/p:NbOfTxs", namespaces=X) == "4"
    assert doc.findtext("p:CstmrCdtTrfInitn/p:PmtInf/p:CtrlSum", namespaces=X) == "3116.17"
    assert doc.findtext("p:CstmrCdtTrfInitn/p:PmtInf/p:ReqdExctnDt/p:Dt", namespaces=X) == "2026-07-02"
    txs = doc.findall(".//p:CdtTrfTxInf", namespaces=X)
    assert [t.findtext("p:PmtId/p:EndToEndId", namespaces=X) for t in txs] == [
        p.end_to_end_id for p in payments
    ]
    amounts = [t.find("p:Amt/p:InstdAmt", namespaces=X) for t in txs]
    assert [(a.get("Ccy"), a.text) for a in amounts if a is not None] == [
        ("CNY", "2000.00"),
        ("CNY", "360.00"),
        ("CNY", "756.16"),
        ("CNY", "0.01"),
    ]
    assert sum(Decimal(a.text or "0") for a in amounts if a is not None) == Decimal("3116.17")


def test_hostile_names_are_escaped_and_the_file_stays_valid() -> None:
    hostile = '</Nm></Cdtr><Cdtr><Nm>Mallory & "co" \x00\x1b\ud800' + "长" * 200
    xml = build_pain001("B1", CREATED, DEBTOR, [_payment(1, name=hostile)])
    doc = _parse(xml)
    assert SCHEMA.validate(doc), SCHEMA.error_log
    names = doc.findall(".//p:Cdtr/p:Nm", namespaces=X)
    assert len(names) == 1
    text = names[0].text or ""
    assert text.startswith('</Nm></Cdtr><Cdtr><Nm>Mallory & "co" ???') and len(text) == 140
    assert b"<Cdtr><Nm>&lt;/Nm&gt;" in xml


@pytest.mark.parametrize(
    ("payment", "field"),
    [
        (Payment("x" * 36, 100, "a", "6230", "b"), "payments[0].end_to_end_id"),
        (Payment("", 100, "a", "6230", "b"), "payments[0].end_to_end_id"),
        (Payment("e2e", 0, "a", "6230", "b"), "payments[0].amount_fen"),
        (Payment("e2e", 100, "a", "6" * 35, "b"), "payments[0].creditor_account"),
        (Payment("e2e", 100, "a", "", "b"), "payments[0].creditor_account"),
    ],
)
def test_bad_payments_are_refused(payment: Payment, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        build_pain001("B1", CREATED, DEBTOR, [payment])
    assert caught.value.field == field


def test_empty_batch_and_bad_message_id_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        build_pain001("B1", CREATED, DEBTOR, [])
    assert caught.value.field == "payments"
    with pytest.raises(InvalidInput) as caught:
        build_pain001("M" * 36, CREATED, DEBTOR, [_payment(1)])
    assert caught.value.field == "msg_id"
    with pytest.raises(ValueError):
        build_pain001("B1", datetime(2026, 1, 1), DEBTOR, [_payment(1)])


def test_end_to_end_id_round_trips_a_grant_id() -> None:
    grant_id = new_id()
    e2e = end_to_end_id(grant_id)
    assert len(e2e) == 32 and grant_id_from_end_to_end(e2e) == grant_id
    assert grant_id_from_end_to_end(e2e.upper()) == grant_id
    with pytest.raises(InvalidInput):
        grant_id_from_end_to_end("not-a-grant")
    with pytest.raises(ValueError):
        end_to_end_id("nope")


def test_money_strings() -> None:
    assert [fen_to_yuan(v) for v in (0, 1, 10, 123456, -5)] == ["0.00", "0.01", "0.10", "1234.56", "-0.05"]
    assert yuan_to_fen("1234.5", "Amt") == 123450 and yuan_to_fen(" 7 ", "Amt") == 700
    for bad in ("1.001", "abc", "NaN", ""):
        with pytest.raises(InvalidInput):
            yuan_to_fen(bad, "Amt")


def test_a_hundred_thousand_payments_build_into_one_valid_file() -> None:
    count = 100_000
    payments = (
        Payment(f"{index:032x}", 200000 + index % 7, "户主", f"6230{index:012d}", "农村信用社")
        for index in range(count)
    )
    xml = build_pain001("BENCH-1", CREATED, DEBTOR, payments)
    doc = _parse(xml)
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=X) == str(count)
    expected = sum(200000 + i % 7 for i in range(count))
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=X) == fen_to_yuan(expected)
    assert len(doc.findall(".//p:CdtTrfTxInf", namespaces=X)) == count
    assert SCHEMA.validate(doc), SCHEMA.error_log
