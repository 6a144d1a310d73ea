"""The header row: wrong, missing, extra, repeated columns; empty files; files that are not CSV/XLSX."""

from __future__ import annotations

import pytest

from registry.imports.columns import COLUMNS, LABELS
from registry.synth import Synthesizer
from tests.bad_imports import corpus
from tests.bad_imports.importer import Importer, Upload

pytestmark = pytest.mark.stack

REQUIRED = [c.label for c in COLUMNS if c.required]


async def test_wrong_columns_are_refused_naming_every_missing_one(
    importer: Importer, synthesizer: Synthesizer
) -> None:
    drafts = corpus.households(synthesizer, 1, "wrongcols")
    header = [f"col{i}" for i in range(len(LABELS))]
    body = corpus.csv_file(corpus.flat(corpus.rows_of(drafts)), header=header)
    outcome = await importer.attempt("wrong columns", Upload("wrong.csv", body))
    problem = outcome.problem
    assert outcome.refusal == (422, "missing-columns", "file")
    assert problem["columns"] == REQUIRED
    assert all(label in problem["detail"] for label in REQUIRED)


async def test_one_required_column_missing_is_named(importer: Importer, synthesizer: Synthesizer) -> None:
    drafts = corpus.households(synthesizer, 1, "noid")
    position = corpus.col("id_number")
    rows = [r[:position] + r[position + 1 :] for r in corpus.flat(corpus.rows_of(drafts))]
    body = corpus.csv_file(rows, header=[label for label in LABELS if label != "身份证号"])
    problem = (await importer.attempt("no 身份证号 column", Upload("noid.csv", body))).problem
    assert (problem["code"], problem["columns"]) == ("missing-columns", ["身份证号"])


async def test_file_without_a_header_row_is_refused(importer: Importer, synthesizer: Synthesizer) -> None:
    """The first data row is taken for the header: none of its cells names a column."""
    drafts = corpus.households(synthesizer, 2, "nohead")
    body = corpus.csv_file(corpus.flat(corpus.rows_of(drafts)), header=None)
    problem = (await importer.attempt("no header row", Upload("nohead.csv", body))).problem
    assert (problem["code"], problem["field"], problem["columns"]) == ("missing-columns", "file", REQUIRED)


async def test_extra_and_reordered_columns_are_ignored_and_the_rest_imported(
    importer: Importer, synthesizer: Synthesizer
) -> None:
    drafts = corpus.households(synthesizer, 3, "extracols")
    order = list(reversed(range(len(LABELS))))
    header = ["序号", *(LABELS[i] for i in order), "备注", "=cmd|' /C calc'!A0"]
    rows = [
        [str(n), *(row[i] for i in order), "备注文字", "@SUM(1+1)"]
        for n, row in enumerate(corpus.flat(corpus.rows_of(drafts)), start=1)
    ]
    outcome = await importer.attempt(
        "extra + reordered columns", Upload("extra.csv", corpus.csv_file(rows, header=header))
    )
    assert (outcome.counts["households_created"], outcome.counts["errors"]) == (3, 0)
    assert await importer.stored_people("extracols") == corpus.people(drafts)


async def test_a_column_given_twice_is_refused(importer: Importer, synthesizer: Synthesizer) -> None:
    drafts = corpus.households(synthesizer, 1, "twice")
    rows = [[*r, r[corpus.col("name")]] for r in corpus.flat(corpus.rows_of(drafts))]
    body = corpus.csv_file(rows, header=[*LABELS, "姓名"])
    problem = (await importer.attempt("column twice", Upload("twice.csv", body))).problem
    assert (problem["code"], problem["field"], problem["columns"]) == ("duplicate-column", "file", ["姓名"])


@pytest.mark.parametrize(
    ("case", "name", "body", "code"),
    [
        ("empty file", "empty.csv", b"", "empty-file"),
        ("header only", "head.csv", corpus.csv_file([]), "empty-file"),
        ("header + blank lines", "blank.csv", corpus.csv_file([]) + b",,,\r\n\r\n  \r\n", "empty-file"),
        ("empty .xlsx", "empty.xlsx", b"", "empty-file"),
        ("header-only .xlsx", "head.xlsx", corpus.xlsx_file([]), "empty-file"),
        ("CSV named .xlsx", "lie.xlsx", corpus.csv_file([["H1"]]), "not-xlsx"),
        (
            "old Excel .xls",
            "old.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
            "unsupported-file-type",
        ),
        ("no extension", "households", corpus.csv_file([["H1"]]), "unsupported-file-type"),
    ],
)
async def test_empty_and_foreign_files_are_refused(
    importer: Importer, case: str, name: str, body: bytes, code: str
) -> None:
    outcome = await importer.attempt(case, Upload(name, body))
    assert outcome.refusal == (422, code, "file")
