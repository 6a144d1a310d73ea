"""Resident ID numbers (居民身份证号码, GB 11643-1999): check character, birth date, masking."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS = "10X98765432"
# ASCII digits only: ``\d`` also matches full-width digits, which would dodge duplicate matching.
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")


@dataclass(frozen=True)
class ResidentId:
    """A valid ID number and what it encodes."""

    number: str
    birth_date: date
    sex: str  # "male" | "female": the 17th digit is odd for men


class InvalidIdNumber(ValueError):
    """The number is not a valid 18-character resident ID; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize(raw: str) -> str:
    """Upper-case the trailing x and strip blanks (spreadsheets add them)."""
    return raw.strip().replace(" ", "").upper()


def parse(raw: str, today: date | None = None) -> ResidentId:
    """Validate ``raw``; the 6-digit region may be a historical code and is not checked."""
    number = normalize(raw)
    if not _SHAPE.fullmatch(number):
        raise InvalidIdNumber("shape")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("birth_date") from None
    if born.year < 1880 or born > (today or date.today()):
        raise InvalidIdNumber("birth_date")
    if check_character(number[:17]) != number[17]:
        raise InvalidIdNumber("check_character")
    return ResidentId(number=number, birth_date=born, sex="male" if int(number[16]) % 2 else "female")


def mask(number: str) -> str:
    """Keep the first 4 and last 4 characters: ``5108**********1234``."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
