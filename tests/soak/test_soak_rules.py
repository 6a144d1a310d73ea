"""The soak's judgement without a stack: the memory rule, the verdict's reasons, the target pools."""

from __future__ import annotations

import random
from typing import Any

from bench.soak import report as reporting
from bench.soak.rss import MB, Sample, verdicts
from bench.soak.world import Pool

DURATION = 600.0


def series(values_mb: list[float | None]) -> list[Sample]:
    """One process ("p") sampled evenly over DURATION."""
    step = DURATION / (len(values_mb) - 1)
    return [
        Sample(i * step, {"p": None if v is None else int(v * MB)}, {"p": float(i)}, 0.0)
        for i, v in enumerate(values_mb)
    ]


def test_warm_up_then_flat_levels_off() -> None:
    (verdict,) = verdicts(series([100, 140, 150, 151, 150, 152, 151]), DURATION)
    assert verdict["levelled"] and verdict["second_half_growth_mb"] == 1.0  # 152 after 151
    assert verdict["start_mb"] == 100 and verdict["end_mb"] == 151


def test_steady_growth_in_the_second_half_does_not() -> None:
    (verdict,) = verdicts(series([100, 101, 102, 103, 110, 120, 130]), DURATION)
    assert not verdict["levelled"]
    assert verdict["second_half_growth_mb"] == 27.0 and verdict["allowed_growth_mb"] == 20.0


def test_allowance_is_a_tenth_of_a_large_process() -> None:
    (verdict,) = verdicts(series([400, 400, 400, 400, 430, 435, 439]), DURATION)
    assert verdict["allowed_growth_mb"] == 40.0 and verdict["levelled"]


def test_a_process_that_exited_fails() -> None:
    (verdict,) = verdicts(series([100, 100, 100, None, 100, 100, 100]), DURATION)
    assert verdict["exited"] and not verdict["levelled"]


def minimal_report(errors: int, levelled: bool) -> dict[str, Any]:
    routes = [{"route": "GET /x", "count": 1000, "errors": errors, "error_kinds": {}}]
    process = {"process": "p", "exited": False, "levelled": levelled}
    process |= {"second_half_growth_mb": 30.0, "allowed_growth_mb": 20.0}
    return {
        "overall": {"error_rate": errors / 1000},
        "memory": {"processes": [process]},
        "routes": routes,
        "review": {"status": "done"},
        "queues": {"audit": {"backlog": 3, "dead_letters": 0}},
    }


def test_verdict_names_every_reason() -> None:
    limits = reporting.Limits(max_error_rate=0.001)
    failed = reporting.verdict(minimal_report(errors=2, levelled=False), limits)
    assert not failed["ok"]
    reasons = " | ".join(failed["reasons"])
    assert "error rate 0.2000% > 0.1000%" in reasons
    assert "p memory did not level off" in reasons
    assert "routes never exercised" in reasons  # the minimal report has one route only


def test_pool_choice_and_removal() -> None:
    pool = Pool(range(10))
    for item in (0, 9, 5):
        pool.discard(item)
    assert sorted(pool) == [1, 2, 3, 4, 6, 7, 8] and 5 not in pool
    rng = random.Random(1)
    assert {pool.choice(rng) for _ in range(200)} == set(pool)
    for item in list(pool):
        pool.discard(item)
    assert len(pool) == 0 and pool.choice(rng) is None
