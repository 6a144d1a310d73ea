"""Events the registry publishes: every change carries the household's full facts snapshot.

A snapshot (rather than a diff) lets a consumer rebuild its projection from any single event;
``household_version`` lets it ignore a snapshot older than the one it already holds.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from jzkit.contracts.envelope import EventData


class MemberFacts(BaseModel):
    """One member as the identification engine needs it (no name, ID number only as a keyed hash)."""

    model_config = ConfigDict(extra="forbid")

    member_id: str
    relation: str
    sex: str
    birth_date: date
    disability: bool
    health: str
    education: str
    labour: str
    in_school: str | None
    id_number_masked: str
    id_number_hash: str


class BankAccountFacts(BaseModel):
    """The household's one card (一卡一户): masked for display, ciphertext for the funds service."""

    model_config = ConfigDict(extra="forbid")

    bank: str
    account_masked: str
    account_ciphertext: str
    # The card holder's name (a member), encrypted like the number: the payee name of a bank transfer.
    holder_name_ciphertext: str | None = None


class HouseholdFacts(BaseModel):
    """Everything about a household that eligibility rules read."""

    model_config = ConfigDict(extra="forbid")

    household_id: str
    household_version: int
    division_code: str
    status: str
    annual_net_income_fen: int
    members_count: int
    per_capita_income_fen: int
    housing: str
    poverty_causes: list[str]
    flags: dict[str, bool]
    has_disabled_member: bool
    single_child: bool
    all_daughters: bool
    bank_account: BankAccountFacts | None
    members: list[MemberFacts]


class HouseholdRegistered(EventData):
    """A household was registered (建档) with its members; snapshot of its facts."""

    event_type: ClassVar[str] = "registry.household.registered"
    household: HouseholdFacts


class HouseholdUpdated(EventData):
    """A household's record changed; ``changed_fields`` names what the PATCH set."""

    event_type: ClassVar[str] = "registry.household.updated"
    household: HouseholdFacts
    changed_fields: list[str]


class MemberAdded(EventData):
    """A member joined a household."""

    event_type: ClassVar[str] = "registry.member.added"
    household: HouseholdFacts
    member_id: str


class MemberRemoved(EventData):
    """A member left a household."""

    event_type: ClassVar[str] = "registry.member.removed"
    household: HouseholdFacts
    member_id: str


REGISTRY_EVENTS: tuple[type[EventData], ...] = (
    HouseholdRegistered,
    HouseholdUpdated,
    MemberAdded,
    MemberRemoved,
)
