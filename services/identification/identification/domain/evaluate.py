"""Assess one household under a policy, rule by rule, with the reasons in Chinese and English."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from identification.domain.derived import FactsView, view
from identification.domain.policy import (
    BandScoring,
    Indicator,
    LevelScoring,
    Policy,
    PriorityId,
    TagScoring,
)
from jzkit.contracts.registry import HouseholdFacts

PRIORITY_LABELS = {
    PriorityId.DISABLED_MEMBER: ("优先：有残疾人的家庭", "priority: household with a disabled member"),
    PriorityId.SINGLE_CHILD: ("优先：独生子女家庭", "priority: single-child family"),
    PriorityId.ALL_DAUGHTERS: ("优先：纯女户家庭", "priority: all-daughter family"),
}
EXCLUSION_LABELS = {
    "idle_land": ("不评：土地撂荒", "excluded: land left idle"),
    "family_planning_violation": ("不评：违反计划生育", "excluded: family-planning violation"),
    "crime": ("不评：赌博、吸毒或违法犯罪", "excluded: gambling, drugs or crime"),
    "wubao": ("不评：五保户", "excluded: wubao household"),
    "dibao": ("不评：低保户", "excluded: dibao household"),
    "sanwu": ("不评：三无人员", "excluded: sanwu household"),
}


class RuleOutcome(BaseModel):
    """One rule's inputs and result ("why not me?")."""

    rule: str
    label_zh: str
    label_en: str
    inputs: dict[str, Any]
    outcome: str
    points: int = 0


class Assessment(BaseModel):
    """Eligibility, score, flags and every rule's outcome; what a case stores."""

    household_id: str
    household_version: int
    policy_name: str
    eligible: bool
    score: int
    income_below_line: bool
    priorities: list[str]
    exclusions: list[str]
    exit_ready: bool
    monitoring_candidate: bool
    rules: list[RuleOutcome]


def _percent(
    scoring: BandScoring | LevelScoring | TagScoring, facts: FactsView
) -> tuple[int, dict[str, Any]]:
    if isinstance(scoring, BandScoring):
        value = facts.numbers[scoring.fact]
        band = next((b for b in scoring.bands if value < b.below), None)
        return (band.percent if band else scoring.otherwise_percent), {
            scoring.fact.value: value,
            "band_below": band.below if band else None,
        }
    if isinstance(scoring, LevelScoring):
        return scoring.levels.get(facts.housing, scoring.otherwise_percent), {"housing": facts.housing}
    tags = facts.causes if scoring.fact == "poverty_causes" else facts.flags
    hit = sorted(t for t in scoring.percents if t in tags)
    return min(100, sum(scoring.percents[t] for t in hit)), {scoring.fact: hit}


def indicator_points(indicator: Indicator, facts: FactsView) -> RuleOutcome:
    """Points of one 五比五看 comparison: weight × percent ÷ 100, floored."""
    percent, inputs = _percent(indicator.scoring, facts)
    points = indicator.weight * percent // 100
    return RuleOutcome(
        rule=f"indicator:{indicator.id.value}",
        label_zh=indicator.label_zh,
        label_en=indicator.label_en,
        inputs={**inputs, "weight": indicator.weight, "percent": percent},
        outcome="scored",
        points=points,
    )


def priority_hit(pid: PriorityId, facts: FactsView) -> bool:
    """True when the household has the 三优先 property ``pid``."""
    return {
        PriorityId.DISABLED_MEMBER: facts.has_disabled_member,
        PriorityId.SINGLE_CHILD: facts.single_child,
        PriorityId.ALL_DAUGHTERS: facts.all_daughters,
    }[pid]


def assess(policy: Policy, facts: HouseholdFacts) -> Assessment:
    """Evaluate every rule of ``policy`` on ``facts`` (pure; the SQL evaluation computes the same)."""
    fv = view(facts)
    pci = facts.per_capita_income_fen
    below = pci < policy.income_line_fen
    rules = [
        RuleOutcome(
            rule="income_line",
            label_zh="人均纯收入低于扶贫标准",
            label_en="per-capita net income below the poverty line",
            inputs={"per_capita_income_fen": pci, "income_line_fen": policy.income_line_fen},
            outcome="pass" if below else "fail",
        )
    ]
    exclusions: list[str] = []
    for ex in policy.exclusions:
        hit = ex.enabled and ex.flag_name in fv.flags
        if hit:
            exclusions.append(ex.id.value)
        zh, en = EXCLUSION_LABELS[ex.id.value]
        outcome = "disabled" if not ex.enabled else ("hit" if hit else "clear")
        rules.append(
            RuleOutcome(
                rule=f"exclusion:{ex.id.value}",
                label_zh=zh,
                label_en=en,
                inputs={"flag": ex.flag_name, "value": ex.flag_name in fv.flags},
                outcome=outcome,
            )
        )
    priorities: list[str] = []
    for pr in policy.priorities:
        has = priority_hit(pr.id, fv)
        if pr.enabled and has:
            priorities.append(pr.id.value)
        zh, en = PRIORITY_LABELS[pr.id]
        outcome = "disabled" if not pr.enabled else ("yes" if has else "no")
        rules.append(
            RuleOutcome(
                rule=f"priority:{pr.id.value}",
                label_zh=zh,
                label_en=en,
                inputs={pr.id.value: has},
                outcome=outcome,
            )
        )
    scored = [indicator_points(i, fv) for i in policy.indicators]
    rules.extend(scored)
    score = sum(r.points for r in scored)
    enough = score >= policy.min_score
    rules.append(
        RuleOutcome(
            rule="min_score",
            label_zh="五比五看总分达到最低分",
            label_en="comparison score reaches the minimum",
            inputs={"score": score, "min_score": policy.min_score},
            outcome="pass" if enough else "fail",
        )
    )
    exit_rule = policy.exit_rule
    open_causes = sorted(c for c in exit_rule.causes_absent if c in fv.causes)
    exit_ready = pci >= policy.exit_line_fen and fv.housing in exit_rule.housing_in and not open_causes
    rules.append(
        RuleOutcome(
            rule="exit",
            label_zh="脱贫标准：收入超过标准且住房、教育、医疗有保障",
            label_en="exit: income above the line and housing, education, health guaranteed",
            inputs={
                "per_capita_income_fen": pci,
                "exit_line_fen": policy.exit_line_fen,
                "housing": fv.housing,
                "housing_in": exit_rule.housing_in,
                "unmet_guarantees": open_causes,
            },
            outcome="met" if exit_ready else "not_met",
        )
    )
    shocks = sorted(s for s in policy.monitoring.shocks if s in fv.causes)
    at_risk = pci < policy.monitoring_line_fen or bool(shocks)
    rules.append(
        RuleOutcome(
            rule="monitoring",
            label_zh="防止返贫监测：收入低于监测线或遭遇风险",
            label_en="monitoring: income below the monitoring line or a qualifying shock",
            inputs={
                "per_capita_income_fen": pci,
                "monitoring_line_fen": policy.monitoring_line_fen,
                "shocks": shocks,
            },
            outcome="candidate" if at_risk else "not_candidate",
        )
    )
    return Assessment(
        household_id=facts.household_id,
        household_version=facts.household_version,
        policy_name=policy.name,
        eligible=below and not exclusions and enough,
        score=score,
        income_below_line=below,
        priorities=priorities,
        exclusions=exclusions,
        exit_ready=exit_ready,
        monitoring_candidate=at_risk,
        rules=rules,
    )
