"""``make bench``: import, read latency and the audit log on a real stack, each with a same-run baseline."""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from bench import auditing, importing, paying, reading, reviewing
from bench.report import Line, Report
from jingzhun.catalog import SERVICES
from jingzhun.stack import PG_BASE, service_keys
from jzkit.auth import Role
from jzkit.pgadmin import recreate_database, with_database
from jzkit.pii import PiiCipher
from jzkit.settings import get_common_settings
from jzkit.testing.stack import ProcessFailed, Stack, drop_database, load_divisions
from registry.seed import world_csv

MB = 2**20
IMPORT_RATIO_AIM = 3.0
IMPORT_RSS_AIM_MB = 400.0
DEFAULT_SEED = 2736
BENCHES = ("import", "read", "audit", "review", "pay")
STACK_BENCHES = ("import", "read")
AUDIT_PROOF_AIM_MS = 10.0
AUDIT_APPEND_AIM = 5000.0
BENCH_ACTOR = "bench"


class BenchFailed(Exception):
    """A benchmark could not produce a trustworthy number."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command line of ``python -m bench``."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--households", type=int, default=100_000, help="households to import (default 100000)")
    p.add_argument("--duration", type=float, default=20.0, help="seconds per read phase (default 20)")
    p.add_argument("--clients", type=int, default=32, help="concurrent read clients (default 32)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="synthetic data seed (the file is cached)")
    p.add_argument("--only", choices=BENCHES, help="report one benchmark only (read still imports its data)")
    p.add_argument(
        "--audit-entries",
        type=int,
        default=1_000_000,
        help="log size the audit proofs run on (default 1000000)",
    )
    p.add_argument(
        "--audit-events",
        type=int,
        default=20_000,
        help="events published to the audit consumer (default 20000)",
    )
    p.add_argument(
        "--review-households",
        type=int,
        default=1_000_000,
        help="households the identification re-review evaluates (default 1000000)",
    )
    p.add_argument(
        "--pay-grants", type=int, default=100_000, help="grants in the disbursement batch (default 100000)"
    )
    p.add_argument(
        "--audit-proofs", type=int, default=1000, help="random inclusion proofs timed (default 1000)"
    )
    p.add_argument(
        "--audit-memory-proofs",
        type=int,
        default=20,
        help="of those, proofs also computed from the in-memory leaf list, O(n) each (default 20)",
    )
    return p.parse_args(argv)


def unreachable(urls: dict[str, str]) -> list[str]:
    """Names and addresses of the services in ``urls`` that refuse a TCP connection."""
    down = []
    for name, url in urls.items():
        parsed = urlparse(url)
        try:
            with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), timeout=3):
                pass
        except OSError:
            down.append(f"{name} at {parsed.hostname}:{parsed.port}")
    return down


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks; print the table and write the JSON report."""
    args = parse_args(argv)
    common = get_common_settings()
    admin_url = with_database(PG_BASE, "postgres", "postgresql")
    down = unreachable({"PostgreSQL": admin_url, "RabbitMQ": common.broker_url})
    if down:
        print(
            "bench runs in stack mode and needs PostgreSQL and RabbitMQ; not reachable: " + ", ".join(down),
            file=sys.stderr,
        )
        return 2
    out_dir = common.data_dir / "bench"
    report = Report(parameters=dict(vars(args)))
    if args.only in (None, *STACK_BENCHES):
        status = run_stack_benches(args, admin_url, report, out_dir)
        if status:
            return status
    if args.only in (None, "review"):
        try:
            reviewing.report_lines(report, args.review_households, admin_url)
        except (AssertionError, BenchFailed) as exc:
            print(f"bench failed: review: {exc}", file=sys.stderr)
            return 1
    if args.only in (None, "pay"):
        try:
            paying.report_lines(report, args.pay_grants, admin_url)
        except (AssertionError, BenchFailed) as exc:
            print(f"bench failed: pay: {exc}", file=sys.stderr)
            return 1
    if args.only in (None, "audit"):
        try:
            audit_lines(report, args, admin_url, common.broker_url)
        except (AssertionError, TimeoutError) as exc:
            print(f"bench failed: audit: {exc}", file=sys.stderr)
            return 1
    print(report.table())
    print(f"written {report.write_json(out_dir)}")
    return 0


