"""Kills at exact points: the process is restarted armed (``JZ_FAILPOINTS``) and SIGKILLs itself there."""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jzkit.testing.stack import Stack
from tests.faults.scenario import Fault

if TYPE_CHECKING:
    from tests.faults.flow import Flow

# Bounded: the armed process must reach its point while the flow runs.
WATCH_SECONDS = 60.0


@dataclass
class KillAtFailpoint(Fault):
    """At ``phase``, restart ``process`` armed with ``point@nth``; once dead by it, start it clean."""

    process: str = ""
    point: str = ""
    nth: int = 1
    down: float = 0.5
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def inject(self, flow: Flow) -> None:
        """Re-arm now (a graceful stop, then a start with the failpoint set); the death is awaited beside."""
        stack = flow.stack
        process = stack.processes[self.process]
        await asyncio.to_thread(stack.stop, self.process)
        # Not waiting until ready: an armed relay may reach its point in its very first pass.
        process.start({**stack.env, "JZ_FAILPOINTS": f"{self.point}@{self.nth}"})
        self._task = asyncio.create_task(self._restart_after_death(stack))

    async def _restart_after_death(self, stack: Stack) -> None:
        process = stack.processes[self.process]
        popen = process.popen
        assert popen is not None
        await asyncio.to_thread(popen.wait, WATCH_SECONDS)
        reached = f"failpoint {self.point} reached" in process.log_tail()
        code = stack.stop(self.process)  # already dead: closes its log
        if code == -signal.SIGKILL and reached:
            self.injected.append(f"{self.process} SIGKILLed itself at {self.point} (hit {self.nth})")
        else:  # a crash of another kind is not the fault under test: the scenario fails on `injected`
            print(f"{self.process} exited {code} without reaching {self.point}")
        await asyncio.sleep(self.down)
        started = time.monotonic()
        await asyncio.to_thread(stack.start, self.process)
        self.recover_seconds += time.monotonic() - started

    async def finish(self) -> None:
        """Bounded by WATCH_SECONDS and the restart's own readiness timeout."""
        if self._task is not None:
            await self._task
