"""Every soak request goes through :class:`Caller`, which times it and files its outcome by route template.

An outcome is one of three: ok (a status the operation expects), by design (a 4xx the system is meant
to answer in that situation, named with its reason, e.g. a projection not caught up yet) or an error
(any 5xx, transport failure, timeout or any other status). Only errors count against the error rate.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.reading import percentile

# The first few errors of each kind (route and status or exception), with their bodies, so a failure
# can be explained; shed requests have nothing to show and are only counted.
SAMPLES_PER_KIND = 3
ERROR_SAMPLES = 60
BODY_SNIPPET = 300


@dataclass
class RouteStats:
    """What one route template saw."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    by_design: Counter[str] = field(default_factory=Counter)
    # Errors without a timed request: shed (due, not sent) and waits that ran out (a job never finished).
    untimed: int = 0

    @property
    def count(self) -> int:
        """Requests answered or failed, plus the untimed errors (each one failed outcome of this route)."""
        return len(self.latencies) + self.untimed

    def summary(self, route: str) -> dict[str, Any]:
        """The route's line of the report."""
        ordered = sorted(self.latencies)
        errors = sum(self.errors.values())
        return {
            "route": route,
            "count": self.count,
            "errors": errors,
            "error_rate": errors / self.count if self.count else 0.0,
            "by_design": sum(self.by_design.values()),
            "p50_ms": percentile(ordered, 0.50) * 1000,
            "p99_ms": percentile(ordered, 0.99) * 1000,
            "max_ms": (ordered[-1] if ordered else 0.0) * 1000,
            "error_kinds": dict(self.errors),
            "by_design_kinds": dict(self.by_design),
        }


@dataclass
class Recorder:
    """Route statistics of one run plus the first few error samples."""

    routes: dict[str, RouteStats] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    _sampled: Counter[str] = field(default_factory=Counter)

    def route(self, template: str) -> RouteStats:
        """The stats of ``template`` (created on first use)."""
        return self.routes.setdefault(template, RouteStats())

    def ok(self, template: str, seconds: float) -> None:
        """An expected answer."""
        self.route(template).latencies.append(seconds)

    def designed(self, template: str, seconds: float, kind: str) -> None:
        """A 4xx the system answers by design in this situation."""
        stats = self.route(template)
        stats.latencies.append(seconds)
        stats.by_design[kind] += 1

    def error(self, template: str, seconds: float | None, kind: str, detail: str = "") -> None:
        """A failure; ``seconds`` is None for a request that never went out (shed)."""
        stats = self.route(template)
        if seconds is None:
            stats.untimed += 1
        else:
            stats.latencies.append(seconds)
        stats.errors[kind] += 1
        key = f"{template}: {kind}"
        if (
            kind != "shed"
            and self._sampled[key] < SAMPLES_PER_KIND
            and len(self.error_samples) < ERROR_SAMPLES
        ):
            self._sampled[key] += 1
            self.error_samples.append(f"{key} {detail}".strip())

    def shed(self, template: str) -> None:
        """A request that was due while the concurrency bound was reached: not sent, counted as an error."""
        self.error(template, None, "shed")


def problem_code(response: httpx.Response) -> str:
    """The problem+json ``code`` of an error answer, or empty."""
    if "json" not in response.headers.get("content-type", ""):
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("code", "")) if isinstance(body, dict) else ""


class Caller:
    """The soak's HTTP client: one shared pool, a bearer token per role, every call recorded."""

    def __init__(self, client: httpx.AsyncClient, tokens: Mapping[str, str], recorder: Recorder) -> None:
        self.client = client
        self.auth = {who: {"Authorization": f"Bearer {token}"} for who, token in tokens.items()}
        self.recorder = recorder

    async def call(
        self,
        template: str,
        method: str,
        url: str,
        who: str | None,
        *,
        expect: tuple[int, ...] = (200,),
        by_design: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        check: Callable[[httpx.Response], str | None] | None = None,
        **kw: Any,
    ) -> httpx.Response | None:
        """One request; None when it failed (recorded as an error), else the response whatever its status.

        ``by_design`` maps ``"<status>"`` or ``"<status> <problem code>"`` to the reason that answer is
        expected in this situation; ``check`` names what is wrong with an expected answer's body, if
        anything (it is then an error too).
        """
        sent = {**(self.auth[who] if who else {}), **(headers or {})}
        started = time.perf_counter()
        try:
            response = await self.client.request(method, url, headers=sent, **kw)
        except httpx.HTTPError as exc:
            self.recorder.error(template, time.perf_counter() - started, type(exc).__name__, str(exc))
            return None
        seconds = time.perf_counter() - started
        status = response.status_code
        if status in expect:
            wrong = check(response) if check else None
            if wrong:
                self.recorder.error(template, seconds, wrong, response.text[:BODY_SNIPPET])
            else:
                self.recorder.ok(template, seconds)
            return response
        code = problem_code(response)
        reasons = by_design or {}
        reason = reasons.get(f"{status} {code}") or reasons.get(str(status))
        if reason and status < 500:
            self.recorder.designed(template, seconds, f"{status} {code or reason}".strip())
            return response
        self.recorder.error(template, seconds, f"{status} {code}".strip(), response.text[:BODY_SNIPPET])
        return response