def run_stack_benches(args: argparse.Namespace, admin_url: str, report: Report, out_dir: Path) -> int:
    """Import and read against a started stack; a non-zero exit status when a benchmark failed."""
    common = get_common_settings()
    with tempfile.TemporaryDirectory(prefix="jz-bench-") as tmp:
        stack = Stack(
            list(SERVICES),
            publishers=[name for name, spec in SERVICES.items() if spec.publishes],
            admin_url=admin_url,
            broker_url=common.broker_url,
            workdir=Path(tmp),
            label="bench",
            relays=False,  # nobody consumes here; the read phases measure the request path alone
        )
        stack.env.update(service_keys())  # the audit service refuses its dev signer key
        # The read phase's clients share one token: the per-client limit would measure itself, not the path.
        stack.env.update(JZ_GATEWAY_CLIENT_RATE_PER_SECOND="1e9", JZ_GATEWAY_CLIENT_BURST="1e9")
        try:
            stack.setup()
            stack.start()
            load_divisions(stack, world_csv())
            run_benches(args, stack, report, out_dir, Path(tmp))
        except (BenchFailed, ProcessFailed) as exc:
            print(f"bench failed: {exc}\n{stack.logs()}", file=sys.stderr)
            return 1
        finally:
            stack.teardown()
    return 0


def run_benches(args: argparse.Namespace, stack: Stack, report: Report, out_dir: Path, tmp: Path) -> None:
    """Import (always: the read benchmark reads the imported data), then what ``--only`` selects."""
    source = synth_file(out_dir, args.households, args.seed, stack.env)
    expected = importing.file_counts(source)
    print(f"importing {expected.households:,} households / {expected.members:,} members from {source}")
    # The service's own import runner would race the command for the job: keep it stopped meanwhile.
    serving = [name for name in stack.processes if stack.processes[name].running()]
    for name in reversed(serving):
        stack.stop(name)
    argv = importing.jingzhun("import", str(source), "--as", Role.SYSTEM.value, "--subject", BENCH_ACTOR)
    measured = importing.run_measured(argv, stack.env, tmp / "import.log")
    stack.start(*serving)
    if measured.returncode != 0:
        raise BenchFailed(f"import exited with {measured.returncode}:\n{measured.output}")
    counts = asyncio.run(importing.table_counts(stack.database_url("registry", "postgresql")))
    if (counts["households"], counts["members"]) != (expected.households, expected.members):
        raise BenchFailed(
            f"import stored {counts['households']} households / {counts['members']} members,"
            f" the file has {expected.households} / {expected.members}:\n{measured.output}"
        )
    if args.only in (None, "import"):
        import_lines(report, stack, source, measured, counts)
    if args.only in (None, "read"):
        read_lines(report, stack, args.clients, args.duration)


def synth_file(out_dir: Path, households: int, seed: int, env: dict[str, str]) -> Path:
    """``jingzhun synth`` output for (households, seed), generated once and then reused."""
    path = out_dir / f"households-{households}-seed{seed}.csv"
    if path.exists():
        return path
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    print(f"generating {path} ...")
    argv = importing.jingzhun("synth", str(households), "--out", str(partial), "--seed", str(seed))
    measured = importing.run_measured(argv, env, out_dir / "synth.log")
    if measured.returncode != 0:
        raise BenchFailed(f"synth exited with {measured.returncode}:\n{measured.output}")
    partial.rename(path)
    return path


def import_lines(
    report: Report, stack: Stack, source: Path, measured: importing.Measured, counts: dict[str, int]
) -> None:
    """The COPY baseline of the same rows in a scratch database, then the import's lines."""
    scratch = f"{stack.databases['registry']}_copy"
    asyncio.run(recreate_database(stack.admin_url, scratch))
    try:
        importing.migrate_registry(with_database(stack.admin_url, scratch, "postgresql+asyncpg"))
        pii = PiiCipher(stack.common.pii_key.get_secret_value())
        rows = importing.baseline_rows(source, pii, BENCH_ACTOR)
        if (len(rows.households), len(rows.members)) != (counts["households"], counts["members"]):
            raise BenchFailed(
                f"baseline has {len(rows.households)} / {len(rows.members)} rows, the import stored"
                f" {counts['households']} / {counts['members']}"
            )
        copy_seconds = asyncio.run(importing.copy_rows(with_database(stack.admin_url, scratch), rows))
    finally:
        asyncio.run(drop_database(stack.admin_url, scratch))
    seconds = measured.seconds
    report.add(Line("import", "wall time", seconds, "s", baseline=copy_seconds, aim=IMPORT_RATIO_AIM))
    report.add(Line("import", "households/s", counts["households"] / seconds, "rows/s"))
    report.add(Line("import", "members/s", counts["members"] / seconds, "rows/s"))
    report.add(Line("import", "peak RSS", measured.peak_rss_bytes / MB, "MB", aim=IMPORT_RSS_AIM_MB))
    report.add(Line("import", "outbox events", counts["outbox"], "rows"))
    report.notes.append(
        f"import: {counts['households']:,} households, {counts['members']:,} members; baseline = one"
        " COPY of the same rows (encrypted, hashed) into the migrated tables, outbox rows not included"
    )


