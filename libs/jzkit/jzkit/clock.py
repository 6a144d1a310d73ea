"""The clock services read "now" from: injectable, so tests can let notice periods run out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock (aware UTC)."""
    return datetime.now(UTC)
