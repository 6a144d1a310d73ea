"""Budgets (预算): top-down splits that never exceed the parent, and cost sharing between sources."""

from __future__ import annotations

from collections.abc import Sequence

from funds.domain.program import FundingShare
from jzkit.errors import InvalidInput


def check_split(parent_fen: int, children: Sequence[int], field: str = "amount_fen") -> None:
    """Refuse negative parts or children that together exceed their parent's budget."""
    if parent_fen < 0:
        raise InvalidInput("negative-budget", "a budget cannot be negative", "预算不能为负数", field=field)
    for index, child in enumerate(children):
        if child < 0:
            raise InvalidInput(
                "negative-budget", "a budget cannot be negative", "预算不能为负数", field=f"{field}[{index}]"
            )
    total = sum(children)
    if total > parent_fen:
        raise InvalidInput(
            "budget-split-exceeds-parent",
            f"the divisions' budgets add up to {total} fen, more than the parent's {parent_fen} fen",
            f"下级预算合计 {total} 分,超过上级预算 {parent_fen} 分",
            field=field,
        )


def split_by_sources(amount_fen: int, shares: Sequence[FundingShare]) -> dict[str, int]:
    """Split ``amount_fen`` by percent with the largest-remainder rule; the parts sum to the whole.

    Each source first gets the floor of its exact share; the fen left over go one each to the
    sources with the largest remainders, ties to the source listed first. Deterministic, so the
    same amount splits the same way on reservation, payment, release and return.
    """
    if amount_fen < 0:
        raise ValueError("amount must not be negative")
    total_percent = sum(s.percent for s in shares)
    if total_percent != 100:
        raise ValueError("shares must sum to 100 percent")
    parts: dict[str, int] = {}
    remainders: list[tuple[int, int, str]] = []
    for order, share in enumerate(shares):
        whole, rest = divmod(amount_fen * share.percent, 100)
        parts[share.source] = whole
        remainders.append((-rest, order, share.source))
    left = amount_fen - sum(parts.values())
    for _, _, source in sorted(remainders)[:left]:
        parts[source] += 1
    return parts
