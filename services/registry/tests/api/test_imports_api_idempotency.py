"""Importing again through the API: the same file, a changed household, a person already registered,
and a replayed ``Idempotency-Key``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.domain.vocabulary import Relation

Registry = Any  # the ``registry`` fixture (api/conftest.py): the app's client, its database, importing
Helper = Callable[..., Any]  # ``drafts``, ``file_rows``, ``csv_file`` (api/conftest.py)


async def test_same_file_twice_changes_nothing(
    registry: Registry, drafts: Helper, file_rows: Helper, csv_file: Helper
) -> None:
    body = csv_file(file_rows(drafts(7)))
    first = await registry.run_import("township", "a.csv", body)
    before = (
        await registry.count("households"),
        await registry.count("members"),
        await registry.business_events(),
    )
    second = await registry.run_import("township", "a.csv", body)
    assert first["counts"]["households_created"] == 7
    assert second["counts"] == {
        "households_created": 0,
        "households_unchanged": 7,
        "households_rejected": 0,
        "errors": 0,
    }
    after = (
        await registry.count("households"),
        await registry.count("members"),
        await registry.business_events(),
    )
    assert after == before


async def test_person_of_another_household_and_changed_facts_are_refused(
    registry: Registry, drafts: Helper, file_rows: Helper, csv_file: Helper
) -> None:
    households = [h for h in drafts(12) if len(h.members) >= 2][:2]
    await registry.run_import("clerk", "a.csv", csv_file(file_rows(households)))
    before = await registry.business_events()
    changed = households[0].model_copy(update={"address": "搬到了五组"})
    job = await registry.run_import("clerk", "b.csv", csv_file(file_rows([changed])))
    different = next(e for e in job["errors"] if e["code"] == "household-already-registered")
    assert "地址" in different["message_zh"] and different["column"] == "户编号"
    mixed = households[1].model_copy(update={"members": [households[1].members[0], households[0].members[1]]})
    job = await registry.run_import("clerk", "c.csv", csv_file(file_rows([mixed])))
    taken = [e for e in job["errors"] if e["code"] == "person-already-registered"]
    assert [(e["row"], e["column"]) for e in taken] == [(3, "身份证号")]  # the head is at home in H2
    # A household headed by someone who is a member (not the head) of a registered household.
    child = households[0].members[1].model_copy(update={"relation": Relation.HEAD})
    split = households[0].model_copy(update={"members": [child], "bank_account": None})
    job = await registry.run_import("clerk", "d.csv", csv_file(file_rows([split])))
    assert [(e["row"], e["code"]) for e in job["errors"]] == [(2, "person-already-registered")]
    assert await registry.count("households") == 2
    assert await registry.business_events() == before


async def test_idempotency_key_replays_the_first_job(
    registry: Registry, drafts: Helper, file_rows: Helper, csv_file: Helper
) -> None:
    body = csv_file(file_rows(drafts(1, seed=41)))
    first = await registry.post_file("clerk", "a.csv", body, **{"Idempotency-Key": "k1"})
    again = await registry.post_file("clerk", "a.csv", body, **{"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert await registry.count("import_jobs") == 1
