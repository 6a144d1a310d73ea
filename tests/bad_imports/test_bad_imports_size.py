"""Files too big to take: a 200 MB CSV (declared and chunked) and XLSX bombs, with bounded memory."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.imports.columns import LABELS
from registry.synth import Synthesizer
from tests.bad_imports import corpus
from tests.bad_imports.importer import IMPORT_MAX_BYTES, MB, Importer, Upload

pytestmark = pytest.mark.stack

BIG_BYTES = 200 * MB
BIG_WRITE_SECONDS = 10.0
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """200 MB of valid rows, written in 1 MB blocks (never held in memory), removed afterwards."""
    path = tmp_path_factory.mktemp("big") / "households-200mb.csv"
    sample = corpus.flat(corpus.rows_of(corpus.households(Synthesizer(seed=7), 20, "big")))
    started = time.monotonic()
    size = corpus.big_csv(path, BIG_BYTES, sample)
    seconds = time.monotonic() - started
    assert size >= BIG_BYTES
    assert seconds < BIG_WRITE_SECONDS, f"writing 200 MB took {seconds:.1f} s"
    yield path
    path.unlink()


async def test_200mb_file_with_its_length_is_refused_before_it_is_read(
    importer: Importer, big_file: Path
) -> None:
    outcome = await importer.attempt("200 MB CSV, Content-Length", Upload(big_file.name, big_file))
    assert outcome.refusal == (413, "file-too-large", "file")
    assert outcome.problem["max_bytes"] == IMPORT_MAX_BYTES


async def test_200mb_file_sent_chunked_is_refused_at_the_limit(importer: Importer, big_file: Path) -> None:
    outcome = await importer.attempt("200 MB CSV, chunked", Upload(big_file.name, big_file, chunked=True))
    assert outcome.refusal == (413, "file-too-large", "file")
    assert outcome.problem["max_bytes"] == IMPORT_MAX_BYTES


async def test_xlsx_zip_bomb_is_refused_unopened(importer: Importer, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    corpus.zip_bomb(bomb, 3 * 2**30)
    assert bomb.stat().st_size < 4 * MB  # 3 GiB of worksheet in a few megabytes
    outcome = await importer.attempt(
        "XLSX zip bomb 3 MB -> 3 GiB", Upload(bomb.name, bomb.read_bytes(), XLSX)
    )
    assert outcome.refusal == (422, "xlsx-too-large-uncompressed", "file")


async def test_xlsx_shared_string_bomb_is_refused(importer: Importer, tmp_path: Path) -> None:
    """A modest ratio evades the ratio check; the table a reader loads whole must be bounded itself."""
    bomb = tmp_path / "strings.xlsx"
    corpus.shared_strings_bomb(bomb, 100 * MB)
    assert bomb.stat().st_size < 5 * MB
    outcome = await importer.attempt(
        "XLSX shared strings 4 MB -> 100 MB", Upload(bomb.name, bomb.read_bytes(), XLSX)
    )
    problem = outcome.problem
    assert outcome.refusal == (422, "xlsx-too-large-uncompressed", "file")
    assert "xl/sharedStrings.xml" in problem["detail"]


async def test_xlsx_claiming_17_billion_cells_is_read_in_bounded_time(
    importer: Importer, tmp_path: Path
) -> None:
    """A 2 KB sheet claiming 16,384 x 1,048,576 cells: only the cells that exist cost work.

    Its one data row (a household ref and a name, nothing else) is row 1,048,576, after a million
    rows the sheet leaves out; the report must point there.
    """
    sparse = tmp_path / "sparse.xlsx"
    last_row = [""] * len(LABELS)
    last_row[corpus.col("household_ref")] = "S1"
    last_row[corpus.col("name")] = "王大山"
    corpus.sparse_sheet_bomb(sparse, last_row)
    outcome = await importer.attempt(
        "XLSX 2 KB claiming 16384 x 1048576 cells", Upload(sparse.name, sparse.read_bytes(), XLSX)
    )
    assert outcome.seconds < 30, f"took {outcome.seconds:.1f} s"  # unbounded before: ~16 min
    assert outcome.job is not None and outcome.job["status"] == "succeeded"
    assert outcome.job["progress"]["total_rows"] == 1
    assert (outcome.counts["households_created"], outcome.counts["households_rejected"]) == (0, 1)
    assert {e["row"] for e in outcome.errors} == {1_048_576}
    assert {e["column"] for e in outcome.errors} >= {"行政区划代码", "身份证号"}
