"""Resident memory (and CPU time) of every stack process, sampled through the run; did memory level off?

The rule (printed with the result): a process levelled off when the highest RSS it reached in the
second half of the run is at most max(20 MB, 10 % of its first-half peak) above its first-half peak.
Peaks rather than single samples, so a collection cycle's dip or spike does not decide; the first half
absorbs the warm-up (caches, connection pools, imported modules) that any process goes through.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psutil

MB = 2**20
LEVEL_MB = 20.0
LEVEL_SHARE = 0.10
RULE = (
    f"levelled off = peak RSS of the run's second half <= peak of its first half"
    f" + max({LEVEL_MB:g} MB, {LEVEL_SHARE:.0%} of that first-half peak)"
)


@dataclass(frozen=True)
class Sample:
    """Every process's RSS in bytes and CPU seconds used so far (None: not running) at ``t`` seconds."""

    t: float
    rss: dict[str, int | None]
    cpu: dict[str, float | None]
    machine_busy: float  # CPU seconds all cores spent busy since boot (anything running, not just the stack)


def usage_of(pid: int | None) -> tuple[int | None, float | None]:
    """RSS and CPU seconds of ``pid`` and its children (a server that forks workers counts whole)."""
    if pid is None:
        return None, None
    try:
        process = psutil.Process(pid)
        family = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return None, None
    rss, cpu = 0, 0.0
    for member in family:
        try:
            rss += int(member.memory_info().rss)
            times = member.cpu_times()
            cpu += times.user + times.system
        except psutil.NoSuchProcess:
            continue  # exited between listing and reading: it holds no memory any more
    return rss, cpu


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent not idle since boot."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


class Sampler:
    """Samples the processes' RSS every ``every`` seconds until stopped (bounded by the caller's run)."""

    def __init__(self, pids: Mapping[str, int | None], every: float) -> None:
        self.pids = dict(pids)
        self.every = every
        self.samples: list[Sample] = []
        self._t0 = time.monotonic()

    def sample(self) -> Sample:
        """Take one sample now."""
        usage = {name: usage_of(pid) for name, pid in self.pids.items()}
        taken = Sample(
            time.monotonic() - self._t0,
            {name: rss for name, (rss, _) in usage.items()},
            {name: cpu for name, (_, cpu) in usage.items()},
            machine_busy_seconds(),
        )
        self.samples.append(taken)
        return taken

    async def run(self, stop: asyncio.Event) -> None:
        """Sample at t = 0, every ``every`` seconds, and once more when ``stop`` is set."""
        while True:
            await asyncio.to_thread(self.sample)
            try:
                await asyncio.wait_for(stop.wait(), self.every)
            except TimeoutError:
                continue
            await asyncio.to_thread(self.sample)
            return


def machine_cpu(samples: list[Sample]) -> dict[str, Any]:
    """How busy the machine's cores were over the load (everything on it, not only the stack)."""
    cores = psutil.cpu_count() or 1
    if len(samples) < 2 or samples[-1].t <= samples[0].t:
        return {"cores": cores, "busy_share": None}
    busy = samples[-1].machine_busy - samples[0].machine_busy
    return {"cores": cores, "busy_share": busy / ((samples[-1].t - samples[0].t) * cores)}


def verdicts(samples: list[Sample], duration: float) -> list[dict[str, Any]]:
    """Per process: start, end, peaks of each half, second-half growth, allowance and the verdict."""
    if not samples:
        return []
    half = duration / 2
    out = []
    for name in samples[0].rss:
        series = [(s.t, s.rss[name]) for s in samples]
        alive = [v for _, v in series if v is not None]
        first = [v for t, v in series if v is not None and t <= half]
        second = [v for t, v in series if v is not None and t > half]
        exited = len(alive) < len(series)
        first_peak = max(first, default=0)
        second_peak = max(second, default=0)
        growth = second_peak - first_peak
        allowed = max(LEVEL_MB * MB, LEVEL_SHARE * first_peak)
        cpu_start, cpu_end = samples[0].cpu[name], samples[-1].cpu[name]
        cpu = cpu_end - cpu_start if cpu_start is not None and cpu_end is not None else None
        out.append(
            {
                "process": name,
                # Share of one core over the load (1.0 = one core busy all the time).
                "cpu_share": cpu / duration if cpu is not None and duration > 0 else None,
                "start_mb": _mb(series[0][1]),
                "end_mb": _mb(series[-1][1]),
                "first_half_peak_mb": first_peak / MB,
                "second_half_peak_mb": second_peak / MB,
                "second_half_growth_mb": growth / MB,
                "allowed_growth_mb": allowed / MB,
                "exited": exited,
                "levelled": bool(first and second) and not exited and growth <= allowed,
            }
        )
    return out


def _mb(value: int | None) -> float | None:
    return None if value is None else value / MB
