"""Which upstream service answers which API path (most specific prefix first)."""

from __future__ import annotations

# (path prefix, upstream name). Extend here as services land.
ROUTES: tuple[tuple[str, str], ...] = (
    ("/api/v1/divisions", "registry"),
    ("/api/v1/households", "registry"),
    ("/api/v1/imports", "registry"),
    ("/api/v1/exports", "registry"),
    ("/api/v1/jobs", "registry"),
    ("/api/v1/audit", "audit"),
)


def upstream_for(path: str) -> str | None:
    """The upstream serving ``path``, or None when no service does."""
    for prefix, upstream in ROUTES:
        if path == prefix or path.startswith(prefix + "/"):
            return upstream
    return None
