"""Issue 8 §1 (first slice): the whole flow under faults ends in the fault-free run's final state.

Each scenario runs on a fresh stack and is compared with a fault-free run of the same input, by
counts per status and totals (ids differ between runs). The audit log's Merkle root depends on the
order events arrive in, so it is not compared; the audit entries per event type and the distinct
subjects per type are, which is the set of (type, subject) logged with the ids normalised away.
"""

from __future__ import annotations

import asyncio

import pytest

from jzkit import failpoints
from jzkit.testing.stack import Stack, consumer_name, relay_name
from tests.faults.failpoint import KillAtFailpoint
from tests.faults.outage import LocalServer, Outage
from tests.faults.scenario import (
    Fault,
    KillFundsWhileReconciling,
    Outcome,
    discrepancies,
    duplicating,
    households,
    run,
)
from tests.faults.snapshot import Snapshot

pytestmark = pytest.mark.stack


def _check(name: str, outcome: Outcome, baseline: Snapshot) -> None:
    print(outcome.report(name, baseline))
    snapshot, count = outcome.snapshot, households()
    assert outcome.fault.injected, "the fault never fired"
    assert snapshot.households == {"poor": count}
    assert snapshot.payments == {"paid": count} and snapshot.payments_per_grant == {1: count}
    assert snapshot.paid_twice == 0
    assert snapshot.ledger_problems == []
    assert sum(outcome.dead_letters.values()) == 0, outcome.dead_letters
    assert discrepancies(baseline, snapshot, outcome.superseded) == []


def test_the_baseline_pays_every_household_once(baseline: Snapshot) -> None:
    count = households()
    assert baseline.households == {"poor": count} and baseline.cases == {"entry/locked": count}
    assert baseline.payments == {"paid": count} and baseline.paid_twice == 0
    assert baseline.ledger_problems == []


def test_a_consumer_killed_after_commit_before_ack_applies_nothing_twice(
    fresh_stack: Stack, baseline: Snapshot
) -> None:
    fault = KillAtFailpoint(
        phase="identifying", process=consumer_name("funds"), point=failpoints.CONSUMER_COMMITTED, nth=2
    )
    outcome = asyncio.run(run(fresh_stack, fault, households()))
    _check("kill -9 funds consumer after commit, before ack", outcome, baseline)
    assert outcome.duplicates_skipped > 0, "the committed, unacked batch was not redelivered"


def test_a_relay_killed_after_publish_before_marking_sent_loses_nothing(
    fresh_stack: Stack, baseline: Snapshot
) -> None:
    fault = KillAtFailpoint(
        phase="registering", process=relay_name("registry"), point=failpoints.RELAY_PUBLISHED, nth=1
    )
    outcome = asyncio.run(run(fresh_stack, fault, households()))
    _check("kill -9 registry relay after publish, before marking sent", outcome, baseline)
    assert outcome.duplicates_skipped > 0, "the published, unmarked rows were not published again"


def test_every_event_delivered_twice_out_of_order_is_harmless(fresh_stack: Stack, baseline: Snapshot) -> None:
    async def scenario() -> Outcome:
        async with duplicating(fresh_stack) as copies:
            fault = Fault()
            outcome = await run(fresh_stack, fault, households())
        fault.injected.append(f"{copies[0]} events re-published once more, shuffled")
        outcome.copies_sent = copies[0]
        return outcome

    outcome = asyncio.run(scenario())
    # Nearly every event really went round twice: the few published after the duplicator's last
    # flush (the stack still settling) are the only ones it can miss.
    assert outcome.copies_sent >= 0.95 * outcome.snapshot.events_sent
    _check("every event twice", outcome, baseline)


def test_funds_killed_while_reconciling_pays_once(fresh_stack: Stack, baseline: Snapshot) -> None:
    fault = KillFundsWhileReconciling()
    _check("kill -9 funds during bank report", asyncio.run(run(fresh_stack, fault, households())), baseline)


def test_postgresql_restarted_during_writes_half_writes_nothing(
    fresh_stack: Stack, postgresql_server: LocalServer, baseline: Snapshot
) -> None:
    # Stopped (fast: every session cut) a moment into the second half of the cases, so API writes and
    # consumer commits are in flight, and started again 5 s later.
    fault = Outage(phase="identifying", server=postgresql_server, down=5.0, delay=0.3, client_retries=True)
    outcome = asyncio.run(run(fresh_stack, fault, households()))
    _check("PostgreSQL restarted, down 5 s", outcome, baseline)
    assert postgresql_server.stops == 1
    assert outcome.requests_retried > 0, "no request met the outage"


def test_rabbitmq_stopped_for_ten_seconds_loses_nothing(
    fresh_stack: Stack, rabbitmq_server: LocalServer, baseline: Snapshot
) -> None:
    # The API keeps answering (events wait in the outboxes); relays and consumers reconnect.
    fault = Outage(phase="identifying", server=rabbitmq_server, down=10.0, delay=0.3)
    outcome = asyncio.run(run(fresh_stack, fault, households()))
    _check("RabbitMQ stopped 10 s", outcome, baseline)
    assert rabbitmq_server.stops == 1
