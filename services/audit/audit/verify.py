"""Offline verification of an audit export: signature, origin, every leaf, the root, consistency.

Pure: the caller hands in the export's lines and the trusted key; nothing here touches the
network, the database or the file system, so an outside auditor can run it on a copy alone.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from audit.domain import merkle
from audit.domain.canonical import canonical_json
from audit.domain.checkpoint import Checkpoint, CheckpointError
from audit.domain.note import MalformedNoteError, NoteError, Verifier, open_note

__all__ = ["Verdict", "verify_export"]

UNTRUSTED_KEY_WARNING = (
    "warning: no trusted key given; checked against the key inside the export, which only shows "
    "the export is self-consistent (pass --vkey with the key published by the log operator)"
)


class _Failed(Exception):
    """The first check that failed, with the message shown to the user."""


@dataclass(frozen=True)
class Verdict:
    """Outcome of a verification: ``ok`` and one human-readable line, plus any warnings."""

    ok: bool
    message: str
    size: int = 0
    origin: str = ""
    warnings: list[str] = field(default_factory=list)


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise _Failed(f"{what}: not valid JSON") from None
    if not isinstance(value, dict):
        raise _Failed(f"{what}: not a JSON object")
    return value


def _b64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise _Failed(f"{what}: hash is not a base64 string")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise _Failed(f"{what}: hash is not valid base64") from None


def _open(note: str, verifier: Verifier, origin: str | None, what: str) -> Checkpoint:
    """Verify a signed checkpoint; a note without a valid signature by ``verifier`` fails."""
    try:
        text, _ = open_note(note, [verifier])
    except MalformedNoteError as exc:
        raise _Failed(f"{what} is malformed: {exc}") from None
    except NoteError as exc:
        raise _Failed(f"{what} signature invalid: {exc}") from None
    try:
        checkpoint = Checkpoint.parse(text)
    except CheckpointError as exc:
        raise _Failed(f"{what} is malformed: {exc}") from None
    # A genuine head of another log signed by the same key must not pass for this one.
    if origin is not None and checkpoint.origin != origin:
        raise _Failed(f"{what} origin {checkpoint.origin!r} is not {origin!r}")
    return checkpoint


def _header(lines: Iterator[tuple[int, str]]) -> dict[str, Any]:
    first = next(lines, None)
    if first is None:
        raise _Failed("the export is empty")
    header = _json_object(first[1], "line 1 (header)")
    if not isinstance(header.get("checkpoint"), str) or not isinstance(header.get("vkey"), str):
        raise _Failed("line 1 (header): needs string fields checkpoint and vkey")
    return header


def _entry(line_no: int, text: str, expected: int) -> tuple[int, bytes]:
    """Parse one entry line; return its index and recomputed leaf hash, failing on a bad one."""
    record = _json_object(text, f"entry {expected} (line {line_no})")
    index, entry = record.get("index"), record.get("entry")
    if not isinstance(index, int) or isinstance(index, bool) or not isinstance(entry, dict):
        raise _Failed(f"entry {expected} (line {line_no}): needs an integer index and an entry object")
    if index != expected:
        return index, b""  # ordering is judged by the caller, which can look ahead
    try:
        recomputed = merkle.leaf_hash(canonical_json(entry))
    except (TypeError, ValueError) as exc:
        raise _Failed(f"entry {index}: not canonicalisable JSON ({exc})") from None
    if _b64(record.get("leaf_hash"), f"entry {index}") != recomputed:
        raise _Failed(f"entry {index}: leaf hash does not match its content")
    return index, recomputed


def _misordered(lines: Iterator[tuple[int, str]], expected: int, got: int, line_no: int) -> str:
    """Name the first ordering fault: a later line holding a skipped index means reordering."""
    if got < expected:
        return f"entries out of order at line {line_no}: entry {got} repeated"
    for _, text in lines:
        try:
            later = json.loads(text).get("index")
        except (ValueError, AttributeError):
            continue
        if isinstance(later, int) and expected <= later < got:
            return f"entries out of order at line {line_no}: entry {got} where {expected} was expected"
    return f"entry {expected} missing"


def _consistency(previous: Checkpoint, current: Checkpoint, proof: Mapping[str, Any]) -> None:
    if proof.get("first") != previous.size or proof.get("second") != current.size:
        raise _Failed(
            f"consistency proof is for sizes {proof.get('first')}→{proof.get('second')}, "
            f"not {previous.size}→{current.size}"
        )
    hashes = proof.get("hashes")
    if not isinstance(hashes, list):
        raise _Failed("consistency proof: hashes must be a list")
    decoded = [_b64(h, "consistency proof") for h in hashes]
    if not merkle.verify_consistency(
        previous.size, current.size, previous.root_hash, current.root_hash, decoded
    ):
        raise _Failed(
            f"consistency proof fails: the checkpoint of size {previous.size} is not a prefix of this log"
        )


def _verify(
    lines: Iterable[str],
    vkey: str | None,
    origin: str | None,
    previous: str | None,
    proof: Mapping[str, Any] | None,
    warnings: list[str],
) -> Checkpoint:
    numbered = ((n, text) for n, text in enumerate(lines, start=1) if text.strip())
    header = _header(numbered)
    if vkey is None:
        warnings.append(UNTRUSTED_KEY_WARNING)
    try:
        verifier = Verifier((vkey or header["vkey"]).strip())
    except NoteError as exc:
        raise _Failed(f"verifier key is malformed: {exc}") from None
    checkpoint = _open(header["checkpoint"], verifier, origin, "checkpoint")
    earlier = _open(previous, verifier, checkpoint.origin, "previous checkpoint") if previous else None

    # A frontier keeps memory at O(log n) however long the export is.
    frontier = merkle.Frontier()
    for line_no, text in numbered:
        index, leaf = _entry(line_no, text, frontier.size)
        if index != frontier.size:
            raise _Failed(_misordered(numbered, frontier.size, index, line_no))
        frontier.append(leaf)
    if frontier.size != checkpoint.size or frontier.root() != checkpoint.root_hash:
        raise _Failed(
            "root mismatch: the log has been altered or truncated "
            f"({frontier.size} entries, checkpoint size {checkpoint.size})"
        )
    if earlier is not None:
        if proof is None:
            raise _Failed("a previous checkpoint needs a consistency proof")
        _consistency(earlier, checkpoint, proof)
    return checkpoint


def verify_export(
    lines: Iterable[str],
    vkey: str | None = None,
    origin: str | None = None,
    previous: str | None = None,
    consistency_proof: Mapping[str, Any] | None = None,
) -> Verdict:
    """Verify an export's lines against a trusted vkey; the verdict names the first failure."""
    warnings: list[str] = []
    try:
        checkpoint = _verify(lines, vkey, origin, previous, consistency_proof, warnings)
    except _Failed as failure:
        return Verdict(False, str(failure), warnings=warnings)
    message = f"OK: {checkpoint.size} entries verify under {checkpoint.origin} size {checkpoint.size}"
    return Verdict(True, message, checkpoint.size, checkpoint.origin, warnings)
