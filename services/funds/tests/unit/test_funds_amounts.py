"""Every amount rule, the interest subsidy's period arithmetic and cap, requested amounts, eligibility."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from funds.domain.amounts import check_requested, compute_amount, interest_subsidy, linked_households
from funds.domain.eligibility import check_eligibility
from funds.domain.program import Program
from funds.programs import load_program_set
from jzkit.contracts.registry import BankAccountFacts, HouseholdFacts, MemberFacts
from jzkit.errors import InvalidInput


def _member(index: int, in_school: str | None) -> MemberFacts:
    return MemberFacts(
        member_id=f"m{index}",
        relation="head" if index == 0 else "child",
        sex="male",
        birth_date=date(1980 + 10 * index, 1, 1),
        disability=False,
        health="healthy",
        education="primary",
        labour="full" if in_school is None else "none",
        in_school=in_school,
        id_number_masked="5108**********1234",
        id_number_hash="h",
    )


def household(schools: tuple[str | None, ...] = (None,), **flags: bool) -> HouseholdFacts:
    """A registry snapshot with one member per entry of ``schools``."""
    return HouseholdFacts(
        household_id="h1",
        household_version=1,
        division_code="510822104201",
        status="poor",
        annual_net_income_fen=600000,
        members_count=len(schools),
        per_capita_income_fen=600000 // len(schools),
        housing="safe",
        poverty_causes=["illness"],
        flags={"wubao": False, "dibao": False, **flags},
        has_disabled_member=False,
        single_child=False,
        all_daughters=False,
        bank_account=BankAccountFacts(
            bank="农村信用社", account_masked="6230****1234", account_ciphertext="c"
        ),
        members=[_member(i, s) for i, s in enumerate(schools)],
    )


DEMO = {p.code: p for p in load_program_set("demo-2026").programs}
OTHER = {p.code: p for p in load_program_set("example-other").programs}


def _refused(
    program: Program,
    details: dict[str, Any],
    field: str,
    facts: HouseholdFacts | None = None,
    period: str | None = None,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        compute_amount(program, facts, details, period)
    assert caught.value.field == field


def test_tiered_sums_declared_industries_up_to_the_cap() -> None:
    program = DEMO["industry-subsidy-2026"]
    assert compute_amount(program, household(), {"industries": ["farming"]}).amount_fen == 200000
    assert compute_amount(program, household(), {"industries": ["processing"]}).amount_fen == 400000
    capped = compute_amount(program, household(), {"industries": ["farming", "breeding"]})
    assert (capped.amount_fen, capped.uncapped_fen) == (400000, 500000)
    assert [line.item for line in capped.breakdown] == ["industry:farming", "industry:breeding"]
    _refused(program, {"industries": ["mining"]}, "details.industries[0]")
    _refused(program, {"industries": ["farming", "farming"]}, "details.industries")
    _refused(program, {"industries": []}, "details.industries")
    _refused(program, {"industry": "farming"}, "details.industries")


def test_per_student_month_counts_snapshot_students_for_the_period() -> None:
    program = DEMO["student-support-2026"]
    facts = household((None, "primary", "secondary", "university", "preschool"))
    amount = compute_amount(program, facts, {}, "2026-H2")
    assert amount.amount_fen == (10000 + 20000 + 30000) * 6
    assert len(amount.breakdown) == 3
    # Fewer months (school only from September) but never more than the period has.
    assert compute_amount(program, facts, {"months": 4}, "2026-H2").amount_fen == 60000 * 4
    _refused(program, {"months": 7}, "details.months", facts, "2026-H2")
    # Without a snapshot, declared students count; with one, the snapshot wins.
    assert compute_amount(program, None, {"students": ["university"]}, "2026-H1").amount_fen == 30000 * 6
    _refused(program, {"students": ["university"]}, "details.students", household(), "2026-H1")
    _refused(program, {}, "period", facts, None)
    _refused(program, {}, "period", facts, "2026")
    _refused(program, {}, "period", facts, "2027-H1")


def test_per_student_month_respects_max_students() -> None:
    program = OTHER["student-support-2026"]
    facts = household(("primary",) * 5)
    assert compute_amount(program, facts, {}, "2026-Q3").amount_fen == 15000 * 3 * 3


def test_per_mu_rounds_half_up_to_the_fen() -> None:
    program = DEMO["land-transfer-bonus-2026"]
    assert compute_amount(program, household(), {"mu": "12"}).amount_fen == 60000
    assert compute_amount(program, household(), {"mu": "0.0001"}).amount_fen == 1  # 0.5 fen rounds up
    assert compute_amount(program, household(), {"mu": "2.5"}).amount_fen == 12500
    other = OTHER["land-transfer-bonus-2026"]
    assert compute_amount(other, household(), {"mu": "30"}).amount_fen == 240000
    _refused(other, {"mu": "30.5"}, "details.mu")
    for bad in ("-1", "0", "abc", "1.00001", "NaN", "Infinity"):
        _refused(program, {"mu": bad}, "details.mu")
    _refused(program, {"mu": 12.5}, "details.mu")


def test_relief_pays_the_highest_category_from_flags_or_claims() -> None:
    program = DEMO["holiday-relief-2026"]
    assert compute_amount(program, household(dibao=True), {}).amount_fen == 60000
    assert compute_amount(program, household(), {"categories": ["near_dibao"]}).amount_fen == 36000
    both = compute_amount(program, household(wubao=True), {"categories": ["near_dibao"]})
    assert both.amount_fen == 60000
    _refused(program, {}, "details.categories", household())
    _refused(program, {"categories": ["dibao"]}, "details.categories[0]", household())
    other = OTHER["holiday-relief-2026"]
    assert compute_amount(other, household(wubao=True, dibao=True), {}).amount_fen == 100000


def test_fixed_rule() -> None:
    program = OTHER["housing-repair-2026"]
    assert compute_amount(program, household(), {}).amount_fen == 1500000
    _refused(program, {"bonus": 1}, "details.bonus")


def _loan(**changes: Any) -> dict[str, Any]:
    loan: dict[str, Any] = {
        "lender": "农村信用社",
        "principal_fen": 5_000_000,
        "start_date": "2026-01-01",
        "end_date": "2029-01-01",
    }
    loan.update(changes)
    return loan


def test_interest_subsidy_full_year_and_mid_period_start() -> None:
    program = DEMO["household-microloan-interest-2026"]
    assert compute_amount(program, household(), _loan()).amount_fen == 150000  # 50,000 yuan × 3%
    # Starting 1 July: 184 days of 2026 → 50,000 × 3% × 184/365 = 756.164... yuan.
    mid = compute_amount(program, household(), _loan(start_date="2026-07-01"))
    assert mid.amount_fen == 75616
    # The loan's own lower rate bounds the subsidy.
    assert compute_amount(program, household(), _loan(loan_rate_bp=200)).amount_fen == 100000
    _refused(program, _loan(start_date="2027-01-01", end_date="2028-01-01"), "details.start_date")
    _refused(program, _loan(end_date="2025-12-01"), "details.end_date")
    _refused(program, _loan(principal_fen=0), "details.principal_fen")
    _refused(program, {"principal_fen": 1}, "details.lender")


def test_interest_subsidy_enterprise_cap() -> None:
    program = DEMO["enterprise-loan-interest-2026"]
    big = _loan(principal_fen=3_000_000_000, linked_households=[f"h{i}" for i in range(25)])
    amount = compute_amount(program, None, big)
    assert (amount.amount_fen, amount.uncapped_fen) == (50_000_000, 90_000_000)
    assert linked_households(program, big) == [f"h{i}" for i in range(25)]
    assert linked_households(DEMO["industry-subsidy-2026"], {"industries": ["farming"]}) == []
    _refused(program, _loan(linked_households=["h1", "h1"]), "details.linked_households")


@pytest.mark.parametrize(
    ("start", "end", "period_start", "period_end", "expected"),
    [
        # A whole leap year is 366 days: Actual/365 pays 366/365 of the annual rate.
        (date(2024, 1, 1), date(2025, 1, 1), date(2024, 1, 1), date(2025, 1, 1), 3_008_219),
        # The leap day counts inside Q1 2024 (91 days).
        (date(2023, 6, 1), date(2026, 1, 1), date(2024, 1, 1), date(2024, 4, 1), 747_945),
        # A loan repaid on the period's first day earns nothing in it; one starting on its last day, a day.
        (date(2025, 1, 1), date(2026, 1, 1), date(2026, 1, 1), date(2027, 1, 1), 0),
        (date(2026, 12, 31), date(2028, 1, 1), date(2026, 1, 1), date(2027, 1, 1), 8_219),
        # Loan inside the period: only its own days.
        (date(2026, 3, 1), date(2026, 5, 1), date(2026, 1, 1), date(2027, 1, 1), 501_370),
    ],
)
def test_interest_subsidy_overlap_arithmetic(
    start: date, end: date, period_start: date, period_end: date, expected: int
) -> None:
    principal, rate = 100_000_000, 300  # 1,000,000 yuan at 3 %
    assert interest_subsidy(principal, rate, start, end, period_start, period_end, 10**12) == expected


def test_interest_subsidy_half_up_and_cap() -> None:
    # 73 fen × 5000 bp × 1 day / (10000 × 365) = 0.1 → 0;  365 × 5000 × 1 / 3_650_000 = 0.5 → 1.
    assert (
        interest_subsidy(73, 5000, date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 1), date(2027, 1, 1), 99)
        == 0
    )
    assert (
        interest_subsidy(
            365, 5000, date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 1), date(2027, 1, 1), 99
        )
        == 1
    )
    capped = interest_subsidy(
        100_000_000, 300, date(2026, 1, 1), date(2027, 1, 1), date(2026, 1, 1), date(2027, 1, 1), 500
    )
    assert capped == 500
    with pytest.raises(ValueError):
        interest_subsidy(-1, 300, date(2026, 1, 1), date(2027, 1, 1), date(2026, 1, 1), date(2027, 1, 1), 1)


def test_half_year_interest_in_the_other_set() -> None:
    program = OTHER["enterprise-loan-interest-2026"]
    loan = _loan(principal_fen=100_000_000, linked_households=[f"h{i}" for i in range(10)])
    # 1,000,000 yuan × 4.5 % × 181/365 (Jan–Jun 2026) = 22,315.07 yuan.
    assert compute_amount(program, None, loan, "2026-H1").amount_fen == 2_231_507
    _refused(program, loan, "period", None, None)


def test_check_requested() -> None:
    program = DEMO["industry-subsidy-2026"]
    computed = compute_amount(program, household(), {"industries": ["farming"]})
    assert check_requested(program, computed, None) == 200000
    assert check_requested(program, computed, 150000) == 150000
    for bad in (200001, 0, -5):
        with pytest.raises(InvalidInput) as caught:
            check_requested(program, computed, bad)
        assert caught.value.field == "amount_fen"


def test_eligibility() -> None:
    industry, enterprise = DEMO["industry-subsidy-2026"], DEMO["enterprise-loan-interest-2026"]
    check_eligibility(industry, applicant="household", locked_in=True)
    cases = [
        (industry, "household", False, 0, "household_id"),
        (industry, "enterprise", True, 50, "household_id"),
        (enterprise, "enterprise", False, 19, "details.linked_households"),
        (enterprise, "household", True, 30, "household_id"),
    ]
    for program, applicant, locked_in, linked, field in cases:
        with pytest.raises(InvalidInput) as caught:
            check_eligibility(
                program, applicant=applicant, locked_in=locked_in, linked_locked_in_households=linked
            )
        assert caught.value.field == field
    check_eligibility(enterprise, applicant="enterprise", locked_in=False, linked_locked_in_households=20)
    check_eligibility(
        OTHER["enterprise-loan-interest-2026"],
        applicant="enterprise",
        locked_in=False,
        linked_locked_in_households=10,
    )


def test_same_household_under_both_program_sets() -> None:
    facts = household((None, "primary", "secondary"), dibao=True)
    industries = {"industries": ["farming", "services"]}
    results = {}
    for name, programs in (("demo", DEMO), ("other", OTHER)):
        student_period = "2026-H1" if name == "demo" else "2026-Q1"
        results[name] = (
            compute_amount(programs["industry-subsidy-2026"], facts, industries).amount_fen,
            compute_amount(programs["land-transfer-bonus-2026"], facts, {"mu": "10"}).amount_fen,
            compute_amount(programs["student-support-2026"], facts, {}, student_period).amount_fen,
            compute_amount(programs["holiday-relief-2026"], facts, {}).amount_fen,
        )
    assert results["demo"] == (400000, 50000, (10000 + 20000) * 6, 60000)
    assert results["other"] == (350000, 80000, (15000 + 25000) * 3, 80000)
