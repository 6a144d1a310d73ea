"""Streaming exports: pages of households read in short sessions, written out as they come.

CSV goes to the client page by page. XLSX cannot be streamed before it is complete (the zip's
directory comes last), so rows go to a write-only workbook backed by a temporary file, which is
then sent in blocks; memory stays flat either way.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator

from jzkit.auth import Principal
from jzkit.db import SessionFactory
from jzkit.pii import PiiCipher
from registry import import_repository as repo
from registry.exports.rows import from_stored, sheet_rows
from registry.exports.sheets import XlsxWriter, csv_bytes

_BLOCK = 1 << 16


async def _pages(
    sessions: SessionFactory,
    principal: Principal,
    pii: PiiCipher,
    prefix: str,
    status: str | None,
    page_size: int,
) -> AsyncIterator[list[list[str]]]:
    after: str | None = None
    while True:
        # One short session per page: no transaction stays open while a slow client reads.
        async with sessions() as session:
            households, members = await repo.household_page(session, prefix, status, after, page_size)
        if not households:
            return
        rows: list[list[str]] = []
        for household in households:
            rows.extend(sheet_rows(from_stored(household, members[str(household["id"])], principal, pii)))
        yield rows
        if len(households) < page_size:
            return
        after = str(households[-1]["id"])


async def csv_stream(
    sessions: SessionFactory,
    principal: Principal,
    pii: PiiCipher,
    prefix: str,
    status: str | None,
    page_size: int,
) -> AsyncIterator[bytes]:
    """The export as CSV: BOM and header, then one block per page."""
    yield csv_bytes([], with_header=True)
    async for rows in _pages(sessions, principal, pii, prefix, status, page_size):
        yield csv_bytes(rows)


async def xlsx_stream(
    sessions: SessionFactory,
    principal: Principal,
    pii: PiiCipher,
    prefix: str,
    status: str | None,
    page_size: int,
) -> AsyncIterator[bytes]:
    """The export as XLSX, built in a temporary file, then sent in blocks."""
    with tempfile.TemporaryFile() as spool:
        writer = XlsxWriter()
        async for rows in _pages(sessions, principal, pii, prefix, status, page_size):
            await asyncio.to_thread(writer.append, rows)
        await asyncio.to_thread(writer.save, spool)
        spool.seek(0)
        while block := await asyncio.to_thread(spool.read, _BLOCK):
            yield block
