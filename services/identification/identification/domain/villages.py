"""Identifying poor villages (一高一低一无) from projection totals and village facts, with the reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from identification.domain.policy import VillageRule


@dataclass(frozen=True)
class AreaTotals:
    """Population, poor people (locked in) and the sum of household net incomes of an area."""

    population: int
    poor_people: int
    income_fen: int


@dataclass(frozen=True)
class VillageFacts:
    """What registry events do not carry: collective income, model-village flag, provincial figures."""

    collective_income_fen: int
    model_village: bool
    province_incidence_permyriad: int | None
    province_per_capita_income_fen: int | None


def _incidence(
    rule: VillageRule, village: AreaTotals, county: AreaTotals, facts: VillageFacts | None
) -> dict[str, Any]:
    test = rule.incidence
    inputs: dict[str, Any] = {"poor_people": village.poor_people, "population": village.population}
    # Cross-multiplied integers: no rounding decides a village's status.
    left = village.poor_people * 10_000 * 100
    if test.compare == "county_rate":
        inputs.update(county_poor_people=county.poor_people, county_population=county.population)
        met = (
            village.population > 0
            and county.population > 0
            and (
                village.poor_people * county.population * 100
                > county.poor_people * village.population * test.multiplier_percent
            )
        )
    else:
        province = facts.province_incidence_permyriad if facts else None
        inputs["province_incidence_permyriad"] = province
        if province is None or village.population == 0:
            return {"inputs": inputs, "outcome": "unknown"}
        met = left > province * test.multiplier_percent * village.population
    inputs["multiplier_percent"] = test.multiplier_percent
    return {"inputs": inputs, "outcome": "met" if met else "not_met"}


def _income(
    rule: VillageRule, village: AreaTotals, county: AreaTotals, facts: VillageFacts | None
) -> dict[str, Any]:
    test = rule.income
    inputs: dict[str, Any] = {
        "income_fen": village.income_fen,
        "population": village.population,
        "percent": test.percent,
    }
    if village.population == 0:
        return {"inputs": inputs, "outcome": "unknown"}
    if test.compare == "county_average":
        inputs.update(county_income_fen=county.income_fen, county_population=county.population)
        met = (
            village.income_fen * county.population * 100
            < county.income_fen * village.population * test.percent
        )
    else:
        province = facts.province_per_capita_income_fen if facts else None
        inputs["province_per_capita_income_fen"] = province
        if province is None:
            return {"inputs": inputs, "outcome": "unknown"}
        met = village.income_fen * 100 < province * village.population * test.percent
    return {"inputs": inputs, "outcome": "met" if met else "not_met"}


def assess_village(
    rule: VillageRule, village: AreaTotals, county: AreaTotals, facts: VillageFacts | None
) -> dict[str, Any]:
    """Each of the three tests with inputs and outcome, the model-village exclusion, and the verdict."""
    collective: dict[str, Any] = {
        "inputs": {
            "collective_income_fen": facts.collective_income_fen if facts else None,
            "max_fen": rule.collective_income_max_fen,
        },
        "outcome": "unknown"
        if facts is None
        else ("met" if facts.collective_income_fen <= rule.collective_income_max_fen else "not_met"),
    }
    excluded = bool(facts and facts.model_village and rule.exclude_model_villages)
    tests = {
        "high_incidence": {
            "label_zh": "一高：贫困发生率高",
            "label_en": "high poverty incidence",
            **_incidence(rule, village, county, facts),
        },
        "low_income": {
            "label_zh": "一低：人均纯收入低",
            "label_en": "low per-capita income",
            **_income(rule, village, county, facts),
        },
        "no_collective_income": {
            "label_zh": "一无：无村集体经济收入",
            "label_en": "no collective income",
            **collective,
        },
    }
    all_met = all(t["outcome"] == "met" for t in tests.values())
    return {
        "tests": tests,
        "model_village": bool(facts and facts.model_village),
        "excluded_as_model_village": excluded,
        "poor_village": all_met and not excluded,
    }
