"""Resident ID numbers (GB 11643-1999): check character, birth date, sex, masking."""

from __future__ import annotations

from datetime import date

import pytest

from jzkit import idnumber
from jzkit.idnumber import InvalidIdNumber, check_character, mask, parse

TODAY = date(2026, 6, 1)

# Weights 2^(17-i) mod 11 and the MOD 11-2 table written out as printed in the standard,
# so the examples below do not depend on how the module computes them.
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_TABLE = "10X98765432"


def reference_check(first17: str) -> str:
    return CHECK_TABLE[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


@pytest.mark.parametrize(
    ("number", "born", "sex"),
    [
        # The two worked examples printed in GB 11643-1999.
        ("11010519491231002X", date(1949, 12, 31), "female"),
        ("440524188001010014", date(1880, 1, 1), "male"),
        ("510822198001061234", date(1980, 1, 6), "male"),
    ],
)
def test_published_examples_parse(number: str, born: date, sex: str) -> None:
    assert check_character(number[:17]) == number[17] == reference_check(number[:17])
    rid = parse(number, TODAY)
    assert (rid.number, rid.birth_date, rid.sex) == (number, born, sex)


def test_check_character_agrees_with_the_table_for_every_remainder() -> None:
    seen = set()
    for seq in range(200):
        first17 = f"51082219800106{seq:03d}"
        assert check_character(first17) == reference_check(first17)
        seen.add(check_character(first17))
    assert seen == set(CHECK_TABLE)  # including 'X' (remainder 2)


def test_lower_case_x_and_blanks_are_normalised() -> None:
    rid = parse(" 11010519491231002x ", TODAY)
    assert rid.number == "11010519491231002X"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "11010519491231002",  # 17 characters
        "1101051949123100200",  # 19 characters
        "1101051949123100X2",  # X not last
        "11010519491231002Y",
        "11010519491231002-",
        # Full-width digits look the same to a clerk but would dodge duplicate matching.
        "１１０１０５１９４９１２３１００２X",
    ],
)
def test_wrong_shape_is_refused(raw: str) -> None:
    with pytest.raises(InvalidIdNumber) as exc:
        parse(raw, TODAY)
    assert exc.value.reason == "shape"


@pytest.mark.parametrize(
    "born",
    [
        "19990230",  # 30 February
        "19991301",  # month 13
        "19990100",  # day 0
        "18791231",  # before 1880
        "20260602",  # the day after "today"
        "20990101",
    ],
)
def test_impossible_or_future_birth_date_is_refused(born: str) -> None:
    first17 = f"510822{born}123"
    with pytest.raises(InvalidIdNumber) as exc:
        parse(first17 + reference_check(first17), TODAY)
    assert exc.value.reason == "birth_date"


def test_birth_today_is_accepted() -> None:
    first17 = "510822" + TODAY.strftime("%Y%m%d") + "122"
    assert parse(first17 + reference_check(first17), TODAY).birth_date == TODAY


def test_wrong_check_character_is_refused() -> None:
    with pytest.raises(InvalidIdNumber) as exc:
        parse("110105194912310021", TODAY)
    assert exc.value.reason == "check_character"


@pytest.mark.parametrize("region", ["512927", "510812", "999999"])
def test_historical_or_unknown_region_codes_are_accepted(region: str) -> None:
    # 512927 (南充地区营山县, before 1993) and 510812 (a retired district code) still appear on cards.
    first17 = f"{region}19620315224"
    assert parse(first17 + reference_check(first17), TODAY).sex == "female"


def test_sex_comes_from_the_17th_digit() -> None:
    for digit, sex in (("1", "male"), ("2", "female"), ("9", "male"), ("0", "female")):
        first17 = f"5108221980010612{digit}"
        assert parse(first17 + reference_check(first17), TODAY).sex == sex


def test_mask_keeps_first_and_last_four() -> None:
    assert mask("510822198001061234") == "5108**********1234"
    assert mask("12345678") == "********"
    assert idnumber.normalize("5108 2219 8001 0612 3x") == "51082219800106123X"
