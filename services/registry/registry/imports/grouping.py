"""Rows to households (consecutive rows sharing a 户编号), and the whole-file scan before importing.

The scan finds what no single chunk can see: a household whose rows are not consecutive, and a
person or bank card listed in more than one household of the file. Such households are refused
whole, wherever they sit in the file, so the outcome does not depend on the order of the rows.
Keys are kept as integers: a few tens of bytes per person, even for a province-sized file.
"""

from __future__ import annotations

import csv
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jzkit import idnumber
from registry.imports.columns import Header, read_header
from registry.imports.reading import FileFormat, iter_rows

_CHECK_VALUES = "0123456789X"


@dataclass
class RawHousehold:
    """The rows of one household as read: (row number, cells) pairs."""

    ref: str
    rows: list[tuple[int, list[str]]]

    @property
    def first_row(self) -> int:
        """The row number of its first row."""
        return self.rows[0][0]


@dataclass
class FileFacts:
    """What the scan learnt about the whole file."""

    data_rows: int = 0
    households: int = 0
    scattered_refs: set[str] = field(default_factory=set)
    shared_people: set[int] = field(default_factory=set)
    shared_accounts: set[int] = field(default_factory=set)


def cell(cells: list[str], header: Header, key: str) -> str:
    """The stripped text of column ``key`` in a row ("" when the column or cell is absent)."""
    position = header.index.get(key)
    if position is None or position >= len(cells):
        return ""
    return cells[position].strip()


def person_key(raw: str) -> int | None:
    """An ID number as an integer (None if it is not shaped like one: the domain check says why)."""
    number = idnumber.normalize(raw)
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in _CHECK_VALUES:
        return None
    return int(number[:17]) * 11 + _CHECK_VALUES.index(number[17])


def account_key(raw: str) -> int | None:
    """A bank account number as an integer (leading zeros kept apart by a marker digit)."""
    digits = raw.strip().replace(" ", "")
    return int("1" + digits) if digits.isdigit() else None


def group_households(rows: Iterable[list[str]], header: Header, first_row: int = 2) -> Iterator[RawHousehold]:
    """Consecutive non-blank rows with the same 户编号 (a blank 户编号 makes a household of its own)."""
    current: RawHousehold | None = None
    for number, cells in enumerate(rows, start=first_row):
        if not "".join(cells).strip():
            continue
        ref = cell(cells, header, "household_ref")
        if current is not None and ref and ref == current.ref:
            current.rows.append((number, cells))
            continue
        if current is not None:
            yield current
        current = RawHousehold(ref=ref, rows=[(number, cells)])
    if current is not None:
        yield current


def scan(rows: Iterable[list[str]], header: Header) -> FileFacts:
    """One streaming pass: row and household counts, scattered households, people/cards listed twice."""
    facts = FileFacts()
    closed: set[str] = set()
    people: set[int] = set()
    accounts: set[int] = set()
    for household in group_households(rows, header):
        facts.households += 1
        facts.data_rows += len(household.rows)
        if household.ref in closed:
            facts.scattered_refs.add(household.ref)
        elif household.ref:
            closed.add(household.ref)
        mine = {k for _, c in household.rows if (k := person_key(cell(c, header, "id_number"))) is not None}
        facts.shared_people |= mine & people
        people |= mine
        cards = {k for _, c in household.rows if (k := account_key(cell(c, header, "account_number")))}
        facts.shared_accounts |= cards & accounts
        accounts |= cards
    return facts


@dataclass(frozen=True)
class FileSource:
    """A file to read rows from."""

    path: Path
    fmt: FileFormat
    encoding: str | None


def households_in(source: FileSource, skip_rows: int = 0) -> Generator[RawHousehold]:
    """The file's households in order, after the first ``skip_rows`` rows (a resumed job's progress)."""
    rows = iter_rows(source.path, source.fmt, source.encoding)
    try:
        header = read_header(next(rows))
        skipped = 0
        for household in group_households(rows, header):
            if skipped < skip_rows:
                skipped += len(household.rows)
                continue
            yield household
    finally:
        rows.close()


def _copied(rows: Iterator[list[str]], writer: Any) -> Iterator[list[str]]:
    for row in rows:
        writer.writerow(row)
        yield row


def scan_file(upload: FileSource, spool: Path) -> tuple[Header, FileFacts, FileSource]:
    """Scan the file; a workbook is also copied to a CSV spool as it goes, so its XML is parsed once."""
    rows = iter_rows(upload.path, upload.fmt, upload.encoding)
    try:
        if upload.fmt == "csv":
            header = read_header(next(rows))
            return header, scan(rows, header), upload
        with spool.open("w", encoding="utf-8", newline="") as out:
            copied = _copied(rows, csv.writer(out))
            header = read_header(next(copied))
            facts = scan(copied, header)
        return header, facts, FileSource(spool, "csv", "utf-8")
    finally:
        rows.close()
