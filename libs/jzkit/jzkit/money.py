"""Money is integer fen (分) everywhere; this turns it into the yuan text people and banks read."""

from __future__ import annotations


def fen_to_yuan(amount_fen: int, *, grouping: bool = False) -> str:
    """Fen as yuan with exactly two decimals, no floats: 123456 → "1234.56" ("1,234.56" with grouping)."""
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), 100)
    whole = f"{yuan:,}" if grouping else str(yuan)
    return f"{sign}{whole}.{fen:02d}"
