"""The soak's own code (``make soak``) for a few seconds at a low rate on a fresh stack.

It proves the soak is usable, not that the stack endures: every route of the mix and the follow-ups
(job polls, the review run) answered, no error at all (4xx only where the system answers them by
design, e.g. a projection not caught up yet), the memory table filled for every process, and the
report carrying every field it promises.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.soak import report as reporting
from bench.soak.mix import FOLLOW_UP_ROUTES, MIX
from bench.soak.run import Config, run_soak

pytestmark = pytest.mark.stack

SMOKE = Config(seconds=15, rate=8, sample_seconds=2, households=12, locked=2, max_error_rate=0.0)
# The only 4xx the mix accepts: a projection that has not caught up, a notice our clock saw end early.
BY_DESIGN = ("404 ", "409 notice-running", "409 notice-not-ended")
ROUTE_FIELDS = {"route", "count", "errors", "error_rate", "by_design", "p50_ms", "p99_ms", "max_ms"}
PROCESS_FIELDS = {"process", "start_mb", "end_mb", "second_half_growth_mb", "allowed_growth_mb", "levelled"}


def test_soak_smoke(pg_admin_url: str, amqp_url: str, tmp_path: Path) -> None:
    report = run_soak(SMOKE, pg_admin_url, amqp_url)
    print(reporting.table(report))

    assert set(reporting.FIELDS) <= report.keys()
    assert report["overall"]["errors"] == 0, report["error_samples"]
    for route in report["routes"]:
        assert ROUTE_FIELDS <= route.keys()
        assert all(kind.startswith(BY_DESIGN) for kind in route["by_design_kinds"]), route
    answered = {r["route"] for r in report["routes"] if r["count"] > 0}
    assert {op.route for op in MIX} | set(FOLLOW_UP_ROUTES) <= answered
    assert report["schedule"]["sent"] == report["schedule"]["due"] == SMOKE.rate * SMOKE.seconds

    processes = report["memory"]["processes"]
    assert len(processes) == 12  # 4 services, 3 relays, 4 consumers, the gateway
    for process in processes:
        assert PROCESS_FIELDS <= process.keys()
        assert process["start_mb"] > 0 and process["end_mb"] > 0, process
    assert len(report["memory"]["samples"]) >= SMOKE.seconds / SMOKE.sample_seconds
    assert report["review"]["status"] == "done"
    assert report["imports"]["succeeded"] >= 1 and report["imports"]["failed"] == 0
    assert report["verdict"] == {"ok": True, "reasons": [], "max_error_rate": 0.0}

    written = reporting.write(report, tmp_path)
    assert json.loads(written.read_text(encoding="utf-8")) == report
