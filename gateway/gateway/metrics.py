"""Gateway metrics per upstream: latency, errors, requests in flight, retries, refused by rate limits."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPSTREAM_LATENCY = Histogram(
    "jz_gateway_upstream_duration_seconds",
    "Time until the upstream's response headers arrived",
    ["upstream", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
UPSTREAM_RESPONSES = Counter(
    "jz_gateway_upstream_responses_total", "Upstream responses by status class", ["upstream", "status_class"]
)
UPSTREAM_ERRORS = Counter(
    "jz_gateway_upstream_errors_total",
    "Upstream failures: timeout, unavailable (connect/transport error), server_error (5xx)",
    ["upstream", "kind"],
)
UPSTREAM_IN_FLIGHT = Gauge(
    "jz_gateway_upstream_in_flight", "Requests sent to the upstream and not yet fully answered", ["upstream"]
)
UPSTREAM_RETRIES = Counter(
    "jz_gateway_upstream_retries_total", "Idempotent requests re-sent after a connect error", ["upstream"]
)
RATE_LIMITED = Counter("jz_gateway_rate_limited_total", "Requests refused with 429", ["scope"])
