"""Pure rules: policy documents, scoring, quotas split, village rule, spot-check sizes, review summary."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from pydantic import ValidationError

from identification.domain.evaluate import assess
from identification.domain.policy import Policy
from identification.domain.quotas import check_split
from identification.domain.reviews import summarize
from identification.domain.spot_checks import draw, sample_size
from identification.domain.synthetic import household_facts, member
from identification.domain.villages import AreaTotals, VillageFacts, assess_village
from identification.policies import DEFAULT, EXAMPLE, document


def policy(name: str = DEFAULT) -> Policy:
    return Policy.model_validate(document(name))


def test_notice_lengths_are_iso_durations() -> None:
    default, example = policy(), policy(EXAMPLE)
    assert (default.notices.first, default.notices.second, default.notices.county) == (
        timedelta(days=7),
        timedelta(days=7),
        None,
    )
    assert (example.notices.first, example.notices.county) == (timedelta(seconds=2), timedelta(days=15))
    assert default.model_dump(mode="json")["notices"]["first"] == "P7D"


def test_the_seed_numbers() -> None:
    p = policy()
    assert (p.income_line_fen, p.income_line_2010_fen) == (273_600, 230_000)
    assert (p.monitoring_line_fen, p.monitoring.deadline_working_days) == (410_400, 20)
    assert {e.id.value for e in p.exclusions if e.enabled} == {
        "idle_land",
        "family_planning_violation",
        "crime",
    }


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        (lambda d: d.update(income_line_fen=0), ("income_line_fen",)),
        (lambda d: d["indicators"].pop(), ("indicators",)),
        (lambda d: d["indicators"].append(copy.deepcopy(d["indicators"][0])), ("indicators",)),
        (lambda d: d.update(surprise=1), ("surprise",)),
        (
            lambda d: d["monitoring"].update(line_percent_of_poverty_line=0),
            ("monitoring", "line_percent_of_poverty_line"),
        ),
        (
            lambda d: d["indicators"][0]["scoring"]["bands"].reverse(),
            ("indicators", 0, "scoring", "bands", "bands"),
        ),
        (lambda d: d.update(division_code="5108"), ("division_code",)),
    ],
)
def test_bad_documents_name_the_field(change: object, loc: tuple[object, ...]) -> None:
    doc = copy.deepcopy(document(DEFAULT))
    change(doc)  # type: ignore[operator]
    with pytest.raises(ValidationError) as err:
        Policy.model_validate(doc)
    assert err.value.errors()[0]["loc"] == loc


def test_a_disabled_exclusion_does_not_exclude() -> None:
    dibao = household_facts(annual_net_income_fen=100_000, flags={"dibao": True})
    assert assess(policy(), dibao).eligible is True
    assert assess(policy(EXAMPLE), dibao).exclusions == ["dibao"]


def test_exit_needs_income_housing_and_the_guarantees() -> None:
    p = policy()
    ok = household_facts(annual_net_income_fen=600_000, housing="safe")
    assert assess(p, ok).exit_ready is True
    assert assess(p, ok.model_copy(update={"housing": "unsafe"})).exit_ready is False
    assert assess(p, ok.model_copy(update={"poverty_causes": ["education"]})).exit_ready is False


def test_labour_share_scores_the_labour_indicator() -> None:
    nobody = household_facts(members=[member(labour="none"), member(labour="none", relation="spouse")])
    rules = {r.rule: r for r in assess(policy(), nobody).rules}
    assert (rules["indicator:labour"].inputs["labour_percent"], rules["indicator:labour"].points) == (0, 20)


def test_quota_split() -> None:
    assert check_split(40, 100, 60, 0) is None
    assert check_split(41, 100, 60, 0).code == "quota-exceeds-parent"  # type: ignore[union-attr]
    assert check_split(10, None, 0, 11).code == "quota-below-children"  # type: ignore[union-attr]
    assert check_split(10, None, 0, 10) is None


def test_village_rule_variants() -> None:
    village, county = AreaTotals(100, 30, 20_000_000), AreaTotals(1000, 100, 400_000_000)
    facts = VillageFacts(0, False, 1200, 500_000)
    county_rule = policy().village_rule
    province_rule = policy(EXAMPLE).village_rule
    assert assess_village(county_rule, village, county, facts)["poor_village"] is True
    # 30% vs twice 12% = 24%: high; 2000 yuan vs 60% of 5000 = 3000: low; 0 ≤ 30000: none.
    assert assess_village(province_rule, village, county, facts)["poor_village"] is True
    higher = VillageFacts(0, False, 1600, 500_000)
    assert (
        assess_village(province_rule, village, county, higher)["tests"]["high_incidence"]["outcome"]
        == "not_met"
    )
    assert (
        assess_village(county_rule, village, county, None)["tests"]["no_collective_income"]["outcome"]
        == "unknown"
    )


def test_spot_check_sizes_and_determinism() -> None:
    assert [sample_size(n, 5, 3) for n in (0, 2, 10, 100, 101)] == [0, 2, 3, 5, 6]
    strata = {"510822104000": [f"h{i}" for i in range(50)], "510822100000": ["a", "b"]}
    first = draw("seed", strata, 10, 3)
    assert [s.township_code for s in first] == ["510822100000", "510822104000"]
    assert first == draw("seed", {k: list(reversed(v)) for k, v in strata.items()}, 10, 3)
    assert [len(s.sample) for s in first] == [2, 5]


def test_summary_counts_quota_use() -> None:
    out = summarize([("v1", "stay", 2, 5), ("v1", "entry", 1, 3), ("v1", "monitoring", 4, 9)], {"v1": 10})
    assert (out[0]["quota_used"], out[0]["quota_left"], out[0]["people"]["monitoring"]) == (8, 2, 9)
