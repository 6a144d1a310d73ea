"""Registry events: built from the stored rows, written to the outbox in the same transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from jzkit.contracts.envelope import EventData, make_event
from jzkit.contracts.registry import BankAccountFacts, HouseholdFacts, MemberFacts
from jzkit.logs import request_id_var
from jzkit.messaging.outbox import record_event
from registry.domain.facts import derive
from registry.models import Household, Member

SOURCE = "/jingzhun/registry"


def household_facts(household: Household, members: list[Member]) -> HouseholdFacts:
    """The snapshot every registry event carries (no names, no clear ID or bank numbers)."""
    derived = derive(household.annual_net_income_fen, members)
    bank = None
    if household.bank_account_ciphertext and household.bank_name and household.bank_account_masked:
        bank = BankAccountFacts(
            bank=household.bank_name,
            account_masked=household.bank_account_masked,
            account_ciphertext=household.bank_account_ciphertext,
            holder_name_ciphertext=household.bank_holder_name_ciphertext,
        )
    return HouseholdFacts(
        household_id=household.id,
        household_version=household.version,
        division_code=household.division_code,
        status=household.status,
        annual_net_income_fen=household.annual_net_income_fen,
        members_count=derived.members_count,
        per_capita_income_fen=derived.per_capita_income_fen,
        housing=household.housing,
        poverty_causes=list(household.poverty_causes),
        flags=dict(household.flags),
        has_disabled_member=derived.has_disabled_member,
        single_child=derived.single_child,
        all_daughters=derived.all_daughters,
        bank_account=bank,
        members=[
            MemberFacts(
                member_id=m.id,
                relation=m.relation,
                sex=m.sex,
                birth_date=m.birth_date,
                disability=m.disability,
                health=m.health,
                education=m.education,
                labour=m.labour,
                in_school=m.in_school,
                id_number_masked=m.id_number_masked,
                id_number_hash=m.id_number_hash,
            )
            for m in members
        ],
    )


def emit(session: AsyncSession, data: EventData, household_id: str, actor: str, reason: str | None) -> None:
    """Stage ``data`` in the outbox with the actor and reason (for the audit log)."""
    event = make_event(
        data,
        source=SOURCE,
        subject=f"household/{household_id}",
        actor=actor,
        reason=reason,
        requestid=request_id_var.get(),
    )
    record_event(session, event)
