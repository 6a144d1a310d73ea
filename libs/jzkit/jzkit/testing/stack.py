"""Stack mode as real processes for cross-service tests and benchmarks.

A :class:`Stack` owns throwaway databases, free ports, a private exchange and generated keys, so it
never disturbs a developer's ``make stack`` (ports 8000-8004, exchange ``jingzhun.events``). Every
process logs to its own file; :meth:`Stack.logs` returns their tails for a failure report.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import aio_pika
import asyncpg
import httpx
from pydantic import SecretStr

from jzkit.auth import Role, issue_token
from jzkit.messaging.queue_gauges import queue_depths as depths_of
from jzkit.pgadmin import recreate_database, with_database
from jzkit.settings import CommonSettings

# A developer's stack listens on 8000-8004, its relays' metrics on 8100-8104, its consumers' on 8200-8204.
RESERVED_PORTS = frozenset({*range(8000, 8005), *range(8100, 8105), *range(8200, 8205)})
READY_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
MIGRATE_TIMEOUT_SECONDS = 120.0
LOG_TAIL_BYTES = 6000
GATEWAY = "gateway"
_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def free_port() -> int:
    """A TCP port nobody listens on now, outside the developer stack's ports."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in RESERVED_PORTS:
            return port


def consumer_name(service: str) -> str:
    """Process name of ``service``'s event consumer."""
    return f"{service}-consumer"


def relay_name(service: str) -> str:
    """Process name of ``service``'s outbox relay."""
    return f"{service}-relay"


class ProcessFailed(RuntimeError):
    """A stack process exited or did not become ready in time."""


