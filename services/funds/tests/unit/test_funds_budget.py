"""Budget splits: children never exceed the parent; cost shares split exactly with largest remainder."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funds.domain.budget import check_split, split_by_sources
from funds.domain.program import FundingShare
from jzkit.errors import InvalidInput


def _shares(*percents: int) -> list[FundingShare]:
    return [FundingShare(source=f"s{i}", percent=p) for i, p in enumerate(percents)]


def test_check_split() -> None:
    check_split(1000, [400, 600])
    check_split(1000, [])
    for parent, children, field in [
        (1000, [400, 601], "amount_fen"),
        (1000, [1200, -200], "amount_fen[1]"),
        (-1, [], "amount_fen"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            check_split(parent, children)
        assert caught.value.field == field
    with pytest.raises(InvalidInput) as caught:
        check_split(10, [11], field="children")
    assert caught.value.field == "children"


def test_split_examples() -> None:
    assert split_by_sources(10000, _shares(70, 30)) == {"s0": 7000, "s1": 3000}
    assert split_by_sources(1, _shares(70, 30)) == {"s0": 1, "s1": 0}
    # 100 fen by 33/33/34 is exact; 1 fen goes to the largest remainder (34 % → s2).
    assert split_by_sources(100, _shares(33, 33, 34)) == {"s0": 33, "s1": 33, "s2": 34}
    assert split_by_sources(1, _shares(33, 33, 34)) == {"s0": 0, "s1": 0, "s2": 1}
    # Equal remainders: the source listed first wins.
    assert split_by_sources(1, _shares(50, 50)) == {"s0": 1, "s1": 0}
    assert split_by_sources(0, _shares(50, 50)) == {"s0": 0, "s1": 0}
    with pytest.raises(ValueError):
        split_by_sources(-1, _shares(100))
    with pytest.raises(ValueError):
        split_by_sources(1, _shares(60, 30))


@st.composite
def share_lists(draw: st.DrawFn) -> list[FundingShare]:
    """Between one and five shares that sum to 100 percent."""
    cuts = sorted(draw(st.sets(st.integers(1, 99), max_size=4)))
    bounds = [0, *cuts, 100]
    return _shares(*(b - a for a, b in pairwise(bounds)))


@given(amount=st.integers(0, 10**13), shares=share_lists())
def test_parts_sum_to_the_whole_and_stay_within_a_fen(amount: int, shares: list[FundingShare]) -> None:
    parts = split_by_sources(amount, shares)
    assert sum(parts.values()) == amount
    for share in shares:
        exact = amount * share.percent
        assert abs(parts[share.source] * 100 - exact) < 100
    assert split_by_sources(amount, shares) == parts


@given(yuan=st.integers(0, 10**11), shares=share_lists())
def test_whole_yuan_split_exactly(yuan: int, shares: list[FundingShare]) -> None:
    parts = split_by_sources(yuan * 100, shares)
    assert all(parts[s.source] == yuan * s.percent for s in shares)
