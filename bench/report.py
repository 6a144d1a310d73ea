"""The benchmark table on stdout and the same numbers as JSON under ``<data_dir>/bench/``."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil


@dataclass(frozen=True)
class Line:
    """One measured number, optionally against its baseline and an aim."""

    bench: str
    metric: str
    value: float
    unit: str
    baseline: float | None = None
    # "max" means value/baseline (or the value itself when no baseline) should stay at or below ``aim``.
    aim: float | None = None

    @property
    def ratio(self) -> float | None:
        """``value / baseline`` when there is a baseline."""
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def verdict(self) -> str:
        """ "ok" or "OVER" against the aim (ratio when there is a baseline), else blank."""
        if self.aim is None:
            return ""
        measured = self.ratio if self.ratio is not None else self.value
        return "ok" if measured <= self.aim else "OVER"


@dataclass
class Report:
    """Every line of one run plus its parameters."""

    parameters: dict[str, Any]
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def add(self, line: Line) -> None:
        """Record a line."""
        self.lines.append(line)

    def table(self) -> str:
        """A plain-text table (one row per line)."""
        header = ("bench", "metric", "value", "baseline", "ratio", "aim", "")
        rows = [header]
        for line in self.lines:
            rows.append(
                (
                    line.bench,
                    line.metric,
                    f"{_number(line.value)} {line.unit}",
                    "" if line.baseline is None else f"{_number(line.baseline)} {line.unit}",
                    _ratio(line.ratio),
                    _aim(line),
                    line.verdict,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        out = []
        for n, row in enumerate(rows):
            out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if n == 0:
                out.append("  ".join("-" * w for w in widths))
        out += [f"note: {note}" for note in self.notes]
        return "\n".join(out)

    def write_json(self, directory: Path) -> Path:
        """``<directory>/<timestamp>.json`` with parameters, machine and every line."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.started_at:%Y%m%dT%H%M%SZ}.json"
        doc = {
            "started_at": self.started_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "parameters": self.parameters,
            "machine": {
                "cpus": psutil.cpu_count(),
                "memory_mb": psutil.virtual_memory().total // 2**20,
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "results": [
                {**asdict(line), "ratio": line.ratio, "verdict": line.verdict} for line in self.lines
            ],
            "notes": self.notes,
        }
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def _number(value: float) -> str:
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2f}"


def _ratio(ratio: float | None) -> str:
    if ratio is None:
        return ""
    # Two significant digits where two decimals would round a real difference down to 0.00x.
    return f"{ratio:.2g}x" if 0 < ratio < 0.01 else f"{ratio:.2f}x"


def _aim(line: Line) -> str:
    if line.aim is None:
        return ""
    return f"<= {line.aim:g}x" if line.baseline is not None else f"<= {line.aim:g} {line.unit}"
