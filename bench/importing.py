"""Bulk import: the real ``jingzhun import`` process against a raw COPY of the same rows."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from jzkit.ids import new_id
from jzkit.pii import PiiCipher
from registry.domain.household import HouseholdDraft
from registry.models import Member
from registry.service import member_row
from registry.views import mask_account

POLL_SECONDS = 0.05
OUTPUT_TAIL_CHARS = 4000
IMPORT_TIMEOUT_SECONDS = 3600.0


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


# --- the COPY baseline ---------------------------------------------------------------------------


@dataclass
class BaselineRows:
    """Household and member rows shaped like the registry's tables (encrypted, hashed, masked)."""

    households: list[dict[str, Any]]
    members: list[dict[str, Any]]


def baseline_rows(drafts: Iterable[HouseholdDraft], pii: PiiCipher, actor: str) -> BaselineRows:
    """The rows a registration of ``drafts`` stores, built the way the registry builds them."""
    now = datetime.now(UTC)
    households: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    for draft in drafts:
        household_id = new_id()
        bank = draft.bank_account
        count = len(draft.members)
        households.append(
            {
                "id": household_id,
                "division_code": draft.division_code,
                "address": draft.address,
                "annual_net_income_fen": draft.annual_net_income_fen,
                "members_count": count,
                "per_capita_income_fen": draft.annual_net_income_fen // count,
                "housing": draft.housing.value,
                "poverty_causes": json.dumps([c.value for c in draft.poverty_causes]),
                "flags": json.dumps(draft.flags.model_dump()),
                "responsible_person": None,
                "assistance_plan": draft.assistance_plan,
                "measures": "[]",
                "results": "[]",
                "bank_name": bank.bank if bank else None,
                "bank_account_ciphertext": pii.encrypt(bank.account_number) if bank else None,
                "bank_account_masked": mask_account(bank.account_number) if bank else None,
                "bank_account_hash": pii.blind_index(bank.account_number) if bank else None,
                "bank_holder_hash": pii.blind_index(bank.holder_id_number) if bank else None,
                "status": "registered",
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "created_by": actor,
                "updated_by": actor,
            }
        )
        for member in draft.members:
            members.append(_member_values(member_row(member, household_id, pii, now)))
    return BaselineRows(households=households, members=members)


def _member_values(member: Member) -> dict[str, Any]:
    return {column.name: getattr(member, column.name) for column in Member.__table__.columns}  # type: ignore[attr-defined]


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
