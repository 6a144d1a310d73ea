"""The numbers the hostile tests report, printed at the end of the run (they go into notes)."""

from __future__ import annotations

LINES: list[str] = []


def add(line: str) -> None:
    """Keep ``line`` for the summary and show it at once (visible with ``-s``)."""
    LINES.append(line)
    print(line)
