"""Grant periods (发放周期): canonical strings "2026", "2026-H1", "2026-Q3", "2026-07" and their dates.

A period is the half-open interval ``[start, end)``: ``end`` is the first day of the next period,
so the number of days in a period is simply ``(end - start).days``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from jzkit.errors import InvalidInput

PeriodKind = Literal["year", "half_year", "quarter", "month"]

_PATTERNS: dict[PeriodKind, re.Pattern[str]] = {
    "year": re.compile(r"^(?P<y>[0-9]{4})$"),
    "half_year": re.compile(r"^(?P<y>[0-9]{4})-H(?P<n>[12])$"),
    "quarter": re.compile(r"^(?P<y>[0-9]{4})-Q(?P<n>[1-4])$"),
    "month": re.compile(r"^(?P<y>[0-9]{4})-(?P<n>0[1-9]|1[0-2])$"),
}
_MONTHS: dict[PeriodKind, int] = {"year": 12, "half_year": 6, "quarter": 3, "month": 1}


@dataclass(frozen=True)
class Period:
    """One grant period: its kind, year and the half-open date interval it covers."""

    kind: PeriodKind
    year: int
    start: date
    end: date

    @property
    def months(self) -> int:
        """Calendar months the period spans."""
        return _MONTHS[self.kind]

    @property
    def days(self) -> int:
        """Days in the period (366 for a leap year)."""
        return (self.end - self.start).days


def _add_months(first: date, months: int) -> date:
    index = first.month - 1 + months
    return date(first.year + index // 12, index % 12 + 1, 1)


def parse_period(text: str, field: str = "period") -> Period:
    """Parse a canonical period string; anything else is refused naming ``field``."""
    for kind, pattern in _PATTERNS.items():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        year = int(match["y"])
        number = int(match["n"]) if "n" in pattern.groupindex else 1
        if year < 1:
            break
        start = date(year, (number - 1) * _MONTHS[kind] + 1, 1)
        return Period(kind, year, start, _add_months(start, _MONTHS[kind]))
    raise InvalidInput(
        "invalid-period",
        f"period {text!r} is not one of YYYY, YYYY-H1, YYYY-Q1, YYYY-MM",
        f"周期 {text!r} 格式无效(应为 YYYY、YYYY-H1、YYYY-Q1 或 YYYY-MM)",
        field=field,
    )


def period_kind_of(text: str) -> PeriodKind | None:
    """The kind of a canonical period string, or None when it is not one."""
    for kind, pattern in _PATTERNS.items():
        if pattern.fullmatch(text):
            return kind
    return None
