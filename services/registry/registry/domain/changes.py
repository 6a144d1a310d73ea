"""Changes to an existing household (PATCH) and to its member list."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from registry.domain.household import (
    AssistanceMeasure,
    AssistanceResult,
    BankAccountDraft,
    Flags,
    MemberDraft,
    ResponsiblePerson,
)
from registry.domain.vocabulary import Housing, PovertyCause


class HouseholdPatch(BaseModel):
    """Fields a PATCH may change; absent fields stay as they are. ``reason`` goes to the audit log."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500)
    division_code: str | None = Field(default=None, pattern=r"^\d{12}$")
    address: str | None = Field(default=None, min_length=1, max_length=200)
    annual_net_income_fen: int | None = None
    housing: Housing | None = None
    poverty_causes: list[PovertyCause] | None = None
    flags: Flags | None = None
    bank_account: BankAccountDraft | None = None
    responsible_person: ResponsiblePerson | None = None
    assistance_plan: str | None = Field(default=None, max_length=4000)
    measures: list[AssistanceMeasure] | None = Field(default=None, max_length=500)
    results: list[AssistanceResult] | None = Field(default=None, max_length=100)

    def changed_fields(self) -> list[str]:
        """Names of the fields this patch sets (``reason`` excluded; an explicit null changes nothing)."""
        return sorted(k for k in self.model_fields_set if k != "reason" and getattr(self, k) is not None)


class MemberAddition(MemberDraft):
    """A member added to an existing household, with the reason for the change."""

    reason: str = Field(default="member added", min_length=1, max_length=500)
