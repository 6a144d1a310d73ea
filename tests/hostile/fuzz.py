"""Schemathesis over every operation of the merged OpenAPI, as one caller, bounded and repeatable.

Each operation gets ``examples`` schema-valid cases and half as many schema-invalid ones, drawn by
Hypothesis with ``derandomize`` (the same cases on every run) and no shrinking (a failure is
recorded, not minimised, so the run's length stays fixed). Every response is checked: no 5xx,
status code, content type, headers and body as documented, and every error is problem+json.
Afterwards the operations that read one object are called with ids of real objects (the world's),
so success bodies are checked against their schemas too, not only the errors random ids get.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis import checks as core_checks
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import checks as openapi_checks

from jzkit.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE

CHECKS = [
    core_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]
REQUEST_TIMEOUT_SECONDS = 30.0
_PARAM = re.compile(r"\{([^}]+)\}")


@dataclass
class RunStats:
    """What one caller's run did and found."""

    caller: str
    operations: int = 0
    requests: int = 0
    known: int = 0  # reads of real objects (ids of the world)
    no_invalid: list[str] = field(default_factory=list)  # operations that take no input at all
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def fail(self, label: str, what: str, detail: str = "") -> None:
        """Record one failure (kept once per operation and kind)."""
        line = f"{label}: {what}" + (f" — {detail[:400]}" if detail else "")
        if line not in self.failures:
            self.failures.append(line)


def load(openapi: dict[str, Any], base_url: str) -> Any:
    """The document as a schemathesis schema aimed at ``base_url`` (no config file is read).

    Security parameters are not generated: schemathesis would otherwise drop or replace the
    caller's token in most invalid cases, and the caller's role would go untested there. Bad and
    missing tokens have a sweep of their own (test_hostile_tokens) and the anonymous run.
    """
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_dict(openapi, config=config)
    schema.config.update(base_url=base_url)
    return schema


def problem_failure(status: int, content_type: str, content: bytes) -> str | None:
    """Why an error response is not a proper problem+json document, or None when it is."""
    if status < 400:
        return None
    media = content_type.split(";")[0].strip()
    if media != PROBLEM_MEDIA_TYPE:
        return f"error {status} sent as {media or 'no content type'}"
    try:
        body = json.loads(content)
    except ValueError:
        return f"error {status}: body is not JSON"
    if not isinstance(body, dict) or body.get("status") != status:
        return f"problem body does not carry its status {status}: {body!r:.200}"
    if not str(body.get("type", "")).startswith(PROBLEM_BASE) or not body.get("code"):
        return f"problem without its type or code: {body!r:.200}"
    return None


class Runner:
    """Sends cases of one operation as one caller and checks each response."""

    def __init__(self, stats: RunStats, headers: dict[str, str], session: requests.Session) -> None:
        self.stats = stats
        self.headers = headers
        self.session = session

    def send(self, label: str, case: Any) -> None:
        """One request and every check on its response."""
        try:
            response = case.call(session=self.session, headers=self.headers, timeout=REQUEST_TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            self.stats.fail(label, "no answer", f"{type(exc).__name__}: {exc}")
            return
        self.stats.requests += 1
        self.stats.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=self.headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                self.stats.fail(label, f"{failure.title} ({response.status_code})", case.as_curl_command())
        content_type = (response.headers.get("content-type") or [""])[0]
        problem = problem_failure(response.status_code, content_type, response.content)
        if problem:
            self.stats.fail(label, problem, case.as_curl_command())

    def fuzz(self, operation: Any, mode: GenerationMode, examples: int) -> None:
        """``examples`` generated cases of ``operation`` (deterministic, not shrunk)."""
        label = operation.label

        @given(operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            self.send(label, case)

        try:
            run()
        except Unsatisfiable:
            if mode is GenerationMode.POSITIVE:
                raise
            self.stats.no_invalid.append(label)  # nothing to make invalid: no parameters, no body

    def known(self, operation: Any, ids: dict[str, str]) -> bool:
        """A read of real objects (every path parameter known); False when the operation is not one."""
        names = _PARAM.findall(operation.path)
        if operation.method.upper() != "GET" or not names or any(n not in ids for n in names):
            return False
        self.send(operation.label, operation.Case(path_parameters={n: ids[n] for n in names}))
        return True


def run(
    schema: Any,
    caller: str,
    headers: dict[str, str],
    examples: int,
    ids: dict[str, str],
) -> RunStats:
    """Every operation of ``schema`` as ``caller``: generated cases, then reads of real objects.

    Without a token a secured operation ends at the gateway's 401 whatever the input, so the
    anonymous caller sends it one case (the bad-token sweep covers the rest).
    """
    stats = RunStats(caller)
    anonymous = "authorization" not in {name.lower() for name in headers}
    with requests.Session() as session:
        runner = Runner(stats, headers, session)
        for result in schema.get_all_operations():
            operation = result.ok()
            stats.operations += 1
            if anonymous and operation.definition.raw.get("security"):
                runner.fuzz(operation, GenerationMode.POSITIVE, 1)
                continue
            runner.fuzz(operation, GenerationMode.POSITIVE, examples)
            runner.fuzz(operation, GenerationMode.NEGATIVE, max(1, examples // 2))
            stats.known += runner.known(operation, ids)
    return stats
