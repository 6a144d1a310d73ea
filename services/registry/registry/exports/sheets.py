"""Writing household rows as CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX, formula-safe.

Every cell passes through :func:`formula_guard.neutralise`, whatever its column: names and
addresses are typed by people, and a name like ``=HYPERLINK(...)`` must stay text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import IO, Any

from openpyxl import Workbook

from registry.formula_guard import neutralise
from registry.imports.columns import LABELS

BOM = "\ufeff"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_TITLE = "农户成员"


def csv_bytes(rows: Iterable[list[str]], with_header: bool = False) -> bytes:
    """CSV lines (CRLF, as Excel writes them); with the BOM and header row when ``with_header``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if with_header:
        buffer.write(BOM)
        writer.writerow(LABELS)
    writer.writerows([neutralise(c) for c in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


class XlsxWriter:
    """A write-only workbook: rows go to a temporary file as they come, not into memory."""

    def __init__(self) -> None:
        self._book = Workbook(write_only=True)
        self._sheet: Any = self._book.create_sheet(SHEET_TITLE)
        self._sheet.append(list(LABELS))

    def append(self, rows: Iterable[list[str]]) -> None:
        """Add rows (cells are written as text)."""
        for row in rows:
            self._sheet.append([neutralise(c) for c in row])

    def save(self, target: IO[bytes]) -> None:
        """Write the finished workbook to ``target``."""
        self._book.save(target)
