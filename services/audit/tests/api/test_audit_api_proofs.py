"""Signed tree heads and Merkle proofs from the API verify with the pure domain code."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from audit.domain import merkle
from audit.domain.checkpoint import Checkpoint, open_checkpoint
from audit.domain.note import Verifier

AuditApi = Any  # the ``audit_api`` fixture (conftest.py): client, bus and tokens
EventFactory = Callable[..., Any]
LUCHANG = "510822104201"

ORIGIN = "jingzhun.local/audit"


async def head(api: AuditApi) -> Checkpoint:
    """The current tree head, verified with the key the API publishes."""
    key = await api.get("auditor", "/api/v1/audit/key")
    assert key.headers["content-type"].startswith("text/plain")
    note = await api.get("township", "/api/v1/audit/tree-head")
    assert note.status_code == 200 and note.headers["content-type"].startswith("text/plain")
    return open_checkpoint(note.text, Verifier(key.text.strip()), ORIGIN)


async def publish(api: AuditApi, event_about: EventFactory, count: int) -> None:
    for n in range(count):
        await api.bus.publish(event_about(LUCHANG, f"hh-{n}"))


def hashes(body: dict[str, Any]) -> list[bytes]:
    return [base64.b64decode(h) for h in body["hashes"]]


async def test_the_empty_log_has_a_signed_head_of_size_zero(
    audit_api: AuditApi, event_about: EventFactory
) -> None:
    checkpoint = await head(audit_api)
    assert (checkpoint.size, checkpoint.root_hash) == (0, merkle.EMPTY_ROOT)


async def test_the_head_root_is_the_merkle_root_of_the_entries(
    audit_api: AuditApi, event_about: EventFactory
) -> None:
    await publish(audit_api, event_about, 7)
    checkpoint = await head(audit_api)
    leaves = [base64.b64decode(i["leaf_hash"]) for i in await audit_api.entries("auditor")]
    assert checkpoint.size == 7
    assert checkpoint.root_hash == merkle.root(leaves)


async def test_every_entry_has_an_inclusion_proof_under_the_head(
    audit_api: AuditApi, event_about: EventFactory
) -> None:
    await publish(audit_api, event_about, 6)
    checkpoint = await head(audit_api)
    for item in await audit_api.entries("auditor"):
        r = await audit_api.get(
            "township", "/api/v1/audit/proofs/inclusion", index=item["index"], tree_size=checkpoint.size
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["leaf_index"], body["tree_size"]) == (item["index"], checkpoint.size)
        leaf = base64.b64decode(item["leaf_hash"])
        assert merkle.verify_inclusion(
            leaf, item["index"], checkpoint.size, hashes(body), checkpoint.root_hash
        )


async def test_a_later_head_is_consistent_with_an_earlier_one(
    audit_api: AuditApi, event_about: EventFactory
) -> None:
    await publish(audit_api, event_about, 3)
    old = await head(audit_api)
    await publish(audit_api, event_about, 4)
    new = await head(audit_api)
    r = await audit_api.get("auditor", "/api/v1/audit/proofs/consistency", first=old.size, second=new.size)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["first"], body["second"]) == (3, 7)
    assert merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, hashes(body))


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("inclusion", {"index": 3, "tree_size": 3}, "index"),
        ("inclusion", {"index": 0, "tree_size": 4}, "tree_size"),
        ("inclusion", {"index": 0, "tree_size": 0}, "index"),
        ("inclusion", {"index": -1, "tree_size": 2}, "index"),
        ("consistency", {"first": 3, "second": 2}, "first"),
        ("consistency", {"first": 1, "second": 4}, "second"),
        ("consistency", {"first": "x", "second": 2}, "first"),
    ],
)
async def test_bad_proof_arguments_are_422_naming_the_field(
    audit_api: AuditApi, event_about: EventFactory, path: str, params: dict[str, Any], field: str
) -> None:
    await publish(audit_api, event_about, 3)
    r = await audit_api.get("auditor", f"/api/v1/audit/proofs/{path}", **params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"].endswith(field)
