"""Building the hostile files: households as file rows, CSV in any encoding, a 200 MB file, XLSX bombs.

Rows are lists of cells in the template's column order (``COLUMNS``); :func:`col` gives a column's
position, so a case edits exactly the cell it is about. Every household of a case gets the address
``<case>-<n>号`` so the tables can be searched for what a case created.
"""

from __future__ import annotations

import csv
import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from openpyxl import Workbook

from registry.domain.household import HouseholdDraft
from registry.exports.rows import from_draft, sheet_rows
from registry.imports.columns import COLUMNS, LABELS
from registry.synth import Synthesizer

Rows = list[list[str]]
VILLAGE = ("510822104201", "炉场村")
_MB = 2**20


def col(key: str) -> int:
    """Position of column ``key`` in a row."""
    return next(i for i, c in enumerate(COLUMNS) if c.key == key)


def member_in(household_row: list[str], member_row: list[str], relation: str) -> list[str]:
    """A row of ``household_row``'s household for the person of ``member_row``, as ``relation``."""
    row = [m if not c.household else h for c, h, m in zip(COLUMNS, household_row, member_row, strict=True)]
    row[col("relation")] = relation
    return row


def households(synthesizer: Synthesizer, count: int, case: str) -> list[HouseholdDraft]:
    """``count`` valid households of the clerk's village, addressed ``<case>-<n>号``."""
    return [
        synthesizer.household(*VILLAGE).model_copy(update={"address": f"{case}-{n}号"})
        for n in range(1, count + 1)
    ]


def rows_of(drafts: Sequence[HouseholdDraft], prefix: str = "H") -> list[Rows]:
    """Each household's rows (one per member), household ids ``<prefix>1``, ``<prefix>2``, …"""
    return [sheet_rows(from_draft(f"{prefix}{n}", d)) for n, d in enumerate(drafts, start=1)]


def people(drafts: Iterable[HouseholdDraft]) -> list[tuple[str, str]]:
    """(address, member name) of every member, sorted: what the tables should hold for them."""
    return sorted((d.address, m.name) for d in drafts for m in d.members)


def flat(groups: Iterable[Rows]) -> Rows:
    """Households' rows as one list."""
    return [row for group in groups for row in group]


def csv_text(rows: Rows, header: Sequence[str] | None = LABELS, delimiter: str = ",") -> str:
    """The rows as CSV text (CRLF, as Excel writes), the header first unless ``header`` is None."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", delimiter=delimiter)
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def csv_file(rows: Rows, encoding: str = "utf-8", header: Sequence[str] | None = LABELS) -> bytes:
    """A CSV file in ``encoding`` (``utf-8-sig`` writes the BOM)."""
    return csv_text(rows, header).encode(encoding)


def xlsx_file(rows: Sequence[Sequence[object]], header: Sequence[str] = LABELS) -> bytes:
    """A workbook as a spreadsheet program writes it (no formula neutralising: cells as given)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def big_csv(path: Path, size: int, sample: Rows) -> int:
    """A CSV of at least ``size`` bytes written in 1 MB blocks of repeated rows; returns its size."""
    line = csv_text(sample, header=None).encode("utf-8")
    block = line * max(1, _MB // len(line))
    written = 0
    with path.open("wb") as out:
        head = csv_text([], header=LABELS).encode("utf-8-sig")
        out.write(head)
        written += len(head)
        while written < size:
            out.write(block)
            written += len(block)
    return written


# --- XLSX packages written by hand: a bomb has to say what no spreadsheet program would -------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8"?>'
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/></Types>'
)
_PARTS = {
    "[Content_Types].xml": _CONTENT_TYPES,
    "_rels/.rels": f'{_XML}<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
    f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
    '<sheet name="农户成员" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": f'{_XML}<Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
}


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _inline_row(number: int, cells: Sequence[str]) -> str:
    return (
        f'<row r="{number}">'
        + "".join(
            f'<c r="{_column_name(i)}{number}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
            for i, v in enumerate(cells)
        )
        + "</row>"
    )


