"""RFC 9162 Merkle tree: CT known answers, an independent recursive reference, and properties."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.domain.merkle import (
    EMPTY_ROOT,
    Frontier,
    LeafHashes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)

# transparency-dev/merkle testonly/constants.go (the RFC 6962 / certificate-transparency test tree).
LEAF_INPUTS = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
ROOTS = [
    bytes.fromhex(h)
    for h in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]
# NodeHashes()[level][index]: every complete subtree of the 8-leaf tree.
NODES = [
    [
        bytes.fromhex(h)
        for h in [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
        ]
    ],
    [
        bytes.fromhex(h)
        for h in [
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        ]
    ],
    [
        bytes.fromhex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        bytes.fromhex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]
LEAVES = [leaf_hash(data) for data in LEAF_INPUTS]


def n(level: int, index: int) -> bytes:
    return NODES[level][index]


# (index, size, proof): transparency-dev/merkle proof/verify_test.go inclusionProofs (made 0-based)
# plus proof/proof_test.go TestInclusion node lists, resolved through NODES.
INCLUSION = [
    (0, 1, []),
    (0, 8, [n(0, 1), n(1, 1), n(2, 1)]),
    (5, 8, [n(0, 4), n(1, 3), n(2, 0)]),
    (2, 3, [n(1, 0)]),
    (1, 5, [n(0, 0), n(1, 1), n(0, 4)]),
    (1, 3, [n(0, 0), n(0, 2)]),
    (4, 7, [n(0, 5), n(0, 6), n(2, 0)]),
    (6, 7, [n(1, 2), n(2, 0)]),
    (3, 5, [n(0, 2), n(1, 0), n(0, 4)]),
    (4, 6, [n(0, 5), n(2, 0)]),
    (0, 7, [n(0, 1), n(1, 1), node_hash(n(1, 2), n(0, 6))]),
]
# (first, second, proof): verify_test.go consistencyProofs plus proof_test.go TestConsistency.
CONSISTENCY = [
    (1, 1, []),
    (1, 8, [n(0, 1), n(1, 1), n(2, 1)]),
    (6, 8, [n(1, 2), n(1, 3), n(2, 0)]),
    (2, 5, [n(1, 1), n(0, 4)]),
    (6, 7, [n(1, 2), n(0, 6), n(2, 0)]),
    (1, 2, [n(0, 1)]),
    (2, 8, [n(1, 1), n(2, 1)]),
    (5, 7, [n(0, 4), n(0, 5), n(0, 6), n(2, 0)]),
    (7, 8, [n(0, 6), n(0, 7), n(1, 2), n(2, 0)]),
    (3, 5, [n(0, 2), n(0, 3), n(1, 0), n(0, 4)]),
    (4, 7, [node_hash(n(1, 2), n(0, 6))]),
]


def test_hash_prefixes() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest() == n(0, 0)
    assert node_hash(n(0, 0), n(0, 1)) == n(1, 0)
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("size", range(9))
def test_known_roots(size: int) -> None:
    assert root(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_known_inclusion_proofs(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(index, size, LEAVES) == proof
    assert verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_known_consistency_proofs(first: int, second: int, proof: list[bytes]) -> None:
    assert consistency_proof(first, second, LEAVES) == proof
    assert verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)


# --- An independent reference, transcribed from the recursive definitions of RFC 9162 §2.1. ---


def ref_k(size: int) -> int:
    k = 1
    while k * 2 < size:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    if len(d) == 0:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = ref_k(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = ref_k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = ref_k(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


REF_ENTRIES = [i.to_bytes(2, "big") * (i % 3) for i in range(70)]
REF_LEAVES = [leaf_hash(entry) for entry in REF_ENTRIES]
REF_ROOTS = [ref_mth(REF_ENTRIES[:size]) for size in range(71)]


def test_reference_agrees_with_known_roots() -> None:
    assert [ref_mth(LEAF_INPUTS[:size]) for size in range(9)] == ROOTS


@pytest.mark.parametrize("size", range(1, 71))
def test_against_reference_for_every_index_and_earlier_size(size: int) -> None:
    entries = REF_ENTRIES[:size]
    assert root(REF_LEAVES[:size]) == REF_ROOTS[size]
    for index in range(size):
        proof = inclusion_proof(index, size, REF_LEAVES)
        assert proof == ref_path(index, entries)
        assert verify_inclusion(REF_LEAVES[index], index, size, proof, REF_ROOTS[size])
    for first in range(1, size + 1):
        proof = consistency_proof(first, size, REF_LEAVES)
        assert proof == (ref_subproof(first, entries, True) if first < size else [])
        assert verify_consistency(first, size, REF_ROOTS[first], REF_ROOTS[size], proof)


def test_range_hasher_is_pluggable() -> None:
    calls: list[tuple[int, int]] = []

    class Recording(LeafHashes):
        def subtree(self, lo: int, hi: int) -> bytes:
            calls.append((lo, hi))
            return super().subtree(lo, hi)

    assert inclusion_proof(4, 7, Recording(LEAVES)) == [n(0, 5), n(0, 6), n(2, 0)]
    assert calls == [(0, 4), (6, 7), (5, 6)]


def test_edge_cases() -> None:
    assert consistency_proof(0, 5, LEAVES) == []
    assert consistency_proof(5, 5, LEAVES) == []
    assert verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    assert not verify_consistency(0, 5, ROOTS[1], ROOTS[5], [])  # a lying empty head
    assert verify_consistency(5, 5, ROOTS[5], ROOTS[5], [])
    assert not verify_consistency(5, 5, ROOTS[5], ROOTS[5], [n(0, 0)])
    assert not verify_consistency(5, 5, ROOTS[5], ROOTS[4], [])
    assert not verify_consistency(6, 5, ROOTS[6], ROOTS[5], [])
    assert not verify_consistency(2, 5, ROOTS[2], ROOTS[5], [])
    assert not verify_inclusion(LEAVES[0], 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(LEAVES[1], 1, 1, [], LEAVES[1])
    assert not verify_inclusion(b"short", 0, 1, [], b"short")
    assert not verify_inclusion(LEAVES[0], 0, 2, [LEAVES[1] + b"\x00"], ROOTS[2])
    assert root_from_inclusion(LEAVES[2], 2, 3, [n(1, 0)]) == ROOTS[3]
    for bad in [(-1, 3), (3, 3), (0, 0)]:
        with pytest.raises(ValueError):
            inclusion_proof(*bad, LEAVES)
    with pytest.raises(ValueError):
        inclusion_proof(0, 9, LEAVES)  # more leaves asked for than given
    with pytest.raises(ValueError):
        consistency_proof(6, 5, LEAVES)
    with pytest.raises(ValueError):
        Frontier(3, [n(0, 0)])


def test_frontier_known_compact_ranges() -> None:
    frontier = Frontier()
    assert frontier.root() == EMPTY_ROOT
    for size, leaf in enumerate(LEAVES, start=1):
        frontier.append(leaf)
        assert frontier.size == size
        assert frontier.root() == ROOTS[size]
    # CompactTrees() from constants.go: size 7 holds the subtrees [0,4), [4,6), [6,7).
    restored = Frontier(7, [n(2, 0), n(1, 2), n(0, 6)])
    assert restored.root() == ROOTS[7]
    restored.append(LEAVES[7])
    assert restored.hashes == (n(3, 0),)


# --- Properties. ---

# Distinct entries: with repeated leaves a "wrong" index can honestly prove a different, equal leaf.
entries = st.lists(st.binary(max_size=8), min_size=1, max_size=48, unique=True)


def _flip(data: bytes, bit: int) -> bytes:
    bit %= len(data) * 8
    return data[: bit // 8] + bytes([data[bit // 8] ^ (1 << (bit % 8))]) + data[bit // 8 + 1 :]


@settings(max_examples=150, deadline=None)
@given(entries, st.data())
def test_inclusion_proofs_verify_and_any_tampering_fails(items: list[bytes], data: st.DataObject) -> None:
    leaves = [leaf_hash(item) for item in items]
    size = data.draw(st.integers(1, len(leaves)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    head = root(leaves[:size])
    proof = inclusion_proof(index, size, leaves)
    assert verify_inclusion(leaves[index], index, size, proof, head)
    bit = data.draw(st.integers(0, 255), label="bit")
    assert not verify_inclusion(_flip(leaves[index], bit), index, size, proof, head)
    assert not verify_inclusion(leaves[index], index, size, proof, _flip(head, bit))
    for position in range(len(proof)):
        tampered = [*proof[:position], _flip(proof[position], bit), *proof[position + 1 :]]
        assert not verify_inclusion(leaves[index], index, size, tampered, head)
    for other_index in {index - 1, index + 1, index ^ 2}:
        if other_index != index:
            assert not verify_inclusion(leaves[index], other_index, size, proof, head)
    for other_size in {size - 1, size + 1, size * 2, size // 2}:
        # RFC 9162 verification reads only the path's shape from tree_size, so a size whose path for
        # this index has the same shape (e.g. index 0 in sizes 3 and 4) verifies too: the signed tree
        # head, not the path, binds the size. Every size with a different path length must fail.
        if other_size <= index or len(inclusion_proof(index, other_size, [b"\x00" * 32] * other_size)) != len(
            proof
        ):
            assert not verify_inclusion(leaves[index], index, other_size, proof, head)


@settings(max_examples=150, deadline=None)
@given(entries, st.data())
def test_consistency_proofs_verify_and_any_tampering_fails(items: list[bytes], data: st.DataObject) -> None:
    leaves = [leaf_hash(item) for item in items]
    second = data.draw(st.integers(1, len(leaves)), label="second")
    first = data.draw(st.integers(1, second), label="first")
    first_root, second_root = root(leaves[:first]), root(leaves[:second])
    proof = consistency_proof(first, second, leaves)
    assert verify_consistency(first, second, first_root, second_root, proof)
    if first == second:
        return
    bit = data.draw(st.integers(0, 255), label="bit")
    assert not verify_consistency(first, second, _flip(first_root, bit), second_root, proof)
    assert not verify_consistency(first, second, first_root, _flip(second_root, bit), proof)
    for position in range(len(proof)):
        tampered = [*proof[:position], _flip(proof[position], bit), *proof[position + 1 :]]
        assert not verify_consistency(first, second, first_root, second_root, tampered)
    assert not verify_consistency(first, second, first_root, second_root, proof[:-1])
    assert not verify_consistency(first, second, first_root, second_root, [*proof, first_root])
    for other_first in {first - 1, first + 1}:
        if 0 < other_first < second and root(leaves[:other_first]) != first_root:
            assert not verify_consistency(other_first, second, first_root, second_root, proof)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=4), max_size=80))
def test_frontier_root_matches_every_prefix(items: list[bytes]) -> None:
    leaves = [leaf_hash(item) for item in items]
    frontier = Frontier()
    for size, leaf in enumerate(leaves, start=1):
        frontier.append(leaf)
        assert frontier.root() == root(leaves[:size])
        assert len(frontier.hashes) == size.bit_count()
    assert Frontier(frontier.size, frontier.hashes).root() == frontier.root()
