"""Accepting a file: stream it to disk (size cap, SHA-256), then refuse what cannot be imported.

Refusals happen before a job exists, so a refused file writes nothing; the stored file is what a
job (and a resumed job after a crash) reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path, PurePath

import anyio

from jzkit.errors import DomainError
from registry.imports.columns import Header, read_header
from registry.imports.reading import (
    FileFormat,
    check_xlsx_archive,
    detect_encoding,
    iter_rows,
    refuse,
)

Reader = Callable[[int], Awaitable[bytes]]
_BLOCK = 1 << 20
_ZIP_MAGIC = b"PK\x03\x04"
_FORMATS: dict[str, FileFormat] = {".csv": "csv", ".xlsx": "xlsx"}


class FileTooLarge(DomainError):
    """413: the upload is above the configured size."""

    status = 413


@dataclass(frozen=True)
class StoredUpload:
    """An uploaded file on disk, what it is and how to read it."""

    path: Path
    name: str
    size: int
    sha256: str
    file_format: FileFormat
    encoding: str | None = None


def too_large(limit: int) -> FileTooLarge:
    """The 413 refusal naming the file and the limit."""
    return FileTooLarge(
        "file-too-large",
        f"the file is larger than {limit} bytes",
        f"文件超过 {limit} 字节的上限",
        field="file",
        extra={"max_bytes": limit},
    )


def file_format(name: str) -> FileFormat:
    """CSV or XLSX by the file name; anything else is refused."""
    found = _FORMATS.get(PurePath(name).suffix.lower())
    if found is None:
        raise refuse(
            "unsupported-file-type",
            "only CSV (.csv) and Excel (.xlsx) files can be imported",
            "只能导入 CSV（.csv）或 Excel（.xlsx）文件",
        )
    return found


async def store(read: Reader, name: str, directory: Path, max_bytes: int) -> StoredUpload:
    """Copy the upload to ``directory`` block by block, refusing it once it passes ``max_bytes``."""
    fmt = file_format(name)
    await anyio.Path(directory).mkdir(parents=True, exist_ok=True)
    path = directory / f"upload-{uuid.uuid4().hex}.{fmt}"
    digest = hashlib.sha256()
    size = 0
    try:
        async with await anyio.open_file(path, "wb") as out:
            while block := await read(_BLOCK):
                size += len(block)
                if size > max_bytes:
                    raise too_large(max_bytes)
                digest.update(block)
                await out.write(block)
    except BaseException:
        discard(path)
        raise
    return StoredUpload(
        path=path, name=PurePath(name).name[:255], size=size, sha256=digest.hexdigest(), file_format=fmt
    )


def discard(path: Path) -> None:
    """Remove a stored file (refused, replayed, or its job finished: personal data is not kept)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _empty() -> DomainError:
    return refuse("empty-file", "the file has no household rows", "文件中没有农户数据行")


def inspect(upload: StoredUpload, max_uncompressed_bytes: int) -> tuple[StoredUpload, Header]:
    """Refuse files that are not CSV/XLSX, undecodable, empty, zip bombs or lack required columns."""
    if upload.size == 0:
        raise _empty()
    with upload.path.open("rb") as raw:
        is_zip = raw.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC
    if upload.file_format == "xlsx":
        if not is_zip:
            raise refuse("not-xlsx", "the file is not a valid XLSX workbook", "文件不是有效的 XLSX 工作簿")
        check_xlsx_archive(upload.path, max_uncompressed_bytes)
    else:
        if is_zip:
            raise refuse("not-csv", "the file is a zip archive, not CSV text", "文件是压缩包，不是 CSV 文本")
        upload = replace(upload, encoding=detect_encoding(upload.path))
    rows = iter_rows(upload.path, upload.file_format, upload.encoding)
    try:
        first = next(rows, None)
        if first is None:
            raise _empty()
        header = read_header(first)
        # One join per row: a sheet may hold a million blank rows before its first household.
        if not any("".join(row).strip() for row in rows):
            raise _empty()
    except DomainError:
        raise
    except Exception as exc:  # openpyxl and csv raise many types for malformed files: all mean "unreadable"
        if upload.file_format == "xlsx":
            raise refuse("not-xlsx", "the workbook cannot be read", "无法读取该工作簿") from exc
        raise refuse("unreadable-csv", "the CSV cannot be read", "无法读取该 CSV 文件") from exc
    finally:
        rows.close()
    return upload, header


async def accept(
    read: Reader, name: str, directory: Path, max_bytes: int, max_uncompressed_bytes: int
) -> StoredUpload:
    """Store an upload and inspect it; a refused file is removed again, so a refusal writes nothing."""
    stored = await store(read, name, directory, max_bytes)
    try:
        stored, _ = await asyncio.to_thread(inspect, stored, max_uncompressed_bytes)
    except BaseException:
        discard(stored.path)
        raise
    return stored
