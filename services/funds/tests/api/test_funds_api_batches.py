"""Batches, the pain.001 file, bank reports (pain.002, camt.054), the ledger and the public report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from lxml import etree

from funds.domain.iso20022.camt054 import Reversal, build_camt054
from funds.domain.iso20022.ids import end_to_end_id
from funds.domain.iso20022.pain001 import load_schema
from funds.domain.iso20022.pain002 import TxStatus, build_pain002
from funds.testing import HOLDER_NAME

FundsApi = Any  # the ``with_budget`` fixture (api/conftest.py)
CHABA = "510822104000"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
AT = datetime(2026, 3, 20, tzinfo=UTC)


async def _three_approved(api: FundsApi) -> list[dict[str, Any]]:
    grants = []
    for n, industry in enumerate(["farming", "breeding", "processing"]):
        await api.lock_in(f"hh-{n}", card=f"62305200000{n:05d}")
        grants.append(await api.approved_grant(f"hh-{n}", details={"industries": [industry]}))
    return grants


async def _outbox_types(api: FundsApi) -> set[str]:
    async with api.app.state.runtime.sessions() as session:
        return set((await session.execute(sa.text("SELECT event_type FROM outbox"))).scalars())


def _batch_body(count: int, total: int) -> dict[str, Any]:
    return {
        "program_id": "industry-2026",
        "period": "2026",
        "division_code": CHABA,
        "payments_count": count,
        "total_fen": total,
        "reason": "first batch",
    }


async def test_control_totals_must_match_or_nothing_is_batched(with_budget: FundsApi) -> None:
    api = with_budget
    await _three_approved(api)
    r = await api.post("funds", "/api/v1/batches", _batch_body(3, 899_999))
    assert r.status_code == 422 and r.json()["field"] == "total_fen"
    r = await api.post("funds", "/api/v1/batches", _batch_body(2, 900_000))
    assert r.status_code == 422 and r.json()["field"] == "payments_count"
    assert (await api.post("township", "/api/v1/batches", _batch_body(3, 900_000))).status_code == 403
    assert {g["status"] for g in (await api.get("funds", "/api/v1/grants")).json()["items"]} == {"approved"}


async def test_a_batch_pays_reconciles_and_returns_exactly_once(with_budget: FundsApi) -> None:
    api = with_budget
    grants = await _three_approved(api)
    batch = await api.ok("funds", "/api/v1/batches", _batch_body(3, 900_000))
    assert batch["payments_by_status"] == {"pending": {"count": 3, "total_fen": 900_000}}

    r = await api.get("funds", f"/api/v1/batches/{batch['id']}/payment-file")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    doc = etree.fromstring(r.content)
    load_schema().assertValid(doc)
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "3"
    assert doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "9000.00"
    e2e = doc.xpath("//p:EndToEndId/text()", namespaces=NS)
    assert sorted(e2e) == sorted(end_to_end_id(g["id"]) for g in grants)
    assert "6230520000000001" in r.text
    assert doc.xpath("//p:Cdtr/p:Nm/text()", namespaces=NS) == [HOLDER_NAME] * 3  # the card holder, decrypted
    assert (await api.get("township", f"/api/v1/batches/{batch['id']}/payment-file")).status_code == 403

    ids = {g["household_id"]: end_to_end_id(g["id"]) for g in grants}
    report = build_pain002(
        "BANK-1",
        AT,
        batch["message_id"],
        [
            TxStatus(ids["hh-0"], "accepted"),
            TxStatus(ids["hh-1"], "accepted"),
            TxStatus(ids["hh-2"], "rejected", "AC04", "closed account"),
        ],
    )
    url = f"/api/v1/batches/{batch['id']}/bank-report"
    first = await api.ok("funds", url, report, 200)
    assert (first["applied"], first["duplicate"]) == (3, False)
    again = await api.ok("funds", url, report, 200)
    assert again["duplicate"] is True
    late = build_pain002("BANK-2", AT, batch["message_id"], [TxStatus(ids["hh-2"], "accepted")])
    assert (await api.ok("funds", url, late, 200))["applied"] == 0  # out of order: already failed
    got = await api.get("funds", f"/api/v1/batches/{batch['id']}")
    assert got.json()["payments_by_status"] == {
        "failed": {"count": 1, "total_fen": 400_000},
        "paid": {"count": 2, "total_fen": 500_000},
    }
    failed = (await api.get("funds", f"/api/v1/grants/{grants[2]['id']}")).json()
    assert failed["status"] == "failed"
    assert await api.invariants() == []

    assert await _outbox_types(api) >= {"funds.disbursed", "funds.disbursement.failed", "funds.batch.created"}

    camt = build_camt054("BANK-3", AT, "510822000000000001", [Reversal(ids["hh-0"], 200_000, "AC04", AT)])
    back = await api.ok("funds", url, camt, 200)
    assert back["applied"] == 1 and back["kind"] == "camt.054"
    assert (await api.ok("funds", url, camt, 200))["duplicate"] is True
    assert (await api.get("funds", f"/api/v1/grants/{grants[0]['id']}")).json()["status"] == "returned"
    assert (await api.get("funds", "/api/v1/roster/hh-0")).json()["card_update_required"] is True
    own = (await api.get("funds", "/api/v1/grants", household_id="hh-0")).json()["items"]
    assert [g["id"] for g in own] == [grants[0]["id"]]
    paid_then_returned = (await api.get("funds", "/api/v1/payments", household_id="hh-0")).json()["items"]
    assert [(p["grant_id"], p["status"]) for p in paid_then_returned] == [(grants[0]["id"], "returned")]
    assert "account_ciphertext" not in paid_then_returned[0]
    assert paid_then_returned[0]["account_masked"].count("*") >= 4
    failed_payments = (await api.get("funds", "/api/v1/payments", household_id="hh-2")).json()["items"]
    assert [(p["status"], p["bank_reason"]) for p in failed_payments] == [("failed", "AC04")]
    assert await api.invariants() == []

    # A failed grant is retried in a later batch: a second attempt, the money reserved again.
    await api.ok("funds", f"/api/v1/grants/{grants[2]['id']}/transitions", {"action": "retry"}, 200)
    second = await api.ok("funds", "/api/v1/batches", _batch_body(1, 400_000))
    ok = build_pain002("BANK-4", AT, second["message_id"], [TxStatus(ids["hh-2"], "accepted")])
    assert (await api.ok("funds", f"/api/v1/batches/{second['id']}/bank-report", ok, 200))["applied"] == 1
    assert await api.invariants() == []

    public = await api.client.get("/api/v1/public/fund-use", params={"division": CHABA})
    assert public.status_code == 200
    (line,) = public.json()["items"]
    assert (line["households_paid"], line["paid_fen"], line["returned_fen"]) == (2, 700_000, 200_000)
    assert "6230" not in public.text

    accounts = (await api.get("auditor", "/api/v1/ledger/accounts")).json()["items"]
    paid = {a["account"]: a["balance_fen"] for a in accounts if a["account"].endswith(":paid")}
    assert sum(paid.values()) == 700_000
    key = next(iter(paid))
    entries = (await api.get("auditor", "/api/v1/ledger/entries", account=key)).json()["items"]
    assert {e["kind"] for e in entries} == {"payment", "return"}


async def test_a_report_for_another_batch_or_not_xml_is_refused(with_budget: FundsApi) -> None:
    api = with_budget
    await _three_approved(api)
    batch = await api.ok("funds", "/api/v1/batches", _batch_body(3, 900_000))
    url = f"/api/v1/batches/{batch['id']}/bank-report"
    other = build_pain002("BANK-9", AT, "JZ-other", [])
    assert (await api.post("funds", url, other)).json()["field"] == "OrgnlMsgId"
    r = await api.post("funds", url, b"<not-a-report/>")
    assert r.status_code == 422 and r.json()["field"] == "body"
