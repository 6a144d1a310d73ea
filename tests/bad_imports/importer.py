"""Uploading a file through the gateway and holding the outcome against the registry's tables.

Every attempt is checked the same way, whatever the file: a refusal is problem+json naming the
field and writes nothing (no job, no household, no file left behind); an accepted file becomes a
job whose counts are exactly what the tables gained, row errors included. The peak resident set
(``VmHWM``) of the gateway and the registry is reset before each attempt and read after it.
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import asyncpg
import httpx

from jzkit.auth import Role
from jzkit.testing.stack import GATEWAY, Stack

MB = 2**20
# The registry's import limit in this folder's stack (its production default is 256 MiB).
IMPORT_MAX_BYTES = 64 * MB
# How much either process may grow over its resident set before an attempt.
RSS_GROWTH_LIMIT = 150 * MB
VILLAGE = "510822104201"  # 炉场村, the clerk's village in the demo divisions
JOB_WAIT_SECONDS = 60.0
FILES_GONE_SECONDS = 5.0
HTTP_TIMEOUT_SECONDS = 120.0
ERROR_PAGE = 1000
MAX_ERROR_PAGES = 50
_POLL_SECONDS = 0.05
_BLOCK = MB
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Tables:
    """What the registry's database holds that an import can change."""

    households: frozenset[str]
    members: int
    orphan_members: int
    jobs: int
    row_errors: int
    registered_events: int


async def read_tables(url: str) -> Tables:
    """The registry's import-relevant tables right now."""
    conn = await asyncpg.connect(url)
    try:
        households = frozenset(str(r["id"]) for r in await conn.fetch("SELECT id FROM households"))
        return Tables(
            households=households,
            members=await conn.fetchval("SELECT count(*) FROM members"),
            orphan_members=await conn.fetchval(
                "SELECT count(*) FROM members m LEFT JOIN households h ON h.id = m.household_id"
                " WHERE h.id IS NULL"
            ),
            jobs=await conn.fetchval("SELECT count(*) FROM import_jobs"),
            row_errors=await conn.fetchval("SELECT count(*) FROM import_row_errors"),
            registered_events=await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE event_type = 'registry.household.registered'"
            ),
        )
    finally:
        await conn.close()


def _status_bytes(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"{key} missing from /proc/{pid}/status")


@dataclass(frozen=True)
class Peak:
    """A process's resident set before an attempt and its peak during it."""

    before: int
    peak: int

    @property
    def growth(self) -> int:
        """How far the peak rose above the resident set at the start."""
        return max(0, self.peak - self.before)


class PeakMeter:
    """Resets and reads the kernel's peak-RSS mark (``VmHWM``) of stack processes."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.before: dict[str, int] = {}

    def start(self) -> None:
        """Note the resident sets and restart the peak marks from them (``clear_refs`` 5)."""
        for name, pid in self.pids.items():
            self.before[name] = _status_bytes(pid, "VmRSS")
            Path(f"/proc/{pid}/clear_refs").write_text("5")

    def read(self) -> dict[str, Peak]:
        """The peak of each process since :meth:`start`."""
        return {name: Peak(self.before[name], _status_bytes(pid, "VmHWM")) for name, pid in self.pids.items()}


@dataclass
class Outcome:
    """What one upload did: the answer, the job it became (if any) and the tables around it."""

    case: str
    response: httpx.Response
    before: Tables
    after: Tables
    peaks: dict[str, Peak]
    seconds: float
    # Members of the households this attempt created.
    new_members: int
    job: dict[str, Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def problem(self) -> dict[str, Any]:
        """The problem document of a refusal."""
        assert self.job is None, f"{self.case}: accepted, not refused"
        body: dict[str, Any] = self.response.json()
        return body

    @property
    def refusal(self) -> tuple[int, str, str]:
        """(HTTP status, problem code, problem field) of a refusal."""
        problem = self.problem
        return self.response.status_code, problem["code"], problem["field"]

    @property
    def counts(self) -> dict[str, int]:
        """The job's counts."""
        assert self.job is not None, f"{self.case}: refused ({self.response.status_code}), no job"
        counts: dict[str, int] = self.job["counts"]
        return counts

    @property
    def new_households(self) -> frozenset[str]:
        """Ids of the households this attempt created."""
        return self.after.households - self.before.households

    def codes(self) -> set[str]:
        """The row-error codes, except the note each other row of a refused household gets."""
        return {e["code"] for e in self.errors if e["code"] != "household-rejected"}

    def errors_with(self, code: str) -> list[dict[str, Any]]:
        """The row errors with ``code``."""
        return [e for e in self.errors if e["code"] == code]


