"""One OpenAPI document for the whole API: the gateway's own routes plus each upstream's."""

from __future__ import annotations

import copy
import logging
from typing import Any

import httpx

from jzkit.openapi_doc import METHODS, problem

# What the gateway itself answers on a forwarded route when the service behind it fails (gateway.proxy).
FORWARDING_STATUSES = (502, 504)

log = logging.getLogger(__name__)


def merge(own: dict[str, Any], upstream_docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Add every upstream's ``/api/`` paths and component schemas to ``own`` (first definition wins)."""
    merged = dict(own)
    paths: dict[str, Any] = dict(merged.get("paths", {}))
    components: dict[str, Any] = dict(merged.get("components", {}))
    schemas: dict[str, Any] = dict(components.get("schemas", {}))
    for name, doc in upstream_docs.items():
        for path, item in doc.get("paths", {}).items():
            if path.startswith("/api/") and path not in paths:
                paths[path] = _forwarded(item)
        for schema_name, schema in doc.get("components", {}).get("schemas", {}).items():
            if schema_name in schemas and schemas[schema_name] != schema:
                log.warning("schema %s of %s differs from one already merged", schema_name, name)
            schemas.setdefault(schema_name, schema)
    components["schemas"] = schemas
    merged["paths"] = dict(sorted(paths.items()))
    merged["components"] = components
    return merged


def _forwarded(item: dict[str, Any]) -> dict[str, Any]:
    """An upstream path item with the gateway's own failure answers added to each operation."""
    forwarded = copy.deepcopy(item)
    for method in METHODS:
        if method in forwarded:
            responses = forwarded[method].setdefault("responses", {})
            for status in FORWARDING_STATUSES:
                responses.setdefault(str(status), problem(status))
    return forwarded


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
