"""Bulk import and export routes: files in, jobs and files out (thin: HTTP in, HTTP out)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from jzkit.errors import InvalidInput
from jzkit.idempotency import replay_or_run, request_hash
from jzkit.openapi_doc import file_response
from jzkit.pagination import decode_cursor, encode_cursor
from jzkit.web import language
from registry import import_repository as repo
from registry.api.deps import ContextDep, CurrentUser, RuntimeDep, SessionDep, SettingsDep
from registry.domain.visibility import WRITER_ROLES
from registry.exports.sheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from registry.exports.streams import csv_stream, xlsx_stream
from registry.imports import jobs, uploads
from registry.imports.runner import ImportRunner, import_directory
from registry.imports.template import template_csv, template_xlsx
from registry.service import scope_prefix
from registry.settings import RegistrySettings

router = APIRouter(prefix="/api/v1")
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
ERRORS_PAGE_MAX = 1000
_MULTIPART_OVERHEAD = 64 * 1024
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


def get_import_runner(request: Request) -> ImportRunner:
    """The runner started by the app's lifespan."""
    runner: ImportRunner = request.app.state.import_runner
    return runner


RunnerDep = Annotated[ImportRunner, Depends(get_import_runner)]


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


async def _accept(request: Request, settings: RegistrySettings, directory: Path) -> uploads.StoredUpload:
    max_bytes = settings.import_max_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + _MULTIPART_OVERHEAD:
        raise uploads.too_large(max_bytes)  # refused before a byte of the body is read
    async with request.form(max_files=1, max_fields=8) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput(
                "file-required",
                "send the file as multipart field 'file'",
                "请以 file 字段上传文件",
                field="file",
            )
        name = upload.filename or ""
        return await uploads.accept(
            upload.read, name, directory, max_bytes, settings.import_max_uncompressed_bytes
        )


@router.post(
    "/imports", status_code=202, response_model=jobs.JobOut, tags=["imports"], openapi_extra=_UPLOAD_BODY
)
async def create_import(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    settings: SettingsDep,
    runtime: RuntimeDep,
    runner: RunnerDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Upload a CSV/XLSX file of households; it is imported by a background job (202 + Location)."""
    ctx.principal.require_role(*WRITER_ROLES)
    directory = import_directory(settings, runtime)
    stored = await _accept(request, settings, directory)
    created: list[str] = []

    async def run() -> tuple[int, dict[str, Any]]:
        job = jobs.create_job(session, ctx.principal, stored, directory)
        created.append(job.id)
        return 202, jobs.job_out(job, [], None, language(request)).model_dump(mode="json")

    fingerprint = request_hash("POST /imports", stored.name, stored.sha256)
    try:
        status, body = await replay_or_run(session, ctx.principal.subject, idempotency_key, fingerprint, run)
    finally:
        if not created:
            uploads.discard(stored.path)
    return JSONResponse(
        body,
        status_code=status,
        headers={"Location": f"/api/v1/jobs/{body['id']}"},
        background=BackgroundTask(runner.wake),
    )


@router.get(
    "/imports/template.csv",
    tags=["imports"],
    response_class=Response,
    responses=file_response(CSV_MEDIA_TYPE, "The template as CSV (UTF-8 with BOM)"),
)
async def import_template_csv(_user: CurrentUser) -> Response:
    """The import template as CSV (UTF-8 with BOM): header row and one example row."""
    return Response(template_csv(), media_type=CSV_MEDIA_TYPE, headers=_attachment("household-template.csv"))


@router.get(
    "/imports/template.xlsx",
    tags=["imports"],
    response_class=Response,
    responses=file_response(XLSX_MEDIA_TYPE, "The template as XLSX"),
)
async def import_template_xlsx(_user: CurrentUser) -> Response:
    """The import template as XLSX: header, one example row, and a sheet explaining each column."""
    body = await asyncio.to_thread(template_xlsx)
    return Response(body, media_type=XLSX_MEDIA_TYPE, headers=_attachment("household-template.xlsx"))


@router.get("/jobs/{job_id}", response_model=jobs.JobOut, tags=["imports"])
async def get_job(request: Request, job_id: str, session: SessionDep, user: CurrentUser) -> jobs.JobOut:
    """A job's status, progress, counts and first row errors (404 outside the caller's jurisdiction)."""
    job = await jobs.visible_job(session, user, job_id)
    errors = await repo.error_page(session, job.id, 0, jobs.ERRORS_IN_JOB + 1)
    more = len(errors) > jobs.ERRORS_IN_JOB
    cursor = encode_cursor({"seq": errors[jobs.ERRORS_IN_JOB - 1].seq}) if more else None
    return jobs.job_out(job, errors[: jobs.ERRORS_IN_JOB], cursor, language(request))


@router.get("/jobs/{job_id}/errors", response_model=jobs.RowErrorPage, tags=["imports"])
async def list_job_errors(
    request: Request,
    job_id: str,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    cursor: str | None = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> jobs.RowErrorPage:
    """A job's row errors in row order, page by page."""
    job = await jobs.visible_job(session, user, job_id)
    position = decode_cursor(cursor)
    after = position.get("seq") if position else 0
    if not isinstance(after, int):
        raise InvalidInput("invalid-cursor", "cursor is malformed", "分页游标无效", field="cursor")
    size = min(limit or settings.page_size_default, ERRORS_PAGE_MAX)
    rows = await repo.error_page(session, job.id, after, size + 1)
    next_cursor = encode_cursor({"seq": rows[size - 1].seq}) if len(rows) > size else None
    lang = language(request)
    return jobs.RowErrorPage(items=[jobs.error_out(r, lang) for r in rows[:size]], next_cursor=next_cursor)


def _export(
    ctx: ContextDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    division: str | None,
    status: str | None,
    fmt: str,
) -> StreamingResponse:
    prefix = scope_prefix(ctx.principal, division)
    stream = csv_stream if fmt == "csv" else xlsx_stream
    body: AsyncIterator[bytes] = stream(
        runtime.sessions, ctx.principal, ctx.pii, prefix, status, settings.export_page_households
    )
    name = f"households-{datetime.now(UTC):%Y%m%d}.{fmt}"
    media = CSV_MEDIA_TYPE if fmt == "csv" else XLSX_MEDIA_TYPE
    return StreamingResponse(body, media_type=media, headers=_attachment(name))


Division = Annotated[str | None, Query(pattern=r"^\d{12}$")]


@router.get(
    "/exports/households.csv",
    tags=["exports"],
    response_class=StreamingResponse,
    responses=file_response(CSV_MEDIA_TYPE, "Households as CSV (streamed)"),
)
async def export_csv(
    ctx: ContextDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    division: Division = None,
    status: str | None = None,
) -> StreamingResponse:
    """Households of the caller's jurisdiction as CSV (the import template's columns), masked by role."""
    return _export(ctx, runtime, settings, division, status, "csv")


@router.get(
    "/exports/households.xlsx",
    tags=["exports"],
    response_class=StreamingResponse,
    responses=file_response(XLSX_MEDIA_TYPE, "Households as XLSX (streamed)"),
)
async def export_xlsx(
    ctx: ContextDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    division: Division = None,
    status: str | None = None,
) -> StreamingResponse:
    """Households of the caller's jurisdiction as XLSX (the import template's columns), masked by role."""
    return _export(ctx, runtime, settings, division, status, "xlsx")
