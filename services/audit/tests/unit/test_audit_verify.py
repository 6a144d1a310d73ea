"""The offline verifier accepts a genuine export and names the first fault of a tampered one."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from audit.domain import merkle
from audit.domain.checkpoint import Checkpoint, sign_checkpoint
from audit.domain.entry import EventEntry, event_entry
from audit.domain.note import Signer
from audit.verify import UNTRUSTED_KEY_WARNING, verify_export

ORIGIN = "audit.jingzhun.test/log"
T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def make_entries(count: int, rewrite: int | None = None) -> list[EventEntry]:
    """A log of household events; ``rewrite`` changes that entry's subject (a forked history)."""
    entries = []
    for n in range(count):
        subject = f"hh-{n}" if n != rewrite else f"hh-{n}-rewritten"
        envelope = {
            "id": f"evt-{n:04d}",
            "type": "registry.household.registered",
            "source": "jingzhun/registry",
            "subject": subject,
            "data": {"household": {"household_id": subject, "division_code": "510822104201", "income": 1.5}},
        }
        entries.append(event_entry(envelope, T0 + timedelta(seconds=n)))
    return entries


def head(signer: Signer, entries: list[EventEntry], size: int | None = None) -> str:
    size = len(entries) if size is None else size
    root = merkle.root([e.leaf_hash for e in entries[:size]])
    return sign_checkpoint(signer, Checkpoint(ORIGIN, size, root))


def export(signer: Signer, entries: list[EventEntry], note: str | None = None) -> list[str]:
    """The export's lines, formatted as the API writes them."""
    header = json.dumps({"checkpoint": note or head(signer, entries), "vkey": signer.vkey})
    rows = [
        f'{{"index":{i},"entry":{e.entry_json},"leaf_hash":"{base64.b64encode(e.leaf_hash).decode()}"}}'
        for i, e in enumerate(entries)
    ]
    return [header, *rows]


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate(ORIGIN)


@pytest.fixture(scope="module")
def entries() -> list[EventEntry]:
    return make_entries(20)


def test_a_genuine_export_verifies(signer: Signer, entries: list[EventEntry]) -> None:
    verdict = verify_export(export(signer, entries), signer.vkey, ORIGIN)
    assert verdict.ok, verdict.message
    assert verdict.message == f"OK: 20 entries verify under {ORIGIN} size 20"
    assert verdict.warnings == []


def test_without_a_trusted_key_it_verifies_with_the_exports_key_but_warns(
    signer: Signer, entries: list[EventEntry]
) -> None:
    verdict = verify_export(export(signer, entries))
    assert verdict.ok and verdict.warnings == [UNTRUSTED_KEY_WARNING]


def test_one_changed_byte_in_an_entry_is_named_by_its_index(
    signer: Signer, entries: list[EventEntry]
) -> None:
    lines = export(signer, entries)
    assert '"hh-17"' in lines[18]
    lines[18] = lines[18].replace('"hh-17"', '"hh-71"', 1)
    verdict = verify_export(lines, signer.vkey, ORIGIN)
    assert not verdict.ok and verdict.message == "entry 17: leaf hash does not match its content"


def test_an_entry_rewritten_with_a_matching_leaf_hash_breaks_the_root(
    signer: Signer, entries: list[EventEntry]
) -> None:
    forged = make_entries(20, rewrite=4)
    lines = export(signer, entries)
    lines[5] = export(signer, forged)[5]
    verdict = verify_export(lines, signer.vkey, ORIGIN)
    assert verdict.message.startswith("root mismatch: the log has been altered or truncated")


def test_a_deleted_row_is_reported_missing(signer: Signer, entries: list[EventEntry]) -> None:
    lines = export(signer, entries)
    del lines[6]  # entry 5
    assert verify_export(lines, signer.vkey, ORIGIN).message == "entry 5 missing"


def test_two_swapped_rows_are_reported_out_of_order(signer: Signer, entries: list[EventEntry]) -> None:
    lines = export(signer, entries)
    lines[6], lines[7] = lines[7], lines[6]  # entries 5 and 6; entry 6 now on line 7
    verdict = verify_export(lines, signer.vkey, ORIGIN)
    assert verdict.message == "entries out of order at line 7: entry 6 where 5 was expected"


def test_a_repeated_row_is_reported(signer: Signer, entries: list[EventEntry]) -> None:
    lines = export(signer, entries)
    lines.insert(4, lines[3])
    assert (
        verify_export(lines, signer.vkey, ORIGIN).message
        == "entries out of order at line 5: entry 2 repeated"
    )


def test_a_truncated_log_does_not_match_the_checkpoint(signer: Signer, entries: list[EventEntry]) -> None:
    lines = export(signer, entries)[:-3]
    verdict = verify_export(lines, signer.vkey, ORIGIN)
    assert not verdict.ok
    assert verdict.message == (
        "root mismatch: the log has been altered or truncated (17 entries, checkpoint size 20)"
    )


def test_a_checkpoint_signed_by_another_key_is_refused(signer: Signer, entries: list[EventEntry]) -> None:
    impostor = Signer.generate(ORIGIN)
    verdict = verify_export(export(impostor, entries), signer.vkey, ORIGIN)
    assert not verdict.ok and verdict.message.startswith("checkpoint signature invalid")


def test_a_checkpoint_of_another_origin_is_refused(signer: Signer, entries: list[EventEntry]) -> None:
    verdict = verify_export(export(signer, entries), signer.vkey, "other.example/log")
    assert verdict.message == f"checkpoint origin {ORIGIN!r} is not 'other.example/log'"


def proof(first: int, second: int, entries: list[EventEntry]) -> dict[str, object]:
    hashes = merkle.consistency_proof(first, second, [e.leaf_hash for e in entries])
    return {"first": first, "second": second, "hashes": [base64.b64encode(h).decode() for h in hashes]}


def test_a_consistency_proof_from_an_earlier_head_verifies(signer: Signer, entries: list[EventEntry]) -> None:
    earlier = head(signer, entries, 12)
    verdict = verify_export(export(signer, entries), signer.vkey, ORIGIN, earlier, proof(12, 20, entries))
    assert verdict.ok, verdict.message


def test_a_head_of_a_rewritten_history_fails_the_consistency_check(
    signer: Signer, entries: list[EventEntry]
) -> None:
    # The operator once showed a head over a log whose entry 3 differed: the current log cannot extend it.
    forked = head(signer, make_entries(20, rewrite=3), 12)
    verdict = verify_export(export(signer, entries), signer.vkey, ORIGIN, forked, proof(12, 20, entries))
    assert verdict.message == "consistency proof fails: the checkpoint of size 12 is not a prefix of this log"


def test_a_proof_for_other_sizes_is_refused(signer: Signer, entries: list[EventEntry]) -> None:
    verdict = verify_export(
        export(signer, entries), signer.vkey, ORIGIN, head(signer, entries, 12), proof(10, 20, entries)
    )
    assert verdict.message == "consistency proof is for sizes 10→20, not 12→20"


def test_a_previous_head_signed_by_another_key_is_refused(signer: Signer, entries: list[EventEntry]) -> None:
    earlier = head(Signer.generate(ORIGIN), entries, 12)
    verdict = verify_export(export(signer, entries), signer.vkey, ORIGIN, earlier, proof(12, 20, entries))
    assert verdict.message.startswith("previous checkpoint signature invalid")
