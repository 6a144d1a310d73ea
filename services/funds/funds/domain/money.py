"""Money helpers: fen ↔ decimal yuan strings and half-up rounding, all without floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from jzkit.errors import InvalidInput
from jzkit.money import fen_to_yuan

__all__ = ["decimal_fen", "fen_to_yuan", "parse_decimal", "round_half_up", "yuan_to_fen"]


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero, in exact integer arithmetic."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def yuan_to_fen(text: str, field: str) -> int:
    """A decimal yuan string (at most two decimals) as fen; anything else is refused naming ``field``."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise InvalidInput(
            "invalid-amount",
            f"{text!r} is not an amount in yuan with at most two decimals",
            f"{text!r} 不是最多两位小数的金额(元)",
            field=field,
        )
    return int(value * 100)


def parse_decimal(text: object, field: str, max_places: int = 4) -> Decimal:
    """A positive decimal quantity given as a string (e.g. mu of land); floats are refused."""
    value: Decimal | None = None
    if isinstance(text, str):
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            value = None
    exponent = value.as_tuple().exponent if value is not None and value.is_finite() else None
    if value is None or not isinstance(exponent, int) or -exponent > max_places or value <= 0:
        raise InvalidInput(
            "invalid-quantity",
            f"{field} must be a positive decimal string with at most {max_places} decimals",
            f"{field} 必须是最多 {max_places} 位小数的正数字符串",
            field=field,
        )
    return value


def decimal_fen(quantity: Decimal, unit_fen: int) -> int:
    """``quantity × unit_fen`` rounded half-up to the fen."""
    return int((quantity * unit_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP))
