"""Bulk import: the real ``jingzhun import`` process against a raw COPY of the same rows."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import psutil

from jingzhun.catalog import SERVICES
from jzkit.migrate import upgrade
from jzkit.pii import PiiCipher
from registry.domain.household import Limits, check_household
from registry.imports.columns import read_header
from registry.imports.grouping import FileFacts, group_households
from registry.imports.mapping import read_household
from registry.imports.reading import detect_encoding, iter_rows
from registry.imports.records import Row, household_values, member_values

POLL_SECONDS = 0.05
OUTPUT_TAIL_CHARS = 4000
IMPORT_TIMEOUT_SECONDS = 3600.0
# jsonb columns: COPY's binary format takes their JSON text.
JSON_COLUMNS = ("poverty_causes", "flags", "responsible_person", "measures", "results")


@dataclass(frozen=True)
class Measured:
    """Wall time and peak memory of one child process."""

    seconds: float
    peak_rss_bytes: int
    returncode: int
    output: str


def _high_water_mark(pid: int) -> int:
    """Peak resident set size the kernel recorded for ``pid`` (VmHWM), 0 if unreadable."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _tree_rss(process: psutil.Process) -> int:
    """Resident memory of ``process`` and its children now (0 once it is gone)."""
    total = 0
    try:
        for proc in (process, *process.children(recursive=True)):
            total += proc.memory_info().rss
    except psutil.Error:
        pass  # exited between listing and reading: its last sample already counted
    return total


def run_measured(argv: Sequence[str], env: dict[str, str], log_path: Path) -> Measured:
    """Run ``argv`` to completion, polling its memory; output goes to ``log_path``."""
    peak = 0
    with log_path.open("wb") as log:
        started = time.perf_counter()
        # argv: this interpreter and fixed jingzhun sub-commands with paths we built.
        popen = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        process = psutil.Process(popen.pid)
        deadline = started + IMPORT_TIMEOUT_SECONDS
        while popen.poll() is None:
            peak = max(peak, _tree_rss(process), _high_water_mark(popen.pid))
            if time.perf_counter() > deadline:
                popen.kill()
                break
            time.sleep(POLL_SECONDS)
        returncode = popen.wait()
        seconds = time.perf_counter() - started
    output = log_path.read_text(encoding="utf-8", errors="replace")[-OUTPUT_TAIL_CHARS:]
    return Measured(seconds=seconds, peak_rss_bytes=peak, returncode=returncode, output=output)


def jingzhun(*args: str) -> list[str]:
    """argv of a ``python -m jingzhun`` sub-command in this interpreter."""
    return [sys.executable, "-m", "jingzhun", *args]


async def table_counts(url: str) -> dict[str, int]:
    """Rows in households, members and outbox of the database at ``url`` (libpq URL)."""
    conn = await asyncpg.connect(url)
    try:
        return {
            table: int(await conn.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608 - fixed names
            for table in ("households", "members", "outbox")
        }
    finally:
        await conn.close()


async def household_ids(url: str) -> list[str]:
    """Every household id in the database at ``url``."""
    conn = await asyncpg.connect(url)
    try:
        return [row["id"] for row in await conn.fetch("SELECT id FROM households")]
    finally:
        await conn.close()


@dataclass(frozen=True)
class FileCounts:
    """Households (distinct consecutive 户编号) and members (data rows) of a household file."""

    households: int
    members: int


def file_counts(path: Path) -> FileCounts:
    """Count what a correct import of the CSV at ``path`` must store."""
    households = members = 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        ref_at = read_header(next(reader)).index["household_ref"]
        previous = None
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            members += 1
            if row[ref_at] != previous:
                households += 1
                previous = row[ref_at]
    return FileCounts(households=households, members=members)


def migrate_registry(url: str) -> None:
    """Bring the database at ``url`` to the registry's migration head (blocking)."""
    upgrade(SERVICES["registry"].migrations, url)


# --- the COPY baseline ---------------------------------------------------------------------------


@dataclass
class BaselineRows:
    """Household and member rows exactly as the registry's tables hold them (encrypted, hashed, masked)."""

    households: list[Row]
    members: list[Row]


def baseline_rows(path: Path, pii: PiiCipher, actor: str) -> BaselineRows:
    """The rows of the file at ``path``, read and checked as the import does, built by its row builders."""
    rows = iter_rows(path, "csv", detect_encoding(path))
    header = read_header(next(rows))
    # The scan for people/cards listed twice is skipped: synthetic files have none.
    no_duplicates = FileFacts()
    limits = Limits(max_annual_income_fen=10**12, max_members=100)
    now = datetime.now(UTC)
    households: list[Row] = []
    members: list[Row] = []
    for raw in group_households(rows, header):
        mapped = read_household(raw, header, no_duplicates)
        if mapped.draft is None:
            raise ValueError(f"household {raw.ref} of {path} is unreadable: {mapped.errors[:3]}")
        draft = check_household(mapped.draft, now.date(), limits)
        household = household_values(draft, pii, actor, now)
        for column in JSON_COLUMNS:
            household[column] = json.dumps(household[column], ensure_ascii=False)
        households.append(household)
        members.extend(member_values(m, str(household["id"]), pii, now) for m in draft.members)
    return BaselineRows(households=households, members=members)


async def copy_rows(url: str, rows: BaselineRows) -> float:
    """Seconds to COPY ``rows`` into households and members in one transaction."""
    conn = await asyncpg.connect(url)
    try:
        batches = []
        for table, records in (("households", rows.households), ("members", rows.members)):
            columns = list(records[0])
            batches.append((table, columns, [tuple(r[c] for c in columns) for r in records]))
        started = time.perf_counter()
        async with conn.transaction():
            for table, columns, tuples in batches:
                await conn.copy_records_to_table(table, records=tuples, columns=columns)
        return time.perf_counter() - started
    finally:
        await conn.close()
