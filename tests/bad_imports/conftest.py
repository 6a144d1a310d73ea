"""One real stack for the hostile-import corpus: registry, its relay and the gateway as processes.

Only the registry is started (imports touch no other service), so the folder stays inside its CI
budget; the gateway's other upstreams point at a port nobody listens on, and its readiness is
taken from ``/healthz`` because ``/readyz`` asks every upstream. The registry's import limit is
lowered to :data:`IMPORT_MAX_BYTES` so that the 200 MB file is refused instead of becoming a job
of several minutes; the gateway keeps its production upload limit, so the file really streams
through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jzkit.testing.stack import GATEWAY, Stack, free_port, running
from registry.seed import world_csv
from registry.synth import Synthesizer
from tests.bad_imports.importer import IMPORT_MAX_BYTES, Importer, ResultTable

SYNTH_SEED = 20260801
# Households per import transaction: small, so a modest file spans several chunks.
CHUNK_HOUSEHOLDS = 20


@pytest.fixture(scope="session")
def import_stack(
    pg_admin_url: str, amqp_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Registry (API and relay) and gateway, migrated, started, with the demo divisions loaded."""
    stack = Stack(
        ["registry"],
        publishers=["registry"],
        admin_url=pg_admin_url,
        broker_url=amqp_url,
        workdir=tmp_path_factory.mktemp("bad-imports-stack"),
        label="badimports",
    )
    nowhere = f"http://127.0.0.1:{free_port()}"
    stack.env.update(
        JZ_REGISTRY_IMPORT_MAX_BYTES=str(IMPORT_MAX_BYTES),
        JZ_REGISTRY_IMPORT_CHUNK_HOUSEHOLDS=str(CHUNK_HOUSEHOLDS),
        JZ_REGISTRY_IMPORT_POLL_SECONDS="0.2",
        JZ_GATEWAY_IDENTIFICATION_URL=nowhere,
        JZ_GATEWAY_FUNDS_URL=nowhere,
        JZ_GATEWAY_AUDIT_URL=nowhere,
    )
    stack.processes[GATEWAY].ready_url = f"{stack.gateway_url}/healthz"
    with running(stack, world_csv(), sink=True):
        yield stack


@pytest.fixture(scope="session")
def result_table() -> Iterator[ResultTable]:
    """Every attempt of the session, printed as one table at the end (``-s`` shows it)."""
    table = ResultTable()
    yield table
    print("\n" + table.render())


@pytest.fixture(scope="session")
def synthesizer() -> Synthesizer:
    """One generator for the folder: no two cases share a person or a card by accident."""
    return Synthesizer(seed=SYNTH_SEED)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the processes' logs to the report of a failed test."""
    report = yield
    importer = getattr(item, "funcargs", {}).get("importer")
    if report.failed and isinstance(importer, Importer):
        report.sections.append(("stack process logs", importer.stack.logs()))
    return report


@pytest.fixture
def importer(import_stack: Stack, result_table: ResultTable) -> Importer:
    """Uploads through the gateway and checks every outcome against the registry's tables."""
    stopped = [name for name, process in import_stack.processes.items() if not process.running()]
    if stopped:
        import_stack.start(*stopped)
    return Importer(import_stack, result_table)
