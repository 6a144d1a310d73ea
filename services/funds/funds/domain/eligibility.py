"""Who may receive a program's money: locked-in poor households, or enterprises bringing enough along."""

from __future__ import annotations

from funds.domain.program import Program
from jzkit.errors import InvalidInput


def check_eligibility(
    program: Program, *, applicant: str, locked_in: bool, linked_locked_in_households: int = 0
) -> None:
    """Refuse an applicant the program does not cover; ``locked_in`` means on the roster, not exited."""
    rules = program.eligibility
    if applicant != rules.applicant:
        raise InvalidInput(
            "wrong-applicant",
            f"program {program.code} is for a {rules.applicant}, not a {applicant}",
            f"项目 {program.code} 的申请对象不是{applicant}",
            field="household_id",
        )
    if applicant == "household" and rules.locked_in_only and not locked_in:
        raise InvalidInput(
            "household-not-locked-in",
            "the household is not a locked-in poor household (or has exited)",
            "该户不是建档立卡贫困户(或已脱贫退出)",
            field="household_id",
        )
    if linked_locked_in_households < rules.min_linked_households:
        raise InvalidInput(
            "too-few-linked-households",
            f"{linked_locked_in_households} locked-in households linked, at least "
            f"{rules.min_linked_households} needed",
            f"带动建档立卡贫困户 {linked_locked_in_households} 户,少于 {rules.min_linked_households} 户",
            field="details.linked_households",
        )
