"""The bus interface shared by the in-process bus (embedded mode) and RabbitMQ (stack mode)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from jzkit.contracts.envelope import CloudEvent

log = logging.getLogger(__name__)

Delivery = Callable[[CloudEvent], Awaitable[bool]]


class EventRejected(Exception):
    """The bus refused this one event (no queue bound to its type, a negative confirm).

    The relay lets later events go past it. Any other error from ``publish`` means the bus itself is
    unavailable: the relay then backs off as a whole, so pending events keep their order.
    """


class Publisher(Protocol):
    """Publishes one event; returns only once the bus has taken responsibility for it."""

    async def publish(self, event: CloudEvent) -> None:
        """Raise if the event was not accepted (the relay keeps the row and retries)."""


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic semantics: ``*`` is exactly one word, ``#`` zero or more."""
    return _match(pattern.split("."), key.split("."))


def _match(pat: list[str], words: list[str]) -> bool:
    if not pat:
        return not words
    head, rest = pat[0], pat[1:]
    if head == "#":
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    return (head in ("*", words[0])) and _match(rest, words[1:])


class Subscriber(Protocol):
    """Where embedded mode's consumers register (the in-process bus)."""

    def subscribe(self, name: str, patterns: tuple[str, ...], deliver: Delivery) -> None:
        """Deliver events whose routing key matches ``patterns``."""


@dataclass
class _Subscription:
    name: str
    patterns: tuple[str, ...]
    deliver: Delivery


class InProcessBus:
    """Embedded mode: publishing calls each matching subscriber's inbox-guarded handler in turn.

    A failing subscriber makes ``publish`` raise, so the relay keeps the outbox row and retries;
    subscribers that already applied the event skip it the second time through their inbox.
    """

    def __init__(self, held: bool = False) -> None:
        self._subs: list[_Subscription] = []
        # The relay publishes a batch concurrently; a lock keeps deliveries in outbox order.
        self._lock = asyncio.Lock()
        # A held bus makes publishers wait until ``release()``: embedded mode holds it until every
        # service has subscribed, so an event relayed early is not missed by a later subscriber.
        self._open = asyncio.Event()
        if not held:
            self._open.set()

    def release(self) -> None:
        """Let publishing proceed (every subscriber is registered)."""
        self._open.set()

    def subscribe(self, name: str, patterns: tuple[str, ...], deliver: Delivery) -> None:
        """Register a consumer for the routing-key ``patterns``."""
        self._subs.append(_Subscription(name, patterns, deliver))

    async def publish(self, event: CloudEvent) -> None:
        """Deliver to every matching subscriber; raise if any of them fails."""
        await self._open.wait()
        async with self._lock:
            await self._deliver_all(event)

    async def _deliver_all(self, event: CloudEvent) -> None:
        errors: list[BaseException] = []
        for sub in self._subs:
            if any(topic_matches(p, event.type) for p in sub.patterns):
                try:
                    await sub.deliver(event)
                except Exception as exc:  # collected and re-raised below: the relay will retry
                    log.warning("consumer %s failed on %s: %s", sub.name, event.type, exc)
                    errors.append(exc)
        if errors:  # this event's own problem: the ones after it are still delivered
            raise EventRejected(f"{len(errors)} subscriber(s) failed on event {event.id}") from errors[0]
