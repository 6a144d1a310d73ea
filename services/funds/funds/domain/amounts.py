"""Amount rules: what a program pays one applicant for one period, with the breakdown behind it.

Caps apply per grant, that is per applicant, program and period (one grant each).
Rounding: every product of a rate and a quantity (mu × fen per mu, principal × rate × days/365)
is rounded half-up to the fen once, at the end; caps apply after rounding. No floats anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from funds.domain.details import (
    LandDetails,
    LoanDetails,
    NoDetails,
    ReliefDetails,
    StudentDetails,
    TieredDetails,
    parse_details,
)
from funds.domain.money import decimal_fen, parse_decimal, round_half_up
from funds.domain.period import Period, parse_period
from funds.domain.program import Program, period_valid
from funds.domain.rules import (
    FixedRule,
    InterestSubsidyRule,
    PerMuRule,
    PerStudentMonthRule,
    ReliefByCategoryRule,
    TieredRule,
)
from jzkit.errors import InvalidInput

BASIS_POINTS = 10_000
DAYS_PER_YEAR = 365  # Actual/365 Fixed, as the policy states it: a leap year's 366 days pay 366/365.


class SchoolMember(Protocol):
    """A household member as far as student support reads it."""

    @property
    def in_school(self) -> str | None: ...


class HouseholdLike(Protocol):
    """The parts of a registry snapshot (jzkit HouseholdFacts) that amount rules read."""

    @property
    def flags(self) -> Mapping[str, bool]: ...

    @property
    def members(self) -> Sequence[SchoolMember]: ...


class AmountLine(BaseModel):
    """One line of the breakdown: what was counted, the basis, and its amount in fen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str
    basis: str
    amount_fen: int


