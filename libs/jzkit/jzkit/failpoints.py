"""Crash points for the faults suite: ``JZ_FAILPOINTS=consumer.committed@3`` SIGKILLs the process the
third time it reaches that point.

A kill -9 from outside lands wherever the process happens to be; the windows that matter (a consumer
after its commit and before its ack, a relay after the broker's confirm and before marking the row
sent) last microseconds, so the suite has the process kill itself exactly there. Unset, as in every
deployment, :func:`reached` is a dictionary lookup.
"""

from __future__ import annotations

import logging
import os
import signal
from collections import Counter
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

# Named where they are reached; the faults suite arms them by these names.
CONSUMER_COMMITTED = "consumer.committed"
RELAY_PUBLISHED = "relay.published"
KNOWN = frozenset({CONSUMER_COMMITTED, RELAY_PUBLISHED})


class FailpointSettings(BaseSettings):
    """``JZ_FAILPOINTS``: comma-separated ``<point>@<n>`` (kill on the n-th time), empty in production."""

    model_config = SettingsConfigDict(env_prefix="JZ_", extra="ignore")

    failpoints: str = ""


def parse(spec: str) -> dict[str, int]:
    """``"a@2,b@1"`` → ``{"a": 2, "b": 1}``; an unknown point or a count below 1 is refused."""
    armed: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, count = item.partition("@")
        if name not in KNOWN:
            raise ValueError(f"JZ_FAILPOINTS: unknown point {name!r} (known: {', '.join(sorted(KNOWN))})")
        nth = int(count or "1")
        if nth < 1:
            raise ValueError(f"JZ_FAILPOINTS: {item!r} needs a count of at least 1")
        armed[name] = nth
    return armed


@lru_cache
def _armed() -> dict[str, int]:
    return parse(FailpointSettings().failpoints)


_hits: Counter[str] = Counter()


def reached(name: str) -> None:
    """Kill this process with SIGKILL if ``name`` is armed and this is its n-th hit."""
    nth = _armed().get(name)
    if nth is None:
        return
    _hits[name] += 1
    if _hits[name] == nth:
        # Logged first: the suite reads this line to tell the planned death from a crash.
        log.warning("failpoint %s reached (hit %d): SIGKILL", name, nth)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os.kill(os.getpid(), signal.SIGKILL)
