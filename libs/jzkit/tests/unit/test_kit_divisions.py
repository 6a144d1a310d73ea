"""Administrative division codes (统计用区划代码): level, prefix, parent, containment."""

from __future__ import annotations

import pytest

from jzkit import divisions

PROVINCE, PREFECTURE, COUNTY = "510000000000", "510800000000", "510822000000"
TOWNSHIP, VILLAGE = "510822104000", "510822104201"


@pytest.mark.parametrize(
    ("code", "level", "prefix", "parent"),
    [
        (PROVINCE, "province", "51", None),
        (PREFECTURE, "prefecture", "5108", PROVINCE),
        (COUNTY, "county", "510822", PREFECTURE),
        (TOWNSHIP, "township", "510822104", COUNTY),
        (VILLAGE, "village", VILLAGE, TOWNSHIP),
        # Zeros inside a group are not trailing groups: 110101 is a district of 北京.
        ("110101001000", "township", "110101001", "110101000000"),
        ("510822100010", "village", "510822100010", "510822100000"),
    ],
)
def test_level_prefix_parent(code: str, level: str, prefix: str, parent: str | None) -> None:
    assert divisions.is_code(code)
    assert divisions.level(code) == level
    assert divisions.prefix(code) == prefix
    assert divisions.parent(code) == parent


def test_parents_chain_up_to_the_province() -> None:
    chain = [VILLAGE]
    while (up := divisions.parent(chain[-1])) is not None:
        chain.append(up)
    assert chain == [VILLAGE, TOWNSHIP, COUNTY, PREFECTURE, PROVINCE]
    assert [divisions.level(c) for c in chain] == list(reversed(divisions.LEVELS))


@pytest.mark.parametrize(
    ("scope", "code", "inside"),
    [
        (PROVINCE, VILLAGE, True),
        (COUNTY, TOWNSHIP, True),
        (TOWNSHIP, VILLAGE, True),
        (VILLAGE, VILLAGE, True),
        (VILLAGE, "510822104202", False),  # sibling village
        (TOWNSHIP, "510822100201", False),  # village of another township
        (VILLAGE, TOWNSHIP, False),  # a village does not contain its township
        ("510822100000", "510822104201", False),
        ("520000000000", VILLAGE, False),
    ],
)
def test_contains(scope: str, code: str, inside: bool) -> None:
    assert divisions.contains(scope, code) is inside


@pytest.mark.parametrize(
    "code",
    [
        "",
        "51082210420",
        "5108221042011",
        "51082210420a",
        "５１０８２２１０４２０１",
        "510822104201\n",
        " 510822104201",
    ],
)
def test_malformed_codes(code: str) -> None:
    assert not divisions.is_code(code)
    with pytest.raises(ValueError, match="12 digits"):
        divisions.level(code)


@pytest.mark.parametrize(
    "code",
    [
        "000000000000",  # names nothing
        "510822000201",  # a village without a township
        "510022000000",  # a county without a prefecture
        "000800000000",  # a prefecture without a province
    ],
)
def test_codes_naming_no_division(code: str) -> None:
    assert divisions.is_code(code)
    with pytest.raises(ValueError):
        divisions.level(code)
    with pytest.raises(ValueError):
        divisions.parent(code)
