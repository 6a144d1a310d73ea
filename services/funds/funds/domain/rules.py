"""Amount rules of a program, one schema per kind; all money in integer fen, rates in basis points."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Fen = Annotated[int, Field(strict=True, gt=0)]
"""A positive amount of money in fen (分); strict so that 1.5 or "100" are refused, not coerced."""

Key = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FixedRule(_Rule):
    """The same amount for every eligible household per period."""

    kind: Literal["fixed"]
    amount_fen: Fen


class TieredRule(_Rule):
    """An amount per declared type (``details.industries``), summed, then capped (产业到户补助)."""

    kind: Literal["tiered"]
    tiers: dict[Key, Fen] = Field(min_length=1)
    cap_fen: Fen


class PerStudentMonthRule(_Rule):
    """An amount per student per month by school level, for the months of the period (助学)."""

    kind: Literal["per_student_month"]
    monthly_fen_by_level: dict[Key, Fen] = Field(min_length=1)
    max_students: int | None = Field(default=None, strict=True, gt=0)


class PerMuRule(_Rule):
    """An amount per mu (亩) of land, ``details.mu`` a decimal string (土地流转增补)."""

    kind: Literal["per_mu"]
    per_mu_fen: Fen
    max_mu: Decimal | None = Field(default=None, gt=0)


class InterestSubsidyRule(_Rule):
    """Principal × subsidised rate × days/365 for the period's overlap with the loan, capped (贴息)."""

    kind: Literal["interest_subsidy"]
    rate_bp: int = Field(strict=True, gt=0, le=10000)
    cap_fen: Fen


class ReliefByCategoryRule(_Rule):
    """One-off relief by household category; a household in several gets the highest (临时救助)."""

    kind: Literal["relief_by_category"]
    amounts_by_category: dict[Key, Fen] = Field(min_length=1)
    # Categories the registry snapshot does not record (orphan, near-低保): the applicant declares
    # them in ``details.categories`` and the work team verifies them; all others come from flags.
    claimable_categories: list[Key] = Field(default_factory=list)

    @model_validator(mode="after")
    def _claimable_known(self) -> ReliefByCategoryRule:
        unknown = sorted(set(self.claimable_categories) - set(self.amounts_by_category))
        if unknown:
            raise ValueError(f"claimable_categories {unknown} have no amount in amounts_by_category")
        return self


Rule = Annotated[
    FixedRule | TieredRule | PerStudentMonthRule | PerMuRule | InterestSubsidyRule | ReliefByCategoryRule,
    Field(discriminator="kind"),
]
ProgramKind = Literal[
    "fixed", "tiered", "per_student_month", "per_mu", "interest_subsidy", "relief_by_category"
]
PROGRAM_KINDS: tuple[str, ...] = (
    "fixed",
    "tiered",
    "per_student_month",
    "per_mu",
    "interest_subsidy",
    "relief_by_category",
)
