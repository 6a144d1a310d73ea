"""Which delivered messages are not settled yet, so a batch can be acked with one frame when that is exact.

An AMQP ``basic.ack`` with ``multiple`` settles every unsettled delivery up to its tag on that channel.
It is exact for a batch only when the batch holds every unsettled tag up to its highest one: a
message still waiting for a retry (it is nacked later) or a delivery on another channel rules it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar


class Delivered(Protocol):
    """What the tracker reads of an incoming message."""

    @property
    def channel(self) -> Any:
        """The channel it was delivered on."""

    @property
    def delivery_tag(self) -> int | None:
        """Its tag on that channel."""


M = TypeVar("M", bound=Delivered)


class UnsettledDeliveries:
    """Delivery tags handed to the consumer and not yet acked, nacked or rejected, per channel."""

    def __init__(self) -> None:
        self._tags: dict[Any, set[int]] = {}

    def add(self, message: Delivered) -> None:
        """A message was delivered."""
        if message.delivery_tag is not None:
            self._tags.setdefault(message.channel, set()).add(message.delivery_tag)

    def discard(self, message: Delivered) -> None:
        """A message is being settled."""
        tags = self._tags.get(message.channel)
        if tags is not None:
            tags.discard(message.delivery_tag or 0)
            if not tags:
                del self._tags[message.channel]

    def covering(self, messages: Sequence[M]) -> M | None:
        """The message whose multiple-ack settles exactly ``messages``, or None when none does."""
        if not messages or any(m.delivery_tag is None for m in messages):
            return None
        channel = messages[0].channel
        if any(m.channel is not channel for m in messages):
            return None
        last = max(messages, key=lambda m: m.delivery_tag or 0)
        batch = {m.delivery_tag for m in messages}
        highest = last.delivery_tag or 0
        others = (t for t in self._tags.get(channel, ()) if t <= highest and t not in batch)
        return None if any(True for _ in others) else last
