"""Peak memory of this process per benchmark, not since it started (several benchmarks share it)."""

from __future__ import annotations

import resource
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def reset_peak() -> None:
    """Start a new peak (Linux: writing 5 to clear_refs resets VmHWM); elsewhere a no-op."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return


def peak_rss_bytes() -> int:
    """Highest resident set size since the last :func:`reset_peak` (since start where it cannot reset)."""
    lifetime = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    try:
        status = _STATUS.read_text()
    except OSError:  # no /proc: the process-lifetime peak is all there is
        return lifetime
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # kB
    return lifetime
