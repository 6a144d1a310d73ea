"""Fund programs (资金项目) as data: kind and amount rule, eligibility, frequency, funding shares, notice.

Notice: a program's public notice (公示) lasts at least seven days. A program marked
``test_only`` (demo and test sets) may use a shorter ISO 8601 duration such as ``PT2S``; the
service should refuse ``test_only`` programs outside embedded/test deployments.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from funds.domain.period import PeriodKind, period_kind_of
from funds.domain.rules import PROGRAM_KINDS, ProgramKind, Rule
from jzkit.errors import InvalidInput

MIN_NOTICE = timedelta(days=7)


class FundingShare(BaseModel):
    """One funding source (e.g. region, county) and the percent of every amount it pays."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    percent: int = Field(strict=True, gt=0, le=100)


class Eligibility(BaseModel):
    """Who may apply: households (locked-in poor only by default) or enterprises with linked households."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    applicant: str = Field(default="household", pattern=r"^(household|enterprise)$")
    locked_in_only: bool = True
    min_linked_households: int = Field(default=0, strict=True, ge=0)


class Program(BaseModel):
    """A fund program; ``code`` is its stable slug, ``year`` the budget year its periods lie in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    year: int = Field(strict=True, ge=2000, le=2100)
    kind: ProgramKind
    rule: Rule
    eligibility: Eligibility = Field(default_factory=Eligibility)
    frequency: PeriodKind = "year"
    funding_sources: list[FundingShare] = Field(min_length=1)
    notice: timedelta = MIN_NOTICE
    test_only: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Program:
        # Raised as the kit's error (pydantic lets it through) so that it names its own field.
        _check_program(self)
        return self


def _check_program(program: Program) -> None:
    if program.rule.kind != program.kind:
        _refuse("rule.kind", f"rule kind {program.rule.kind!r} differs from kind {program.kind!r}")
    sources = [s.source for s in program.funding_sources]
    if len(set(sources)) != len(sources):
        _refuse("funding_sources", "a funding source is listed twice")
    total = sum(s.percent for s in program.funding_sources)
    if total != 100:
        _refuse("funding_sources", f"funding shares sum to {total}%, not 100%")
    if program.notice <= timedelta(0):
        _refuse("notice", "the notice must last longer than zero")
    if program.notice < MIN_NOTICE and not program.test_only:
        _refuse("notice", "the public notice must last at least 7 days (P7D) unless test_only")
    if program.eligibility.min_linked_households and program.eligibility.applicant != "enterprise":
        _refuse("eligibility.min_linked_households", "only enterprise programs count linked households")


def _refuse(field: str, message: str) -> None:
    raise InvalidInput("invalid-program", message, f"资金项目无效:{message}", field=field)


def field_path(loc: Sequence[int | str]) -> str:
    """A pydantic error location as a dotted path: ``rule.tiers.farming``, ``funding_sources[1].percent``."""
    parts: list[str] = []
    items = list(loc)
    # A discriminated union puts the tag in the location (rule → fixed → amount_fen): drop it.
    if len(items) >= 2 and items[0] == "rule" and items[1] in PROGRAM_KINDS:
        del items[1]
    for item in items:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def invalid_from(error: ValidationError, prefix: str = "") -> InvalidInput:
    """The kit's InvalidInput for a pydantic error: ``field`` is the first error's path."""
    errors = [
        {"field": prefix + field_path(e["loc"]), "message": e["msg"]} for e in error.errors(include_url=False)
    ]
    first = errors[0] if errors else {"field": prefix.rstrip("."), "message": "invalid"}
    return InvalidInput(
        "invalid-program",
        f"{first['field']}: {first['message']}",
        f"资金项目无效:{first['field']}:{first['message']}",
        field=first["field"] or None,
        extra={"errors": errors},
    )


def parse_program(doc: Any, prefix: str = "") -> Program:
    """Validate one program document; InvalidInput names the offending field (after ``prefix``)."""
    try:
        return Program.model_validate(doc)
    except ValidationError as exc:
        raise invalid_from(exc, prefix) from None
    except InvalidInput as exc:
        exc.field = prefix + (exc.field or "")
        raise


class ProgramSet(BaseModel):
    """A file of programs (demo data, another region's set); codes are unique within a set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    programs: list[Program] = Field(min_length=1)


def parse_program_set(doc: Any) -> ProgramSet:
    """Validate a program set document; fields are named like ``programs[2].rule.cap_fen``."""
    raw = doc.get("programs") if isinstance(doc, dict) else None
    if not isinstance(raw, list) or not raw:
        _refuse("programs", "a program set needs a non-empty list of programs")
    assert isinstance(doc, dict) and isinstance(raw, list)
    programs: list[Program] = []
    for index, item in enumerate(raw):
        program = parse_program(item, prefix=f"programs[{index}].")
        if any(p.code == program.code for p in programs):
            _refuse(f"programs[{index}].code", f"program code {program.code!r} is used twice")
        programs.append(program)
    try:
        return ProgramSet.model_validate({**doc, "programs": programs})
    except ValidationError as exc:
        raise invalid_from(exc) from None


def period_valid(program: Program, period: str) -> bool:
    """True when ``period`` is a canonical period of the program's frequency inside its year."""
    return period_kind_of(period) == program.frequency and period[:4] == f"{program.year:04d}"
