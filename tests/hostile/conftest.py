"""One real stack for the hostile-input tests, the victims on it, and the numbers they report.

Every service, relay and consumer runs as its own process (as in tests/stack) on throwaway
databases. The gateway's rate limits are raised so far that no test can reach them: a 429 seen
here is a failure, not noise. The numbers each test reports are printed at the end of the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jingzhun.stack import whole_stack
from jzkit.testing.stack import Stack, running
from registry.seed import world_csv
from tests.hostile import report, world

# Far above what the sweeps send (a few hundred requests a second at most on loopback).
UNREACHABLE_RATE = "1000000"
# Fourteen processes starting at once on two cores: more than the kit's default wait when busy.
STARTUP_SECONDS = 90.0


@pytest.fixture(scope="session")
def hostile_stack(
    pg_admin_url: str, amqp_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Migrated throwaway databases, every process started and ready, the demo divisions loaded."""
    stack = whole_stack(pg_admin_url, amqp_url, tmp_path_factory.mktemp("hostile-stack"), "hostile")
    stack.env.update(
        JZ_GATEWAY_CLIENT_RATE_PER_SECOND=UNREACHABLE_RATE,
        JZ_GATEWAY_CLIENT_BURST=UNREACHABLE_RATE,
        JZ_GATEWAY_PUBLIC_RATE_PER_SECOND=UNREACHABLE_RATE,
        JZ_GATEWAY_PUBLIC_BURST=UNREACHABLE_RATE,
    )
    with running(stack, world_csv(), timeout=STARTUP_SECONDS):
        yield stack


@pytest.fixture(scope="session")
def victims(hostile_stack: Stack) -> world.World:
    """The household of 炉场村 and its case, grant, loan, batch, job, review (built once)."""
    return world.build(hostile_stack)


@pytest.fixture(scope="session")
def openapi(hostile_stack: Stack) -> dict[str, Any]:
    """The gateway's merged OpenAPI document, as a client would fetch it."""
    response = httpx.get(f"{hostile_stack.gateway_url}/openapi.json", timeout=30)
    response.raise_for_status()
    doc: dict[str, Any] = response.json()
    return doc


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The hostile runs' numbers (operations, requests, failures per caller; sweeps' sizes)."""
    if report.LINES:
        terminalreporter.section("hostile input")
        for line in report.LINES:
            terminalreporter.write_line(line)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the processes' logs to the report of a failed hostile test."""
    result = yield
    stack = getattr(item, "funcargs", {}).get("hostile_stack")
    if result.failed and isinstance(stack, Stack):
        result.sections.append(("stack process logs", stack.logs()))
    return result
