"""Which upstream service answers which API path (most specific first)."""

from __future__ import annotations

import re

# Sub-resources another service owns under a prefix: checked before the prefixes below.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^/api/v1/households/[^/]+/assessment$"), "identification"),
)
# (path prefix, upstream name).
ROUTES: tuple[tuple[str, str], ...] = (
    ("/api/v1/divisions", "registry"),
    ("/api/v1/public/divisions", "registry"),
    ("/api/v1/households", "registry"),
    ("/api/v1/imports", "registry"),
    ("/api/v1/exports", "registry"),
    ("/api/v1/jobs", "registry"),
    ("/api/v1/policies", "identification"),
    ("/api/v1/cases", "identification"),
    ("/api/v1/quotas", "identification"),
    ("/api/v1/reviews", "identification"),
    ("/api/v1/spot-checks", "identification"),
    ("/api/v1/villages", "identification"),
    ("/api/v1/public/notices", "identification"),
    ("/api/v1/programs", "funds"),
    ("/api/v1/budgets", "funds"),
    ("/api/v1/grants", "funds"),
    ("/api/v1/loans", "funds"),
    ("/api/v1/roster", "funds"),
    ("/api/v1/batches", "funds"),
    ("/api/v1/payments", "funds"),
    ("/api/v1/ledger", "funds"),
    ("/api/v1/public/fund-use", "funds"),
    ("/api/v1/audit", "audit"),
)


def upstream_for(path: str) -> str | None:
    """The upstream serving ``path``, or None when no service does."""
    for pattern, upstream in PATTERNS:
        if pattern.match(path):
            return upstream
    for prefix, upstream in ROUTES:
        if path == prefix or path.startswith(prefix + "/"):
            return upstream
    return None
