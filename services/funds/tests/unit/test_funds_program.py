"""Programs as data: the shipped sets parse, invalid programs are refused naming the field."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest

from funds.domain.period import parse_period, period_kind_of
from funds.domain.program import parse_program, parse_program_set, period_valid
from funds.programs import SHIPPED, load_program_set
from jzkit.errors import InvalidInput


def _program(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "code": "relief-x",
        "name": "救助",
        "year": 2026,
        "kind": "fixed",
        "rule": {"kind": "fixed", "amount_fen": 60000},
        "funding_sources": [{"source": "region", "percent": 70}, {"source": "county", "percent": 30}],
        "notice": "P7D",
    }
    doc.update(changes)
    return doc


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_sets_parse(name: str) -> None:
    program_set = load_program_set(name)
    assert len(program_set.programs) >= 5
    assert {p.kind for p in program_set.programs} >= {
        "tiered",
        "interest_subsidy",
        "per_mu",
        "per_student_month",
    }
    assert all(p.notice >= timedelta(days=7) and not p.test_only for p in program_set.programs)


def test_demo_set_carries_the_seed_numbers() -> None:
    programs = {p.code: p for p in load_program_set("demo-2026").programs}
    industry = programs["industry-subsidy-2026"].model_dump()
    assert industry["rule"]["tiers"]["farming"] == 200000 and industry["rule"]["cap_fen"] == 400000
    enterprise = programs["enterprise-loan-interest-2026"]
    assert enterprise.model_dump()["rule"] == {
        "kind": "interest_subsidy",
        "rate_bp": 300,
        "cap_fen": 50000000,
    }
    assert enterprise.eligibility.min_linked_households == 20
    assert [(s.source, s.percent) for s in enterprise.funding_sources] == [("region", 70), ("county", 30)]


def test_notice_parses_iso_8601_duration() -> None:
    assert parse_program(_program(notice="P7D")).notice == timedelta(days=7)
    assert parse_program(_program(notice="PT2S", test_only=True)).notice == timedelta(seconds=2)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rule": {"kind": "fixed", "amount_fen": -1}}, "rule.amount_fen"),
        ({"rule": {"kind": "fixed", "amount_fen": 1.5}}, "rule.amount_fen"),
        ({"rule": {"kind": "fixed", "amount_fen": "100"}}, "rule.amount_fen"),
        ({"kind": "lottery"}, "kind"),
        ({"kind": "lottery", "rule": {"kind": "lottery"}}, "kind"),
        ({"rule": {"kind": "lottery"}}, "rule"),
        ({"kind": "tiered"}, "rule.kind"),
        ({"funding_sources": [{"source": "region", "percent": 70}]}, "funding_sources"),
        (
            {"funding_sources": [{"source": "region", "percent": 50}, {"source": "region", "percent": 50}]},
            "funding_sources",
        ),
        (
            {"funding_sources": [{"source": "region", "percent": 0}, {"source": "county", "percent": 100}]},
            "funding_sources[0].percent",
        ),
        ({"funding_sources": []}, "funding_sources"),
        ({"notice": "P6D"}, "notice"),
        ({"notice": "PT2S"}, "notice"),
        ({"notice": "PT0S", "test_only": True}, "notice"),
        ({"notice": "a week"}, "notice"),
        ({"year": 1999}, "year"),
        ({"frequency": "weekly"}, "frequency"),
        ({"surprise": 1}, "surprise"),
        ({"code": "Has Spaces"}, "code"),
        (
            {"eligibility": {"applicant": "household", "min_linked_households": 5}},
            "eligibility.min_linked_households",
        ),
        ({"kind": "tiered", "rule": {"kind": "tiered", "tiers": {}, "cap_fen": 1}}, "rule.tiers"),
        (
            {"kind": "tiered", "rule": {"kind": "tiered", "tiers": {"farming": -5}, "cap_fen": 1}},
            "rule.tiers.farming",
        ),
        (
            {"kind": "interest_subsidy", "rule": {"kind": "interest_subsidy", "rate_bp": 0, "cap_fen": 1}},
            "rule.rate_bp",
        ),
        ({"kind": "per_mu", "rule": {"kind": "per_mu", "per_mu_fen": 5000, "max_mu": "-1"}}, "rule.max_mu"),
        (
            {
                "kind": "relief_by_category",
                "rule": {
                    "kind": "relief_by_category",
                    "amounts_by_category": {"dibao": 1},
                    "claimable_categories": ["x"],
                },
            },
            "rule",
        ),
    ],
)
def test_invalid_program_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_program(_program(**changes))
    assert caught.value.field == field
    assert caught.value.status == 422


def test_program_set_names_the_program_and_refuses_duplicate_codes() -> None:
    bad = _program(rule={"kind": "fixed", "amount_fen": 0})
    with pytest.raises(InvalidInput) as caught:
        parse_program_set({"name": "s", "programs": [_program(code="a-1"), bad]})
    assert caught.value.field == "programs[1].rule.amount_fen"
    with pytest.raises(InvalidInput) as caught:
        parse_program_set({"name": "s", "programs": [_program(), _program()]})
    assert caught.value.field == "programs[1].code"
    with pytest.raises(InvalidInput) as caught:
        parse_program_set({"name": "s", "programs": [_program(notice="P1D")]})
    assert caught.value.field == "programs[0].notice"
    with pytest.raises(InvalidInput) as caught:
        parse_program_set({"name": "s", "programs": []})
    assert caught.value.field == "programs"


def test_errors_list_every_problem() -> None:
    doc = _program(name="", year="soon")
    with pytest.raises(InvalidInput) as caught:
        parse_program(copy.deepcopy(doc))
    fields = {e["field"] for e in caught.value.extra["errors"]}
    assert fields == {"name", "year"}


@pytest.mark.parametrize(
    ("frequency", "good", "bad"),
    [
        ("year", ["2026"], ["2025", "2026-H1", "2026-01", "26"]),
        ("half_year", ["2026-H1", "2026-H2"], ["2026-H3", "2026", "2027-H1"]),
        ("quarter", ["2026-Q1", "2026-Q4"], ["2026-Q5", "2026-Q0", "2026-H1"]),
        ("month", ["2026-01", "2026-12"], ["2026-13", "2026-00", "2026-1", "2026"]),
    ],
)
def test_period_valid(frequency: str, good: list[str], bad: list[str]) -> None:
    program = parse_program(_program(frequency=frequency))
    assert all(period_valid(program, p) for p in good)
    assert not any(period_valid(program, p) for p in bad)


def test_period_bounds_and_days() -> None:
    assert parse_period("2024").days == 366 and parse_period("2026").days == 365
    q1 = parse_period("2024-Q1")
    assert (q1.start, q1.end, q1.days, q1.months) == (date(2024, 1, 1), date(2024, 4, 1), 91, 3)
    h2 = parse_period("2026-H2")
    assert (h2.start, h2.end, h2.months) == (date(2026, 7, 1), date(2027, 1, 1), 6)
    december = parse_period("2026-12")
    assert (december.end, december.days) == (date(2027, 1, 1), 31)
    assert parse_period("2024-02").days == 29
    assert period_kind_of("2026-Q3") == "quarter" and period_kind_of("2026-W1") is None
    with pytest.raises(InvalidInput) as caught:
        parse_period("0000")
    assert caught.value.field == "period"
