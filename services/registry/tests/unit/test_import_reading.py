"""Reading household files: encodings (UTF-8 with/without BOM, GBK), CSV dialects, XLSX and its zip guard."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from jzkit.errors import InvalidInput
from registry.imports.columns import LABELS, read_header
from registry.imports.reading import (
    MAX_LINE_CHARS,
    MAX_WHOLE_PART_BYTES,
    cell_text,
    check_xlsx_archive,
    detect_encoding,
    iter_csv,
    iter_rows,
)

TEXT = "户编号,姓名\nH1,王大山\n"


def _write(tmp_path: Path, data: bytes, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8-sig"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gbk"), "gb18030"),
        ("户编号,姓名\nH1,䶮\n".encode("gb18030"), "gb18030"),  # beyond GBK, as Windows saves it
    ],
)
def test_encoding_is_detected_and_the_text_reads_back(tmp_path: Path, data: bytes, encoding: str) -> None:
    path = _write(tmp_path, data)
    assert detect_encoding(path) == encoding
    rows = list(iter_csv(path, encoding))
    assert rows[0] == ["户编号", "姓名"]  # no BOM left on the first header cell
    assert rows[1][0] == "H1"


def test_bytes_that_are_neither_utf8_nor_gb18030_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        detect_encoding(_write(tmp_path, b"\xff\xfe\xff\n"))
    assert err.value.code == "undecodable-file"
    assert err.value.field == "file"


def test_binary_content_is_not_csv(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        detect_encoding(_write(tmp_path, b"abc\x00def"))
    assert err.value.code == "binary-file"


def test_encoding_is_detected_across_read_blocks(tmp_path: Path) -> None:
    # A multi-byte character split by the 1 MiB block boundary must not look undecodable.
    data = ("a" * ((1 << 20) - 1) + "王\n").encode("utf-8")
    assert detect_encoding(_write(tmp_path, data)) == "utf-8-sig"


@pytest.mark.parametrize("separator", [",", "\t", ";"])
def test_csv_separator_is_taken_from_the_header_line(tmp_path: Path, separator: str) -> None:
    path = _write(tmp_path, f"户编号{separator}姓名\nH1{separator}王\n".encode())
    assert list(iter_csv(path, "utf-8-sig"))[1] == ["H1", "王"]


def test_quoted_cells_keep_commas_and_newlines(tmp_path: Path) -> None:
    path = _write(tmp_path, '户编号,地址\nH1,"三组,\n东头"\n'.encode())
    assert list(iter_csv(path, "utf-8-sig"))[1] == ["H1", "三组,\n东头"]


def test_xlsx_cells_become_the_text_a_csv_would_hold(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["户编号", "收入", "整数", "日期", "是否"])
    sheet.append(["H1", 0.1 + 0.2, 6000.0, date(2001, 2, 3), True])
    sheet.append([])
    sheet.append(["H2", 6000.5, 12, None, False])
    path = tmp_path / "f.xlsx"
    book.save(path)
    rows = list(iter_rows(path, "xlsx", None))
    assert rows[1][0] == "H1"
    assert rows[1][2:] == ["6000", "2001-02-03", "是"]
    assert rows[1][1] in ("0.3", "0.30")
    assert rows[2] == ["", "", "", "", ""]  # blank rows keep their place: row numbers stay right
    assert rows[3] == ["H2", "6000.5", "12", "", "否"]


def test_cell_text_of_plain_values() -> None:
    assert cell_text(0.1 + 0.2) == "0.30"  # float noise of spreadsheet arithmetic, not a third decimal
    assert cell_text(1234.5) == "1234.5"
    assert cell_text(None) == ""
    assert cell_text(510822198001011237) == "510822198001011237"
    assert cell_text("王") == "王"


def _zip(tmp_path: Path, members: dict[str, bytes], name: str = "book.xlsx") -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return _write(tmp_path, buffer.getvalue(), name)


def test_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    bomb = _zip(tmp_path, {"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\0" * (40 << 20)})
    with pytest.raises(InvalidInput) as err:
        check_xlsx_archive(bomb, max_uncompressed_bytes=1 << 40)
    assert err.value.code == "xlsx-too-large-uncompressed"


def test_workbook_larger_than_the_limit_when_unpacked_is_refused(tmp_path: Path) -> None:
    path = _zip(tmp_path, {"xl/workbook.xml": b"<workbook/>" * 1000})
    with pytest.raises(InvalidInput) as err:
        check_xlsx_archive(path, max_uncompressed_bytes=1000)
    assert err.value.code == "xlsx-too-large-uncompressed"


def test_zip_without_a_workbook_is_not_xlsx(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        check_xlsx_archive(_zip(tmp_path, {"word/document.xml": b"<doc/>"}), 1 << 30)
    assert err.value.code == "not-xlsx"


def test_not_a_zip_is_not_xlsx(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        check_xlsx_archive(_write(tmp_path, b"PK\x03\x04 broken", "x.xlsx"), 1 << 30)
    assert err.value.code == "not-xlsx"


def test_real_workbook_passes_the_guard(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(list(LABELS))
    path = tmp_path / "ok.xlsx"
    book.save(path)
    check_xlsx_archive(path, 1 << 30)


def test_header_accepts_full_width_brackets_and_english_names() -> None:
    cells = [label.replace("(", "（").replace(")", "）") for label in LABELS]
    cells[1] = "division_code"
    header = read_header(["备注", *cells])
    assert header.index["income"] == 4
    assert header.index["division_code"] == 2


def test_missing_required_columns_are_named() -> None:
    with pytest.raises(InvalidInput) as err:
        read_header([label for label in LABELS if label not in ("身份证号", "住房")])
    assert err.value.code == "missing-columns"
    assert err.value.field == "file"
    assert err.value.extra["columns"] == ["住房", "身份证号"]
    assert "住房、身份证号" in err.value.message_zh


def test_a_column_given_twice_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        read_header([*LABELS, "姓名"])
    assert err.value.code == "duplicate-column"


def test_utf16_text_is_named_not_called_binary(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        detect_encoding(_write(tmp_path, TEXT.encode("utf-16")))
    assert err.value.code == "undecodable-file" and "UTF-16" in err.value.message_en


def test_a_line_longer_than_any_row_is_refused_naming_it(tmp_path: Path) -> None:
    path = _write(tmp_path, (TEXT + "H2," + "x" * MAX_LINE_CHARS + "\n").encode())
    with pytest.raises(InvalidInput) as err:
        list(iter_csv(path, "utf-8-sig"))
    assert err.value.code == "unreadable-csv" and "line 3" in err.value.message_en


def test_a_cell_over_the_csv_field_limit_is_refused_not_an_internal_error(tmp_path: Path) -> None:
    path = _write(tmp_path, (TEXT + 'H2,"' + "x" * (csv.field_size_limit() + 1) + '"\n').encode())
    with pytest.raises(InvalidInput) as err:
        list(iter_csv(path, "utf-8-sig"))
    assert err.value.code == "unreadable-csv"


def test_shared_strings_that_would_unpack_too_large_are_refused(tmp_path: Path) -> None:
    # Compresses ~1000:1 below the ratio check's threshold, yet openpyxl would load it whole.
    strings = b"<sst>" + b"a" * (MAX_WHOLE_PART_BYTES + 1) + b"</sst>"
    path = _zip(tmp_path, {"xl/workbook.xml": b"<workbook/>", "xl/sharedStrings.xml": strings})
    with pytest.raises(InvalidInput) as err:
        check_xlsx_archive(path, max_uncompressed_bytes=1 << 40)
    assert err.value.code == "xlsx-too-large-uncompressed" and "sharedStrings" in err.value.message_en


def test_a_sheet_claiming_a_huge_dimension_is_read_at_the_header_width(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["户编号", "姓名"])
    book.active.append(["H1"])
    path = tmp_path / "claims.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', parts[sheet])
    rows = list(iter_rows(_zip(tmp_path, parts, "claims2.xlsx"), "xlsx", "utf-8-sig"))
    assert rows == [["户编号", "姓名"], ["H1", ""]]
