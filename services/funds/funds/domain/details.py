"""What an application's ``details`` carry for each program kind (validated, typo-proof)."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from funds.domain.program import field_path
from jzkit.errors import InvalidInput


class _Details(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    note: str = Field(default="", max_length=500)


class NoDetails(_Details):
    """Fixed amounts need nothing but an optional note."""


class TieredDetails(_Details):
    """The household's declared industries (farming, breeding, ...), verified by the work team."""

    industries: list[str] = Field(min_length=1, max_length=10)


class StudentDetails(_Details):
    """Students when no registry snapshot is at hand, and the months supported (default: the period's)."""

    students: list[str] = Field(default_factory=list, max_length=20)
    months: int | None = Field(default=None, strict=True, gt=0)


class LandDetails(_Details):
    """Land transferred, in mu as a decimal string ("12.5")."""

    mu: str = Field(max_length=20)


class LoanDetails(_Details):
    """A poverty-alleviation loan: lender, principal, its own rate, dates, linked households."""

    lender: str = Field(min_length=1, max_length=140)
    principal_fen: int = Field(strict=True, gt=0)
    loan_rate_bp: int | None = Field(default=None, strict=True, gt=0, le=10000)
    start_date: date
    end_date: date
    linked_households: list[str] = Field(default_factory=list, max_length=10000)

    @model_validator(mode="after")
    def _dates(self) -> LoanDetails:
        if self.end_date <= self.start_date:
            raise InvalidInput(
                "invalid-loan-dates",
                "the loan must end after it starts",
                "贷款到期日必须晚于起始日",
                field="details.end_date",
            )
        if len(set(self.linked_households)) != len(self.linked_households):
            raise InvalidInput(
                "duplicate-linked-household",
                "a linked household is listed twice",
                "带动贫困户重复列出",
                field="details.linked_households",
            )
        return self


class ReliefDetails(_Details):
    """Categories the registry does not record (orphan, near-低保), declared by the applicant."""

    categories: list[str] = Field(default_factory=list, max_length=10)


D = TypeVar("D", bound=_Details)


def parse_details(model: type[D], details: dict[str, Any]) -> D:
    """Validate ``details`` against ``model``; errors name ``details.<field>``."""
    try:
        return model.model_validate(details)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = "details" + ("." + field_path(first["loc"]) if first["loc"] else "")
        raise InvalidInput(
            "invalid-details",
            f"{path}: {first['msg']}",
            f"申请明细无效:{path}:{first['msg']}",
            field=path,
        ) from None
