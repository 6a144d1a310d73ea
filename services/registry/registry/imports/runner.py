"""The import job runner: claims queued (or abandoned) jobs and runs them chunk by chunk.

Each chunk's households, members, outbox rows, row errors and the job's progress commit in one
transaction, so a crash loses at most the chunk in flight; a resumed job skips the rows already
counted as processed. Re-running a chunk is harmless anyway: what exists is "unchanged".
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from jzkit import divisions, metrics
from jzkit.auth import Principal, Role
from jzkit.db import unit_of_work
from jzkit.errors import DomainError
from jzkit.runtime import ServiceRuntime
from registry import import_repository as repo
from registry.domain.household import Limits
from registry.import_models import ImportJob
from registry.imports.bulk import Checked, ChunkResult, apply_chunk, prepare_chunk
from registry.imports.grouping import FileSource, households_in, scan_file
from registry.imports.jobs import JOB_KIND, job_path
from registry.imports.reading import FileFormat
from registry.imports.rules import ImportRules
from registry.imports.uploads import discard
from registry.settings import RegistrySettings

log = logging.getLogger(__name__)
Progress = Callable[[int, int | None], None]
# A chunk that loses a uniqueness race to a concurrent registration is looked up and written again.
_CHUNK_ATTEMPTS = 3
# Young objects between collections while a job runs (Python's default is 700): a chunk's rows live
# for the whole chunk, so frequent young collections only move them up a generation at a time.
_YOUNG_OBJECTS = 50_000


def import_directory(settings: RegistrySettings, runtime: ServiceRuntime) -> Path:
    """Where uploaded files wait for their jobs."""
    return settings.import_dir or runtime.common.data_dir / "imports"


@dataclass
class _Counts:
    processed_rows: int
    households_created: int
    households_unchanged: int
    households_rejected: int
    error_count: int

    def after(self, result: ChunkResult) -> _Counts:
        return _Counts(
            self.processed_rows + result.rows,
            self.households_created + result.created,
            self.households_unchanged + result.unchanged,
            self.households_rejected + result.rejected,
            self.error_count + len(result.errors),
        )


def _error_rows(job_id: str, numbered: int, result: ChunkResult) -> list[repo.Row]:
    return [
        {
            "job_id": job_id,
            "seq": numbered + i,
            "row": e.row,
            "column_label": e.column,
            "field": e.field,
            "code": e.code,
            "message_zh": e.message_zh,
            "message_en": e.message_en,
        }
        for i, e in enumerate(result.errors, start=1)
    ]


@contextlib.contextmanager
def _heap_set_aside() -> Iterator[None]:
    """Keep the collector's full passes off the objects that existed before the job.

    A job allocates millions of short-lived objects; each full collection would also walk every
    module, model and table already loaded (a tenth of a second, a dozen times per 20,000
    households). Frozen objects are still freed by reference counting; unfreezing hands any cyclic
    garbage among them back to the collector.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(_YOUNG_OBJECTS, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@asynccontextmanager
async def running_imports(
    app: FastAPI, runtime: ServiceRuntime, settings: RegistrySettings
) -> AsyncIterator[None]:
    """Run the import runner for the app's lifetime (resuming interrupted jobs at start)."""
    runner = ImportRunner(runtime, settings)
    app.state.import_runner = runner
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_forever(stop))
    try:
        yield
    finally:
        stop.set()
        # A job in progress is cancelled and handed back to the queue; the next start resumes it.
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class ImportRunner:
    """Runs import jobs one at a time in this process."""

    def __init__(self, runtime: ServiceRuntime, settings: RegistrySettings) -> None:
        self.runtime = runtime
        self.settings = settings
        self.directory = import_directory(settings, runtime)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for work now (a job was just queued)."""
        self._wake.set()

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Resume abandoned jobs, then run queued ones as they arrive, until ``stop`` is set."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.run_pending()
            except Exception as exc:  # the database is down: keep polling, jobs stay queued
                log.warning("import runner cannot read jobs: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.import_poll_seconds)

    async def run_pending(self) -> int:
        """Run every claimable job; returns how many ran."""
        ran = 0
        stale = datetime.now(UTC) - timedelta(seconds=self.settings.import_lease_seconds)
        async with self.runtime.sessions() as session:
            job_ids = await repo.claimable_jobs(session, stale)
        for job_id in job_ids:
            if await self.claim(job_id):
                await self.run_job(job_id)
                ran += 1
        return ran

    async def claim(self, job_id: str) -> bool:
        """Take the job for this runner (False when another runner holds it or it is finished)."""
        now = datetime.now(UTC)
        stale = now - timedelta(seconds=self.settings.import_lease_seconds)
        async with unit_of_work(self.runtime.sessions) as session:
            return await repo.claim_job(session, job_id, now, stale)

    async def run_job(self, job_id: str, progress: Progress | None = None) -> None:
        """Run a claimed job to the end; a failure marks it failed, a cancellation re-queues it."""
        async with self.runtime.sessions() as session:
            job = await repo.get_job(session, job_id)
        if job is None:
            return
        path = job_path(self.directory, job)
        spool = path.with_suffix(".rows.csv")
        fmt: FileFormat = "xlsx" if job.file_format == "xlsx" else "csv"
        try:
            if not path.exists():
                await self._finish(job, "failed", "file-missing", "the uploaded file is no longer stored")
                return
            with _heap_set_aside():
                async with self._heartbeat(job.id):
                    await self._run(job, FileSource(path, fmt, job.file_encoding), spool, progress)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._requeue(job_id))
            raise
        except DomainError as exc:
            # The file breaks a rule only a full read finds (a line no row can be, too many rows): its
            # owner gets the reason. The scan reads the whole file before the first chunk is written.
            log.info("import job %s refused its file: %s", job_id, exc.code)
            await self._finish(job, "failed", exc.code, exc.message_en)
        except Exception as exc:  # recorded on the job, which is what its owner reads
            log.exception("import job %s failed", job_id)
            # Only the error's type: driver messages may quote row values (names) to any job reader.
            message = f"the import stopped on an internal error ({type(exc).__name__}); see the service log"
            await self._finish(job, "failed", "import-failed", message)
        else:
            await self._finish(job, "succeeded", None, None)
        discard(path)
        discard(spool)

    async def _run(self, job: ImportJob, upload: FileSource, spool: Path, progress: Progress | None) -> None:
        header, facts, source = await asyncio.to_thread(scan_file, upload, spool)
        counts = _Counts(
            job.processed_rows,
            job.households_created,
            job.households_unchanged,
            job.households_rejected,
            job.error_count,
        )
        async with unit_of_work(self.runtime.sessions) as session:
            await repo.set_progress(session, job.id, datetime.now(UTC), total_rows=facts.data_rows)
            levels = await repo.division_levels(session, divisions.prefix(job.jurisdiction))
        principal = Principal(
            subject=job.created_by, role=Role(job.creator_role), jurisdiction=job.jurisdiction
        )
        limits = Limits(self.settings.max_annual_income_fen, self.settings.max_members)
        rules = ImportRules(principal=principal, division_levels=levels, limits=limits, today=date.today())
        households = households_in(source, job.processed_rows)
        size = self.settings.import_chunk_households

        reason = f"bulk import (job {job.id})"

        def next_chunk() -> list[Checked]:
            raws = list(islice(households, size))
            return prepare_chunk(raws, header, facts, rules, self.runtime.pii, job.created_by, reason)

        if progress:
            progress(counts.processed_rows, facts.data_rows)
        # The next chunk is read and checked in a thread while this one is written by the database.
        pending = asyncio.ensure_future(asyncio.to_thread(next_chunk))
        try:
            while chunk := await pending:
                pending = asyncio.ensure_future(asyncio.to_thread(next_chunk))
                counts = await self._write(job, chunk, counts)
                if progress:
                    progress(counts.processed_rows, facts.data_rows)
        finally:
            # The reading thread cannot be interrupted: let it finish before the file is closed.
            with contextlib.suppress(BaseException):
                await pending
            households.close()

    async def _write(self, job: ImportJob, chunk: list[Checked], counts: _Counts) -> _Counts:
        for attempt in range(1, _CHUNK_ATTEMPTS + 1):
            try:
                result, after = await self._commit_chunk(job, chunk, counts)
                break
            except IntegrityError:
                if attempt == _CHUNK_ATTEMPTS:
                    raise
                log.info("import job %s: chunk lost a uniqueness race, retrying", job.id)
        self.runtime.after_commit()
        rejected_rows = len({e.row for e in result.errors})
        metrics.JOB_ROWS.labels(self.runtime.name, JOB_KIND, "accepted").inc(result.rows - rejected_rows)
        metrics.JOB_ROWS.labels(self.runtime.name, JOB_KIND, "rejected").inc(rejected_rows)
        return after

    async def _commit_chunk(
        self, job: ImportJob, chunk: list[Checked], counts: _Counts
    ) -> tuple[ChunkResult, _Counts]:
        async with unit_of_work(self.runtime.sessions) as session:
            result = await apply_chunk(session, chunk)
            after = counts.after(result)
            await repo.add_row_errors(session, _error_rows(job.id, counts.error_count, result))
            await repo.set_progress(session, job.id, datetime.now(UTC), **vars(after))
        return result, after

    @asynccontextmanager
    async def _heartbeat(self, job_id: str) -> AsyncIterator[None]:
        """Keep the lease while a long step (the scan of a big workbook) commits nothing."""

        async def beat() -> None:
            while True:
                await asyncio.sleep(self.settings.import_lease_seconds / 3)
                try:
                    async with unit_of_work(self.runtime.sessions) as session:
                        await repo.set_progress(session, job_id, datetime.now(UTC))
                except Exception as exc:  # the next beat, or the chunk's own commit, tries again
                    log.warning("import job %s: heartbeat failed: %s", job_id, exc)

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _requeue(self, job_id: str) -> None:
        async with unit_of_work(self.runtime.sessions) as session:
            await repo.release_job(session, job_id)

    async def _finish(self, job: ImportJob, status: str, code: str | None, message: str | None) -> None:
        async with unit_of_work(self.runtime.sessions) as session:
            await repo.finish_job(session, job.id, status, datetime.now(UTC), code, message)