class Amount(BaseModel):
    """The amount the rule allows; ``uncapped_fen`` is set when the cap cut it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount_fen: int
    breakdown: list[AmountLine]
    uncapped_fen: int | None = None


def _refuse(code: str, field: str, en: str, zh: str) -> InvalidInput:
    return InvalidInput(code, en, zh, field=field)


def interest_subsidy(
    principal_fen: int,
    rate_bp: int,
    start: date,
    end: date,
    period_start: date,
    period_end: date,
    cap_fen: int,
) -> int:
    """Principal × rate × overlap days / 365, half-up to the fen, at most ``cap_fen``.

    The loan accrues over ``[start, end)`` and the period is ``[period_start, period_end)``:
    both ends exclusive, so a loan repaid on the first day of a period earns nothing in it.
    """
    if principal_fen < 0 or rate_bp < 0 or cap_fen < 0:
        raise ValueError("principal, rate and cap must not be negative")
    days = (min(end, period_end) - max(start, period_start)).days
    if days <= 0:
        return 0
    raw = round_half_up(principal_fen * rate_bp * days, BASIS_POINTS * DAYS_PER_YEAR)
    return min(raw, cap_fen)


def _period_of(program: Program, period: str | None) -> Period:
    if period is None:
        if program.frequency != "year":
            raise _refuse("period-required", "period", "this program needs a period", "该项目需指定周期")
        period = f"{program.year:04d}"
    if not period_valid(program, period):
        raise _refuse(
            "period-not-valid",
            "period",
            f"period {period!r} is not a {program.frequency} period of {program.year}",
            f"周期 {period!r} 不是 {program.year} 年的有效周期",
        )
    return parse_period(period)


def _fixed(rule: FixedRule, details: dict[str, Any]) -> Amount:
    parse_details(NoDetails, details)
    return Amount(
        amount_fen=rule.amount_fen,
        breakdown=[AmountLine(item="fixed", basis="per household", amount_fen=rule.amount_fen)],
    )


def _tiered(rule: TieredRule, details: dict[str, Any]) -> Amount:
    declared = parse_details(TieredDetails, details).industries
    if len(set(declared)) != len(declared):
        raise _refuse(
            "duplicate-industry", "details.industries", "an industry is listed twice", "产业类型重复"
        )
    lines: list[AmountLine] = []
    for index, industry in enumerate(declared):
        if industry not in rule.tiers:
            raise _refuse(
                "unknown-industry",
                f"details.industries[{index}]",
                f"industry {industry!r} is not one of {sorted(rule.tiers)}",
                f"产业类型 {industry!r} 不在本项目范围内",
            )
        lines.append(AmountLine(item=f"industry:{industry}", basis="tier", amount_fen=rule.tiers[industry]))
    return _capped(sum(line.amount_fen for line in lines), rule.cap_fen, lines)


def _capped(total: int, cap_fen: int, lines: list[AmountLine]) -> Amount:
    if total <= cap_fen:
        return Amount(amount_fen=total, breakdown=lines)
    return Amount(amount_fen=cap_fen, breakdown=lines, uncapped_fen=total)


def _students(
    rule: PerStudentMonthRule, household: HouseholdLike | None, details: dict[str, Any], period: Period
) -> Amount:
    parsed = parse_details(StudentDetails, details)
    # The registry snapshot is authoritative; declared students count only without one.
    if household is not None:
        levels = [m.in_school for m in household.members if m.in_school]
    else:
        levels = list(parsed.students)
    months = parsed.months or period.months
    if months > period.months:
        raise _refuse(
            "too-many-months",
            "details.months",
            f"the period has only {period.months} months",
            f"该周期只有 {period.months} 个月",
        )
    lines = [
        AmountLine(
            item=f"student:{level}",
            basis=f"{rule.monthly_fen_by_level[level]} fen × {months} months",
            amount_fen=rule.monthly_fen_by_level[level] * months,
        )
        for level in levels
        if level in rule.monthly_fen_by_level
    ]
    if rule.max_students is not None:
        lines = lines[: rule.max_students]
    if not lines:
        raise _refuse(
            "no-student", "details.students", "no student at a supported school level", "无符合条件的在校学生"
        )
    return Amount(amount_fen=sum(line.amount_fen for line in lines), breakdown=lines)


def _per_mu(rule: PerMuRule, details: dict[str, Any]) -> Amount:
    mu = parse_decimal(parse_details(LandDetails, details).mu, "details.mu")
    if rule.max_mu is not None and mu > rule.max_mu:
        raise _refuse("too-much-land", "details.mu", f"at most {rule.max_mu} mu", f"最多 {rule.max_mu} 亩")
    amount = decimal_fen(mu, rule.per_mu_fen)
    return Amount(
        amount_fen=amount,
        breakdown=[AmountLine(item="land", basis=f"{mu} mu × {rule.per_mu_fen} fen", amount_fen=amount)],
    )


def _interest(rule: InterestSubsidyRule, details: dict[str, Any], period: Period) -> Amount:
    loan = parse_details(LoanDetails, details)
    # The subsidy never exceeds the interest actually charged: the lower of the two rates.
    rate = min(rule.rate_bp, loan.loan_rate_bp or rule.rate_bp)
    days = max(0, (min(loan.end_date, period.end) - max(loan.start_date, period.start)).days)
    uncapped = interest_subsidy(
        loan.principal_fen, rate, loan.start_date, loan.end_date, period.start, period.end, 10**18
    )
    if uncapped == 0:
        raise _refuse(
            "loan-outside-period",
            "details.start_date",
            "the loan runs on no day of the period",
            "贷款期限与周期无重叠",
        )
    line = AmountLine(
        item="interest",
        basis=f"{loan.principal_fen} fen × {rate} bp × {days}/{DAYS_PER_YEAR}",
        amount_fen=uncapped,
    )
    return _capped(uncapped, rule.cap_fen, [line])


def _relief(rule: ReliefByCategoryRule, household: HouseholdLike | None, details: dict[str, Any]) -> Amount:
    declared = parse_details(ReliefDetails, details).categories
    for index, category in enumerate(declared):
        if category not in rule.claimable_categories:
            raise _refuse(
                "category-not-claimable",
                f"details.categories[{index}]",
                f"category {category!r} must come from the registry, not be declared",
                f"类别 {category!r} 须以户籍档案为准,不可自行申报",
            )
    flagged = [k for k, v in (household.flags.items() if household is not None else ()) if v]
    categories = sorted({c for c in [*flagged, *declared] if c in rule.amounts_by_category})
    if not categories:
        raise _refuse(
            "no-category",
            "details.categories",
            "the household is in no relief category",
            "该户不属于救助类别",
        )
    best = max(categories, key=lambda c: (rule.amounts_by_category[c], c))
    amount = rule.amounts_by_category[best]
    return Amount(
        amount_fen=amount,
        breakdown=[AmountLine(item=f"category:{best}", basis=f"highest of {categories}", amount_fen=amount)],
    )


def compute_amount(
    program: Program, household: HouseholdLike | None, details: dict[str, Any], period: str | None = None
) -> Amount:
    """The amount ``program`` pays this applicant for ``period`` (default: the program's year)."""
    rule = program.rule
    resolved = _period_of(program, period)
    if isinstance(rule, FixedRule):
        return _fixed(rule, details)
    if isinstance(rule, TieredRule):
        return _tiered(rule, details)
    if isinstance(rule, PerMuRule):
        return _per_mu(rule, details)
    if isinstance(rule, ReliefByCategoryRule):
        return _relief(rule, household, details)
    if isinstance(rule, PerStudentMonthRule):
        return _students(rule, household, details, resolved)
    return _interest(rule, details, resolved)


def check_requested(program: Program, computed: Amount, requested_fen: int | None) -> int:
    """The amount to grant: the computed one, or a requested one that is positive and not above it."""
    if requested_fen is None:
        return computed.amount_fen
    if requested_fen <= 0:
        raise _refuse("amount-not-positive", "amount_fen", "the amount must be positive", "金额必须大于零")
    if requested_fen > computed.amount_fen:
        raise _refuse(
            "amount-above-rule",
            "amount_fen",
            f"{requested_fen} fen is above the {computed.amount_fen} fen program {program.code} allows",
            f"申请金额 {requested_fen} 分超过项目 {program.code} 规定的 {computed.amount_fen} 分",
        )
    return requested_fen


def linked_households(program: Program, details: dict[str, Any]) -> list[str]:
    """The households an enterprise application says it brings along (empty for households)."""
    if program.eligibility.applicant != "enterprise" or program.kind != "interest_subsidy":
        return []
    return list(parse_details(LoanDetails, details).linked_households)
