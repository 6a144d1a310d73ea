"""Facts derived from a household snapshot the same way for Python assessment and the SQL projection."""

from __future__ import annotations

from dataclasses import dataclass

from identification.domain.policy import NumericFact
from jzkit.contracts.registry import HouseholdFacts

LABOUR_ABLE = frozenset({"full", "partial"})
ILL = frozenset({"chronic_illness", "serious_illness"})


@dataclass(frozen=True)
class FactsView:
    """What the rules read: numbers by name, housing, and the tag sets (lower-case)."""

    numbers: dict[NumericFact, int]
    housing: str
    causes: frozenset[str]
    flags: frozenset[str]
    has_disabled_member: bool
    single_child: bool
    all_daughters: bool


def tags_text(tags: frozenset[str]) -> str:
    """Tags as stored in the projection: ``,a,b,`` (sorted) so ``LIKE '%,a,%'`` finds one exactly."""
    return "," + ",".join(sorted(tags)) + "," if tags else ","


def view(facts: HouseholdFacts) -> FactsView:
    """Derive the rule inputs from ``facts``."""
    members = facts.members
    labour = sum(1 for m in members if m.labour in LABOUR_ABLE)
    count = facts.members_count
    numbers = {
        NumericFact.PER_CAPITA_INCOME_FEN: facts.per_capita_income_fen,
        NumericFact.ANNUAL_NET_INCOME_FEN: facts.annual_net_income_fen,
        NumericFact.MEMBERS_COUNT: count,
        NumericFact.LABOUR_MEMBERS: labour,
        NumericFact.LABOUR_PERCENT: labour * 100 // count if count > 0 else 0,
        NumericFact.ILL_MEMBERS: sum(1 for m in members if m.health in ILL),
        NumericFact.DISABLED_MEMBERS: sum(1 for m in members if m.disability),
        NumericFact.STUDENTS: sum(1 for m in members if m.in_school),
    }
    return FactsView(
        numbers=numbers,
        housing=facts.housing,
        causes=frozenset(c.lower() for c in facts.poverty_causes),
        flags=frozenset(k.lower() for k, v in facts.flags.items() if v),
        has_disabled_member=facts.has_disabled_member,
        single_child=facts.single_child,
        all_daughters=facts.all_daughters,
    )
