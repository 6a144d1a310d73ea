"""Import templates and exports through the registry app in embedded mode (SQLite file, in-process bus)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook

from registry.domain.household import HouseholdDraft
from registry.exports.rows import from_draft, sheet_rows
from registry.exports.sheets import csv_bytes
from registry.imports.columns import LABELS
from registry.synth import Synthesizer

Registry = Any  # the ``registry`` fixture (api/conftest.py): the app's client, its database, importing
Auth = Callable[[str], dict[str, str]]  # the ``auth`` fixture (conftest.py)


@pytest.fixture
def registry_overrides() -> dict[str, Any]:
    return {"export_page_households": 2}  # several pages even for a handful of households


def drafts(count: int, seed: int) -> list[HouseholdDraft]:
    return list(Synthesizer(seed=seed).households(count, [("510822104201", "炉场村")]))


def household_csv(households: list[HouseholdDraft]) -> bytes:
    rows = [row for i, h in enumerate(households, start=1) for row in sheet_rows(from_draft(f"H{i}", h))]
    return csv_bytes(rows, with_header=True)


async def test_templates_round_trip_through_import(registry: Registry, auth: Auth) -> None:
    for suffix, media in (("csv", "text/csv"), ("xlsx", "spreadsheetml")):
        response = await registry.client.get(f"/api/v1/imports/template.{suffix}", headers=auth("clerk"))
        assert response.status_code == 200 and media in response.headers["content-type"]
        job = await registry.run_import("clerk", f"template.{suffix}", response.content)
        assert job["status"] == "succeeded" and job["counts"]["errors"] == 0
        expected = 1 if suffix == "csv" else 0  # the second template holds the same household
        assert job["counts"]["households_created"] == expected
    csv_template = (await registry.client.get("/api/v1/imports/template.csv", headers=auth("clerk"))).content
    assert csv_template.startswith("\ufeff户编号,".encode())
    assert csv_template.decode("utf-8-sig").count("\r\n") == 2  # header and one example row
    book = load_workbook(
        io.BytesIO(
            (await registry.client.get("/api/v1/imports/template.xlsx", headers=auth("clerk"))).content
        )
    )
    assert [c.value for c in book.worksheets[0][1]] == list(LABELS)
    assert book.worksheets[1].title == "填写说明"


async def _seed_for_export(registry: Registry) -> HouseholdDraft:
    household = drafts(1, seed=61)[0]
    head = household.members[0].model_copy(update={"name": '=HYPERLINK("http://x")'})
    household = household.model_copy(update={"address": "-1组", "members": [head, *household.members[1:]]})
    await registry.run_import("township", "seed.csv", household_csv([household]))
    return household


async def test_export_masks_numbers_by_role_and_neutralises_formulas(registry: Registry, auth: Auth) -> None:
    household = await _seed_for_export(registry)
    head_id = household.members[0].id_number
    clerk = await registry.client.get("/api/v1/exports/households.csv", headers=auth("clerk"))
    assert clerk.status_code == 200 and clerk.content.startswith(b"\xef\xbb\xbf")
    text = clerk.content.decode("utf-8-sig")
    assert head_id not in text and f"{head_id[:4]}**********{head_id[-4:]}" in text
    assert "'=HYPERLINK" in text and "'-1组" in text
    county = (
        await registry.client.get("/api/v1/exports/households.csv", headers=auth("county"))
    ).content.decode("utf-8-sig")
    assert head_id in county  # county approvers check identities
    if household.bank_account is not None:
        account = household.bank_account.account_number
        assert account not in county
        funds = (
            await registry.client.get("/api/v1/exports/households.csv", headers=auth("funds"))
        ).content.decode("utf-8-sig")
        assert account in funds and head_id not in funds
    xlsx = await registry.client.get("/api/v1/exports/households.xlsx", headers=auth("clerk"))
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == list(LABELS)
    assert any(v == '\'=HYPERLINK("http://x")' for row in values for v in row)


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
async def test_export_by_an_allowed_role_reimports_unchanged(
    registry: Registry, auth: Auth, suffix: str
) -> None:
    await _seed_for_export(registry)  # a formula-like name and address survive the round trip
    await registry.run_import("township", "a.csv", household_csv(drafts(4, seed=71)))
    exported = await registry.client.get(f"/api/v1/exports/households.{suffix}", headers=auth("admin"))
    job = await registry.run_import("admin", f"export.{suffix}", exported.content)
    assert job["counts"] == {
        "households_created": 0,
        "households_unchanged": 5,
        "households_rejected": 0,
        "errors": 0,
    }


async def test_export_is_limited_to_the_jurisdiction_and_filters(registry: Registry, auth: Auth) -> None:
    await registry.run_import("township", "a.csv", household_csv(drafts(2, seed=81)))
    other = await registry.client.get("/api/v1/exports/households.csv", headers=auth("township2"))
    assert other.content.decode("utf-8-sig").count("\r\n") == 1  # header only
    refused = await registry.client.get(
        "/api/v1/exports/households.csv", params={"division": "510822104000"}, headers=auth("township2")
    )
    assert refused.status_code == 403
    none = await registry.client.get(
        "/api/v1/exports/households.csv", params={"status": "poor"}, headers=auth("county")
    )
    assert none.content.decode("utf-8-sig").count("\r\n") == 1
