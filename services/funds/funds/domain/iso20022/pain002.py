"""ISO 20022 pain.002 payment status reports: parse the bank's, and build them to play the bank in tests.

Status codes: ACSC/ACCP/ACWC → accepted (money credited or certain to be), RJCT → rejected,
PDNG/ACTC/RCVD/ACSP/ACFC/ACWP → pending (not final: nothing changes yet). A group status
(GrpSts) or payment-information status (PmtInfSts) applies to every transaction that carries
no status of its own; PART (partly accepted) says nothing about any one transaction.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from lxml import etree

from funds.domain.iso20022.text import Reader, malformed, parse_safely, xml_text
from funds.domain.iso20022.writer import Writer

NS = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
TxState = Literal["accepted", "rejected", "pending"]
CODES: dict[str, TxState] = {
    "ACSC": "accepted",
    "ACCP": "accepted",
    "ACWC": "accepted",
    "RJCT": "rejected",
    "PDNG": "pending",
    "ACTC": "pending",
    "RCVD": "pending",
    "ACSP": "pending",
    "ACFC": "pending",
    "ACWP": "pending",
}
W = Writer(NS)
_BUILD_CODE: dict[TxState, str] = {"accepted": "ACSC", "rejected": "RJCT", "pending": "PDNG"}


@dataclass(frozen=True)
class TxStatus:
    """The bank's word on one transaction (matched to the grant by ``end_to_end_id``)."""

    end_to_end_id: str
    status: TxState
    reason_code: str | None = None
    reason_text: str | None = None


@dataclass(frozen=True)
class StatusReport:
    """A parsed pain.002: which batch file it answers and the transactions' statuses."""

    msg_id: str
    original_msg_id: str
    group_status: TxState | None
    group_reason_code: str | None
    statuses: list[TxStatus]

    def resolve(self, end_to_end_ids: Iterable[str]) -> dict[str, TxStatus]:
        """The status of each of ``end_to_end_ids``: its own, else the group's; absent when neither."""
        own = {s.end_to_end_id: s for s in self.statuses}
        result: dict[str, TxStatus] = {}
        for e2e in end_to_end_ids:
            if e2e in own:
                result[e2e] = own[e2e]
            elif self.group_status is not None:
                result[e2e] = TxStatus(e2e, self.group_status, self.group_reason_code)
        return result


def _state(code: str | None, element: str) -> TxState | None:
    if code is None or code == "PART":
        return None
    if code not in CODES:
        raise malformed(element, f"unknown status code {code!r}")
    return CODES[code]


def _reason(r: Reader, parent: etree._Element) -> tuple[str | None, str | None]:
    info = r.first(parent, "StsRsnInf")
    if info is None:
        return None, None
    code = r.opt(info, "Rsn/Cd") or r.opt(info, "Rsn/Prtry")
    texts = [(e.text or "").strip() for e in r.all(info, "AddtlInf")]
    return code, " ".join(t for t in texts if t) or None


def parse_pain002(xml: bytes) -> StatusReport:
    """Parse a pain.002 status report (any pain.002 version); malformed input names the element."""
    root = parse_safely(xml, "urn:iso:std:iso:20022:tech:xsd:pain.002.")
    r = Reader(root)
    report = r.required(root, "CstmrPmtStsRpt")
    msg_id = r.text(report, "GrpHdr/MsgId")
    group = r.required(report, "OrgnlGrpInfAndSts")
    original = r.text(group, "OrgnlMsgId")
    group_status = _state(r.opt(group, "GrpSts"), "GrpSts")
    group_reason, _ = _reason(r, group)
    statuses: dict[str, TxStatus] = {}
    for info in r.all(report, "OrgnlPmtInfAndSts"):
        info_status = _state(r.opt(info, "PmtInfSts"), "PmtInfSts") or group_status
        for tx in r.all(info, "TxInfAndSts"):
            e2e = r.text(tx, "OrgnlEndToEndId")
            state = _state(r.opt(tx, "TxSts"), "TxSts") or info_status
            if state is None:
                raise malformed("TxSts", f"no status for {e2e}")
            code, text = _reason(r, tx)
            status = TxStatus(e2e, state, code, text)
            if e2e in statuses and statuses[e2e] != status:
                raise malformed("OrgnlEndToEndId", f"{e2e} has two different statuses")
            statuses[e2e] = status
    return StatusReport(msg_id, original, group_status, group_reason, list(statuses.values()))


def build_pain002(
    msg_id: str,
    created_at: datetime,
    original_msg_id: str,
    statuses: Iterable[TxStatus],
    group_status: TxState | None = None,
) -> bytes:
    """A pain.002.001.10 report on ``original_msg_id`` (what the bank would send), streamed."""
    out = io.BytesIO()
    with W.document(out, "CstmrPmtStsRpt") as xf:
        xf.write(W.group_header(msg_id, created_at))
        group = W.element("OrgnlGrpInfAndSts")
        W.sub(group, "OrgnlMsgId", original_msg_id)
        W.sub(group, "OrgnlMsgNmId", "pain.001.001.09")
        if group_status is not None:
            W.sub(group, "GrpSts", _BUILD_CODE[group_status])
        xf.write(group)
        with xf.element(W.q("OrgnlPmtInfAndSts")):
            with xf.element(W.q("OrgnlPmtInfId")):
                xf.write(original_msg_id)
            for status in statuses:
                xf.write(_tx(status))
    return out.getvalue()


def _tx(status: TxStatus) -> etree._Element:
    tx = W.element("TxInfAndSts")
    W.sub(tx, "OrgnlEndToEndId", status.end_to_end_id)
    W.sub(tx, "TxSts", _BUILD_CODE[status.status])
    if status.reason_code or status.reason_text:
        info = W.sub(tx, "StsRsnInf")
        if status.reason_code:
            W.sub(W.sub(info, "Rsn"), "Cd", status.reason_code)
        if status.reason_text:
            W.sub(info, "AddtlInf", xml_text(status.reason_text, 105))
    return tx
