"""Response documents of the registry, masked by the caller's role."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from jzkit.auth import Principal
from jzkit.idnumber import mask
from jzkit.pii import PiiCipher
from registry.domain.facts import derive
from registry.domain.visibility import sees_full_bank_accounts, sees_full_id_numbers
from registry.models import Division, Household, Member


class DivisionOut(BaseModel):
    """An administrative division."""

    code: str
    name: str
    level: str
    parent_code: str | None


class DivisionList(BaseModel):
    """Divisions in code order."""

    items: list[DivisionOut]


class DivisionWithAncestorsOut(DivisionOut):
    """A division and the divisions above it, province first: enough to write its full name."""

    ancestors: list[DivisionOut]


class MemberOut(BaseModel):
    """A member; ``id_number`` is masked unless the role needs it."""

    id: str
    name: str
    id_number: str
    relation: str
    sex: str
    birth_date: date
    disability: bool
    health: str
    education: str
    labour: str
    in_school: str | None


class BankAccountOut(BaseModel):
    """The household's card; numbers masked unless the role needs them."""

    bank: str
    account_number: str
    holder_member_id: str | None


class HouseholdOut(BaseModel):
    """One household with its members and derived facts."""

    id: str
    version: int
    status: str
    division_code: str
    address: str
    annual_net_income_fen: int
    members_count: int
    per_capita_income_fen: int
    has_disabled_member: bool
    single_child: bool
    all_daughters: bool
    housing: str
    poverty_causes: list[str]
    flags: dict[str, bool]
    bank_account: BankAccountOut | None
    responsible_person: dict[str, Any] | None
    assistance_plan: str
    measures: list[dict[str, Any]]
    results: list[dict[str, Any]]
    members: list[MemberOut]
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str


class HouseholdPage(BaseModel):
    """A page of households; pass ``next_cursor`` back as ``cursor`` for the next page."""

    items: list[HouseholdOut]
    next_cursor: str | None


def division_out(row: Division) -> DivisionOut:
    """Division document."""
    return DivisionOut(code=row.code, name=row.name, level=row.level, parent_code=row.parent_code)


def member_out(member: Member, principal: Principal, pii: PiiCipher) -> MemberOut:
    """Member document, masked by role."""
    number = (
        pii.decrypt(member.id_number_ciphertext)
        if sees_full_id_numbers(principal.role)
        else member.id_number_masked
    )
    return MemberOut(
        id=member.id,
        name=member.name,
        id_number=number,
        relation=member.relation,
        sex=member.sex,
        birth_date=member.birth_date,
        disability=member.disability,
        health=member.health,
        education=member.education,
        labour=member.labour,
        in_school=member.in_school,
    )


def household_out(
    household: Household, members: list[Member], principal: Principal, pii: PiiCipher
) -> HouseholdOut:
    """Household document with members, masked by role."""
    derived = derive(household.annual_net_income_fen, members)
    bank = None
    if household.bank_name and household.bank_account_ciphertext:
        full = sees_full_bank_accounts(principal.role)
        account = (
            pii.decrypt(household.bank_account_ciphertext) if full else (household.bank_account_masked or "")
        )
        holder = next((m.id for m in members if m.id_number_hash == household.bank_holder_hash), None)
        bank = BankAccountOut(bank=household.bank_name, account_number=account, holder_member_id=holder)
    return HouseholdOut(
        id=household.id,
        version=household.version,
        status=household.status,
        division_code=household.division_code,
        address=household.address,
        annual_net_income_fen=household.annual_net_income_fen,
        members_count=derived.members_count,
        per_capita_income_fen=derived.per_capita_income_fen,
        has_disabled_member=derived.has_disabled_member,
        single_child=derived.single_child,
        all_daughters=derived.all_daughters,
        housing=household.housing,
        poverty_causes=list(household.poverty_causes),
        flags=dict(household.flags),
        bank_account=bank,
        responsible_person=household.responsible_person,
        assistance_plan=household.assistance_plan,
        measures=list(household.measures),
        results=list(household.results),
        members=[member_out(m, principal, pii) for m in members],
        created_at=household.created_at,
        updated_at=household.updated_at,
        created_by=household.created_by,
        updated_by=household.updated_by,
    )


def mask_account(number: str) -> str:
    """Bank numbers keep their first and last four digits."""
    return mask(number) if len(number) > 8 else "*" * len(number)