class ResultTable:
    """One line per attempt: case, answer, what was accepted and refused, peak memory growth."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, ...]] = []

    def add(self, outcome: Outcome) -> None:
        """Record an attempt."""
        gateway = outcome.peaks[GATEWAY]
        registry = outcome.peaks["registry"]
        if outcome.job is None:
            result = outcome.response.json().get("code", "?")
            accepted = rejected = "-"
        else:
            counts = outcome.counts
            result = f"job {outcome.job['status']}"
            accepted = f"{counts['households_created']}+{counts['households_unchanged']}u"
            rejected = f"{counts['households_rejected']} ({len({e['row'] for e in outcome.errors})} rows)"
        self.lines.append(
            (
                outcome.case,
                str(outcome.response.status_code),
                result,
                accepted,
                rejected,
                f"{gateway.peak / MB:.0f} (+{gateway.growth / MB:.0f})",
                f"{registry.peak / MB:.0f} (+{registry.growth / MB:.0f})",
                f"{outcome.seconds:.1f}",
            )
        )

    def render(self) -> str:
        """The table as fixed-width text."""
        head = ("case", "HTTP", "outcome", "created", "rejected", "gw peak MB", "reg peak MB", "s")
        rows = [head, *self.lines]
        widths = [max(_width(r[i]) for r in rows) for i in range(len(head))]
        text = [
            "  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in rows
        ]
        text.insert(1, "  ".join("-" * w for w in widths))
        return "bad imports: households created (+u unchanged), rejected, peak RSS (growth)\n" + "\n".join(
            text
        )


def _width(text: str) -> int:
    """Columns a terminal gives ``text`` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@dataclass(frozen=True)
class Upload:
    """A file to send: bytes in memory, or a path streamed from disk."""

    name: str
    body: bytes | Path
    content_type: str = "application/octet-stream"
    # A file on disk sent without Content-Length (chunked): nobody can refuse it before reading it.
    chunked: bool = False


def _multipart(upload: Upload, boundary: str) -> tuple[bytes, bytes]:
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{upload.name}"\r\n'
        f"Content-Type: {upload.content_type}\r\n\r\n"
    ).encode()
    return head, f"\r\n--{boundary}--\r\n".encode()


async def _stream(head: bytes, path: Path, tail: bytes) -> AsyncIterator[bytes]:
    yield head
    async with await anyio.open_file(path, "rb") as source:
        while block := await source.read(_BLOCK):
            yield block
    yield tail