@dataclass
class StackProcess:
    """One ``python -m jingzhun ...`` child with its log file and readiness probe."""

    name: str
    argv: list[str]
    log_path: Path
    ready_url: str
    # Text that the readiness page must contain (the relay's metrics appear after its first pass).
    ready_marker: str | None = None
    popen: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        """The child's pid while it runs."""
        return self.popen.pid if self.popen is not None else None

    def running(self) -> bool:
        """True while the child has not exited."""
        return self.popen is not None and self.popen.poll() is None

    def start(self, env: dict[str, str]) -> None:
        """Spawn the child (its stdout and stderr appended to the log file)."""
        if self.running():
            raise ProcessFailed(f"{self.name} is already running")
        self._log = self.log_path.open("ab")
        self._log.write(f"--- start {self.name} {time.strftime('%H:%M:%S')}\n".encode())
        self._log.flush()
        # argv is built from this interpreter and fixed sub-commands: no shell, no outside input.
        self.popen = subprocess.Popen(  # noqa: S603
            self.argv, env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )

    def stop(self, *, kill: bool = False, timeout: float = STOP_TIMEOUT_SECONDS) -> int | None:
        """SIGKILL (``kill``) or SIGTERM then SIGKILL after ``timeout``; returns the exit code."""
        popen = self.popen
        if popen is None:
            return None
        if popen.poll() is None:
            popen.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait(timeout=timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        self.popen = None
        return popen.returncode

    def log_tail(self, limit: int = LOG_TAIL_BYTES) -> str:
        """The end of this process's log."""
        if not self.log_path.exists():
            return ""
        data = self.log_path.read_bytes()
        return data[-limit:].decode("utf-8", errors="replace")


class Stack:
    """Databases, ports, keys and processes of one stack-mode run (a test session or a benchmark)."""

    def __init__(
        self,
        services: Sequence[str],
        *,
        admin_url: str,
        broker_url: str,
        workdir: Path,
        label: str,
        relays: bool = True,
        publishers: Sequence[str] | None = None,
        consumers: Sequence[str] = (),
    ) -> None:
        token = uuid.uuid4().hex[:8]
        self.services = tuple(services)
        self.admin_url = admin_url
        self.broker_url = broker_url
        self.workdir = workdir
        self.exchange = f"jingzhun.events.{label}-{token}"
        # Queues of its own too: consumers of two stacks on one broker would otherwise share (and steal
        # from) one queue per service.
        self.queue_prefix = f"jz.{label}-{token}"
        self.consumers = tuple(consumers)
        self.databases = {name: f"jz_{name}_{label}_{token}".replace("-", "_") for name in self.services}
        self.ports = {name: free_port() for name in (*self.services, GATEWAY)}
        # Metrics ports of the relay and the consumer processes, by process name.
        self.metrics_ports: dict[str, int] = {}
        self.common = CommonSettings(
            mode="stack",
            broker_url=broker_url,
            exchange=self.exchange,
            jwt_secret=SecretStr(secrets.token_urlsafe(48)),
            pii_key=SecretStr(base64.b64encode(secrets.token_bytes(32)).decode()),
        )
        self.env = self._environment()
        workdir.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, StackProcess] = {}
        exe = [sys.executable, "-m", "jingzhun"]
        for name in self.services:
            self._add(name, [*exe, "serve", name], f"{self.url(name)}/readyz")
            if name in consumers:
                self._add_worker(consumer_name(name), [*exe, "consume", name])
            if relays and (publishers is None or name in publishers):
                self._add_worker(
                    relay_name(name), [*exe, "relay", name], marker=f'jz_outbox_pending{{service="{name}"}}'
                )
        self._add(GATEWAY, [*exe, "serve", GATEWAY], f"{self.gateway_url}/readyz")

    def _add_worker(self, name: str, argv: list[str], marker: str | None = None) -> None:
        port = self.metrics_ports[name] = free_port()
        metrics = f"http://127.0.0.1:{port}/metrics"
        self._add(name, [*argv, "--metrics-port", str(port)], metrics, marker=marker)

    def _add(self, name: str, argv: list[str], ready_url: str, marker: str | None = None) -> None:
        self.processes[name] = StackProcess(name, argv, self.workdir / f"{name}.log", ready_url, marker)

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            JZ_MODE="stack",
            JZ_BROKER_URL=self.broker_url,
            JZ_EXCHANGE=self.exchange,
            JZ_QUEUE_PREFIX=self.queue_prefix,
            JZ_JWT_SECRET=self.common.jwt_secret.get_secret_value(),
            JZ_PII_KEY=self.common.pii_key.get_secret_value(),
            JZ_DATA_DIR=str(self.workdir),
            JZ_GATEWAY_HOST="127.0.0.1",
            JZ_GATEWAY_PORT=str(self.ports[GATEWAY]),
        )
        for name in self.services:
            prefix = f"JZ_{name.upper()}_"
            env[prefix + "DATABASE_URL"] = self.database_url(name)
            env[prefix + "HOST"] = "127.0.0.1"
            env[prefix + "PORT"] = str(self.ports[name])
            env[f"JZ_GATEWAY_{name.upper()}_URL"] = self.url(name)
        return env

    # --- addresses ---------------------------------------------------------------------------

    @property
    def gateway_url(self) -> str:
        """Base URL of the gateway."""
        return self.url(GATEWAY)

    def url(self, name: str) -> str:
        """Base URL of a service (or the gateway)."""
        return f"http://127.0.0.1:{self.ports[name]}"

    def database_url(self, service: str, driver: str = "postgresql+asyncpg") -> str:
        """The URL of ``service``'s throwaway database."""
        return with_database(self.admin_url, self.databases[service], driver)

    def token(self, role: Role = Role.ADMIN, jurisdiction: str = "510000000000", subject: str = "") -> str:
        """A bearer token signed with this stack's generated secret."""
        return issue_token(self.common, subject or f"stack-{role.value}", role, jurisdiction)

    # --- lifecycle ---------------------------------------------------------------------------

    async def create_databases(self) -> None:
        """Drop and create every service's database (empty)."""
        for name in self.services:
            await recreate_database(self.admin_url, self.databases[name])

    async def drop_databases(self) -> None:
        """Drop every service's database (after the processes stopped)."""
        for database in self.databases.values():
            await drop_database(self.admin_url, database)

    async def delete_broker_objects(self) -> None:
        """Remove this run's exchange and its consumers' queues (and dead-letter queues) from the broker."""
        connection = await aio_pika.connect(self.broker_url, timeout=10)
        async with connection:
            channel = await connection.channel()
            for service in self.consumers:
                queue = f"{self.queue_prefix}.{service}"
                for name in (queue, f"{queue}.dlq"):
                    await channel.queue_delete(name, if_unused=False, if_empty=False)
            await channel.exchange_delete(self.exchange)

    def migrate(self) -> None:
        """``python -m jingzhun migrate`` against this stack's databases."""
        result = subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "jingzhun", "migrate", *self.services],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=MIGRATE_TIMEOUT_SECONDS,
            check=False,
        )
        if result.returncode != 0:
            raise ProcessFailed(f"migrate failed ({result.returncode}):\n{result.stderr[-LOG_TAIL_BYTES:]}")

    def start(
        self, *names: str, timeout: float = READY_TIMEOUT_SECONDS, env: Mapping[str, str] | None = None
    ) -> None:
        """Start the named processes (all when none named) and wait until each is ready.

        ``env`` adds to the stack's environment for these processes only (a faults scenario arms one).
        """
        chosen = list(names or self.processes)
        for name in chosen:
            self.processes[name].start({**self.env, **(env or {})})
        self.wait_ready(chosen, timeout)

    def stop(self, name: str, *, kill: bool = False) -> int | None:
        """Stop one process (SIGTERM, or SIGKILL with ``kill``); returns its exit code."""
        return self.processes[name].stop(kill=kill)

    def stop_all(self) -> None:
        """Stop every process, the gateway first."""
        for process in reversed(list(self.processes.values())):
            process.stop()

    def wait_ready(self, names: Iterable[str], timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Poll each process's readiness URL until it answers 200 (and shows its marker)."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            for name in names:
                process = self.processes[name]
                while True:
                    if not process.running():
                        raise ProcessFailed(f"{name} exited during start:\n{process.log_tail()}")
                    if _ready(client, process):
                        break
                    if time.monotonic() > deadline:
                        raise ProcessFailed(f"{name} not ready after {timeout:.0f} s:\n{process.log_tail()}")
                    time.sleep(0.1)

    def logs(self) -> str:
        """The tail of every process's log, for a failure report."""
        parts = []
        for process in self.processes.values():
            state = f"pid {process.pid}" if process.running() else "stopped"
            parts.append(f"===== {process.name} ({state}) =====\n{process.log_tail()}")
        return "\n".join(parts)

    def setup(self) -> None:
        """Fresh databases, migrations: everything but starting processes (blocking)."""
        asyncio.run(self.create_databases())
        self.migrate()

    def teardown(self) -> None:
        """Stop the processes, drop the databases and the exchange (blocking)."""
        self.stop_all()
        asyncio.run(self.drop_databases())
        asyncio.run(self.delete_broker_objects())


def _ready(client: httpx.Client, process: StackProcess) -> bool:
    try:
        response = client.get(process.ready_url)
    except httpx.HTTPError:
        return False
    if response.status_code != 200:
        return False
    return process.ready_marker is None or process.ready_marker in response.text


async def drop_database(admin_url: str, database: str) -> None:
    """Drop ``database`` if it exists, closing its connections."""
    if not _SAFE_NAME.match(database):
        raise ValueError(f"unsafe database name {database!r}")
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()


def load_divisions(stack: Stack, csv_text: str) -> int:
    """Load a division list through the gateway as admin; returns the rows loaded."""
    response = httpx.post(
        f"{stack.gateway_url}/api/v1/divisions/import",
        files={"file": ("divisions.csv", csv_text.encode("utf-8"), "text/csv")},
        headers={"Authorization": f"Bearer {stack.token(Role.ADMIN)}"},
        timeout=30,
    )
    response.raise_for_status()
    return int(response.json()["loaded"])


# Keeps every event routable while no test listens: the relay treats an unroutable event as a failure.
SINK_QUEUE_MAX_LENGTH = 10_000


@contextmanager
def running(
    stack: Stack, divisions_csv: str, *, sink: bool = False, timeout: float = READY_TIMEOUT_SECONDS
) -> Iterator[Stack]:
    """``stack`` migrated, started and given ``divisions_csv``; stopped and removed on exit.

    With ``sink``, a queue bound to every event is declared first (:func:`declare_sink`), so the
    broker routes events nobody else consumes, and deleted last. A failure prints the processes' logs.
    """
    sink_queue = asyncio.run(declare_sink(stack)) if sink else None
    try:
        stack.setup()
        stack.start(timeout=timeout)
        load_divisions(stack, divisions_csv)
        yield stack
    except Exception:
        print(stack.logs())  # the processes' own account of the failure
        raise
    finally:
        if sink_queue is not None:
            stack.stop_all()  # nothing publishes into the sink while it is deleted
            asyncio.run(delete_queue(stack, sink_queue))
        stack.teardown()


async def queue_depths(stack: Stack) -> dict[str, tuple[int, int]]:
    """(waiting, dead-lettered) messages of each consumer's queue in the stack."""
    connection = await aio_pika.connect(stack.broker_url, timeout=10)
    async with connection:
        return {s: await depths_of(connection, f"{stack.queue_prefix}.{s}") for s in stack.consumers}


async def declare_sink(stack: Stack) -> str:
    """A bounded queue bound to every event of the stack's exchange (oldest dropped); its name."""
    name = f"{stack.exchange}.sink"
    connection = await aio_pika.connect(stack.broker_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(stack.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(
            name, arguments={"x-max-length": SINK_QUEUE_MAX_LENGTH, "x-overflow": "drop-head"}
        )
        await queue.bind(exchange, "#")
    return name


async def delete_queue(stack: Stack, name: str) -> None:
    """Delete the queue ``name`` of the stack's broker, messages and all."""
    connection = await aio_pika.connect(stack.broker_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(name, if_unused=False, if_empty=False)
