"""Cells: formula injection (=, +, -, @) in and out, a cell over the CSV field limit, a 60 MB line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from registry.formula_guard import TRIGGERS
from registry.synth import Synthesizer
from tests.bad_imports import corpus
from tests.bad_imports.importer import MB, Importer, Upload

pytestmark = pytest.mark.stack

NAME = corpus.col("name")
ADDRESS = corpus.col("address")
INCOME = corpus.col("income")
ID = corpus.col("id_number")
FORMULA_NAMES = ('=HYPERLINK("http://x.invalid","点我")', "+赵一", "-2+3", "@SUM(1,1)")
FORMULA_ADDRESS = "=cmd|' /C calc'!A0"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _exports(importer: Importer) -> tuple[list[list[str]], list[list[object]]]:
    """The clerk's CSV and XLSX exports, parsed."""
    async with importer.client() as client:
        as_csv = await client.get("/api/v1/exports/households.csv")
        as_xlsx = await client.get("/api/v1/exports/households.xlsx")
    assert as_csv.status_code == as_xlsx.status_code == 200
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    book = load_workbook(io.BytesIO(as_xlsx.content))
    sheet = book.worksheets[0]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row), "a formula cell"
    return rows, [list(r) for r in sheet.iter_rows(values_only=True)]


async def test_formula_cells_are_stored_as_text_and_never_exported_as_formulas(
    importer: Importer, synthesizer: Synthesizer
) -> None:
    drafts = corpus.households(synthesizer, 5, "formula")
    groups = corpus.rows_of(drafts)
    for row, name in zip(groups[0], FORMULA_NAMES, strict=False):
        row[NAME] = name
    groups[0][0][NAME] = "'=1+1"  # already neutralised, as an export writes it: the quote comes off
    for row in groups[1]:
        row[ADDRESS] = FORMULA_ADDRESS
    for row in groups[2]:
        row[INCOME] = "=1+1"
    groups[3][0][ID] = "@" + groups[3][0][ID]
    for row in groups[4]:
        row[INCOME] = "-100"
    outcome = await importer.attempt(
        "=,+,-,@ cells", Upload("formula.csv", corpus.csv_file(corpus.flat(groups)))
    )
    counts = outcome.counts
    assert (counts["households_created"], counts["households_rejected"]) == (2, 3)
    own = {(e["column"], e["code"]) for e in outcome.errors if e["code"] != "household-rejected"}
    assert own == {
        ("家庭年纯收入(元)", "invalid-amount"),
        ("身份证号", "invalid-id-number"),
        ("家庭年纯收入(元)", "negative-income"),
    }
    # Stored exactly as typed (a register is no spreadsheet); only the export quote was removed.
    stored = await importer.fetch(
        "SELECT h.address, m.name FROM households h JOIN members m ON m.household_id = h.id"
        " WHERE h.id = ANY($1::text[])",
        list(outcome.new_households),
    )
    names = {r["name"] for r in stored}
    expected_names = {"=1+1", *FORMULA_NAMES[1 : len(groups[0])]}
    assert expected_names <= names
    assert FORMULA_ADDRESS in {r["address"] for r in stored}

    csv_rows, xlsx_rows = await _exports(importer)
    for rows in (csv_rows, xlsx_rows):
        cells = [str(c) for row in rows for c in row if c is not None]
        assert not [c for c in cells if c.startswith(TRIGGERS)], "an exported cell starts a formula"
        assert {"'" + n for n in expected_names} <= {str(r[NAME]) for r in rows}
        assert "'" + FORMULA_ADDRESS in {str(r[ADDRESS]) for r in rows}


async def test_xlsx_formula_cells_are_read_as_their_values_not_their_formulas(
    importer: Importer, synthesizer: Synthesizer
) -> None:
    """A workbook formula without a cached value (never opened in Excel) reads as an empty cell."""
    drafts = corpus.households(synthesizer, 2, "xlsxformula")
    groups = corpus.rows_of(drafts)
    groups[0][0][NAME] = '=HYPERLINK("http://x.invalid","点我")'
    outcome = await importer.attempt(
        "XLSX formula cell", Upload("formula.xlsx", corpus.xlsx_file(corpus.flat(groups)), XLSX)
    )
    assert (outcome.counts["households_created"], outcome.counts["households_rejected"]) == (1, 1)
    assert [(e["row"], e["column"]) for e in outcome.errors if e["code"] != "household-rejected"] == [
        (2, "姓名")
    ]
    assert await importer.stored_people("xlsxformula") == corpus.people(drafts[1:])


async def test_cell_over_the_csv_field_limit_fails_the_job_cleanly(
    importer: Importer, synthesizer: Synthesizer
) -> None:
    """A 200,000-character address in the third household: the upload looks fine, the full read
    finds it, and the job fails naming the line before any household is written."""
    drafts = corpus.households(synthesizer, 4, "hugecell")
    groups = corpus.rows_of(drafts)
    groups[2][0][ADDRESS] = "长" * 200_000
    rows = corpus.flat(groups)
    line = len(corpus.flat(groups[:2])) + 2
    outcome = await importer.attempt("200,000-char cell", Upload("hugecell.csv", corpus.csv_file(rows)))
    job = outcome.job
    assert job is not None and job["status"] == "failed"
    assert job["failure"]["code"] == "unreadable-csv"
    assert f"line {line}" in job["failure"]["message"] and "131072" in job["failure"]["message"]
    assert outcome.counts == {
        "households_created": 0,
        "households_unchanged": 0,
        "households_rejected": 0,
        "errors": 0,
    }
    assert await importer.stored_people("hugecell") == []


async def test_60mb_line_of_20_million_cells_is_refused_unread(importer: Importer, tmp_path: Path) -> None:
    """One line of ``ab,`` repeated: a CSV reader would hold 20 million cells (1.8 GB)."""
    path = tmp_path / "wide.csv"
    with path.open("wb") as out:
        out.write(corpus.csv_file([]))
        block = b"ab," * (MB // 3)
        for _ in range(60):
            out.write(block)
        out.write(b"\r\n")
    try:
        outcome = await importer.attempt("60 MB line, 20M cells", Upload(path.name, path))
    finally:
        path.unlink()
    problem = outcome.problem
    assert outcome.refusal == (422, "unreadable-csv", "file")
    assert "第 2 行" in problem["detail"]  # the default language is Chinese
