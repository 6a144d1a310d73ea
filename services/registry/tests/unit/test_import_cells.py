"""Reading cells of household files: yuan to fen, 是/否, dates, Chinese labels; formula neutralisation."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import pytest

from jzkit.money import fen_to_yuan
from registry.domain import labels
from registry.domain.vocabulary import Education, PovertyCause, Relation, SchoolLevel, Sex
from registry.formula_guard import neutralise, restore
from registry.imports import cells


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("6000", 600_000),
        ("6000.5", 600_050),
        ("6000.50", 600_050),
        ("0.01", 1),
        ("6,000.10", 600_010),
        ("6，000", 600_000),
        ("¥1234.56", 123_456),
        ("1234.56元", 123_456),
        (" 42 ", 4_200),
        ("-5", -500),  # the negative-income rule is the domain's, with its own message
        ("99999999.99", 9_999_999_999),
    ],
)
def test_yuan_becomes_exact_fen(text: str, fen: int) -> None:
    assert cells.yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["12.345", "abc", "", "1e3", "NaN", "1.2.3", "0.1.", "Infinity"])
def test_yuan_that_is_not_an_amount_is_refused(text: str) -> None:
    with pytest.raises(cells.CellError) as err:
        cells.yuan_to_fen(text)
    assert err.value.code == "invalid-amount"
    assert "两位小数" in err.value.message_zh


def test_float_artefacts_never_reach_fen() -> None:
    # 0.1 + 0.2 as float is 0.30000000000000004; Decimal keeps 0.3 exact.
    assert cells.yuan_to_fen("0.3") == 30
    assert cells.yuan_to_fen("1.15") == 115
    assert fen_to_yuan(115) == "1.15"


@pytest.mark.parametrize("fen", [0, 1, 10, 99, 100, 600_050, 123_456_789])
def test_fen_to_yuan_round_trips(fen: int) -> None:
    assert cells.yuan_to_fen(fen_to_yuan(fen)) == fen


@pytest.mark.parametrize(
    ("text", "value"), [("是", True), ("否", False), ("", False), ("Yes", True), ("0", False)]
)
def test_yes_no(text: str, value: bool) -> None:
    assert cells.yes_no(text) is value


def test_yes_no_refuses_anything_else() -> None:
    with pytest.raises(cells.CellError):
        cells.yes_no("也许")


@pytest.mark.parametrize("text", ["2001-02-03", "2001/2/3", "2001.02.03", "2001年2月3日", "20010203"])
def test_dates_in_the_spellings_spreadsheets_use(text: str) -> None:
    assert cells.calendar_date(text) == date(2001, 2, 3)


@pytest.mark.parametrize("text", ["2001-02-30", "03/02/2001", "yesterday"])
def test_impossible_dates_are_refused(text: str) -> None:
    with pytest.raises(cells.CellError):
        cells.calendar_date(text)


@pytest.mark.parametrize(
    ("vocabulary", "text", "value"),
    [
        (Relation, "户主", "head"),
        (Relation, "儿子", "child"),
        (Relation, "spouse", "spouse"),
        (Sex, "女", "female"),
        (Sex, "Male", "male"),
        (Education, "初中", "junior_secondary"),
        (SchoolLevel, "大学", "university"),
    ],
)
def test_labels_aliases_and_english_values_are_accepted(
    vocabulary: type[StrEnum], text: str, value: str
) -> None:
    assert cells.vocabulary_value(vocabulary, text) == value


def test_unknown_label_names_the_allowed_ones() -> None:
    with pytest.raises(cells.CellError) as err:
        cells.vocabulary_value(Sex, "未知")
    assert err.value.code == "invalid-choice"
    assert "男、女" in err.value.message_zh


@pytest.mark.parametrize("text", ["因病、缺劳力", "因病;缺劳力", "因病；缺劳力", "illness, lack_of_labour"])
def test_poverty_causes_split_on_any_separator(text: str) -> None:
    assert cells.poverty_causes(text) == ["illness", "lack_of_labour"]


@pytest.mark.parametrize("vocabulary", list(labels.LABELS))
def test_every_value_has_a_label_and_no_spelling_is_ambiguous(vocabulary: type[StrEnum]) -> None:
    table = labels.LABELS[vocabulary]
    assert set(table) == {v.value for v in vocabulary}
    spellings = [s.lower() for value, names in table.items() for s in {value, *names}]
    assert len(spellings) == len(set(spellings))


def test_every_vocabulary_of_the_household_record_is_labelled() -> None:
    assert PovertyCause in labels.LABELS
    assert labels.label(PovertyCause.LACK_OF_LABOUR) == "缺劳力"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")'])
def test_formula_triggers_are_neutralised_and_restored(text: str) -> None:
    safe = neutralise(text)
    assert safe == "'" + text
    assert restore(safe) == text


@pytest.mark.parametrize("text", ["王大山", "510822198001011237", "", "'quoted", "a=b", "6000.50"])
def test_plain_text_is_left_alone(text: str) -> None:
    assert neutralise(text) == text
    assert restore(text) == text
