"""pain.002 status reports and camt.054 returns: round trips, status codes, malformed and hostile input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from funds.domain.iso20022.camt054 import Reversal, build_camt054, parse_camt054
from funds.domain.iso20022.pain002 import TxStatus, build_pain002, parse_pain002
from jzkit.errors import InvalidInput

NOW = datetime(2026, 7, 3, 9, 0, tzinfo=UTC)
E1, E2, E3 = "a" * 32, "b" * 32, "c" * 32
P002 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"


def _report(body: str, group: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{P002}"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>R1</MsgId><CreDtTm>2026-07-03T09:00:00Z</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>B1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>{group}"
        f"</OrgnlGrpInfAndSts>{body}</CstmrPmtStsRpt></Document>"
    ).encode()


def _tx(e2e: str, status: str = "", reason: str = "") -> str:
    sts = f"<TxSts>{status}</TxSts>" if status else ""
    rsn = (
        f"<StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn><AddtlInf>账户已销户</AddtlInf></StsRsnInf>"
        if reason
        else ""
    )
    return f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId>{sts}{rsn}</TxInfAndSts>"


def _info(*txs: str, status: str = "") -> str:
    sts = f"<PmtInfSts>{status}</PmtInfSts>" if status else ""
    return f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>B1</OrgnlPmtInfId>{sts}{''.join(txs)}</OrgnlPmtInfAndSts>"


def test_pain002_round_trip() -> None:
    statuses = [
        TxStatus(E1, "accepted"),
        TxStatus(E2, "rejected", "AC04", "closed <account> & more"),
        TxStatus(E3, "pending"),
    ]
    report = parse_pain002(build_pain002("R1", NOW, "B1", statuses))
    assert (report.msg_id, report.original_msg_id, report.group_status) == ("R1", "B1", None)
    assert report.statuses == statuses


@pytest.mark.parametrize(
    ("code", "state"),
    [
        ("ACSC", "accepted"),
        ("ACCP", "accepted"),
        ("ACWC", "accepted"),
        ("RJCT", "rejected"),
        ("PDNG", "pending"),
        ("ACSP", "pending"),
    ],
)
def test_status_codes(code: str, state: str) -> None:
    report = parse_pain002(_report(_info(_tx(E1, code))))
    assert report.statuses[0].status == state


def test_group_status_applies_to_every_transaction_without_its_own() -> None:
    group = "<GrpSts>RJCT</GrpSts><StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf>"
    report = parse_pain002(_report("", group))
    resolved = report.resolve([E1, E2])
    assert {e: (s.status, s.reason_code) for e, s in resolved.items()} == {
        E1: ("rejected", "AM04"),
        E2: ("rejected", "AM04"),
    }
    mixed = parse_pain002(
        _report(
            _info(_tx(E1, "ACSC")),
            "<GrpSts>ACCP</GrpSts>",
        )
    )
    assert {e: s.status for e, s in mixed.resolve([E1, E2]).items()} == {E1: "accepted", E2: "accepted"}
    partial = parse_pain002(
        _report(
            _info(_tx(E1, "RJCT", "AC04")),
            "<GrpSts>PART</GrpSts>",
        )
    )
    assert partial.group_status is None
    assert list(partial.resolve([E1, E2])) == [E1]
    assert partial.statuses[0].reason_text == "账户已销户"


def test_payment_information_status_applies_to_its_transactions() -> None:
    body = _info(_tx(E1), _tx(E2, "RJCT"), status="ACSC")
    report = parse_pain002(_report(body))
    assert [(s.end_to_end_id, s.status) for s in report.statuses] == [(E1, "accepted"), (E2, "rejected")]


@pytest.mark.parametrize(
    ("xml", "field"),
    [
        (b"not xml at all", "Document"),
        (b"<Document xmlns='urn:other'/>", "Document"),
        (_report(_info(_tx(E1))), "TxSts"),
        (_report(_info(_tx(E1, "WHAT"))), "TxSts"),
        (_report(_info(_tx("", "ACSC"))), "OrgnlEndToEndId"),
        (
            _report(_info(_tx(E1, "ACSC"), _tx(E1, "RJCT"))),
            "OrgnlEndToEndId",
        ),
        (_report("", "<GrpSts>NOPE</GrpSts>"), "GrpSts"),
        (_report("").replace(b"<OrgnlMsgId>B1</OrgnlMsgId>", b""), "OrgnlMsgId"),
        (_report("").replace(b"<MsgId>R1</MsgId>", b""), "MsgId"),
        (_report("")[:-20], "Document"),
    ],
)
def test_malformed_pain002_names_the_element(xml: bytes, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_pain002(xml)
    assert caught.value.field == field and caught.value.status == 422


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt><GrpHdr><MsgId>&xxe;</MsgId>
</GrpHdr></CstmrPmtStsRpt></Document>"""
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">&lol9;</Document>'
)


