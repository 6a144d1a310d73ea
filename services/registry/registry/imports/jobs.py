"""Creating an import job from an accepted file, and the job document (``GET /api/v1/jobs/{id}``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from jzkit.auth import Principal
from jzkit.errors import NotFound
from jzkit.ids import new_id
from registry import import_repository as repo
from registry.import_models import ImportJob, ImportRowError
from registry.imports.uploads import StoredUpload

JOB_KIND = "household-import"
ERRORS_IN_JOB = 100


def job_path(directory: Path, job: ImportJob) -> Path:
    """Where the job's file is kept until the job finishes."""
    return directory / f"{job.id}.{job.file_format}"


def create_job(
    session: AsyncSession, principal: Principal, upload: StoredUpload, directory: Path, claimed: bool = False
) -> ImportJob:
    """A job owning the uploaded file (moved next to the other jobs' files).

    ``claimed`` creates it already running for the caller (the CLI runs it in-process), so no
    service runner can take it in between.
    """
    now = datetime.now(UTC)
    job = ImportJob(
        id=new_id(),
        status="running" if claimed else "queued",
        file_name=upload.name,
        file_format=upload.file_format,
        file_encoding=upload.encoding,
        file_sha256=upload.sha256,
        file_bytes=upload.size,
        created_by=principal.subject,
        creator_role=principal.role.value,
        jurisdiction=principal.jurisdiction,
        attempts=1 if claimed else 0,
        created_at=now,
        started_at=now if claimed else None,
        heartbeat_at=now if claimed else None,
    )
    upload.path.replace(job_path(directory, job))
    repo.add_job(session, job)
    return job


async def visible_job(session: AsyncSession, principal: Principal, job_id: str) -> ImportJob:
    """The job if the caller's jurisdiction covers its creator's; 404 otherwise (no existence leak)."""
    job = await repo.get_job(session, job_id)
    if job is None or not principal.covers(job.jurisdiction):
        raise NotFound("job", job_id, "任务")
    return job


class RowErrorOut(BaseModel):
    """Why one row was not imported."""

    row: int
    column: str | None
    field: str | None
    code: str
    message: str
    message_zh: str
    message_en: str


class JobFile(BaseModel):
    """The imported file."""

    name: str
    format: str
    encoding: str | None
    sha256: str
    bytes: int


class JobProgress(BaseModel):
    """Rows processed so far; ``total_rows`` is known once the file has been scanned."""

    processed_rows: int
    total_rows: int | None
    percent: float


class JobCounts(BaseModel):
    """What the import did, by household; ``errors`` counts row errors."""

    households_created: int
    households_unchanged: int
    households_rejected: int
    errors: int


class JobFailure(BaseModel):
    """Why a job failed as a whole (row problems do not fail a job)."""

    code: str
    message: str


class JobOut(BaseModel):
    """An import job with progress, counts and its first row errors."""

    id: str
    kind: str
    status: str
    file: JobFile
    created_by: str
    jurisdiction: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: JobProgress
    counts: JobCounts
    failure: JobFailure | None
    errors: list[RowErrorOut]
    errors_next_cursor: str | None
    links: dict[str, str]


class RowErrorPage(BaseModel):
    """A page of row errors; pass ``next_cursor`` back as ``cursor``."""

    items: list[RowErrorOut]
    next_cursor: str | None


def error_out(row: ImportRowError, lang: str) -> RowErrorOut:
    """A row error in the caller's language (both messages are kept)."""
    return RowErrorOut(
        row=row.row,
        column=row.column_label,
        field=row.field,
        code=row.code,
        message=row.message_zh if lang == "zh" else row.message_en,
        message_zh=row.message_zh,
        message_en=row.message_en,
    )


def job_out(job: ImportJob, errors: list[ImportRowError], next_cursor: str | None, lang: str) -> JobOut:
    """The job document."""
    total = job.total_rows
    done = job.status == "succeeded"
    percent = 100.0 if done else (round(100.0 * job.processed_rows / total, 1) if total else 0.0)
    failure = (
        JobFailure(code=job.failure_code, message=job.failure_message or "") if job.failure_code else None
    )
    return JobOut(
        id=job.id,
        kind=JOB_KIND,
        status=job.status,
        file=JobFile(
            name=job.file_name,
            format=job.file_format,
            encoding=job.file_encoding,
            sha256=job.file_sha256,
            bytes=job.file_bytes,
        ),
        created_by=job.created_by,
        jurisdiction=job.jurisdiction,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        progress=JobProgress(processed_rows=job.processed_rows, total_rows=total, percent=percent),
        counts=JobCounts(
            households_created=job.households_created,
            households_unchanged=job.households_unchanged,
            households_rejected=job.households_rejected,
            errors=job.error_count,
        ),
        failure=failure,
        errors=[error_out(e, lang) for e in errors],
        errors_next_cursor=next_cursor,
        links={"self": f"/api/v1/jobs/{job.id}", "errors": f"/api/v1/jobs/{job.id}/errors"},
    )
