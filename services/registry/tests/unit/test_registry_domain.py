"""Household rules (扶贫手册) and derived facts, without a database."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from jzkit.errors import InvalidInput
from jzkit.idnumber import check_character
from registry.domain.changes import HouseholdPatch
from registry.domain.facts import derive
from registry.domain.household import (
    HouseholdDraft,
    Limits,
    MemberDraft,
    check_household,
)

TODAY = date(2026, 6, 1)
LIMITS = Limits(max_annual_income_fen=1_000_000_000, max_members=30)
_serial = itertools.count()


def id_number(born: date, sex: str) -> str:
    """A valid, never repeated ID number (sequence parity gives the sex)."""
    n = next(_serial)
    seq = (n % 500) * 2 + (1 if sex == "male" else 0)
    first17 = f"510822{born - timedelta(days=n // 500):%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


def member(
    relation: str = "head", sex: str = "male", born: date = date(1980, 1, 6), **kw: Any
) -> dict[str, Any]:
    """A valid member; pass ``id_number`` to use a given number (its birth date is then left out)."""
    if "id_number" not in kw:
        number = id_number(born, sex)
        kw = {
            "id_number": number,
            "birth_date": date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
            **kw,
        }
    return {"name": "王大山", "relation": relation, "sex": sex, **kw}


def draft(*members: dict[str, Any], **kw: Any) -> HouseholdDraft:
    doc: dict[str, Any] = {
        "division_code": "510822104201",
        "address": "青川县茶坝乡炉场村三组",
        "annual_net_income_fen": 600_000,
        "housing": "unsafe",
        "members": list(members) or [member()],
    }
    doc.update(kw)
    return HouseholdDraft.model_validate(doc)


def broken(d: HouseholdDraft, limits: Limits = LIMITS) -> InvalidInput:
    with pytest.raises(InvalidInput) as exc:
        check_household(d, TODAY, limits)
    assert exc.value.status == 422
    return exc.value


def test_valid_household_is_normalised() -> None:
    # A number ending in X, typed with a lower-case x and no birth date: both are normalised.
    first17 = next(f for seq in range(1, 200, 2) if check_character(f := f"51082219751203{seq:03d}") == "X")
    head = {"name": "王大山", "id_number": first17 + "x", "relation": "head", "sex": "male"}
    checked = check_household(draft(head, member("spouse", "female", date(1982, 3, 4))), TODAY, LIMITS)
    assert checked.members[0].id_number == first17 + "X"
    assert checked.members[0].birth_date == date(1975, 12, 3)
    assert [m.relation for m in checked.members] == ["head", "spouse"]


@pytest.mark.parametrize("heads", [0, 2])
def test_exactly_one_head(heads: int) -> None:
    people = [member("head") for _ in range(heads)] + [member("spouse", "female")]
    err = broken(draft(*people))
    assert (err.code, err.field) == ("head-count", "members")


def test_duplicate_member() -> None:
    head = member()
    err = broken(draft(head, {**head, "relation": "child"}))
    assert (err.code, err.field) == ("duplicate-member", "members[1].id_number")


def test_birth_date_mismatch() -> None:
    child = member("child", "female", date(2010, 5, 5))
    child["birth_date"] = date(2010, 5, 6)
    err = broken(draft(member(), child))
    assert (err.code, err.field) == ("birth-date-mismatch", "members[1].birth_date")


def test_sex_mismatch() -> None:
    err = broken(draft(member(), {**member("spouse", "female"), "sex": "male"}))
    assert (err.code, err.field) == ("sex-mismatch", "members[1].sex")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("51082219800106123", "shape"),
        ("510822199902301234", "birth_date"),
        ("510822198001061235", "check_character"),
    ],
)
def test_invalid_id_number(number: str, reason: str) -> None:
    err = broken(draft(member(), member("child", id_number=number)))
    assert (err.code, err.field) == ("invalid-id-number", "members[1].id_number")
    assert reason in err.message_en


def test_negative_and_absurd_income() -> None:
    assert broken(draft(annual_net_income_fen=-1)).code == "negative-income"
    err = broken(draft(annual_net_income_fen=LIMITS.max_annual_income_fen + 1))
    assert (err.code, err.field) == ("implausible-income", "annual_net_income_fen")
    check_household(draft(annual_net_income_fen=0), TODAY, LIMITS)
    check_household(draft(annual_net_income_fen=LIMITS.max_annual_income_fen), TODAY, LIMITS)


def test_too_many_members() -> None:
    people = [member()] + [member("child", born=date(2000, 1, 1)) for _ in range(3)]
    err = broken(draft(*people), Limits(max_annual_income_fen=10**9, max_members=3))
    assert (err.code, err.field) == ("too-many-members", "members")


def test_bank_holder_must_be_a_member() -> None:
    head = member()
    outsider = id_number(date(1970, 2, 2), "female")
    bank = {"bank": "农村信用社", "account_number": "6230" + "1" * 15, "holder_id_number": outsider}
    err = broken(draft(head, bank_account=bank))
    assert (err.code, err.field) == ("holder-not-member", "bank_account.holder_id_number")
    bank["holder_id_number"] = head["id_number"].lower()
    checked = check_household(draft(head, bank_account=bank), TODAY, LIMITS)
    assert checked.bank_account is not None
    assert checked.bank_account.holder_id_number == head["id_number"]


def test_bank_holder_id_number_must_be_valid() -> None:
    bank = {
        "bank": "农村信用社",
        "account_number": "6230" + "1" * 15,
        "holder_id_number": "510822198001061235",
    }
    err = broken(draft(bank_account=bank))
    assert (err.code, err.field) == ("invalid-id-number", "bank_account.holder_id_number")


def test_derive_per_capita_income_is_floored_to_fen() -> None:
    d = draft(
        member(),
        member("spouse", "female"),
        member("child", "male", date(2015, 1, 1)),
        annual_net_income_fen=100,
    )
    facts = derive(d.annual_net_income_fen, d.members)
    assert (facts.members_count, facts.per_capita_income_fen) == (3, 33)
    assert derive(599_999, d.members[:2]).per_capita_income_fen == 299_999
    assert derive(0, []).per_capita_income_fen == 0


def test_derive_priority_facts() -> None:
    head = member()
    daughter = member("child", "female", date(2012, 1, 1))
    son = member("child", "male", date(2014, 1, 1))
    disabled_parent = member("parent", "female", date(1950, 1, 1), disability=True)

    only_daughter = derive(1, draft(head, daughter).members)
    assert (only_daughter.single_child, only_daughter.all_daughters) == (True, True)
    assert only_daughter.has_disabled_member is False

    two_children = derive(1, draft(head, daughter, son).members)
    assert (two_children.single_child, two_children.all_daughters) == (False, False)

    two_daughters = derive(1, draft(head, daughter, member("child", "female", date(2016, 1, 1))).members)
    assert (two_daughters.single_child, two_daughters.all_daughters) == (False, True)

    no_children = derive(1, draft(head, disabled_parent).members)
    assert (no_children.single_child, no_children.all_daughters) == (False, False)
    assert no_children.has_disabled_member is True


@pytest.mark.parametrize(
    "change",
    [
        {"housing": "palace"},
        {"poverty_causes": ["bad_luck"]},
        {"members": [member(relation="boss")]},
        {"members": [member(labour="some")]},
        {"members": [member(in_school="kindergarten")]},
    ],
)
def test_unknown_enum_values_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        draft(**change)


@pytest.mark.parametrize(
    "change",
    [
        {"colour": "red"},
        {"members": [{**member(), "nickname": "山哥"}]},
        {"flags": {"wubao": False, "lottery_winner": True}},
        {
            "bank_account": {
                "bank": "x",
                "account_number": "6230" + "1" * 15,
                "holder_id_number": "1" * 18,
                "pin": "1",
            }
        },
    ],
)
def test_unknown_fields_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        draft(**change)
    assert exc.value.errors()[0]["type"] == "extra_forbidden"


def test_draft_shape_rules() -> None:
    with pytest.raises(ValidationError):
        draft(members=[])
    with pytest.raises(ValidationError):
        draft(division_code="51082210420")
    assert draft(poverty_causes=["illness", "illness", "disaster"]).poverty_causes == ["illness", "disaster"]
    assert MemberDraft.model_validate(member()).health == "healthy"


def test_patch_names_the_fields_it_changes() -> None:
    doc = {"reason": "复核", "housing": "basic", "address": None, "flags": {}}
    patch = HouseholdPatch.model_validate(doc)
    assert patch.changed_fields() == ["flags", "housing"]
    with pytest.raises(ValidationError):
        HouseholdPatch.model_validate({"housing": "basic"})  # the reason is required
    with pytest.raises(ValidationError):
        # Status comes from identification's events, not from a PATCH.
        HouseholdPatch.model_validate({"reason": "x", "status": "poor"})
