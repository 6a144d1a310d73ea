"""Registry sub-commands: ``synth`` (a household file), ``import`` and ``export`` against the configured DB.

``import`` runs the service's own import path (same checks, same job tables, same outbox), so a
job it leaves unfinished is resumed by the registry service at its next start.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

from jzkit.auth import Principal, Role
from jzkit.db import make_engine, make_session_factory, unit_of_work
from jzkit.errors import DomainError
from jzkit.pii import PiiCipher
from jzkit.runtime import ServiceRuntime
from jzkit.settings import get_common_settings

_BAR_WIDTH = 30


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``synth``, ``import`` and ``export`` to the ``jingzhun`` parser."""
    p = sub.add_parser("synth", help="write a synthetic household file (import format)")
    p.add_argument("count", type=int, help="number of households")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--format", choices=("csv", "xlsx"), default=None, help="default: from --out's suffix")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--villages", nargs="*", default=None, help="village codes (default: the demo world's)")
    p.set_defaults(func=cmd_synth)
    p = sub.add_parser("import", help="import a household CSV/XLSX into the registry database")
    p.add_argument("file", type=Path)
    _principal_args(p, Role.SYSTEM)
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("export", help="export households (masked by --as role) to CSV/XLSX")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--format", choices=("csv", "xlsx"), default=None, help="default: from --out's suffix")
    p.add_argument("--division", default=None)
    p.add_argument("--status", default=None)
    _principal_args(p, Role.ADMIN)
    p.set_defaults(func=cmd_export)


def _principal_args(p: argparse.ArgumentParser, role: Role) -> None:
    p.add_argument("--as", dest="role", type=Role, choices=list(Role), default=role, help="acting role")
    p.add_argument("--subject", default="cli", help="recorded as the actor")
    p.add_argument("--jurisdiction", default=None, help="12-digit division (default: the registry's root)")


def _format(out: Path, given: str | None) -> str:
    return given or ("xlsx" if out.suffix.lower() == ".xlsx" else "csv")


def cmd_synth(args: argparse.Namespace) -> int:
    """Write ``count`` synthetic households spread over the villages."""
    from registry import divisions
    from registry.exports.rows import from_draft, sheet_rows
    from registry.exports.sheets import XlsxWriter, csv_bytes
    from registry.seed import world_csv
    from registry.synth import Synthesizer

    world = {d.code: d.name for d in divisions.parse_csv(world_csv()) if d.level == "village"}
    villages = [(code, world.get(code, "")) for code in (args.villages or list(world))]
    drafts = Synthesizer(seed=args.seed).households(args.count, villages)
    rows = (sheet_rows(from_draft(f"H{i:07d}", d)) for i, d in enumerate(drafts, start=1))
    if _format(args.out, args.format) == "xlsx":
        writer = XlsxWriter()
        for household in rows:
            writer.append(household)
        with args.out.open("wb") as out:
            writer.save(out)
    else:
        with args.out.open("wb") as out:
            out.write(csv_bytes([], with_header=True))
            for household in rows:
                out.write(csv_bytes(household))
    print(f"wrote {args.count} households to {args.out}", file=sys.stderr)
    return 0


class _Bar:
    """A one-line progress bar on stderr."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, done: int, total: int | None) -> None:
        share = done / total if total else 0.0
        filled = int(_BAR_WIDTH * share)
        rate = done / max(time.monotonic() - self.started, 1e-9)
        line = f"\r[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {100 * share:5.1f}% {done}/{total} rows"
        print(f"{line} {rate:,.0f} rows/s", end="", file=sys.stderr, flush=True)


async def _runtime() -> ServiceRuntime:
    from registry.settings import RegistrySettings, get_settings

    get_settings.cache_clear()
    settings: RegistrySettings = get_settings()
    common = get_common_settings()
    engine = make_engine(settings.database_url)
    return ServiceRuntime(
        name="registry",
        common=common,
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        pii=PiiCipher(common.pii_key.get_secret_value()),
    )


async def _principal(runtime: ServiceRuntime, args: argparse.Namespace) -> Principal:
    from registry import repository

    jurisdiction = args.jurisdiction
    if jurisdiction is None:
        async with runtime.sessions() as session:
            roots = await repository.list_divisions(session, None, None)
        if len(roots) != 1:
            raise SystemExit("the registry has no single root division: pass --jurisdiction")
        jurisdiction = roots[0].code
    return Principal(subject=args.subject, role=Role(args.role), jurisdiction=jurisdiction)


async def _import(args: argparse.Namespace) -> int:
    from registry import import_repository
    from registry.domain.visibility import WRITER_ROLES
    from registry.imports import jobs, uploads
    from registry.imports.runner import ImportRunner
    from registry.settings import RegistrySettings

    runtime = await _runtime()
    settings = runtime.settings
    assert isinstance(settings, RegistrySettings)
    try:
        principal = await _principal(runtime, args)
        principal.require_role(*WRITER_ROLES)
        runner = ImportRunner(runtime, settings)
        async with await anyio.open_file(args.file, "rb") as source:
            stored = await uploads.accept(
                source.read,
                args.file.name,
                runner.directory,
                settings.import_max_bytes,
                settings.import_max_uncompressed_bytes,
            )
        async with unit_of_work(runtime.sessions) as session:
            job = jobs.create_job(session, principal, stored, runner.directory, claimed=True)
        started = time.monotonic()
        await runner.run_job(job.id, progress=_Bar())
        async with runtime.sessions() as session:
            done = await jobs.visible_job(session, principal, job.id)
            errors = await import_repository.error_page(session, job.id, 0, 20)
        seconds = time.monotonic() - started
        print(file=sys.stderr)
        print(
            f"job {done.id} {done.status} in {seconds:.1f}s: {done.households_created} created, "
            f"{done.households_unchanged} unchanged, {done.households_rejected} rejected, "
            f"{done.error_count} row errors"
        )
        for e in errors:
            print(f"  row {e.row} {e.column_label or ''} {e.code}: {e.message_zh}")
        return 0 if done.status == "succeeded" else 1
    finally:
        await runtime.engine.dispose()


def cmd_import(args: argparse.Namespace) -> int:
    """Import a file through the registry's import path, with a progress bar."""
    try:
        return asyncio.run(_import(args))
    except DomainError as err:
        print(f"refused ({err.code}): {err.message_zh} / {err.message_en}", file=sys.stderr)
        return 2


async def _export(args: argparse.Namespace) -> int:
    from registry.exports.streams import csv_stream, xlsx_stream
    from registry.service import scope_prefix
    from registry.settings import RegistrySettings

    runtime = await _runtime()
    settings = runtime.settings
    assert isinstance(settings, RegistrySettings)
    try:
        principal = await _principal(runtime, args)
        prefix = scope_prefix(principal, args.division)
        stream = xlsx_stream if _format(args.out, args.format) == "xlsx" else csv_stream
        body: AsyncIterator[bytes] = stream(
            runtime.sessions, principal, runtime.pii, prefix, args.status, settings.export_page_households
        )
        async with await anyio.open_file(args.out, "wb") as out:
            async for block in body:
                await out.write(block)
        print(f"wrote {args.out}", file=sys.stderr)
        return 0
    finally:
        await runtime.engine.dispose()


def cmd_export(args: argparse.Namespace) -> int:
    """Export households to a file, masked as the ``--as`` role would see them."""
    return asyncio.run(_export(args))
