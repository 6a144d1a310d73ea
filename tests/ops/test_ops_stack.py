"""`make stack` keeps a pid file and a log per process; `make stack-down` stops what it lists, only that."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jingzhun import stack
from jingzhun.catalog import SERVICES

# A stand-in process whose argv names jingzhun, as the stack's processes do; it exits on SIGTERM.
SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)", "jingzhun"]


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes started by the test; any still running at the end are killed."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_every_process_has_its_own_log_file() -> None:
    names = [stack.log_name(argv) for argv in stack.commands()]
    assert len(names) == len(set(names))
    assert "gateway" in names and set(SERVICES) <= set(names)
    for name, spec in SERVICES.items():
        assert (f"{name}-relay" in names) == spec.publishes
        assert (f"{name}-consumer" in names) == spec.consumes


def test_stack_down_stops_the_listed_processes(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    # The first stands for the supervisor; it does not stop the others, as after a kill -9 of the
    # real one: stack-down then signals them itself once its short wait is over.
    started += [subprocess.Popen(SLEEPER) for _ in range(3)]
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    started.append(stranger)
    pids = stack.pid_file(tmp_path)
    pids.write_text("".join(f"{p.pid}\n" for p in (*started[:3], stranger)))
    ours = [p.pid for p in started[:3]]
    # Until a child has exec'd, its /proc cmdline is still the parent's: wait (bounded) for the argv.
    deadline = time.monotonic() + 10
    while stack.running_pids(pids) != ours and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stack.running_pids(pids) == ours  # the stranger is not ours
    assert stack.stop_stack(tmp_path, timeout=0.5) == 0
    for proc in started[:3]:
        assert proc.wait(timeout=10) != 0
    assert stranger.poll() is None, "a process not running jingzhun was signalled"
    assert not pids.exists()


def test_stack_down_without_a_stack_is_a_no_op(tmp_path: Path) -> None:
    assert stack.stop_stack(tmp_path) == 0
    stack.pid_file(tmp_path).write_text("999999999\n")  # a stale file from a crashed stack
    assert stack.stop_stack(tmp_path) == 0
    assert not stack.pid_file(tmp_path).exists()
