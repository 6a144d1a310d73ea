"""CSV encodings: the contract (README) takes UTF-8, UTF-8 with BOM and GBK; anything else is named.

GBK files are read as GB18030, its superset (what Windows writes for characters GBK lacks), so the
job reports ``gb18030``; both UTF-8 spellings report ``utf-8-sig`` (the BOM is optional).
"""

from __future__ import annotations

import pytest

from registry.synth import Synthesizer
from tests.bad_imports import corpus
from tests.bad_imports.importer import Importer, Upload

pytestmark = pytest.mark.stack


@pytest.mark.parametrize(
    ("case", "encoding", "reported"),
    [("gbk", "gbk", "gb18030"), ("utf8-bom", "utf-8-sig", "utf-8-sig"), ("utf8", "utf-8", "utf-8-sig")],
)
async def test_accepted_encodings_read_every_name_back(
    importer: Importer, synthesizer: Synthesizer, case: str, encoding: str, reported: str
) -> None:
    drafts = corpus.households(synthesizer, 3, case)
    body = corpus.csv_file(corpus.flat(corpus.rows_of(drafts)), encoding)
    if encoding == "utf-8-sig":
        assert body.startswith(b"\xef\xbb\xbf")
    outcome = await importer.attempt(f"CSV {encoding}", Upload(f"{case}.csv", body, "text/csv"))
    assert outcome.job is not None and outcome.job["file"]["encoding"] == reported
    assert outcome.counts == {
        "households_created": 3,
        "households_unchanged": 0,
        "households_rejected": 0,
        "errors": 0,
    }
    assert await importer.stored_people(case) == corpus.people(drafts)


async def test_utf16_is_refused_naming_the_encoding(importer: Importer, synthesizer: Synthesizer) -> None:
    """Excel's "Unicode Text" is UTF-16 with a BOM: refused, and the refusal says which encoding."""
    drafts = corpus.households(synthesizer, 1, "utf16")
    body = corpus.csv_file(corpus.flat(corpus.rows_of(drafts)), "utf-16")
    outcome = await importer.attempt("CSV UTF-16", Upload("utf16.csv", body, "text/csv"))
    problem = outcome.problem
    assert outcome.refusal == (422, "undecodable-file", "file")
    assert "UTF-16" in problem["detail"]


async def test_bytes_in_no_accepted_encoding_are_refused(
    importer: Importer, synthesizer: Synthesizer
) -> None:
    drafts = corpus.households(synthesizer, 1, "undecodable")
    # 0x80 and 0xFF start no character in UTF-8 or in GB18030.
    body = corpus.csv_file(corpus.flat(corpus.rows_of(drafts)), "utf-8") + b"\x80\xff\r\n"
    outcome = await importer.attempt("CSV not UTF-8/GBK", Upload("other.csv", body, "text/csv"))
    assert outcome.refusal == (422, "undecodable-file", "file")
