"""One OpenAPI document for the whole API: the gateway's own routes plus each upstream's."""

from __future__ import annotations

import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)


def merge(own: dict[str, Any], upstream_docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Add every upstream's ``/api/`` paths and component schemas to ``own`` (first definition wins)."""
    merged = dict(own)
    paths: dict[str, Any] = dict(merged.get("paths", {}))
    components: dict[str, Any] = dict(merged.get("components", {}))
    schemas: dict[str, Any] = dict(components.get("schemas", {}))
    for name, doc in upstream_docs.items():
        for path, item in doc.get("paths", {}).items():
            if path.startswith("/api/"):
                paths.setdefault(path, item)
        for schema_name, schema in doc.get("components", {}).get("schemas", {}).items():
            if schema_name in schemas and schemas[schema_name] != schema:
                log.warning("schema %s of %s differs from one already merged", schema_name, name)
            schemas.setdefault(schema_name, schema)
    components["schemas"] = schemas
    merged["paths"] = dict(sorted(paths.items()))
    merged["components"] = components
    return merged


async def fetch(clients: dict[str, httpx.AsyncClient]) -> dict[str, dict[str, Any]]:
    """Each reachable upstream's OpenAPI document (an unreachable one is left out and logged)."""
    docs: dict[str, dict[str, Any]] = {}
    for name, client in clients.items():
        try:
            response = await client.get("/openapi.json")
            response.raise_for_status()
            docs[name] = response.json()
        except httpx.HTTPError as exc:
            log.warning("no OpenAPI from %s: %s", name, exc)
    return docs
