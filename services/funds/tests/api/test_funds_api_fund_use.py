"""The public fund-use report (资金公开) names each line's program, as villagers read it on the board."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from funds.domain.iso20022.ids import end_to_end_id
from funds.domain.iso20022.pain002 import TxStatus, build_pain002
from funds.testing import industry_program

FundsApi = Any  # the ``with_budget`` fixture (api/conftest.py)
CHABA = "510822104000"
LUCHANG = "510822104201"


async def test_a_paid_line_carries_the_program_name_next_to_its_id(with_budget: FundsApi) -> None:
    api = with_budget
    await api.lock_in("hh-1")
    grant = await api.approved_grant("hh-1", details={"industries": ["breeding"]})
    batch = await api.ok(
        "funds",
        "/api/v1/batches",
        {
            "program_id": "industry-2026",
            "period": "2026",
            "division_code": CHABA,
            "payments_count": 1,
            "total_fen": 300_000,
            "reason": "first batch",
        },
    )
    accepted = [TxStatus(end_to_end_id(grant["id"]), "accepted")]
    paid = build_pain002("BANK-1", datetime(2026, 3, 20, tzinfo=UTC), batch["message_id"], accepted)
    await api.ok("funds", f"/api/v1/batches/{batch['id']}/bank-report", paid, 200)

    r = await api.client.get("/api/v1/public/fund-use", params={"division": CHABA})
    assert r.status_code == 200, r.text
    assert r.json()["items"] == [
        {
            "division_code": LUCHANG,
            "program_id": "industry-2026",
            "program_name": industry_program()["name"],
            "period": "2026",
            "households_paid": 1,
            "paid_fen": 300_000,
            "returned_fen": 0,
        }
    ]
