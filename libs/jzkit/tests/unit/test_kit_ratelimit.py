"""Token buckets: burst, refill, per-key isolation, bounded memory."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jzkit.ratelimit import TokenBuckets, retry_after_header


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refused_then_refilled() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=2, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.take("a") == 0
    assert buckets.take("a") > 0


def test_keys_do_not_share_a_bucket() -> None:
    buckets = TokenBuckets(rate=1, burst=1, clock=Clock())
    assert buckets.take("a") == 0
    assert buckets.take("a") > 0
    assert buckets.take("b") == 0


def test_refill_is_capped_at_the_burst() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=10, burst=2, clock=clock)
    clock.now += 3600
    assert [buckets.take("a") == 0 for _ in range(3)] == [True, True, False]


def test_memory_stays_bounded() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=1, burst=5, clock=clock, max_keys=100)
    for i in range(1000):
        buckets.take(f"ip-{i}")
    assert len(buckets) <= 100


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        TokenBuckets(rate=0, burst=5)
    with pytest.raises(ValueError):
        TokenBuckets(rate=1, burst=0.5)


@given(st.floats(min_value=0.0001, max_value=10_000))
def test_retry_after_is_a_positive_whole_number(wait: float) -> None:
    value = int(retry_after_header(wait))
    assert value >= 1 and value >= wait


@given(st.lists(st.floats(min_value=0, max_value=5), max_size=50))
def test_never_more_than_burst_plus_refill(gaps: list[float]) -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=2, burst=4, clock=clock)
    allowed = 0
    for gap in gaps:
        clock.now += gap
        allowed += buckets.take("k") == 0
    assert allowed <= 4 + 2 * clock.now
