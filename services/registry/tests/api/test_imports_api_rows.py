"""Importing households through the API: what a valid file creates, row errors, CSV encodings and XLSX."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jzkit.db import make_engine, make_session_factory
from registry import repository
from registry.events.publish import household_facts
from registry.exports.sheets import csv_bytes
from registry.imports.columns import LABELS

Registry = Any  # the ``registry`` fixture (api/conftest.py): the app's client, its database, importing
Helper = Callable[..., Any]  # ``auth`` (conftest.py), ``drafts``, ``file_rows``, ``csv_file``, ``xlsx_file``


async def test_valid_file_creates_households_and_one_event_each(
    registry: Registry, auth: Helper, drafts: Helper, file_rows: Helper
) -> None:
    households = drafts(6)
    job = await registry.run_import(
        "clerk", "households.csv", csv_bytes(file_rows(households), with_header=True)
    )
    assert job["status"] == "succeeded"
    assert job["counts"] == {
        "households_created": 6,
        "households_unchanged": 0,
        "households_rejected": 0,
        "errors": 0,
    }
    members = sum(len(h.members) for h in households)
    assert job["progress"] == {"processed_rows": members, "total_rows": members, "percent": 100.0}
    assert job["file"]["format"] == "csv"
    assert await registry.count("households") == 6
    assert await registry.count("members") == members
    events = await registry.rows(
        "SELECT payload FROM outbox WHERE event_type = 'registry.household.registered'"
    )
    assert len(events) == 6
    listed = (await registry.client.get("/api/v1/households", headers=auth("township"))).json()["items"]
    assert sorted(h["address"] for h in listed) == sorted(h.address for h in households)
    # The bulk path's event snapshot is what household_facts builds from the stored rows.
    engine = make_engine(registry.url)
    async with make_session_factory(engine)() as session:
        for (payload,) in events:
            facts = json.loads(payload)["data"]["household"]
            stored = await repository.get_household(session, facts["household_id"])
            assert stored is not None
            rows = await repository.get_members(session, stored.id)
            expected = household_facts(stored, rows).model_dump(mode="json")
            assert sorted(facts.pop("members"), key=str) == sorted(expected.pop("members"), key=str)
            assert facts == expected
    await engine.dispose()
    assert list(registry.import_dir.iterdir()) == []  # the personal data in the file is not kept


async def test_invalid_rows_are_reported_and_valid_households_still_commit(
    registry: Registry, drafts: Helper, file_rows: Helper, csv_file: Helper
) -> None:
    households = drafts(5)
    rows = file_rows(households)
    col = {label: i for i, label in enumerate(LABELS)}
    first_rows = {r[0]: n for n, r in reversed(list(enumerate(rows, start=2)))}
    rows[first_rows["H2"] - 2][col["家庭年纯收入(元)"]] = "6000.123"
    rows[first_rows["H4"] - 2][col["性别"]] = "未知"
    job = await registry.run_import("clerk", "mixed.csv", csv_file(rows))
    assert job["status"] == "succeeded"
    assert job["counts"]["households_created"] == 3
    assert job["counts"]["households_rejected"] == 2
    own = [e for e in job["errors"] if e["code"] != "household-rejected"]
    assert {(e["row"], e["column"], e["code"]) for e in own} >= {
        (first_rows["H2"], "家庭年纯收入(元)", "invalid-amount"),
        (first_rows["H4"], "性别", "invalid-choice"),
    }
    income = next(e for e in own if e["code"] == "invalid-amount")
    assert income["field"] == "annual_net_income_fen"
    assert income["message"] == income["message_zh"] and income["message_en"]
    rejected_rows = {e["row"] for e in job["errors"]}
    h2_rows = {n for n, r in enumerate(rows, start=2) if r[0] == "H2"}
    assert h2_rows <= rejected_rows  # whole households only: every row of H2 is reported
    assert await registry.count("households") == 3


async def test_row_errors_are_paginated(
    registry: Registry, auth: Helper, drafts: Helper, file_rows: Helper, csv_file: Helper
) -> None:
    rows = file_rows(drafts(3))
    for row in rows:
        row[1] = "5108221042"  # not a 12-digit code
    job = await registry.run_import("clerk", "bad.csv", csv_file(rows))
    assert job["counts"]["households_rejected"] == 3
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await registry.client.get(
            f"/api/v1/jobs/{job['id']}/errors", params=params, headers=auth("clerk")
        )
        assert page.status_code == 200
        seen += [e["row"] for e in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == job["counts"]["errors"] == len(rows)
    assert seen == sorted(seen)


async def test_gbk_and_utf8_bom_csv_both_import(
    registry: Registry, drafts: Helper, file_rows: Helper, csv_file: Helper
) -> None:
    gbk = await registry.run_import("clerk", "gbk.csv", csv_file(file_rows(drafts(2, seed=21)), "gbk"))
    bom = await registry.run_import("clerk", "bom.csv", csv_file(file_rows(drafts(2, seed=22)), "utf-8-sig"))
    assert gbk["file"]["encoding"] == "gb18030" and gbk["counts"]["households_created"] == 2
    assert bom["file"]["encoding"] == "utf-8-sig" and bom["counts"]["households_created"] == 2


async def test_xlsx_imports(registry: Registry, drafts: Helper, file_rows: Helper, xlsx_file: Helper) -> None:
    job = await registry.run_import("clerk", "households.xlsx", xlsx_file(file_rows(drafts(3, seed=31))))
    assert job["file"]["format"] == "xlsx"
    assert job["counts"]["households_created"] == 3
    assert list(registry.import_dir.iterdir()) == []  # neither the workbook nor its CSV spool is kept
