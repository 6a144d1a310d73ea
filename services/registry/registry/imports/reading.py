"""Reading household files row by row (never the whole file in memory): CSV and XLSX.

Every reader yields the cells of each row as text, the header row first; row ``n`` of the
iteration (from 1) is row ``n`` as a spreadsheet shows it.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Generator
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from openpyxl import load_workbook

from jzkit.errors import InvalidInput
from registry.imports.cells import yes_no_label

FileFormat = Literal["csv", "xlsx"]
# Chinese spreadsheets save CSV as UTF-8 (often with a BOM) or GBK; GB18030 is GBK's superset.
ENCODINGS = ("utf-8-sig", "gb18030")
_BLOCK = 1 << 20
_DELIMITERS = (",", "\t", ";")
MAX_ZIP_MEMBERS = 10_000
# Worksheet XML compresses well, but not a thousandfold; a zip bomb does.
MAX_COMPRESSION_RATIO = 200
_RATIO_CHECK_ABOVE_BYTES = 10 * _BLOCK


def refuse(code: str, en: str, zh: str) -> InvalidInput:
    """A 422 about the uploaded file as a whole."""
    return InvalidInput(code, en, zh, field="file")


def detect_encoding(path: Path) -> str:
    """The first of UTF-8 (BOM optional) and GB18030 that decodes the whole file, read in blocks."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as raw:
                while block := raw.read(_BLOCK):
                    if b"\x00" in block:
                        raise refuse("binary-file", "the file is not a text CSV", "文件不是文本 CSV 文件")
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise refuse(
        "undecodable-file",
        "the CSV is neither UTF-8 nor GBK/GB18030 text",
        "CSV 文件既不是 UTF-8 也不是 GBK/GB18030 编码",
    )


def check_xlsx_archive(path: Path, max_uncompressed_bytes: int) -> None:
    """Refuse what is not an XLSX package, and zip bombs, before any XML is parsed."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise refuse(
            "not-xlsx", "the file is not a valid XLSX workbook", "文件不是有效的 XLSX 工作簿"
        ) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS or "xl/workbook.xml" not in {m.filename for m in members}:
            raise refuse("not-xlsx", "the file is not a valid XLSX workbook", "文件不是有效的 XLSX 工作簿")
        # Declared sizes bind: zipfile stops reading a member at its declared size and checks its CRC.
        total = sum(m.file_size for m in members)
        bomb = any(
            m.file_size > _RATIO_CHECK_ABOVE_BYTES
            and m.file_size > MAX_COMPRESSION_RATIO * max(m.compress_size, 1)
            for m in members
        )
        if total > max_uncompressed_bytes or bomb:
            raise refuse(
                "xlsx-too-large-uncompressed",
                f"the workbook would unpack to {total} bytes (limit {max_uncompressed_bytes})",
                f"工作簿解压后为 {total} 字节，超过上限 {max_uncompressed_bytes}",
            )


def _delimiter(first_line: str) -> str:
    return max(_DELIMITERS, key=first_line.count)


def iter_csv(path: Path, encoding: str) -> Generator[list[str]]:
    """CSV rows (comma, tab or semicolon separated, chosen from the header line)."""
    with path.open(encoding=encoding, newline="") as text:
        delimiter = _delimiter(text.readline())
        text.seek(0)
        yield from csv.reader(text, delimiter=delimiter)


def _number_text(value: float) -> str:
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    # Spreadsheet arithmetic leaves float noise (0.30000000000000004): money has two decimals.
    if len(text.partition(".")[2]) > 6 and abs(value - round(value, 2)) < 1e-7:
        return f"{value:.2f}"
    return text


def cell_text(value: object) -> str:
    """An XLSX cell value as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no_label(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def iter_xlsx(path: Path) -> Generator[list[str]]:
    """Rows of the first worksheet, streamed (openpyxl read-only mode, cached values not formulas)."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [cell_text(v) for v in row]
    finally:
        workbook.close()


def iter_rows(path: Path, file_format: FileFormat, encoding: str | None) -> Generator[list[str]]:
    """The file's rows, header first."""
    if file_format == "xlsx":
        return iter_xlsx(path)
    return iter_csv(path, encoding or ENCODINGS[0])