@pytest.mark.parametrize("xml", [XXE, LAUGHS, XXE.decode().encode("utf-16")])
@pytest.mark.parametrize("parser", [parse_pain002, parse_camt054])
def test_entities_and_dtds_are_refused(xml: bytes, parser: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        parser(xml)  # type: ignore[operator]
    assert caught.value.field in {"DOCTYPE", "Document"}


def test_camt054_round_trip() -> None:
    reversals = [Reversal(E1, 200000, "AC04", NOW), Reversal(E2, 36001, None, NOW)]
    xml = build_camt054("N1", NOW, "6228480000000001", reversals, "账户已销户 <closed>")
    assert parse_camt054(xml) == reversals


def _notification(entry: str) -> bytes:
    return (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>'
        "<GrpHdr><MsgId>N1</MsgId><CreDtTm>2026-07-03T09:00:00Z</CreDtTm></GrpHdr>"
        f"<Ntfctn><Id>N1</Id>{entry}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def test_camt054_reversal_indicator_entry_amount_and_booking_date() -> None:
    entry = (
        '<Ntry><Amt Ccy="CNY">360.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd>'
        "<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-07-04</Dt></BookgDt>"
        f"<NtryDtls><TxDtls><Refs><EndToEndId>{E3}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>"
        '<Ntry><Amt Ccy="CNY">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
        "<BookgDt><Dt>2026-07-04</Dt></BookgDt><NtryDtls><TxDtls><Refs><EndToEndId>fee</EndToEndId></Refs>"
        "</TxDtls></NtryDtls></Ntry>"
    )
    assert parse_camt054(_notification(entry)) == [
        Reversal(E3, 36000, None, datetime(2026, 7, 4, tzinfo=UTC))
    ]


CNY_1 = '<Amt Ccy="CNY">1.00</Amt>'
BOOKED = "<BookgDt><Dt>2026-07-04</Dt></BookgDt>"
RETURNED_X = "<TxDtls><Refs><EndToEndId>x</EndToEndId></Refs><RtrInf/></TxDtls>"


def _entry(amount: str = CNY_1, booked: str = BOOKED, details: str = RETURNED_X) -> str:
    return f"<Ntry>{amount}{booked}<NtryDtls>{details}</NtryDtls></Ntry>"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (_entry(amount='<Amt Ccy="USD">1.00</Amt>'), "Amt"),
        (_entry(amount='<Amt Ccy="CNY">1.001</Amt>'), "Amt"),
        (_entry(amount='<Amt Ccy="CNY">-1.00</Amt>'), "Amt"),
        (_entry(booked=""), "BookgDt"),
        (_entry(booked="<BookgDt><Dt>July</Dt></BookgDt>"), "BookgDt"),
        (_entry(details="<TxDtls><RtrInf/></TxDtls>"), "EndToEndId"),
        (_entry(amount="", details=RETURNED_X + "<TxDtls><RtrInf/></TxDtls>"), "Amt"),
    ],
)
def test_malformed_camt054_names_the_element(entry: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_camt054(_notification(entry))
    assert caught.value.field == field


def test_a_hundred_thousand_statuses_parse() -> None:
    statuses = [
        TxStatus(f"{i:032x}", "rejected" if i % 10 == 0 else "accepted", "AC04" if i % 10 == 0 else None)
        for i in range(100_000)
    ]
    report = parse_pain002(build_pain002("R-BIG", NOW, "B-BIG", statuses))
    assert len(report.statuses) == 100_000
    assert sum(s.status == "rejected" for s in report.statuses) == 10_000
