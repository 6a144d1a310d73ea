"""Blocks of OS randomness: no byte handed out twice, per thread, and not again after a fork."""

from __future__ import annotations

import os
import threading

from jzkit.randomness import random_bytes


def test_draws_are_fresh_across_blocks_and_of_the_size_asked() -> None:
    draws = [random_bytes(12) for _ in range(5000)]  # about fifteen 4 KiB blocks
    assert {len(d) for d in draws} == {12}
    assert len(set(draws)) == len(draws)
    assert len(random_bytes(10_000)) == 10_000


def test_threads_draw_from_blocks_of_their_own() -> None:
    seen: list[bytes] = []

    def draw() -> None:
        seen.extend(random_bytes(12) for _ in range(1000))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == len(seen) == 4000


def test_a_forked_child_does_not_repeat_its_parents_bytes() -> None:
    random_bytes(12)  # the parent now holds a partly used block
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next draw and leave at once
        os.write(write, random_bytes(12))
        os._exit(0)
    os.close(write)
    child = os.read(read, 12)
    os.close(read)
    os.waitpid(pid, 0)
    assert child != random_bytes(12)
