"""Property tests: every well-formed ID number parses, every single-character typo is caught."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from jzkit.idnumber import InvalidIdNumber, check_character, parse

TODAY = date(2026, 6, 1)
ALPHABET = "0123456789X"

regions = st.text(alphabet="0123456789", min_size=6, max_size=6)
birth_dates = st.dates(min_value=date(1880, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    first17 = f"{draw(regions)}{draw(birth_dates):%Y%m%d}{draw(sequences):03d}"
    return first17 + check_character(first17)


@settings(max_examples=300)
@given(region=regions, born=birth_dates, seq=sequences)
def test_any_17_digits_with_a_valid_date_and_its_check_character_parse(
    region: str, born: date, seq: int
) -> None:
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    rid = parse(first17 + check_character(first17), TODAY)
    assert rid.number == first17 + check_character(first17)
    assert rid.birth_date == born
    assert rid.sex == ("male" if seq % 2 else "female")


@settings(max_examples=300)
@given(number=valid_numbers(), position=st.integers(min_value=0, max_value=17), data=st.data())
def test_any_single_character_change_is_rejected(number: str, position: int, data: st.DataObject) -> None:
    replacement = data.draw(st.sampled_from([c for c in ALPHABET if c != number[position]]))
    typo = number[:position] + replacement + number[position + 1 :]
    try:
        parse(typo, TODAY)
    except InvalidIdNumber:
        return
    raise AssertionError(f"{typo} (changed from {number} at {position}) was accepted")
