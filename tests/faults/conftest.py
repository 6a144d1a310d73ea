"""A fresh real stack per faults scenario (its consumers on queues of its own: ``Stack.queue_prefix``)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jingzhun.stack import whole_stack
from jzkit.testing.stack import Stack, running
from registry.seed import world_csv
from tests.faults.outage import LocalServer
from tests.faults.scenario import Fault, households, run
from tests.faults.snapshot import Snapshot


def faults_stack(pg_admin_url: str, amqp_url: str, workdir: Path) -> Stack:
    """Every process of the stack, its queues and databases its own (not started)."""
    return whole_stack(pg_admin_url, amqp_url, workdir, "faults")


@pytest.fixture
def fresh_stack(pg_admin_url: str, amqp_url: str, tmp_path: Path) -> Iterator[Stack]:
    """A stack of the test's own, for one scenario."""
    with running(faults_stack(pg_admin_url, amqp_url, tmp_path / "stack"), world_csv()) as stack:
        yield stack


def _local(server: LocalServer) -> Iterator[LocalServer]:
    why = server.missing()
    if why is not None:
        message = f"cannot stop {server.name} here: {why}"
        if os.environ.get("JZ_REQUIRE_SERVICES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        yield server
    finally:
        server.ensure_running()


@pytest.fixture
def postgresql_server(pg_admin_url: str) -> Iterator[LocalServer]:
    """This machine's PostgreSQL, to stop and start (left running whatever the scenario does)."""
    yield from _local(LocalServer.postgresql())


@pytest.fixture
def rabbitmq_server(amqp_url: str) -> Iterator[LocalServer]:
    """This machine's RabbitMQ, to stop and start (left running whatever the scenario does)."""
    yield from _local(LocalServer.rabbitmq())


@pytest.fixture(scope="session")
def baseline(pg_admin_url: str, amqp_url: str, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """The fault-free run of the same input on a stack of its own, once per session."""
    workdir = tmp_path_factory.mktemp("baseline")
    with running(faults_stack(pg_admin_url, amqp_url, workdir), world_csv()) as stack:
        outcome = asyncio.run(run(stack, Fault(), households()))
    print(outcome.report("baseline", None))
    return outcome.snapshot


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the processes' logs to the report of a failed faults scenario."""
    report = yield
    stacks = [v for v in getattr(item, "funcargs", {}).values() if isinstance(v, Stack)]
    if report.failed and stacks:
        report.sections.append(("stack process logs", stacks[0].logs()))
    return report
