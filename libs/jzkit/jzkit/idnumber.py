"""Resident ID numbers (居民身份证号码, GB 11643-1999): check character, birth date, masking."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS = "10X98765432"
# ASCII digits only: ``\d`` also matches full-width digits, which would dodge duplicate matching.
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")


def _group_sums(at: int, width: int) -> dict[str, int]:
    """Weighted sum of every ``width``-digit group starting at digit ``at``."""
    weights = _WEIGHTS[at : at + width]
    groups = (f"{n:0{width}d}" for n in range(10**width))
    return {g: sum(int(d) * w for d, w in zip(g, weights, strict=True)) for g in groups}


# The check character is computed for every member of a province-sized import: six look-ups of
# 3-digit groups cost a third of seventeen int() calls.
_S0, _S1, _S2, _S3, _S4 = (_group_sums(at, 3) for at in range(0, 15, 3))
_S5 = _group_sums(15, 2)


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
    f = first17
    if len(f) == len(_WEIGHTS):
        try:
            total = _S0[f[:3]] + _S1[f[3:6]] + _S2[f[6:9]] + _S3[f[9:12]] + _S4[f[12:15]] + _S5[f[15:]]
            return _CHECK_CHARS[total % 11]
        except KeyError:
            pass  # not 17 ASCII digits: the digit-by-digit sum below accepts or refuses it as before
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