class Importer:
    """Uploads through the gateway of a stack, as a village clerk unless told otherwise."""

    def __init__(self, stack: Stack, table: ResultTable) -> None:
        self.stack = stack
        self.table = table
        self.database_url = stack.database_url("registry", driver="postgresql")
        self.import_dir = stack.workdir / "imports"

    def headers(self, role: Role = Role.VILLAGE_CLERK, jurisdiction: str = VILLAGE) -> dict[str, str]:
        """Authorization for ``role`` in ``jurisdiction``."""
        return {"Authorization": f"Bearer {self.stack.token(role, jurisdiction)}"}

    def client(self, role: Role = Role.VILLAGE_CLERK, jurisdiction: str = VILLAGE) -> httpx.AsyncClient:
        """A client of the gateway for ``role``."""
        return httpx.AsyncClient(
            base_url=self.stack.gateway_url,
            headers=self.headers(role, jurisdiction),
            timeout=HTTP_TIMEOUT_SECONDS,
        )

    async def fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        """Rows of a query on the registry's database."""
        conn = await asyncpg.connect(self.database_url)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    async def stored_people(self, case: str) -> list[tuple[str, str]]:
        """(address, member name) of every member stored for ``case`` (addresses ``<case>-<n>号``)."""
        rows = await self.fetch(
            "SELECT h.address, m.name FROM households h JOIN members m ON m.household_id = h.id"
            " WHERE h.address ~ $1",
            f"^{case}-[0-9]+号",
        )
        return sorted((r["address"], r["name"]) for r in rows)

    def meter(self) -> PeakMeter:
        """A peak meter on the gateway and the registry API processes."""
        pids = {name: self.stack.processes[name].pid for name in (GATEWAY, "registry")}
        assert all(pids.values()), f"stack processes not running: {pids}"
        return PeakMeter({name: pid for name, pid in pids.items() if pid is not None})

    async def _post(self, client: httpx.AsyncClient, upload: Upload) -> httpx.Response:
        if isinstance(upload.body, bytes):
            files = {"file": (upload.name, upload.body, upload.content_type)}
            return await client.post("/api/v1/imports", files=files)
        boundary = uuid.uuid4().hex
        head, tail = _multipart(upload, boundary)
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if not upload.chunked:
            headers["Content-Length"] = str(len(head) + upload.body.stat().st_size + len(tail))
        return await client.post("/api/v1/imports", content=_stream(head, upload.body, tail), headers=headers)

    async def wait(self, client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
        """The job once finished (bounded wait)."""
        deadline = time.monotonic() + JOB_WAIT_SECONDS
        while True:
            response = await client.get(f"/api/v1/jobs/{job_id}")
            assert response.status_code == 200, response.text
            job: dict[str, Any] = response.json()
            if job["status"] in ("succeeded", "failed"):
                return job
            assert time.monotonic() < deadline, f"job {job_id} not finished after {JOB_WAIT_SECONDS} s: {job}"
            await asyncio.sleep(_POLL_SECONDS)

    async def all_errors(self, client: httpx.AsyncClient, job_id: str) -> list[dict[str, Any]]:
        """Every row error of a job, page by page (bounded)."""
        errors: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(MAX_ERROR_PAGES):
            params: dict[str, str | int] = {"limit": ERROR_PAGE, **({"cursor": cursor} if cursor else {})}
            page = await client.get(f"/api/v1/jobs/{job_id}/errors", params=params)
            assert page.status_code == 200, page.text
            errors += page.json()["items"]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                return errors
        raise AssertionError(f"job {job_id}: more than {MAX_ERROR_PAGES} pages of errors")

    async def attempt(self, case: str, upload: Upload, role: Role = Role.VILLAGE_CLERK) -> Outcome:
        """Upload ``upload``, follow its job to the end, check the outcome against the tables."""
        before = await read_tables(self.database_url)
        meter = self.meter()
        meter.start()
        started = time.monotonic()
        job: dict[str, Any] | None = None
        errors: list[dict[str, Any]] = []
        async with self.client(role) as client:
            response = await self._post(client, upload)
            if response.status_code == 202:
                job = await self.wait(client, response.json()["id"])
                errors = await self.all_errors(client, job["id"])
        after = await read_tables(self.database_url)
        new_members = await self.fetch(
            "SELECT count(*) AS n FROM members WHERE household_id = ANY($1::text[])",
            list(after.households - before.households),
        )
        outcome = Outcome(
            case=case,
            response=response,
            before=before,
            after=after,
            new_members=int(new_members[0]["n"]),
            peaks=meter.read(),
            seconds=time.monotonic() - started,
            job=job,
            errors=errors,
        )
        self.table.add(outcome)
        await self._wait_files_gone()
        check_outcome(outcome, self.import_dir)
        return outcome

    async def _wait_files_gone(self) -> None:
        """Give a finished job the moment between committing its status and deleting its file."""
        for _ in range(int(FILES_GONE_SECONDS / _POLL_SECONDS)):
            if not self.import_dir.exists() or not any(self.import_dir.iterdir()):
                return
            await asyncio.sleep(_POLL_SECONDS)


def check_outcome(outcome: Outcome, import_dir: Path) -> None:
    """What holds for every upload, accepted or refused."""
    for name, peak in outcome.peaks.items():
        assert peak.growth < RSS_GROWTH_LIMIT, (
            f"{outcome.case}: {name} grew {peak.growth / MB:.0f} MB (limit {RSS_GROWTH_LIMIT / MB:.0f})"
        )
    # The uploaded file (personal data) is gone once refused or once its job has finished.
    assert not import_dir.exists() or list(import_dir.iterdir()) == [], list(import_dir.iterdir())
    before, after = outcome.before, outcome.after
    assert after.orphan_members == 0
    if outcome.job is None:
        _check_refusal(outcome)
        assert after == before, f"{outcome.case}: a refused file changed the tables"
        return
    job, counts = outcome.job, outcome.counts
    assert outcome.response.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert after.jobs == before.jobs + 1
    # Exactly what the report says was applied: households, their events, their row errors.
    assert len(outcome.new_households) == counts["households_created"]
    assert before.households <= after.households
    assert after.registered_events - before.registered_events == counts["households_created"]
    assert after.members - before.members == outcome.new_members, "members added to older households"
    assert after.row_errors - before.row_errors == counts["errors"] == len(outcome.errors)
    for error in outcome.errors:
        assert error["row"] >= 2 and error["code"] and error["message_zh"] and error["message_en"]
    rejected_rows = {e["row"] for e in outcome.errors}
    if job["status"] == "succeeded" and counts["households_unchanged"] == 0:
        total = job["progress"]["total_rows"]
        assert outcome.new_members == total - len(rejected_rows), (
            f"{outcome.case}: members added do not match the rows the report accepted"
        )


def _check_refusal(outcome: Outcome) -> None:
    response = outcome.response
    assert response.status_code in (413, 422), f"{outcome.case}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers["content-type"]
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["code"] and problem["detail"], problem
    assert problem.get("field"), f"{outcome.case}: the refusal names no field: {problem}"
