"""Spreadsheet formula injection (CSV/XLSX): text that a spreadsheet would run as a formula.

A cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with a single
quote when exported, so Excel and WPS show it as text; an import removes exactly that quote again,
so an exported file can be re-imported unchanged.
"""

from __future__ import annotations

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(text: str) -> str:
    """``text`` made safe to put in a spreadsheet cell."""
    return QUOTE + text if text.startswith(TRIGGERS) else text


def restore(text: str) -> str:
    """Undo :func:`neutralise` (a quote followed by a trigger character loses the quote)."""
    return text[1:] if text.startswith(QUOTE) and text[1:].startswith(TRIGGERS) else text
