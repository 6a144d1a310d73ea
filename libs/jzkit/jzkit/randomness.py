"""OS randomness in blocks: ids and nonces draw a few bytes each, thousands of times per import.

Every ``os.urandom`` call is a syscall that releases the GIL; a worker thread building rows then
waits to get it back from the event loop thread, once per id and per nonce. Drawing from a block
costs one syscall per few hundred draws. Bytes are never handed out twice: each thread has its own
block, and a forked child forgets its parent's blocks (it would otherwise repeat their bytes).
"""

from __future__ import annotations

import os
import threading

_BLOCK_BYTES = 4096


class _Block(threading.local):
    data = b""
    at = 0


_blocks = _Block()


def random_bytes(n: int) -> bytes:
    """``n`` bytes from the OS's CSPRNG, as ``os.urandom(n)``."""
    block = _blocks
    end = block.at + n
    if end > len(block.data):
        if n > _BLOCK_BYTES:
            return os.urandom(n)
        block.data, block.at, end = os.urandom(_BLOCK_BYTES), 0, n
    out = block.data[block.at : end]
    block.at = end
    return out


def _forget_blocks() -> None:
    global _blocks  # replaced in a forked child only
    _blocks = _Block()


os.register_at_fork(after_in_child=_forget_blocks)
