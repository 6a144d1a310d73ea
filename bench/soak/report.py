"""The soak's result: one JSON document (``var/bench/soak-<utc>.json``) and the table printed from it."""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench.soak import rss
from bench.soak.calls import Recorder
from bench.soak.driver import Schedule
from bench.soak.mix import FOLLOW_UP_ROUTES, MIX

# Every report has these keys (the smoke test holds the report to them).
FIELDS = (
    "started_at",
    "finished_at",
    "parameters",
    "machine",
    "schedule",
    "routes",
    "overall",
    "memory",
    "imports",
    "review",
    "queues",
    "error_samples",
    "verdict",
)
PRINTED_SAMPLES = 11  # RSS columns in the printed table (the JSON has every sample)


@dataclass(frozen=True)
class Limits:
    """What fails a run."""

    max_error_rate: float


def build(
    *,
    started_at: datetime,
    parameters: dict[str, Any],
    recorder: Recorder,
    schedule: Schedule,
    samples: list[rss.Sample],
    imports: dict[str, Any],
    queues: dict[str, dict[str, int]],
    limits: Limits,
) -> dict[str, Any]:
    """The whole report, verdict included."""
    routes = [recorder.routes[r].summary(r) for r in sorted(recorder.routes)]
    requests = sum(r["count"] for r in routes)
    errors = sum(r["errors"] for r in routes)
    overall = {
        "requests": requests,
        "errors": errors,
        "error_rate": errors / requests if requests else 0.0,
        "by_design": sum(r["by_design"] for r in routes),
        "shed": sum(r["error_kinds"].get("shed", 0) for r in routes),
    }
    processes = rss.verdicts(samples, samples[-1].t if samples else 0.0)
    memory = {
        "rule": rss.RULE,
        "sample_seconds": parameters.get("sample_seconds"),
        "processes": processes,
        "levelled": bool(processes) and all(p["levelled"] for p in processes),
        "machine_cpu": rss.machine_cpu(samples),
        "samples": [
            {"t": s.t, "rss_mb": {k: None if v is None else v / rss.MB for k, v in s.rss.items()}}
            for s in samples
        ],
    }
    report = {
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "parameters": parameters,
        "machine": {
            "cpus": psutil.cpu_count(),
            "memory_mb": psutil.virtual_memory().total // rss.MB,
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "schedule": schedule.summary(),
        "routes": routes,
        "overall": overall,
        "memory": memory,
        "imports": imports,
        "review": schedule.review,
        "queues": queues,
        "error_samples": recorder.error_samples,
    }
    report["verdict"] = verdict(report, limits)
    return report


def verdict(report: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """ok, or the reasons the run failed."""
    reasons = []
    overall = report["overall"]
    if overall["error_rate"] > limits.max_error_rate:
        reasons.append(f"error rate {overall['error_rate']:.4%} > {limits.max_error_rate:.4%}")
    for process in report["memory"]["processes"]:
        if process["exited"]:
            reasons.append(f"{process['process']} exited during the run")
        elif not process["levelled"]:
            reasons.append(
                f"{process['process']} memory did not level off: +{process['second_half_growth_mb']:.1f} MB"
                f" in the second half (allowed {process['allowed_growth_mb']:.1f} MB)"
            )
    if not report["memory"]["processes"]:
        reasons.append("no memory samples")
    seen = {r["route"] for r in report["routes"] if r["count"] - r["error_kinds"].get("shed", 0) > 0}
    missing = [route for route in (*(op.route for op in MIX), *FOLLOW_UP_ROUTES) if route not in seen]
    if missing:
        reasons.append(f"routes never exercised: {missing}")
    if report["review"].get("status") != "done":
        reasons.append(f"review run {report['review'].get('status')}")
    dead = {name: q["dead_letters"] for name, q in report["queues"].items() if q["dead_letters"]}
    if dead:
        reasons.append(f"dead-lettered messages: {dead}")
    return {"ok": not reasons, "reasons": reasons, "max_error_rate": limits.max_error_rate}


def write(report: dict[str, Any], directory: Path) -> Path:
    """``<directory>/soak-<utc>.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    started = datetime.fromisoformat(report["started_at"])
    path = directory / f"soak-{started:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def table(report: dict[str, Any]) -> str:
    """The printed form: schedule, routes, overall, memory, jobs, verdict."""
    p, s, o = report["parameters"], report["schedule"], report["overall"]
    out = [
        f"soak: {p['seconds']:g} s at {p['rate']:g} req/s (open model, at most {p['concurrency']} in flight),"
        f" {s['due']:,} due, {s['sent']:,} sent ({s['skipped']} found no target), achieved"
        f" {s['achieved_rate']:.2f} req/s,"
        f" start lag p99 {s['start_lag_p99_ms']:.1f} ms / max {s['start_lag_max_ms']:.1f} ms",
        "",
    ]
    rows: list[tuple[str, ...]] = [("route", "count", "errors", "error %", "by design", "p50 ms", "p99 ms")]
    for r in report["routes"]:
        rows.append(
            (
                r["route"],
                f"{r['count']:,}",
                str(r["errors"]),
                f"{100 * r['error_rate']:.2f}",
                str(r["by_design"]),
                f"{r['p50_ms']:.1f}",
                f"{r['p99_ms']:.1f}",
            )
        )
    rows.append(
        (
            "overall",
            f"{o['requests']:,}",
            str(o["errors"]),
            f"{100 * o['error_rate']:.3f}",
            str(o["by_design"]),
            "",
            "",
        )
    )
    out += _grid(rows, right_from=1)
    kinds = {r["route"]: r["by_design_kinds"] for r in report["routes"] if r["by_design_kinds"]}
    if kinds:
        out.append(f"by design (4xx the system is meant to answer there): {kinds}")
    errors = {r["route"]: r["error_kinds"] for r in report["routes"] if r["error_kinds"]}
    if errors:
        out.append(f"errors: {errors}")
    shown, step = _shown(report["memory"]["samples"])
    every = "" if step == 1 else f", one in {step} shown, all in the JSON"
    sampled = f"sampled every {p['sample_seconds']:g} s{every}"
    out += ["", f"memory (RSS MB, {sampled}); {report['memory']['rule']}"]
    out += _memory_rows(report["memory"], shown)
    out += [
        "",
        f"imports: {report['imports']}",
        f"review: {report['review']}",
        f"queues at the end: {report['queues']}",
    ]
    v = report["verdict"]
    out.append("verdict: " + ("ok" if v["ok"] else "FAILED: " + "; ".join(v["reasons"])))
    return "\n".join(out)


def _shown(samples: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """At most about ``PRINTED_SAMPLES`` evenly spaced samples, the first and the last always among them."""
    step = max(1, -(-(len(samples) - 1) // (PRINTED_SAMPLES - 1)))
    shown = samples[::step]
    if samples and shown[-1] is not samples[-1]:
        shown.append(samples[-1])
    return shown, step


def _memory_rows(memory: dict[str, Any], shown: list[dict[str, Any]]) -> list[str]:
    header = ("process", *(f"{s['t']:.0f}s" for s in shown), "2nd-half growth", "allowed", "levelled", "CPU")
    rows: list[tuple[str, ...]] = [header]
    for process in memory["processes"]:
        name = process["process"]
        values = [s["rss_mb"][name] for s in shown]
        rows.append(
            (
                name,
                *("-" if v is None else f"{v:.0f}" for v in values),
                f"{process['second_half_growth_mb']:+.1f}",
                f"{process['allowed_growth_mb']:.1f}",
                "yes" if process["levelled"] else "NO",
                "-" if process["cpu_share"] is None else f"{100 * process['cpu_share']:.0f}%",
            )
        )
    machine = memory["machine_cpu"]
    busy = "-" if machine["busy_share"] is None else f"{100 * machine['busy_share']:.0f}%"
    note = f"CPU = share of one core over the load; the machine's {machine['cores']} cores were {busy} busy"
    return [*_grid(rows, right_from=1), note + " (everything on it: PostgreSQL, RabbitMQ, this client, ...)"]


def _grid(rows: Sequence[tuple[str, ...]], right_from: int) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [c.rjust(widths[i]) if i >= right_from else c.ljust(widths[i]) for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines
