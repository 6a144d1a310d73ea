"""Derived facts that eligibility rules read (三优先: disabled member, single child, all daughters)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class MemberLike(Protocol):
    """What the derivations read of a member."""

    @property
    def relation(self) -> str: ...
    @property
    def sex(self) -> str: ...
    @property
    def disability(self) -> bool: ...


@dataclass(frozen=True)
class DerivedFacts:
    """Members count, per-capita income and the priority facts."""

    members_count: int
    per_capita_income_fen: int
    has_disabled_member: bool
    single_child: bool
    all_daughters: bool


def _value(v: object) -> str:
    return str(getattr(v, "value", v))


def derive(annual_net_income_fen: int, members: Sequence[MemberLike]) -> DerivedFacts:
    """Per-capita income is floored to whole fen; children are the head's children (relation ``child``)."""
    count = len(members)
    children = [m for m in members if _value(m.relation) == "child"]
    return DerivedFacts(
        members_count=count,
        per_capita_income_fen=annual_net_income_fen // count if count else 0,
        has_disabled_member=any(m.disability for m in members),
        single_child=len(children) == 1,
        all_daughters=bool(children) and all(_value(m.sex) == "female" for m in children),
    )