def read_lines(report: Report, stack: Stack, clients: int, duration: float) -> None:
    """GET one household through the gateway, against /healthz and against the registry directly."""
    ids = asyncio.run(importing.household_ids(stack.database_url("registry", "postgresql")))
    if not ids:
        raise BenchFailed("no households to read")
    token = stack.token(Role.COUNTY_APPROVER, "510000000000")
    auth = {"Authorization": f"Bearer {token}"}
    households = reading.household_paths(ids)

    def load(
        name: str, base_url: str, paths: reading.PathPicker, headers: dict[str, str] | None
    ) -> reading.LoadResult:
        print(f"read: {name} for {duration:g} s with {clients} clients ...")
        result = asyncio.run(
            reading.run_load(name, base_url, paths, clients=clients, duration=duration, headers=headers)
        )
        if result.requests == 0:
            raise BenchFailed(f"{name}: no request completed")
        return result

    via_gateway = load("gateway GET household", stack.gateway_url, households, auth)
    healthz = load("gateway /healthz", stack.gateway_url, reading.fixed_path("/healthz"), None)
    direct = load("registry GET household", stack.url("registry"), households, auth)
    for base, label in ((healthz, "vs gateway /healthz"), (direct, "vs registry direct")):
        report.add(Line("read", f"requests/s {label}", via_gateway.rps, "req/s", baseline=base.rps))
        report.add(Line("read", f"p50 {label}", via_gateway.p50_ms, "ms", baseline=base.p50_ms))
        report.add(Line("read", f"p99 {label}", via_gateway.p99_ms, "ms", baseline=base.p99_ms))
    report.add(Line("read", "errors", via_gateway.errors, "req", baseline=None, aim=0))
    report.add(Line("read", "requests", via_gateway.requests, "req"))
    report.notes.append(
        f"read: {clients} clients, {duration:g} s per phase over {len(ids):,} random households"
        f" (county_approver token: ID numbers decrypted); baseline errors: healthz {healthz.errors},"
        f" registry direct {direct.errors}; gateway error kinds {via_gateway.error_kinds or 'none'}"
    )


def audit_lines(report: Report, args: argparse.Namespace, admin_url: str, broker_url: str) -> None:
    """Append rate through RabbitMQ and the consumer vs COPY; proof latency vs an in-memory leaf list."""
    print(f"audit: publishing {args.audit_events:,} events to the audit consumer ...")
    appended = asyncio.run(auditing.append_rate(admin_url, broker_url, args.audit_events))
    copy_rate = appended.events / appended.copy_seconds
    drain_rate = appended.events / appended.drain_seconds
    live_rate = appended.events / appended.live_seconds
    report.add(Line("audit", "append events/s from a backlog", drain_rate, "ev/s", baseline=copy_rate))
    report.add(Line("audit", "append events/s, publishing meanwhile", live_rate, "ev/s", baseline=copy_rate))
    print(f"audit: building a {args.audit_entries:,}-entry log and timing {args.audit_proofs:,} proofs ...")
    proofs = asyncio.run(
        auditing.proof_latency(
            admin_url, args.audit_entries, args.audit_proofs, args.audit_memory_proofs, args.seed
        )
    )
    memory = proofs.memory_ms or [0.0]
    for label, q in (("p50", 0.5), ("p99", 0.99)):
        report.add(
            Line(
                "audit",
                f"inclusion proof {label}",
                auditing.percentile(proofs.stored_ms, q),
                "ms",
                baseline=auditing.percentile(memory, q),
            )
        )
    report.add(
        Line(
            "audit",
            "inclusion proof p99 (aim)",
            auditing.percentile(proofs.stored_ms, 0.99),
            "ms",
            aim=AUDIT_PROOF_AIM_MS,
        )
    )
    report.add(Line("audit", "log build (COPY)", proofs.build_seconds, "s"))
    verdict = "ok" if drain_rate >= AUDIT_APPEND_AIM else "UNDER"
    report.notes.append(
        f"audit: append = {appended.events:,} events through a fresh exchange into the consumer running"
        " in this process (RabbitConsumer + inbox + append_events on PostgreSQL) until the log holds them"
        " all: from a backlog (published first, the consumer alone is timed) and live (this process"
        " publishing at the same time, sharing its CPU); baseline = one COPY of the same entry rows into"
        f" audit_entries; aim >= {AUDIT_APPEND_AIM:,.0f} ev/s from RabbitMQ (backlog): {verdict}"
    )
    report.notes.append(
        f"audit: proofs = {len(proofs.stored_ms):,} random inclusion proofs in a {proofs.entries:,}-entry log"
        f" through service.inclusion (stored subtree hashes, one query each), every one verified against the"
        f" root; baseline = {len(proofs.memory_ms)} of the same proofs from an in-memory leaf list"
        " (merkle.inclusion_proof, O(n) each), which must be equal"
    )
