"""Scale control (规模控制): a division's people quota covers the quotas split to its children."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SplitProblem:
    """Why a quota does not fit the tree (messages in English and Chinese)."""

    code: str
    message_en: str
    message_zh: str


def check_split(
    people: int, parent_people: int | None, siblings_people: int, children_people: int
) -> SplitProblem | None:
    """None when ``people`` fits under the parent's quota and above its own children's sum."""
    if parent_people is not None and siblings_people + people > parent_people:
        room = max(0, parent_people - siblings_people)
        return SplitProblem(
            "quota-exceeds-parent",
            f"the children's quotas would exceed the parent's {parent_people} people (room left: {room})",
            f"下级指标之和将超过上级指标 {parent_people} 人（剩余 {room} 人）",
        )
    if children_people > people:
        return SplitProblem(
            "quota-below-children",
            f"quotas already split to sub-divisions total {children_people} people, more than {people}",
            f"已分解到下级的指标合计 {children_people} 人，超过 {people} 人",
        )
    return None
