"""Event contracts: explicit type strings, versioned schemas, and an AsyncAPI document kept current."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from jzkit.contracts.catalog import EVENT_TYPES, asyncapi
from jzkit.contracts.envelope import CloudEvent, encode_event, make_event
from jzkit.contracts.registry import BankAccountFacts, HouseholdFacts, HouseholdRegistered, MemberFacts

ROOT = Path(__file__).resolve().parents[4]


# The design names "funds disbursed" as ``funds.disbursed``: the one type without an entity.
NAMED_BY_DESIGN = {"funds.disbursed"}


def test_event_types_follow_service_entity_verb() -> None:
    for event_type in EVENT_TYPES:
        parts = event_type.split(".")
        assert len(parts) == 3 or event_type in NAMED_BY_DESIGN, event_type
        assert parts[0] in {"registry", "identification", "funds"}, event_type
        assert parts[-1].endswith("ed"), event_type
        assert EVENT_TYPES[event_type].event_type == event_type


def test_envelope_is_cloudevents_json_round_trip() -> None:
    facts = HouseholdFacts(
        household_id="h1",
        household_version=1,
        division_code="510822104201",
        status="registered",
        annual_net_income_fen=600000,
        members_count=1,
        per_capita_income_fen=600000,
        housing="unsafe",
        poverty_causes=["illness"],
        flags={"dibao": False},
        has_disabled_member=False,
        single_child=False,
        all_daughters=False,
        bank_account=None,
        members=[],
    )
    data = HouseholdRegistered(household=facts)
    event = make_event(data, source="/jingzhun/registry", subject="household/h1", actor="clerk", reason="r")
    doc = json.loads(event.to_json())
    assert doc["specversion"] == "1.0"
    assert doc["type"] == "registry.household.registered"
    assert doc["dataschema"] == "urn:jingzhun:schema:registry.household.registered:v1"
    assert doc["time"].endswith("Z") or doc["time"].endswith("+00:00")
    assert CloudEvent.model_validate_json(event.to_json()).id == event.id


def test_encoded_event_is_byte_for_byte_make_event_to_json() -> None:
    member = MemberFacts(
        member_id="m1",
        relation="head",
        sex="female",
        birth_date=date(1956, 6, 21),
        disability=True,
        health="serious_illness",
        education="primary",
        labour="none",
        in_school=None,
        id_number_masked="5108**********7664",
        id_number_hash="ab" * 32,
    )
    facts = HouseholdFacts(
        household_id="h1",
        household_version=1,
        division_code="510822104201",
        status="registered",
        annual_net_income_fen=600000,
        members_count=2,
        per_capita_income_fen=300000,
        housing="unsafe",
        poverty_causes=["illness", "缺土地"],
        flags={"dibao": True, "wubao": False},
        has_disabled_member=True,
        single_child=False,
        all_daughters=False,
        bank_account=BankAccountFacts(
            bank='农村"信用社\\', account_masked="6267***7458", account_ciphertext="a+/="
        ),
        members=[member, member.model_copy(update={"in_school": "primary"})],
    )
    data = HouseholdRegistered(household=facts)
    args = {"source": "/jingzhun/registry", "subject": "household/h1", "actor": "clerk", "reason": "导入"}
    encoded = encode_event(data, **args)
    event = CloudEvent.model_validate_json(encoded.json)
    expected = make_event(data, **args).model_copy(update={"id": event.id, "time": event.time})
    assert (encoded.id, encoded.type) == (event.id, "registry.household.registered")
    assert encoded.to_json() == expected.to_json()


def test_committed_asyncapi_document_matches_the_contracts() -> None:
    committed = json.loads((ROOT / "docs" / "asyncapi.json").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(asyncapi())), "regenerate with: python -m jingzhun asyncapi"
    assert set(committed["channels"]) == set(EVENT_TYPES)
