"""Broker and database outages: this machine's PostgreSQL or RabbitMQ stopped and started again."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tests.faults.scenario import Fault

if TYPE_CHECKING:
    from tests.faults.flow import Flow

COMMAND_SECONDS = 120.0
PORT_SECONDS = 90.0


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


@dataclass
class LocalServer:
    """A server of this machine, stopped and started with its own admin tool (Debian's, as root).

    The whole server goes down, not one stack's connections: every stack of the test session
    loses it too, and each must recover by itself.
    """

    name: str
    port: int
    stop_argv: list[str]
    start_argv: list[str]
    stops: int = 0

    @classmethod
    def postgresql(cls) -> LocalServer:
        """The newest PostgreSQL cluster ``main`` (pg_ctlcluster, fast shutdown: sessions are cut)."""
        version = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")])[-1]
        ctl = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]
        return cls("PostgreSQL", 5432, [*ctl, "stop", "-m", "fast"], [*ctl, "start"])

    @classmethod
    def rabbitmq(cls) -> LocalServer:
        """The RabbitMQ node's application (listeners closed, queues kept on disk)."""
        return cls("RabbitMQ", 5672, ["rabbitmqctl", "stop_app"], ["rabbitmqctl", "start_app"])

    def missing(self) -> str | None:
        """Why this machine cannot stop the server (None when it can)."""
        tool = self.stop_argv[0]
        if shutil.which(tool) is None:
            return f"{tool} not installed"
        if os.geteuid() != 0:
            return f"{tool} needs root"
        if self.name == "PostgreSQL" and not Path("/etc/postgresql").is_dir():
            return "no Debian PostgreSQL cluster"
        return None

    def stop(self) -> None:
        """Stop it and wait until its port is closed."""
        self._run(self.stop_argv)
        self.stops += 1
        self._wait(open_=False)

    def start(self) -> None:
        """Start it and wait until its port answers."""
        self._run(self.start_argv)
        self._wait(open_=True)

    def ensure_running(self) -> None:
        """Start it if a failed scenario left it stopped (the rest of the suite needs it)."""
        if not _port_open(self.port):
            self.start()

    def _run(self, argv: list[str]) -> None:
        # Fixed admin commands, no shell, no outside input.
        done = subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_SECONDS, check=False)
        assert done.returncode == 0, f"{' '.join(argv)}: {done.stderr or done.stdout}"

    def _wait(self, *, open_: bool) -> None:
        deadline = time.monotonic() + PORT_SECONDS
        while _port_open(self.port) != open_:
            assert time.monotonic() < deadline, f"{self.name} port {self.port} open={not open_} still"
            time.sleep(0.2)


@dataclass
class Outage(Fault):
    """``delay`` seconds into a phase, stop ``server`` for ``down`` seconds while the flow goes on."""

    server: LocalServer | None = None
    down: float = 10.0
    delay: float = 0.0
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def inject(self, flow: Flow) -> None:
        """Start the outage beside the rest of the phase."""
        self._task = asyncio.create_task(self._outage())

    async def _outage(self) -> None:
        assert self.server is not None
        await asyncio.sleep(self.delay)
        await asyncio.to_thread(self.server.stop)
        stopped = time.monotonic()
        self.injected.append(
            f"{self.server.name} stopped ({' '.join(self.server.stop_argv)}) for {self.down:.0f}s"
        )
        await asyncio.sleep(self.down)
        await asyncio.to_thread(self.server.start)
        self.recover_seconds += time.monotonic() - stopped

    async def finish(self) -> None:
        """The outage is over (it is bounded by ``down`` and the commands' timeouts)."""
        if self._task is not None:
            await self._task
