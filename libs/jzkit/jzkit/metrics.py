"""Prometheus metrics shared by every app; the ``service`` label tells processes apart in embedded mode."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "jz_http_requests_total",
    "HTTP requests by route template and status",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "jz_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
HTTP_IN_FLIGHT = Gauge("jz_http_requests_in_flight", "Requests being served", ["service"])
OUTBOX_PENDING = Gauge("jz_outbox_pending", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "jz_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", ["service"]
)
EVENTS_PUBLISHED = Counter("jz_events_published_total", "Events confirmed by the bus", ["service", "type"])
EVENTS_PUBLISH_FAILED = Counter(
    "jz_events_publish_failed_total", "Events the bus refused", ["service", "type"]
)
EVENTS_CONSUMED = Counter("jz_events_consumed_total", "Events applied by a consumer", ["consumer", "type"])
EVENTS_DUPLICATE = Counter(
    "jz_events_duplicate_total", "Redelivered events skipped by the inbox", ["consumer", "type"]
)
# A decision older than one already applied (delayed behind it, e.g. a relay retrying it): ignored.
EVENTS_SUPERSEDED = Counter(
    "jz_events_superseded_total",
    "Events ignored because a newer one was already applied",
    ["consumer", "type"],
)
EVENTS_FAILED = Counter(
    "jz_events_failed_total", "Handler failures (each retry counts)", ["consumer", "type"]
)
DEAD_LETTERS = Gauge(
    "jz_dead_letter_messages", "Messages waiting in a consumer's dead-letter queue", ["consumer"]
)
JOB_ROWS = Counter("jz_job_rows_total", "Rows processed by background jobs", ["service", "kind", "outcome"])
WRITE_RECORDS_FAILED = Counter(
    "jz_write_records_failed_total",
    "Write requests answered but not recorded for the audit log (database refused the record)",
    ["service"],
)
# Business gauges, refreshed from the database by each service's periodic task (jzkit.gauges).
# Every API replica exports the same values: dashboards and alerts aggregate them with max().
HOUSEHOLDS = Gauge("jz_households", "Registered households by status", ["status"])
CASES = Gauge("jz_cases", "Identification cases by kind and stage", ["kind", "stage"])
BUDGET_FEN = Gauge(
    "jz_budget_fen",
    "Money of a program's budgets (all levels, delegations netted out) by state, in fen",
    ["program", "year", "state"],
)
BUDGET_USED_RATIO = Gauge(
    "jz_budget_used_ratio_max",
    "Highest share (reserved + paid) / (allocated - delegated) among a program's budgets",
    ["program", "year"],
)
GAUGE_REFRESH_FAILED = Counter(
    "jz_gauge_refresh_failed_total",
    "Business gauge refreshes that failed (the values went stale)",
    ["service"],
)
QUEUE_MESSAGES = Gauge(
    "jz_consumer_queue_messages", "Messages waiting in a consumer's queue (consumer lag)", ["consumer"]
)