def _sheet(body: str, dimension: str | None = None) -> str:
    size = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'{_XML}<worksheet xmlns="{_MAIN}">{size}<sheetData>{body}</sheetData></worksheet>'


def _empty_strings() -> str:
    return f'{_XML}<sst xmlns="{_MAIN}" count="0" uniqueCount="0"/>'


def _package(path: Path, sheet: str | None, strings: str | None = None) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        if sheet is not None:
            archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if strings is not None:
            archive.writestr("xl/sharedStrings.xml", strings)


_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_DEFLATE, _VERSION, _DOS_DATE = 8, 20, (2026 - 1980) << 9 | 1 << 5 | 1


def _member(out: BinaryIO, name: str, crc: int, size: int, deflated: Sequence[bytes]) -> bytes:
    """Write one deflated member (local header, data); returns its central-directory entry."""
    encoded = name.encode()
    fields = (_VERSION, 0, 0, _DEFLATE, 0, _DOS_DATE, crc, sum(map(len, deflated)), size, len(encoded))
    offset = out.tell()
    out.write(_LOCAL.pack(b"PK\x03\x04", *fields, 0) + encoded)
    for piece in deflated:
        out.write(piece)
    return _CENTRAL.pack(b"PK\x01\x02", _VERSION, 0, *fields, 0, 0, 0, 0, 0, offset) + encoded


def _small_member(out: BinaryIO, name: str, text: str) -> bytes:
    data = text.encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return _member(out, name, zlib.crc32(data), len(data), [packer.compress(data) + packer.flush()])


def zip_bomb(path: Path, inflated: int) -> None:
    """A workbook whose worksheet inflates to ``inflated`` bytes (< 4 GiB) of zeros, at ~1000:1.

    The deflate stream is one compressed megabyte of zeros repeated (a full flush makes each copy
    independent), so building it takes a second; sizes and CRC are the true ones. Written by hand:
    zipfile cannot store data that is already compressed.
    """
    assert inflated % _MB == 0 and inflated < 2**32
    megabytes = inflated // _MB
    zeros = bytes(_MB)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(zeros, crc)
    with path.open("wb") as out:
        central = [_small_member(out, name, text) for name, text in _PARTS.items()]
        central.append(_small_member(out, "xl/sharedStrings.xml", _empty_strings()))
        # The same bytes object repeated: the list costs a pointer per megabyte, not a megabyte.
        stream = [segment] * megabytes + [packer.flush(zlib.Z_FINISH)]
        central.append(_member(out, "xl/worksheets/sheet1.xml", crc, inflated, stream))
        start = out.tell()
        directory = b"".join(central)
        out.write(directory)
        out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), start, 0))


def shared_strings_bomb(path: Path, inflated: int) -> None:
    """A workbook whose shared-string table unpacks to ``inflated`` bytes at a modest ratio (~30:1).

    No single part compresses suspiciously well and the total stays far below the unpacked-size
    limit, yet a reader that loads the table whole (openpyxl does) holds every string in memory.
    """
    strings = [f"<si><t>{'户' * 20}{n:06d}</t></si>" for n in range(20_000)]
    block = "".join(strings).encode()
    header = f'{_XML}<sst xmlns="{_MAIN}">'.encode()
    sheet = _sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    _package(path, sheet)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            out.write(header)
            written = len(header)
            while written < inflated:
                out.write(block)
                written += len(block)
            out.write(b"</sst>")


def sparse_sheet_bomb(path: Path, last_row: Sequence[str], header: Sequence[str] = LABELS) -> None:
    """A 2 KB workbook claiming 16,384 x 1,048,576 cells: the header, then ``last_row`` in the last row.

    The last row also has a cell in the last column (XFD), as far right as a sheet goes.
    """
    last = 1_048_576
    row = _inline_row(last, last_row).removesuffix("</row>")
    row += f'<c r="XFD{last}" t="inlineStr"><is><t>x</t></is></c></row>'
    _package(path, _sheet(_inline_row(1, header) + row, dimension=f"A1:XFD{last}"), _empty_strings())
