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
from typing import Literal, TextIO

from openpyxl import load_workbook

from jzkit.errors import InvalidInput
from registry.imports.cells import yes_no_label

FileFormat = Literal["csv", "xlsx"]
# Chinese spreadsheets save CSV as UTF-8 (often with a BOM) or GBK; GB18030 is GBK's superset.
ENCODINGS = ("utf-8-sig", "gb18030")
# Excel's "Unicode Text" and some exports are UTF-16 (with a byte-order mark): named, not guessed at.
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BLOCK = 1 << 20
_DELIMITERS = (",", "\t", ";")
# A household row is a few hundred characters; a longer line is not a row (it would be read whole).
MAX_LINE_CHARS = 1 << 20
MAX_ZIP_MEMBERS = 10_000
# Worksheet XML compresses well, but not a thousandfold; a zip bomb does.
MAX_COMPRESSION_RATIO = 200
_RATIO_CHECK_ABOVE_BYTES = 10 * _BLOCK
# Only worksheets are streamed; every other part (shared strings above all) is loaded whole, at about
# three bytes of memory per byte of XML. 32 MiB of shared strings is some 380,000 members.
MAX_WHOLE_PART_BYTES = 32 * _BLOCK
# Excel's own limits: a sheet claiming more is hostile, and reading past them would never end.
EXCEL_MAX_ROWS = 1_048_576
# Columns read per row: the template has 25; cells further right are never household data.
MAX_COLUMNS = 256


def refuse(code: str, en: str, zh: str) -> InvalidInput:
    """A 422 about the uploaded file as a whole."""
    return InvalidInput(code, en, zh, field="file")


def detect_encoding(path: Path) -> str:
    """The first of UTF-8 (BOM optional) and GB18030 that decodes the whole file, read in blocks."""
    with path.open("rb") as raw:
        if raw.read(2) in _UTF16_BOMS:
            raise refuse(
                "undecodable-file",
                "the CSV is UTF-16 text: save it as CSV UTF-8 (or GBK)",
                "CSV 文件是 UTF-16 编码，请另存为 UTF-8（或 GBK）编码的 CSV",
            )
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
        for m in members:
            if m.file_size > MAX_WHOLE_PART_BYTES and not m.filename.startswith("xl/worksheets/"):
                raise refuse(
                    "xlsx-too-large-uncompressed",
                    f"the workbook part {m.filename} would unpack to {m.file_size} bytes (limit "
                    f"{MAX_WHOLE_PART_BYTES}); save a file this large as CSV UTF-8",
                    f"工作簿的 {m.filename} 解压后为 {m.file_size} 字节，超过上限 {MAX_WHOLE_PART_BYTES}；"
                    "如此大的文件请另存为 UTF-8 编码的 CSV",
                )
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


def _line_too_long(number: int) -> InvalidInput:
    return refuse(
        "unreadable-csv",
        f"line {number} is longer than {MAX_LINE_CHARS} characters: not a CSV row",
        f"第 {number} 行超过 {MAX_LINE_CHARS} 个字符，不是 CSV 数据行",
    )


def _lines(text: TextIO) -> Generator[str]:
    """The file's lines, refusing one longer than any row (read in bounded pieces, never whole)."""
    number = 0
    while line := text.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise _line_too_long(number)
        yield line


def iter_csv(path: Path, encoding: str) -> Generator[list[str]]:
    """CSV rows (comma, tab or semicolon separated, chosen from the header line)."""
    with path.open(encoding=encoding, newline="") as text:
        first = text.readline(MAX_LINE_CHARS + 1)
        if len(first) > MAX_LINE_CHARS:
            raise _line_too_long(1)
        delimiter = _delimiter(first)
        text.seek(0)
        reader = csv.reader(_lines(text), delimiter=delimiter)
        try:
            yield from reader
        except csv.Error as exc:  # an over-long cell, a NUL: the module's message quotes no cell
            raise refuse(
                "unreadable-csv",
                f"the CSV cannot be read at line {reader.line_num}: {exc}",
                f"CSV 文件第 {reader.line_num} 行无法读取：{exc}",
            ) from None


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
    """Rows of the first worksheet, streamed (openpyxl read-only mode, cached values not formulas).

    The sheet's own ``<dimension>`` is not believed: a 2 KB file may claim 16,384 x 1,048,576
    cells, and every row would be padded to that width. Rows are padded to the header row's width
    instead (at most :data:`MAX_COLUMNS` cells are read); rows a sheet leaves out come back blank,
    up to Excel's row limit.
    """
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        width = 0
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > EXCEL_MAX_ROWS:
                raise refuse(
                    "xlsx-too-many-rows",
                    f"the worksheet has more than {EXCEL_MAX_ROWS} rows",
                    f"工作表超过 {EXCEL_MAX_ROWS} 行",
                )
            cells = [cell_text(v) for v in row[:MAX_COLUMNS]]
            width = width or len(cells)
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            yield cells
    finally:
        workbook.close()


def iter_rows(path: Path, file_format: FileFormat, encoding: str | None) -> Generator[list[str]]:
    """The file's rows, header first."""
    if file_format == "xlsx":
        return iter_xlsx(path)
    return iter_csv(path, encoding or ENCODINGS[0])
