"""Time-ordered identifiers (UUIDv7 layout) so cursors and indexes follow creation order."""

from __future__ import annotations

import time

from jzkit.randomness import random_bytes

_MS_MASK = (1 << 48) - 1


def new_id() -> str:
    """A new UUIDv7 string: 48-bit ms timestamp, version 7, variant 10, random tail."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(random_bytes(10), "big")
    rand_a = (rand >> 62) & 0xFFF
    rand_b = rand & ((1 << 62) - 1)
    value = ((ms & _MS_MASK) << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    # str(uuid.UUID(int=value)) spelt out: the UUID object costs more than the rest of the id.
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
