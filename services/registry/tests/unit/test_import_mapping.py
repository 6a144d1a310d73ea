"""File rows to households: grouping, the whole-file scan, row errors pointing at row and column, records."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from jzkit.auth import Principal, Role
from jzkit.pii import PiiCipher
from jzkit.settings import DEV_PII_KEY
from registry.domain.household import Flags, HouseholdDraft, Limits
from registry.events.publish import household_facts
from registry.exports.rows import from_draft, sheet_rows
from registry.imports.columns import BY_KEY, FLAG_KEYS, LABELS, read_header
from registry.imports.grouping import FileFacts, group_households, scan
from registry.imports.mapping import MappedHousehold, read_household
from registry.imports.records import member_values, new_household
from registry.imports.rules import ImportRules, check_rules
from registry.imports.template import example_household
from registry.models import Household, Member
from registry.service import member_row
from registry.synth import Synthesizer

HEADER = read_header(list(LABELS))
PII = PiiCipher(DEV_PII_KEY)
LIMITS = Limits(max_annual_income_fen=1_000_000_000, max_members=30)
VILLAGE = "510822104201"
LEVELS = {VILLAGE: "village", "510822104202": "village", "510822104000": "township"}


def rules(jurisdiction: str = "510822104000") -> ImportRules:
    principal = Principal(subject="t", role=Role.TOWNSHIP_REVIEWER, jurisdiction=jurisdiction)
    return ImportRules(principal=principal, division_levels=LEVELS, limits=LIMITS, today=date(2026, 6, 1))


def file_rows(count: int = 3, seed: int = 1) -> list[list[str]]:
    synth = Synthesizer(seed=seed)
    rows: list[list[str]] = []
    for i, draft in enumerate(synth.households(count, [(VILLAGE, "炉场村")]), start=1):
        rows.extend(sheet_rows(from_draft(f"H{i}", draft)))
    return rows


def col(key: str) -> int:
    return HEADER.index[key]


def mapped_first(rows: list[list[str]], facts: FileFacts | None = None) -> MappedHousehold:
    raw = next(group_households(rows, HEADER))
    mapped = read_household(raw, HEADER, facts or FileFacts())
    check_rules(mapped, rules())
    return mapped


def test_consecutive_rows_with_one_ref_form_a_household_and_blank_rows_are_skipped() -> None:
    rows = file_rows(2)
    blank = [""] * len(LABELS)
    households = list(group_households([rows[0], blank, *rows[1:]], HEADER))
    assert [h.ref for h in households] == ["H1", "H2"]
    assert households[0].first_row == 2
    # the blank row keeps its number: later rows are numbered as the spreadsheet shows them
    assert households[1].first_row > 3


def test_valid_rows_give_the_same_draft_the_api_would_take() -> None:
    draft = example_household()
    mapped = mapped_first(sheet_rows(from_draft("H1", draft)))
    assert mapped.errors == []
    assert mapped.draft is not None
    assert mapped.draft.model_dump() == draft.model_dump()


def test_household_columns_may_be_filled_on_one_row_only() -> None:
    rows = file_rows(1)
    for row in rows[1:]:
        for key in ("division_code", "address", "income", "housing"):
            row[col(key)] = ""
    assert mapped_first(rows).errors == []


def test_rows_of_a_household_that_disagree_are_an_error_at_the_disagreeing_row() -> None:
    rows = next(r for seed in range(20) if len(r := sheet_rows(from_draft("H1", _draft(seed)))) > 1)
    rows[1][col("address")] = "别处"
    mapped = mapped_first(rows)
    assert [(e.row, e.column, e.code) for e in mapped.errors] == [(3, "地址", "household-field-conflict")]


def _draft(seed: int) -> HouseholdDraft:
    return next(Synthesizer(seed=seed).households(1, [(VILLAGE, "炉场村")]))


def test_cell_errors_name_row_column_and_field() -> None:
    rows = file_rows(1)
    for row in rows:
        row[col("income")] = "12.345"
    rows[-1][col("relation")] = "邻居"
    mapped = mapped_first(rows)
    assert mapped.draft is None
    found = {(e.row, e.column, e.field, e.code) for e in mapped.errors}
    last = len(rows) + 1
    assert (2, "家庭年纯收入(元)", "annual_net_income_fen", "invalid-amount") in found
    assert (last, "与户主关系", f"members[{len(rows) - 1}].relation", "invalid-choice") in found


def test_domain_rule_errors_point_at_the_member_row() -> None:
    rows = file_rows(1)
    number = rows[0][col("id_number")]
    rows[0][col("id_number")] = number[:-1] + ("0" if number[-1] != "0" else "1")
    mapped = mapped_first(rows)
    assert [(e.row, e.column, e.code) for e in mapped.errors] == [(2, "身份证号", "invalid-id-number")]
    assert "校验码" in mapped.errors[0].message_zh


def test_second_head_is_refused_with_the_household() -> None:
    rows = file_rows(1)
    rows.append([*rows[0]])
    rows[-1][col("id_number")] = "510822198001011237"
    rows[-1][col("sex")] = "男"
    rows[-1][col("birth_date")] = ""
    mapped = mapped_first(rows)
    assert [e.code for e in mapped.errors] == ["head-count"]
    notes = mapped.rejection_notes()
    assert {n.row for n in notes} == set(mapped.rows) - {mapped.errors[0].row}
    assert all(n.code == "household-rejected" for n in notes)


def test_bank_details_must_be_complete() -> None:
    rows = sheet_rows(from_draft("H1", example_household()))
    rows[0][col("bank")] = ""
    mapped = mapped_first(rows)
    assert [(e.column, e.code) for e in mapped.errors] == [("开户银行", "incomplete-bank-account")]


def test_village_outside_the_jurisdiction_is_refused() -> None:
    rows = sheet_rows(from_draft("H1", example_household()))
    raw = next(group_households(rows, HEADER))
    mapped = read_household(raw, HEADER, FileFacts())
    check_rules(mapped, rules(jurisdiction="510822100000"))
    assert [(e.column, e.code) for e in mapped.errors] == [("行政区划代码", "outside-jurisdiction")]


@pytest.mark.parametrize(
    ("code", "error"), [("510822104299", "unknown-division"), ("510822104000", "not-a-village")]
)
def test_division_must_be_a_known_village(code: str, error: str) -> None:
    rows = sheet_rows(from_draft("H1", example_household()))
    rows[0][col("division_code")] = code
    assert [e.code for e in mapped_first(rows).errors] == [error]


def test_scan_finds_scattered_households_and_people_or_cards_listed_twice() -> None:
    rows = file_rows(3)
    h1 = [r for r in rows if r[col("household_ref")] == "H1"]
    h2 = [r for r in rows if r[col("household_ref")] == "H2"]
    h3 = [r for r in rows if r[col("household_ref")] == "H3"]
    copy = [*h2[0]]
    copy[col("household_ref")] = "H4"
    copy[col("relation")] = "户主"
    facts = scan([*h1, *h2, h1[0], *h3, copy], HEADER)
    assert facts.scattered_refs == {"H1"}
    assert facts.households == 5
    assert len(facts.shared_people) >= 1
    households = list(group_households([*h2, copy], HEADER))
    mapped = read_household(households[1], HEADER, facts)
    assert "person-listed-twice" in {e.code for e in mapped.errors}


def test_import_rows_hold_what_the_api_path_stores() -> None:
    draft = example_household()
    now = datetime.now(UTC)
    imported = member_values(draft.members[0], "h1", PII, now)
    api = member_row(draft.members[0], "h1", PII, now).model_dump()
    different = {"id", "id_number_ciphertext"}  # random ids and nonces
    assert {k: v for k, v in imported.items() if k not in different} == {
        k: v for k, v in api.items() if k not in different
    }
    assert PII.decrypt(str(imported["id_number_ciphertext"])) == draft.members[0].id_number


def test_event_snapshot_equals_household_facts_of_the_stored_rows() -> None:
    for draft in Synthesizer(seed=5).households(20, [(VILLAGE, "炉场村")]):
        new = new_household(draft, PII, "t", "r", datetime.now(UTC))
        household = Household(**new.household)
        members = [Member(**m) for m in new.members]
        assert new.outbox["event_type"] == "registry.household.registered"
        payload = json.loads(str(new.outbox["payload"]))
        assert payload["data"]["household"] == household_facts(household, members).model_dump(mode="json")


def test_every_flag_of_the_household_record_has_its_column() -> None:
    assert set(FLAG_KEYS) == set(Flags.model_fields)
    assert {BY_KEY[k].field for k in FLAG_KEYS} == {f"flags.{k}" for k in FLAG_KEYS}
