"""The routes of the gateway's merged OpenAPI document, as the hostile tests walk them.

Everything here is read from the document, so a route added to any service is swept without a
change to these tests: secured routes (``security`` names the bearer scheme) get the bad-token
sweep, and the ones bound to a jurisdiction get the other-jurisdiction sweep.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

METHODS = ("get", "put", "post", "patch", "delete")
_PARAM = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class Route:
    """One operation: method, path template and what the document says about its inputs."""

    method: str
    path: str
    secured: bool
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body_media: str | None

    @property
    def label(self) -> str:
        """``METHOD /path`` as the README's route table writes it."""
        return f"{self.method} {self.path}"

    def url(self, ids: dict[str, str]) -> str:
        """The path with each parameter taken from ``ids`` (a made-up id where none is given)."""
        return _PARAM.sub(lambda m: quote(ids.get(m.group(1)) or made_up(m.group(1)), safe=""), self.path)


def made_up(name: str) -> str:
    """An id of the right shape that names nothing: the same one on every run (deterministic)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"jingzhun-hostile/{name}"))


def routes(doc: dict[str, Any]) -> list[Route]:
    """Every ``/api/`` operation of the document, in document order."""
    found: list[Route] = []
    for path, item in doc["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            params = operation.get("parameters", [])
            content = operation.get("requestBody", {}).get("content", {})
            found.append(
                Route(
                    method=method.upper(),
                    path=path,
                    secured=bool(operation.get("security")),
                    path_params=tuple(_PARAM.findall(path)),
                    query_params=tuple(p["name"] for p in params if p.get("in") == "query"),
                    body_media=next(iter(content), None),
                )
            )
    return found
