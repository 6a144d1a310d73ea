"""RFC 9162 §2.1 Merkle tree: tree heads, inclusion and consistency proofs, and their verification.

Hashing follows RFC 6962/9162 so any CT-style verifier can check our proofs: leaves and interior
nodes are hashed with different one-byte prefixes, which stops a leaf being passed off as a node.
Proof generation only ever asks for the hash of a leaf range [lo, hi), through ``RangeHasher``, so
the service can answer from cached subtree hashes while this module stays pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "LeafHashes",
    "Node",
    "RangeHasher",
    "StoredNodes",
    "consistency_nodes",
    "consistency_proof",
    "inclusion_nodes",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "nodes_of",
    "root",
    "root_from_inclusion",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
# MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """Return the RFC 9162 leaf hash SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """Return k, the largest power of two smaller than size (size >= 2), where RFC 9162 splits."""
    return 1 << ((size - 1).bit_length() - 1)


def _mth(hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, level by level: promoting an odd last node builds the RFC's tree."""
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


@runtime_checkable
class RangeHasher(Protocol):
    """Source of subtree hashes: MTH of the leaves [lo, hi); a caching store can implement it."""

    def subtree(self, lo: int, hi: int) -> bytes:
        """Return MTH(D[lo:hi]) for 0 <= lo < hi <= the number of leaves held."""
        ...


class LeafHashes:
    """RangeHasher over an in-memory list of leaf hashes; O(hi - lo) hashes per call."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self._leaves = leaf_hashes

    def __len__(self) -> int:
        return len(self._leaves)

    def subtree(self, lo: int, hi: int) -> bytes:
        """Return MTH(D[lo:hi])."""
        if not 0 <= lo < hi <= len(self._leaves):
            raise ValueError(f"range [{lo}, {hi}) is not a non-empty range of {len(self._leaves)} leaves")
        return _mth(self._leaves[lo:hi])


# A complete, aligned subtree: (level, idx) covers leaves [idx * 2**level, (idx + 1) * 2**level).
Node = tuple[int, int]


def nodes_of(lo: int, hi: int) -> list[Node]:
    """The complete, aligned subtrees whose hashes MTH(D[lo:hi]) is built from, left to right."""
    if not 0 <= lo < hi:
        raise ValueError(f"range [{lo}, {hi}) is not a non-empty range")
    size = hi - lo
    if size & (size - 1) == 0 and lo % size == 0:
        level = size.bit_length() - 1
        return [(level, lo >> level)]
    mid = lo + _split(size)
    return nodes_of(lo, mid) + nodes_of(mid, hi)


class StoredNodes:
    """RangeHasher over prefetched complete-subtree hashes (see ``nodes_of``); O(log n) per call."""

    def __init__(self, hashes: dict[Node, bytes]) -> None:
        self._hashes = hashes

    def subtree(self, lo: int, hi: int) -> bytes:
        """Return MTH(D[lo:hi]) from the stored subtrees it splits into (KeyError if one is missing)."""
        if not 0 <= lo < hi:
            raise ValueError(f"range [{lo}, {hi}) is not a non-empty range")
        size = hi - lo
        if size & (size - 1) == 0 and lo % size == 0:
            level = size.bit_length() - 1
            return self._hashes[(level, lo >> level)]
        mid = lo + _split(size)
        return node_hash(self.subtree(lo, mid), self.subtree(mid, hi))


class _Recorder:
    """RangeHasher that notes the ranges asked for and answers with a placeholder hash."""

    def __init__(self) -> None:
        self.ranges: list[tuple[int, int]] = []

    def subtree(self, lo: int, hi: int) -> bytes:
        self.ranges.append((lo, hi))
        return EMPTY_ROOT


def inclusion_nodes(index: int, tree_size: int) -> set[Node]:
    """The stored subtrees ``inclusion_proof(index, tree_size, ...)`` reads: O(log n) of them."""
    recorder = _Recorder()
    inclusion_proof(index, tree_size, recorder)
    return {node for lo, hi in recorder.ranges for node in nodes_of(lo, hi)}


def consistency_nodes(first: int, second: int) -> set[Node]:
    """The stored subtrees ``consistency_proof(first, second, ...)`` reads: O(log n) of them."""
    recorder = _Recorder()
    consistency_proof(first, second, recorder)
    return {node for lo, hi in recorder.ranges for node in nodes_of(lo, hi)}


def _hasher(source: Sequence[bytes] | RangeHasher, tree_size: int) -> RangeHasher:
    if isinstance(source, RangeHasher):
        return source
    if tree_size > len(source):
        raise ValueError(f"tree size {tree_size} exceeds the {len(source)} leaf hashes given")
    return LeafHashes(source)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return MTH, the Merkle tree hash of the given leaf hashes (EMPTY_ROOT for none)."""
    return _mth(leaf_hashes)


def inclusion_proof(index: int, tree_size: int, leaf_hashes: Sequence[bytes] | RangeHasher) -> list[bytes]:
    """Return PATH(index, D[tree_size]), the audit path from leaf to root, leaf side first."""
    if not 0 <= index < tree_size:
        raise ValueError(f"leaf index {index} is not in a tree of size {tree_size}")
    hasher = _hasher(leaf_hashes, tree_size)
    # Walk down from the root; each step records the sibling subtree. The RFC lists them bottom-up.
    path: list[bytes] = []
    lo, hi = 0, tree_size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            path.append(hasher.subtree(mid, hi))
            hi = mid
        else:
            path.append(hasher.subtree(lo, mid))
            lo = mid
    path.reverse()
    return path


def consistency_proof(first: int, second: int, leaf_hashes: Sequence[bytes] | RangeHasher) -> list[bytes]:
    """Return PROOF(first, D[second]); empty when first is 0 or equals second."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    hasher = _hasher(leaf_hashes, second)
    # SUBPROOF(m, D[lo:hi], whole) unrolled; `whole` is the RFC's b: still on the left edge, where
    # the old root itself is known to the verifier and need not be sent.
    proof: list[bytes] = []
    lo, hi, whole = 0, second, True
    while first != hi:
        mid = lo + _split(hi - lo)
        if first <= mid:
            proof.append(hasher.subtree(mid, hi))
            hi = mid
        else:
            proof.append(hasher.subtree(lo, mid))
            lo, whole = mid, False
    if not whole:
        proof.append(hasher.subtree(lo, hi))
    proof.reverse()
    return proof


def _well_formed(*hashes: bytes) -> bool:
    return all(len(item) == HASH_SIZE for item in hashes)


def root_from_inclusion(leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes]) -> bytes:
    """Return the root an inclusion proof implies (RFC 9162 §2.1.3.2); ValueError if malformed."""
    if not 0 <= index < tree_size:
        raise ValueError(f"leaf index {index} is not in a tree of size {tree_size}")
    if not _well_formed(leaf, *proof):
        raise ValueError("hashes must be 32 bytes")
    fn, sn, result = index, tree_size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ValueError("inclusion proof is longer than the tree is tall")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            # A right-edge node with no right sibling is promoted: skip the levels it rises through.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("inclusion proof is shorter than the tree is tall")
    return result


def verify_inclusion(leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Return whether proof shows leaf hash at index is in the tree of tree_size with this root."""
    try:
        return root_from_inclusion(leaf, index, tree_size, proof) == root
    except ValueError:
        return False


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Return whether proof shows the tree (first, first_root) is a prefix of (second, second_root)."""
    if not 0 <= first <= second or not _well_formed(first_root, second_root, *proof):
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        # Every tree extends the empty one; its head must still be the genuine empty root.
        return not proof and first_root == EMPTY_ROOT
    # RFC 9162 §2.1.4.2 from here on, step by step.
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        # The old tree is a complete subtree on the left edge: the proof omits it, the verifier has it.
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


class Frontier:
    """Compact range of a growing log: the roots of its perfect subtrees along the right edge.

    Holding one hash per set bit of the size lets a log of any length append in O(log n) and
    report its root without reading any earlier leaf back.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count() or not _well_formed(*hashes):
            raise ValueError(f"a frontier of size {size} holds {size.bit_count()} hashes of 32 bytes")
        self._size = size
        # Largest (leftmost) subtree first, as the bits of size read from the top.
        self._hashes = list(hashes)

    @property
    def size(self) -> int:
        """Return the number of leaves appended so far."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """Return the perfect-subtree hashes, leftmost first, for storing and restoring."""
        return tuple(self._hashes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Append one leaf hash, merging the equal-sized subtrees it completes.

        Return the subtrees completed above the leaf as (level, idx, hash), level 1 upwards: the
        nodes a store keeps so proofs need not rehash leaves.
        """
        if len(leaf) != HASH_SIZE:
            raise ValueError("leaf hashes are 32 bytes")
        node, size, level = leaf, self._size, 0
        completed: list[tuple[int, int, bytes]] = []
        while size & 1:
            node = node_hash(self._hashes.pop(), node)
            size >>= 1
            level += 1
            completed.append((level, self._size >> level, node))
        self._hashes.append(node)
        self._size += 1
        return completed

    def root(self) -> bytes:
        """Return the current tree head hash, MTH of every leaf appended."""
        if not self._hashes:
            return EMPTY_ROOT
        result = self._hashes[-1]
        for subtree in reversed(self._hashes[:-1]):
            result = node_hash(subtree, result)
        return result
