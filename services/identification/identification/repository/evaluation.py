"""A policy compiled to one set-based SQL evaluation (SQLAlchemy Core; PostgreSQL and SQLite).

The expressions mirror :func:`identification.domain.evaluate.assess` exactly: every band's points
(weight × percent ÷ 100) are computed in Python and appear in SQL as constants, tags are matched in
the ``,a,b,`` text columns, and the one division left (capped tag percent) is on non-negative
integers, where SQL's truncating division equals Python's floor division.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from identification.domain.policy import BandScoring, Indicator, LevelScoring, Policy, PriorityId
from identification.models.facts import household_facts as T

NOT_POOR = ("registered", "rejected", "exited")
PRIORITY_COLUMNS = {
    PriorityId.DISABLED_MEMBER: T.c.has_disabled_member,
    PriorityId.SINGLE_CHILD: T.c.single_child,
    PriorityId.ALL_DAUGHTERS: T.c.all_daughters,
}


class least(FunctionElement[int]):
    """The smaller argument: ``LEAST`` on PostgreSQL, two-argument ``MIN`` on SQLite (no repeated operand)."""

    type = sa.Integer()
    inherit_cache = True


@compiles(least)
def _least(element: least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"LEAST({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element: least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"MIN({compiler.process(element.clauses, **kw)})"


def _has_tag(column: sa.Column[str], tag: str) -> ColumnElement[bool]:
    return column.contains(f",{tag},", autoescape=True)


def _flag01(condition: ColumnElement[bool] | None) -> ColumnElement[int]:
    if condition is None:
        return sa.literal(0, sa.Integer)
    return sa.case((condition, 1), else_=0)


def _any(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool] | None:
    return sa.or_(*conditions) if conditions else None


def indicator_points(indicator: Indicator) -> ColumnElement[int]:
    """SQL points of one comparison (see :func:`identification.domain.evaluate.indicator_points`)."""
    weight = indicator.weight
    scoring = indicator.scoring
    if isinstance(scoring, BandScoring):
        column = T.c[scoring.fact.value]
        whens = [(column < b.below, weight * b.percent // 100) for b in scoring.bands]
        return sa.case(*whens, else_=weight * scoring.otherwise_percent // 100)
    if isinstance(scoring, LevelScoring):
        whens = [(T.c.housing == level, weight * p // 100) for level, p in sorted(scoring.levels.items())]
        return sa.case(*whens, else_=weight * scoring.otherwise_percent // 100)
    column = T.c.causes if scoring.fact == "poverty_causes" else T.c.flags
    total = sum(
        (sa.case((_has_tag(column, tag), p), else_=0) for tag, p in sorted(scoring.percents.items())),
        start=sa.literal(0, sa.Integer),
    )
    return sa.cast(least(total, 100) * weight, sa.Integer) // 100


@dataclass(frozen=True)
class Evaluation:
    """The compiled per-household columns of one policy."""

    score: ColumnElement[int]
    priority: ColumnElement[int]
    excluded: ColumnElement[int]
    exit_ready: ColumnElement[int]
    at_risk: ColumnElement[int]


def compile_policy(policy: Policy) -> Evaluation:
    """Per-household SQL expressions over ``household_facts`` for ``policy``."""
    score = sum((indicator_points(i) for i in policy.indicators), start=sa.literal(0, sa.Integer))
    priority = _any([PRIORITY_COLUMNS[p.id] == sa.true() for p in policy.priorities if p.enabled])
    excluded = _any([_has_tag(T.c.flags, e.flag_name) for e in policy.exclusions if e.enabled])
    rule = policy.exit_rule
    open_causes = _any([_has_tag(T.c.causes, c) for c in rule.causes_absent])
    exit_parts = [T.c.per_capita_income_fen >= policy.exit_line_fen, T.c.housing.in_(rule.housing_in)]
    if open_causes is not None:
        exit_parts.append(sa.not_(open_causes))
    risk = [T.c.per_capita_income_fen < policy.monitoring_line_fen]
    risk += [_has_tag(T.c.causes, s) for s in policy.monitoring.shocks]
    return Evaluation(
        score=score,
        priority=_flag01(priority),
        excluded=_flag01(excluded),
        exit_ready=_flag01(sa.and_(*exit_parts)),
        at_risk=_flag01(sa.or_(*risk)),
    )


def evaluation_select(policy: Policy, division_prefix: str) -> sa.Subquery:
    """One row per household under ``division_prefix``: facts, score, flags and ``eligible`` (0/1)."""
    ev = compile_policy(policy)
    inner = (
        sa.select(
            T.c.household_id,
            T.c.division_code,
            T.c.members_count,
            T.c.per_capita_income_fen,
            T.c.decision_status,
            T.c.monitored,
            ev.score.label("score"),
            ev.priority.label("priority"),
            ev.excluded.label("excluded"),
            ev.exit_ready.label("exit_ready"),
            ev.at_risk.label("at_risk"),
        )
        .where(T.c.division_code.startswith(division_prefix, autoescape=True))
        .subquery("scored")
    )
    tests = [inner.c.per_capita_income_fen < policy.income_line_fen, inner.c.excluded == 0]
    # Scores are never negative: a zero minimum needs no test (and PostgreSQL, which inlines the
    # subquery, would otherwise compute the score a second time for it).
    if policy.min_score > 0:
        tests.append(inner.c.score >= policy.min_score)
    eligible = sa.case((sa.and_(*tests), 1), else_=0)
    return sa.select(inner, eligible.label("eligible")).subquery("evaluated")
