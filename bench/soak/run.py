"""``make soak``: start the stack, seed it, drive the mix at a fixed rate, report, exit 1 on a failed run."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.run import unreachable
from bench.soak import report as reporting
from bench.soak.calls import Caller, Recorder
from bench.soak.driver import drive
from bench.soak.operations import Soak
from bench.soak.rss import Sampler
from bench.soak.seed import SoakFailed, seed
from bench.soak.world import World, tokens
from jingzhun.stack import PG_BASE, whole_stack
from jzkit.pgadmin import with_database
from jzkit.settings import get_common_settings
from jzkit.testing.stack import ProcessFailed, Stack, queue_depths, running
from registry.seed import world_csv
from registry.synth import Synthesizer

DEFAULT_SECONDS = 600.0
DEFAULT_RATE = 20.0
DEFAULT_SEED = 2736
KEEPALIVE_EXPIRY_SECONDS = 2.0


@dataclass(frozen=True)
class Config:
    """One soak run's knobs (the command line's options)."""

    seconds: float = DEFAULT_SECONDS
    rate: float = DEFAULT_RATE
    concurrency: int = 64
    sample_seconds: float = 10.0
    max_error_rate: float = 0.001
    households: int = 200
    locked: int = 10
    timeout: float = 30.0
    seed: int = DEFAULT_SEED


def parse_args(argv: list[str] | None) -> Config:
    """Command line of ``python -m bench.soak``."""
    d = Config()
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    p.add_argument(
        "--seconds", type=float, default=d.seconds, help=f"length of the load (default {d.seconds:g})"
    )
    p.add_argument(
        "--rate", type=float, default=d.rate, help=f"requests started per second (default {d.rate:g})"
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=d.concurrency,
        help="most requests in flight; more are shed (errors)",
    )
    p.add_argument(
        "--sample-seconds", type=float, default=d.sample_seconds, help="RSS sampling interval (default 10)"
    )
    p.add_argument(
        "--max-error-rate", type=float, default=d.max_error_rate, help="fail above this share (default 0.001)"
    )
    p.add_argument("--households", type=int, default=d.households, help="households seeded (default 200)")
    p.add_argument(
        "--locked", type=int, default=d.locked, help="of those, locked in before the load (default 10)"
    )
    p.add_argument(
        "--timeout", type=float, default=d.timeout, help="per-request timeout in seconds (default 30)"
    )
    p.add_argument("--seed", type=int, default=d.seed, help="random seed of the data and the mix")
    args = p.parse_args(argv)
    config = Config(**vars(args))
    if min(config.seconds, config.rate, config.concurrency, config.sample_seconds, config.households) <= 0:
        p.error("--seconds, --rate, --concurrency, --sample-seconds and --households must be positive")
    if config.locked < 0 or config.locked > config.households:
        p.error("--locked must be between 0 and --households")
    return config


def main(argv: list[str] | None = None) -> int:
    """Run one soak; print the table, write the JSON; 0 when the verdict is ok, 1 otherwise, 2 unable."""
    config = parse_args(argv)
    common = get_common_settings()
    admin_url = with_database(PG_BASE, "postgres", "postgresql")
    down = unreachable({"PostgreSQL": admin_url, "RabbitMQ": common.broker_url})
    if down:
        print("the soak needs PostgreSQL and RabbitMQ; not reachable: " + ", ".join(down), file=sys.stderr)
        return 2
    out = common.data_dir / "bench"
    try:
        result = run_soak(config, admin_url, common.broker_url, logs_to=out)
    except (SoakFailed, ProcessFailed) as exc:
        print(f"soak failed: {exc}", file=sys.stderr)
        return 1
    print(reporting.table(result))
    print(f"written {reporting.write(result, out)}")
    return 0 if result["verdict"]["ok"] else 1


def build_stack(admin_url: str, broker_url: str, workdir: Path) -> Stack:
    """Every service, relay, consumer and the gateway as separate processes (not started)."""
    stack = whole_stack(admin_url, broker_url, workdir, "soak")
    # The soak stands in for many visitors of the public board from one loopback address: the gateway
    # trusts X-Forwarded-For as it would behind the province's load balancer, and limits per address.
    stack.env.update(JZ_GATEWAY_TRUST_FORWARDED_FOR="true")
    return stack


def run_soak(config: Config, admin_url: str, broker_url: str, logs_to: Path | None = None) -> dict[str, Any]:
    """A fresh stack, seeded, under the load; the report (the stack is torn down, whatever happens).

    With ``logs_to``, the processes' logs of a failed run are copied to ``logs_to/soak-<utc>-logs/``
    (the stack's own folder goes with it).
    """
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="jz-soak-") as tmp:
        stack = build_stack(admin_url, broker_url, Path(tmp))
        report: dict[str, Any] | None = None
        began = time.monotonic()
        try:
            with running(stack, world_csv()):
                ready = time.monotonic() - began
                print(f"soak: stack of {len(stack.processes)} processes ready in {ready:.1f} s")
                report = asyncio.run(_soak(stack, config))
                return report
        finally:
            if logs_to is not None and (report is None or not report["verdict"]["ok"]):
                stamp = report["started_at"] if report else started.isoformat()
                keep_logs(Path(tmp), logs_to / f"soak-{datetime.fromisoformat(stamp):%Y%m%dT%H%M%SZ}-logs")


def keep_logs(workdir: Path, target: Path) -> None:
    """Copy every process log of the stack's folder to ``target`` (for a failed run's post-mortem)."""
    target.mkdir(parents=True, exist_ok=True)
    for log in workdir.glob("*.log"):
        shutil.copy2(log, target / log.name)
    print(f"soak: process logs kept in {target}", file=sys.stderr)


async def _soak(stack: Stack, config: Config) -> dict[str, Any]:
    started_at = datetime.now(UTC)
    world = World(config.seed)
    keys = tokens(stack)
    # Idle connections are dropped well before the gateway's keep-alive timeout (uvicorn: 5 s): at equal
    # timeouts a request sent on a connection the server is closing fails with a ReadError, a client's
    # race that says nothing about the stack.
    limits = httpx.Limits(
        max_connections=config.concurrency + 8,
        max_keepalive_connections=config.concurrency,
        keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS,
    )
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=config.timeout, limits=limits) as client:
        soak = Soak(world, Caller(client, keys, Recorder()), Synthesizer(seed=config.seed))
        began = time.monotonic()
        await seed(soak, config.households, config.locked)
        print(
            f"soak: seeded {config.households} households ({config.locked} locked in)"
            f" in {time.monotonic() - began:.1f} s",
            flush=True,
        )
        soak.caller = Caller(client, keys, Recorder())  # the load's statistics start here
        soak.imports.update(submitted=0, succeeded=0, failed=0, households_created=0)
        soak.skipped = 0
        pids = {name: process.pid for name, process in stack.processes.items()}
        sampler = Sampler(pids, config.sample_seconds)
        stop = asyncio.Event()
        sampling = asyncio.create_task(sampler.run(stop))
        print(f"soak: {config.seconds:g} s at {config.rate:g} req/s ...", flush=True)
        try:
            schedule = await drive(
                soak, rate=config.rate, seconds=config.seconds, concurrency=config.concurrency
            )
        finally:
            stop.set()
            await sampling
    return reporting.build(
        started_at=started_at,
        parameters=dict(vars(config)),
        recorder=soak.caller.recorder,
        schedule=schedule,
        samples=sampler.samples,
        imports=soak.imports,
        queues={
            service: {"backlog": waiting, "dead_letters": dead}
            for service, (waiting, dead) in (await queue_depths(stack)).items()
        },
        limits=reporting.Limits(config.max_error_rate),
    )
