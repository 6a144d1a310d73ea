"""Imports the API refuses: files it cannot read, a missing column, the size limit, roles, jurisdictions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from registry.imports.columns import LABELS

Registry = Any  # the ``registry`` fixture (api/conftest.py): the app's client, its database, importing
Helper = Callable[..., Any]  # ``start_registry``, ``drafts``, ``file_rows``, ``csv_file`` (api/conftest.py)

XINGLONG = "510822104202"  # a village of 茶坝乡 other than the clerk's


async def _refused(registry: Registry, response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert await registry.count("import_jobs") == 0
    assert not registry.import_dir.exists() or list(registry.import_dir.iterdir()) == []
    return body


@pytest.mark.parametrize(
    ("name", "body", "code"),
    [
        ("households.pdf", b"%PDF-1.4", "unsupported-file-type"),
        ("households.xls", b"\xd0\xcf\x11\xe0", "unsupported-file-type"),
        ("households.xlsx", b"not a zip at all", "not-xlsx"),
        ("households.csv", b"PK\x03\x04zipped", "not-csv"),
        ("households.csv", b"", "empty-file"),
        ("households.csv", ",".join(LABELS).encode() + b"\r\n\r\n", "empty-file"),
        ("households.csv", b"\xff\xfe\xff\xfe", "undecodable-file"),
    ],
)
async def test_files_that_cannot_be_imported_are_refused(
    registry: Registry, name: str, body: bytes, code: str
) -> None:
    problem = await _refused(registry, await registry.post_file("clerk", name, body), 422, code)
    assert problem["field"] == "file"


async def test_missing_columns_are_named(registry: Registry) -> None:
    header = [label for label in LABELS if label != "身份证号"]
    body = (",".join(header) + "\r\nH1," + ",".join("x" for _ in header[1:]) + "\r\n").encode()
    problem = await _refused(
        registry, await registry.post_file("clerk", "a.csv", body), 422, "missing-columns"
    )
    assert problem["columns"] == ["身份证号"]
    assert "身份证号" in problem["detail"]


async def test_file_above_the_size_limit_is_refused(
    start_registry: Helper, drafts: Helper, file_rows: Helper, csv_file: Helper
) -> None:
    async with start_registry(import_max_bytes=1000) as small:
        body = csv_file(file_rows(drafts(10)))
        problem = await _refused(
            small, await small.post_file("clerk", "big.csv", body), 413, "file-too-large"
        )
        assert problem["field"] == "file"


async def test_roles_that_do_not_register_households_cannot_import(
    registry: Registry, drafts: Helper, file_rows: Helper, csv_file: Helper
) -> None:
    body = csv_file(file_rows(drafts(1)))
    await _refused(registry, await registry.post_file("auditor", "a.csv", body), 403, "role-not-allowed")


async def test_households_outside_the_jurisdiction_are_refused_row_by_row(
    registry: Registry, drafts: Helper, file_rows: Helper, csv_file: Helper
) -> None:
    rows = file_rows(drafts(2, village=XINGLONG)) + file_rows(drafts(1, village="510822104299", seed=5), "U")
    job = await registry.run_import("clerk", "elsewhere.csv", csv_file(rows))
    assert job["counts"]["households_created"] == 0
    codes = {(e["column"], e["code"]) for e in job["errors"] if e["code"] != "household-rejected"}
    assert codes == {("行政区划代码", "outside-jurisdiction")}
    township = await registry.run_import(
        "township", "unknown.csv", csv_file(file_rows(drafts(1, village="510822104299", seed=5)))
    )
    assert {e["code"] for e in township["errors"]} <= {"unknown-division", "household-rejected"}
    assert township["errors"][0]["code"] == "unknown-division"
    assert await registry.count("households") == 0
