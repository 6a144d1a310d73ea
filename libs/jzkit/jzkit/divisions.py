"""Administrative division codes (统计用区划代码): 12 digits, 2+2+2+3+3."""

from __future__ import annotations

import re

_CODE = re.compile(r"^[0-9]{12}$")  # ASCII only: ``\d`` also matches full-width digits
# Digits that are significant at each level: province, prefecture, county, township, village.
LEVEL_DIGITS = {"province": 2, "prefecture": 4, "county": 6, "township": 9, "village": 12}
LEVELS = tuple(LEVEL_DIGITS)


def is_code(code: str) -> bool:
    """True for a 12-digit string."""
    return bool(_CODE.fullmatch(code))


def level(code: str) -> str:
    """The level a code names, read from its trailing zero groups."""
    if not is_code(code):
        raise ValueError("division code must be 12 digits")
    for name in reversed(LEVELS):
        digits = LEVEL_DIGITS[name]
        start = _previous_digits(name)
        if code[start:digits].strip("0") and code[digits:].strip("0") == "":
            _require_enclosing_groups(code, name)
            return name
    raise ValueError("division code 000000000000 names no division")


def _require_enclosing_groups(code: str, name: str) -> None:
    # A zero group above the named level (510822000201) has no parent of the level above it.
    start = 0
    for upper in LEVELS[: LEVELS.index(name)]:
        if not code[start : LEVEL_DIGITS[upper]].strip("0"):
            raise ValueError(f"division code {code} has no {upper} part")
        start = LEVEL_DIGITS[upper]


def _previous_digits(name: str) -> int:
    idx = LEVELS.index(name)
    return 0 if idx == 0 else LEVEL_DIGITS[LEVELS[idx - 1]]


def prefix(code: str) -> str:
    """The significant prefix of ``code``: what codes inside it start with."""
    return code[: LEVEL_DIGITS[level(code)]]


def parent(code: str) -> str | None:
    """The code of the enclosing division, or None for a province."""
    idx = LEVELS.index(level(code))
    if idx == 0:
        return None
    digits = LEVEL_DIGITS[LEVELS[idx - 1]]
    return code[:digits] + "0" * (12 - digits)


def contains(scope: str, code: str) -> bool:
    """True when ``code`` lies inside (or is) the division ``scope``."""
    return code.startswith(prefix(scope))
