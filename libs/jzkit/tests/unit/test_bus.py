"""Topic matching and the in-process bus of embedded mode."""

from __future__ import annotations

import asyncio

import pytest

from jzkit.contracts.envelope import CloudEvent
from jzkit.messaging.bus import Delivery, EventRejected, InProcessBus, topic_matches


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("registry.household.created", "registry.household.created", True),
        ("registry.household.created", "registry.household.updated", False),
        ("registry.*.created", "registry.household.created", True),
        ("registry.*.created", "registry.created", False),  # * is exactly one word
        ("registry.*", "registry.household.created", False),
        ("*", "registry", True),
        ("*", "registry.household", False),
        ("#", "registry.household.created", True),
        ("#", "registry", True),
        ("registry.#", "registry", True),  # # may match zero words
        ("registry.#", "registry.household.created", True),
        ("registry.#", "funds.grant.paid", False),
        ("#.created", "registry.household.created", True),
        ("#.created", "created", True),
        ("#.created", "registry.household.updated", False),
        ("registry.#.created", "registry.created", True),
        ("registry.#.created", "registry.a.b.c.created", True),
        ("registry.#.created", "registry.a.b.c.updated", False),
        ("*.#", "registry", True),
        ("*.#", "registry.household", True),
        ("#.#", "registry.household", True),
        ("*.*", "registry", False),
        ("regist*", "registry", False),  # a star inside a word is a literal, not a wildcard
        ("registry", "registry.household", False),
        ("registry.household", "registry", False),
    ],
)
def test_topic_matches(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches(pattern, key) is expected


def _event(event_type: str) -> CloudEvent:
    return CloudEvent(source="test", type=event_type, data={"n": 1})


async def test_in_process_bus_delivers_to_matching_subscribers_only() -> None:
    bus = InProcessBus()
    seen: dict[str, list[str]] = {"funds": [], "audit": [], "other": []}

    def recorder(name: str) -> Delivery:
        async def deliver(event: CloudEvent) -> bool:
            seen[name].append(event.id)
            return True

        return deliver

    bus.subscribe("funds", ("registry.household.*",), recorder("funds"))
    bus.subscribe("audit", ("#",), recorder("audit"))
    bus.subscribe("other", ("identification.#", "funds.grant.paid"), recorder("other"))

    created = _event("registry.household.created")
    paid = _event("funds.grant.paid")
    await bus.publish(created)
    await bus.publish(paid)

    assert seen == {"funds": [created.id], "audit": [created.id, paid.id], "other": [paid.id]}


async def test_in_process_bus_raises_when_a_subscriber_fails_but_still_calls_the_others() -> None:
    bus = InProcessBus()
    calls: list[str] = []

    async def failing(event: CloudEvent) -> bool:
        calls.append("failing")
        raise ValueError("database down")

    async def healthy(event: CloudEvent) -> bool:
        calls.append("healthy")
        return True

    bus.subscribe("failing", ("#",), failing)
    bus.subscribe("healthy", ("#",), healthy)
    event = _event("registry.household.created")

    with pytest.raises(EventRejected, match=event.id) as raised:
        await bus.publish(event)

    assert isinstance(raised.value.__cause__, ValueError)
    assert calls == ["failing", "healthy"]


async def test_in_process_bus_without_matching_subscriber_is_a_no_op() -> None:
    bus = InProcessBus()

    async def never(event: CloudEvent) -> bool:
        raise AssertionError("must not be called")

    bus.subscribe("funds", ("funds.#",), never)
    await bus.publish(_event("registry.household.created"))


async def test_a_held_bus_delivers_only_after_release_to_subscribers_registered_meanwhile() -> None:
    bus = InProcessBus(held=True)
    got: list[str] = []
    publishing = asyncio.create_task(bus.publish(CloudEvent(source="/t", type="a.b.c", data={})))
    await asyncio.sleep(0.01)
    assert not publishing.done()

    async def late(event: CloudEvent) -> bool:
        got.append(event.type)
        return True

    bus.subscribe("late", ("#",), late)
    bus.release()
    await asyncio.wait_for(publishing, 1)
    assert got == ["a.b.c"]
