"""Alert rules and dashboard queries name only metrics and labels the running apps really export."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from jzkit import metrics

if TYPE_CHECKING:
    from conftest import Scraper

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "jingzhun.json"
# Series Prometheus itself adds to every target; everything else must come from the code.
PROMETHEUS_OWN = {"up": {"job", "instance"}}
TARGET_LABELS = {"job", "instance"}
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "rate", "irate", "increase", "histogram_quantile",
    "by", "without", "and", "or", "unless", "on", "ignoring", "group_left", "group_right", "bool",
}  # fmt: skip
SELECTOR = re.compile(r"\b([a-zA-Z_:][\w:]*)\s*(\{[^}]*\})?")
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
GRAFANA_VARIABLE = re.compile(r"\$\{?\w+\}?|\$__\w+")


def alert_exprs() -> dict[str, str]:
    """Alert name -> expression of every rule in deploy/prometheus/alerts.yaml."""
    doc = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return {rule["alert"]: rule["expr"] for group in doc["groups"] for rule in group["rules"]}


def dashboard_exprs() -> dict[str, str]:
    """Panel title / refId -> PromQL of every target and templating query of the dashboard."""
    doc = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    found = {
        f"{panel['title']} / {target['refId']}": target["expr"]
        for panel in doc["panels"]
        for target in panel.get("targets", [])
    }
    for variable in doc["templating"]["list"]:
        if variable["type"] == "query":
            inner = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", variable["definition"])
            assert inner, f"variable {variable['name']}: only label_values(metric, label) is checked"
            found[f"variable {variable['name']}"] = f"max by ({inner[2]}) ({inner[1]})"
    return found


def declared() -> dict[str, tuple[str, set[str]]]:
    """Exported series name -> (family, label names) of every metric the kit defines."""
    series: dict[str, tuple[str, set[str]]] = {}
    for metric in vars(metrics).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        labels = set(metric._labelnames)
        name, kind = metric._name, metric._type
        if kind == "counter":
            series[f"{name}_total"] = (name, labels)
        elif kind == "histogram":
            series |= {f"{name}_{s}": (name, labels | {"le"}) for s in ("bucket", "count", "sum")}
            series[f"{name}_bucket"] = (name, labels | {"le"})
        else:
            series[name] = (name, labels)
    return series


def selectors(expr: str) -> tuple[list[tuple[str, dict[str, str]]], set[str]]:
    """(metric, {label: value}) of each series selector, and the labels grouped by, in ``expr``."""
    plain = GRAFANA_VARIABLE.sub("x", re.sub(r"\[[^\]]*\]", "", expr))
    grouped = {label.strip() for group in GROUPING.findall(plain) for label in group.split(",") if label}
    without_groups = GROUPING.sub(" ", plain)
    found = []
    for name, braces in SELECTOR.findall(without_groups):
        if name in PROMQL_WORDS or re.fullmatch(r"[\d.e]+", name):
            continue
        found.append((name, {label: value for label, _, value in MATCHER.findall(braces or "")}))
    return found, grouped


def queries() -> dict[str, str]:
    """Every PromQL the deployment ships."""
    return {**{f"alert {k}": v for k, v in alert_exprs().items()}, **dashboard_exprs()}


def test_alert_rules_cover_what_ops_asked_for() -> None:
    exprs = alert_exprs()
    wanted = {
        "jz_dead_letter_messages": "dead-letter queue not empty",
        "jz_outbox_oldest_age_seconds": "outbox older than 60 s",
        'status=~"5.."': "5xx rate above 1%",
        'route="/readyz"': "readiness failing",
        "jz_budget_used_ratio_max": "budget above 95% used",
    }
    for needle, what in wanted.items():
        assert any(needle in expr for expr in exprs.values()), f"no alert for {what}"
    assert any("> 60" in e and "jz_outbox_oldest_age_seconds" in e for e in exprs.values())
    assert any("> 0.95" in e and "jz_budget_used_ratio_max" in e for e in exprs.values())
    assert any("> 0.01" in e and 'status=~"5.."' in e for e in exprs.values())


def test_promtool_accepts_the_rules() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("JZ_REQUIRE_SERVICES") == "1":
            pytest.fail("promtool is missing (Debian package prometheus; .ci/run installs it)")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    result = subprocess.run(
        [promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_is_grafana_json_with_unique_panel_ids() -> None:
    doc = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    ids = [panel["id"] for panel in doc["panels"]]
    assert len(ids) == len(set(ids)) and doc["uid"] and doc["title"]
    titles = " ".join(panel["title"] for panel in doc["panels"]).lower()
    topics = ("requests", "latency", "outbox", "lag", "dead letters", "households", "cases", "reserved")
    for topic in topics:
        assert topic in titles, f"no panel about {topic}"


async def test_every_query_names_exported_metrics_and_labels(apps: Scraper) -> None:
    code = declared()
    exported: set[str] = set()
    for name in apps.clients:
        families = await apps.scrape(name)
        exported |= {sample.name for family in families.values() for sample in family.samples}
        for family in families.values():  # a family without samples yet still has its TYPE line
            exported |= {series for series, (owner, _) in code.items() if owner == family.name}
    routes = apps.routes()
    for where, expr in queries().items():
        found, grouped = selectors(expr)
        assert found, f"{where}: no metric in {expr}"
        labels_here: set[str] = set()
        for metric, matchers in found:
            if metric in PROMETHEUS_OWN:
                known = PROMETHEUS_OWN[metric]
            else:
                assert metric in exported, f"{where}: {metric} is not exported by any app"
                known = code[metric][1]
            unknown = set(matchers) - known - TARGET_LABELS
            assert not unknown, f"{where}: {metric} has no label {unknown}"
            if "route" in matchers and not any(c in matchers["route"] for c in "|.*["):
                assert matchers["route"] in routes, f"{where}: no route {matchers['route']}"
            labels_here |= known
        assert grouped <= labels_here | TARGET_LABELS, f"{where}: grouped by unknown {grouped - labels_here}"


def test_selector_parser_sees_metrics_labels_and_groups() -> None:
    expr = 'histogram_quantile(0.9, sum by (service, le) (rate(jz_x_bucket{service=~"$service", a="b"}[5m])))'
    found, grouped = selectors(expr)
    assert found == [("jz_x_bucket", {"service": "x", "a": "b"})]
    assert grouped == {"service", "le"}
