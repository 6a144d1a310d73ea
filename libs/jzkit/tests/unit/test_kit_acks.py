"""When one multiple-ack settles exactly a batch of deliveries, and when it would settle too much."""

from __future__ import annotations

from dataclasses import dataclass

from jzkit.messaging.acks import UnsettledDeliveries


@dataclass(frozen=True)
class Msg:
    channel: object
    delivery_tag: int | None


A, B = object(), object()


def delivered(*messages: Msg) -> UnsettledDeliveries:
    tracker = UnsettledDeliveries()
    for m in messages:
        tracker.add(m)
    return tracker


def test_a_batch_holding_every_unsettled_tag_up_to_its_last_is_covered_by_the_last() -> None:
    batch = [Msg(A, 3), Msg(A, 1), Msg(A, 2)]
    tracker = delivered(*batch, Msg(A, 4))  # a later delivery is not settled by ack(multiple) of tag 3
    assert tracker.covering(batch) == Msg(A, 3)


def test_an_earlier_unsettled_delivery_outside_the_batch_rules_a_multiple_ack_out() -> None:
    retrying = Msg(A, 1)  # e.g. waiting for its delayed nack
    batch = [Msg(A, 2), Msg(A, 3)]
    tracker = delivered(retrying, *batch)
    assert tracker.covering(batch) is None
    tracker.discard(retrying)
    assert tracker.covering(batch) == Msg(A, 3)


def test_deliveries_on_two_channels_are_never_covered_by_one_ack() -> None:
    batch = [Msg(A, 1), Msg(B, 2)]
    assert delivered(*batch).covering(batch) is None


def test_tags_of_another_channel_do_not_interfere() -> None:
    batch = [Msg(A, 5), Msg(A, 6)]
    tracker = delivered(Msg(B, 1), *batch)  # e.g. the channel before a reconnect
    assert tracker.covering(batch) == Msg(A, 6)


def test_an_empty_batch_or_one_without_tags_is_not_covered() -> None:
    assert UnsettledDeliveries().covering([]) is None
    assert delivered(Msg(A, None)).covering([Msg(A, None)]) is None
