"""Table rows and the registered event for households an import creates.

The API path builds ORM objects (``service.register_household``); constructing those costs about
80 µs per member, which dominates a province-sized import, so this path builds plain column
values with the same content: encrypted/masked/hashed ID and bank numbers, derived counts, and
the event snapshot of ``events.publish.household_facts`` (tests compare both paths).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jzkit import idnumber
from jzkit.contracts.envelope import encode_event
from jzkit.contracts.registry import HouseholdFacts, HouseholdRegistered
from jzkit.ids import new_id
from jzkit.messaging.outbox import outbox_row_values
from jzkit.pii import PiiCipher
from registry.domain.facts import derive
from registry.domain.household import HouseholdDraft, MemberDraft, holder_name
from registry.events.publish import SOURCE
from registry.views import mask_account

Row = dict[str, object]
REGISTERED_STATUS = "registered"


@dataclass(frozen=True)
class NewHousehold:
    """Column values of one household, its members and its outbox row."""

    household: Row
    members: list[Row]
    outbox: Row


def member_values(draft: MemberDraft, household_id: str, pii: PiiCipher, now: datetime) -> Row:
    """The members-table row of a checked member (same content as ``service.member_row``)."""
    assert draft.birth_date is not None  # filled from the ID number by check_member
    return {
        "id": new_id(),
        "household_id": household_id,
        "name": draft.name,
        "id_number_ciphertext": pii.encrypt(draft.id_number),
        "id_number_masked": idnumber.mask(draft.id_number),
        "id_number_hash": pii.blind_index(draft.id_number),
        "relation": draft.relation.value,
        "sex": draft.sex.value,
        "birth_date": draft.birth_date,
        "disability": draft.disability,
        "health": draft.health.value,
        "education": draft.education.value,
        "labour": draft.labour.value,
        "in_school": draft.in_school.value if draft.in_school else None,
        "created_at": now,
    }


def _encrypted_holder_name(draft: HouseholdDraft, pii: PiiCipher) -> str | None:
    name = holder_name(draft)
    return pii.encrypt(name) if name else None


def household_values(draft: HouseholdDraft, pii: PiiCipher, actor: str, now: datetime) -> Row:
    """The households-table row of a checked draft (as ``service.register_household`` stores it)."""
    bank = draft.bank_account
    return {
        "id": new_id(),
        "division_code": draft.division_code,
        "address": draft.address,
        "annual_net_income_fen": draft.annual_net_income_fen,
        "members_count": len(draft.members),
        "per_capita_income_fen": draft.annual_net_income_fen // len(draft.members),
        "housing": draft.housing.value,
        "poverty_causes": [c.value for c in draft.poverty_causes],
        "flags": draft.flags.model_dump(),
        "responsible_person": draft.responsible_person.model_dump() if draft.responsible_person else None,
        "assistance_plan": draft.assistance_plan,
        "measures": [m.model_dump(mode="json") for m in draft.measures],
        "results": [r.model_dump(mode="json") for r in draft.results],
        "bank_name": bank.bank if bank else None,
        "bank_account_ciphertext": pii.encrypt(bank.account_number) if bank else None,
        "bank_account_masked": mask_account(bank.account_number) if bank else None,
        "bank_account_hash": pii.blind_index(bank.account_number) if bank else None,
        "bank_holder_hash": pii.blind_index(bank.holder_id_number) if bank else None,
        "bank_holder_name_ciphertext": _encrypted_holder_name(draft, pii),
        "status": REGISTERED_STATUS,
        "status_changed_at": None,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_by": actor,
        "updated_by": actor,
    }


_MEMBER_FACTS = ("relation", "sex", "birth_date", "disability", "health", "education", "labour", "in_school")


def registered_facts(draft: HouseholdDraft, household: Row, members: list[Row]) -> HouseholdFacts:
    """The snapshot ``household_facts`` builds from stored rows, built from the rows about to be stored."""
    derived = derive(draft.annual_net_income_fen, draft.members)
    bank = None
    if draft.bank_account is not None:
        bank = {
            "bank": draft.bank_account.bank,
            "account_masked": household["bank_account_masked"],
            "account_ciphertext": household["bank_account_ciphertext"],
            "holder_name_ciphertext": household["bank_holder_name_ciphertext"],
        }
    # One validation of plain data (nested members included) is the cheapest way to the model.
    return HouseholdFacts.model_validate(
        {
            "household_id": household["id"],
            "household_version": household["version"],
            "division_code": draft.division_code,
            "status": household["status"],
            "annual_net_income_fen": draft.annual_net_income_fen,
            "members_count": derived.members_count,
            "per_capita_income_fen": derived.per_capita_income_fen,
            "housing": household["housing"],
            "poverty_causes": household["poverty_causes"],
            "flags": household["flags"],
            "has_disabled_member": derived.has_disabled_member,
            "single_child": derived.single_child,
            "all_daughters": derived.all_daughters,
            "bank_account": bank,
            "members": [
                {
                    "member_id": m["id"],
                    **{k: m[k] for k in _MEMBER_FACTS},
                    "id_number_masked": m["id_number_masked"],
                    "id_number_hash": m["id_number_hash"],
                }
                for m in members
            ],
        }
    )


def new_household(
    draft: HouseholdDraft, pii: PiiCipher, actor: str, reason: str, now: datetime
) -> NewHousehold:
    """Rows and the ``registry.household.registered`` outbox row for a household to create."""
    household = household_values(draft, pii, actor, now)
    household_id = str(household["id"])
    members = [member_values(m, household_id, pii, now) for m in draft.members]
    event = encode_event(
        HouseholdRegistered(household=registered_facts(draft, household, members)),
        source=SOURCE,
        subject=f"household/{household_id}",
        actor=actor,
        reason=reason,
    )
    return NewHousehold(household=household, members=members, outbox=outbox_row_values(event))
