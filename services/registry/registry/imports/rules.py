"""The API's rules for an imported household: village inside the importer's jurisdiction, then
``check_household``. Errors land on the household at the row and column they name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from jzkit import divisions
from jzkit.auth import Principal
from jzkit.errors import DomainError, InvalidInput
from registry.domain.household import Limits, check_household, check_village
from registry.imports.mapping import MappedHousehold


@dataclass(frozen=True)
class ImportRules:
    """Who imports, where, with which bounds: the same inputs the API's checks take."""

    principal: Principal
    division_levels: Mapping[str, str]
    limits: Limits
    today: date
    verdicts: dict[str, DomainError | None] = field(default_factory=dict)


def _village_verdict(code: str, rules: ImportRules) -> DomainError | None:
    if not divisions.is_code(code) or not rules.principal.covers(code):
        return InvalidInput(
            "outside-jurisdiction",
            "the division is outside your jurisdiction",
            "该行政区划不在您的管辖范围内",
            field="division_code",
        )
    try:
        check_village(code, rules.division_levels.get(code))
    except DomainError as exc:
        return exc
    return None


def check_rules(mapped: MappedHousehold, rules: ImportRules) -> None:
    """The API's rules: village inside the jurisdiction, then ``check_household`` (normalises the draft)."""
    draft = mapped.draft
    if draft is None:
        return
    code = draft.division_code
    # A file names a few hundred villages at most: decide each once, not once per household.
    if code not in rules.verdicts:
        rules.verdicts[code] = _village_verdict(code, rules)
    verdict = rules.verdicts[code]
    try:
        if verdict is not None:
            raise verdict
        mapped.draft = check_household(draft, rules.today, rules.limits)
    except DomainError as exc:
        mapped.domain_error(exc)
    if mapped.rejected:
        mapped.draft = None
