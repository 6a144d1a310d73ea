"""Reading one cell of a household file into an API value (pure; no domain rules here)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache

from registry.domain import labels
from registry.domain.vocabulary import PovertyCause

_YUAN = re.compile(r"^-?\d+(\.\d{1,2})?$")
_DATE_SEPARATORS = re.compile(r"[-/.年月]")
_CAUSE_SEPARATORS = re.compile(r"[;；、,，]")
_FEN_PER_YUAN = 100


class CellError(ValueError):
    """A cell cannot be read; ``code`` is stable, messages are bilingual."""

    def __init__(self, code: str, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_zh = message_zh


def yuan_to_fen(text: str) -> int:
    """Yuan with at most two decimals (``6,000.50``, ``6000元``) to integer fen, exactly (Decimal)."""
    cleaned = text.strip().replace(",", "").replace("，", "").removeprefix("¥").removesuffix("元").strip()
    if not _YUAN.match(cleaned):
        raise CellError(
            "invalid-amount",
            "amount must be yuan with at most two decimals, e.g. 6000.50",
            "金额须为元，最多两位小数，例如 6000.50",
        )
    try:
        return int(Decimal(cleaned) * _FEN_PER_YUAN)
    except InvalidOperation:
        raise CellError("invalid-amount", "amount is not a number", "金额不是数字") from None


def yes_no(text: str) -> bool:
    """是/否 (or yes/no, true/false, 1/0); blank is 否."""
    value = text.strip().casefold()
    if value in labels.YES:
        return True
    if value in labels.NO:
        return False
    raise CellError("invalid-yes-no", "must be 是 or 否", "须填“是”或“否”")


def yes_no_label(value: bool) -> str:
    """The file spelling of a boolean."""
    return labels.YES[0] if value else labels.NO[0]


def calendar_date(text: str) -> date:
    """``2001-02-03``, ``2001/2/3``, ``2001.2.3``, ``2001年2月3日`` or ``20010203``."""
    value = text.strip().removesuffix("日")
    if re.fullmatch(r"\d{8}", value):
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    parts = _DATE_SEPARATORS.split(value)
    try:
        if len(parts) != 3:
            raise ValueError(value)
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise CellError("invalid-date", "date must look like 2001-02-03", "日期格式须为 2001-02-03") from None


@cache
def _lookup(vocabulary: type[StrEnum]) -> dict[str, str]:
    return labels.lookup(vocabulary)


def vocabulary_value(vocabulary: type[StrEnum], text: str) -> str:
    """A Chinese label, alias or English value to the enum value."""
    found = _lookup(vocabulary).get(text.strip().casefold())
    if found is None:
        allowed = labels.allowed(vocabulary)
        raise CellError(
            "invalid-choice",
            f"{text.strip()!r} is not one of: {allowed} (or the English values)",
            f"“{text.strip()}”不是可选值：{allowed}",
        )
    return found


def poverty_causes(text: str) -> list[str]:
    """Several causes separated by 、 ; or comma."""
    return [vocabulary_value(PovertyCause, part) for part in _CAUSE_SEPARATORS.split(text) if part.strip()]
