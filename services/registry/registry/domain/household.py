"""The household record (扶贫手册) as submitted, and the rules it must satisfy (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from jzkit import divisions, idnumber
from jzkit.errors import InvalidInput
from registry.domain.vocabulary import (
    Education,
    Health,
    Housing,
    Labour,
    PovertyCause,
    Relation,
    SchoolLevel,
    Sex,
)


class MemberDraft(BaseModel):
    """A member as submitted (家庭成员)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=15, max_length=20)
    relation: Relation
    sex: Sex
    birth_date: date | None = None
    disability: bool = False
    health: Health = Health.HEALTHY
    education: Education = Education.NONE
    labour: Labour = Labour.FULL
    in_school: SchoolLevel | None = None


class BankAccountDraft(BaseModel):
    """The household's one card (一卡一户)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    bank: str = Field(min_length=1, max_length=64)
    account_number: str = Field(pattern=r"^\d{12,30}$")
    holder_id_number: str = Field(min_length=15, max_length=20)


class ResponsiblePerson(BaseModel):
    """帮扶责任人."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=64)
    organisation: str = Field(default="", max_length=128)
    phone: str = Field(default="", max_length=32)


class AssistanceMeasure(BaseModel):
    """帮扶措施: one measure taken."""

    model_config = ConfigDict(extra="forbid")

    date: date
    kind: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=1000)


class AssistanceResult(BaseModel):
    """帮扶成效: one result recorded for a year."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100)
    description: str = Field(min_length=1, max_length=1000)
    income_increase_fen: int = Field(default=0, ge=0)


class Flags(BaseModel):
    """Facts that exclusion rules read (五保, 低保, 三无, idle land, crime, family planning)."""

    model_config = ConfigDict(extra="forbid")

    wubao: bool = False
    dibao: bool = False
    sanwu: bool = False
    idle_land: bool = False
    crime: bool = False
    family_planning_violation: bool = False


class HouseholdDraft(BaseModel):
    """A household as registered: the six parts of the 扶贫手册."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    division_code: str = Field(pattern=r"^\d{12}$")
    address: str = Field(min_length=1, max_length=200)
    annual_net_income_fen: int
    housing: Housing
    poverty_causes: list[PovertyCause] = Field(default_factory=list, max_length=len(PovertyCause))
    flags: Flags = Field(default_factory=Flags)
    bank_account: BankAccountDraft | None = None
    responsible_person: ResponsiblePerson | None = None
    assistance_plan: str = Field(default="", max_length=4000)
    measures: list[AssistanceMeasure] = Field(default_factory=list, max_length=500)
    results: list[AssistanceResult] = Field(default_factory=list, max_length=100)
    members: list[MemberDraft] = Field(min_length=1)

    @field_validator("poverty_causes")
    @classmethod
    def _distinct_causes(cls, causes: list[PovertyCause]) -> list[PovertyCause]:
        return list(dict.fromkeys(causes))


@dataclass(frozen=True)
class Limits:
    """Plausibility bounds from settings."""

    max_annual_income_fen: int
    max_members: int


_ID_REASONS_ZH = {"shape": "格式", "birth_date": "出生日期", "check_character": "校验码"}


def _invalid(code: str, field: str, en: str, zh: str) -> InvalidInput:
    return InvalidInput(code, en, zh, field=field)


def check_member(member: MemberDraft, field: str, today: date) -> MemberDraft:
    """Validate the ID number and that birth date and sex agree with it; fill a missing birth date."""
    try:
        rid = idnumber.parse(member.id_number, today)
    except idnumber.InvalidIdNumber as exc:
        raise _invalid(
            "invalid-id-number",
            f"{field}.id_number",
            f"ID number is invalid ({exc.reason})",
            f"身份证号码无效（{_ID_REASONS_ZH[exc.reason]}）",
        ) from None
    if member.birth_date is not None and member.birth_date != rid.birth_date:
        raise _invalid(
            "birth-date-mismatch",
            f"{field}.birth_date",
            "birth date does not match the ID number",
            "出生日期与身份证号码不符",
        )
    if member.sex.value != rid.sex:
        raise _invalid(
            "sex-mismatch", f"{field}.sex", "sex does not match the ID number", "性别与身份证号码不符"
        )
    if member.id_number == rid.number and member.birth_date == rid.birth_date:
        # Already normalised (import files carry the birth date): a copy would cost more than the checks.
        return member
    return member.model_copy(update={"id_number": rid.number, "birth_date": rid.birth_date})


def check_members(members: list[MemberDraft], today: date, limits: Limits) -> list[MemberDraft]:
    """Every member valid, exactly one head, nobody listed twice."""
    if len(members) > limits.max_members:
        raise _invalid(
            "too-many-members",
            "members",
            f"a household has at most {limits.max_members} members",
            f"每户成员不超过 {limits.max_members} 人",
        )
    checked = [check_member(m, f"members[{i}]", today) for i, m in enumerate(members)]
    heads = sum(1 for m in checked if m.relation is Relation.HEAD)
    if heads != 1:
        raise _invalid(
            "head-count",
            "members",
            f"a household has exactly one head (found {heads})",
            f"每户必须有且只有一名户主（现有 {heads} 名）",
        )
    seen: dict[str, int] = {}
    for i, m in enumerate(checked):
        if m.id_number in seen:
            raise _invalid(
                "duplicate-member",
                f"members[{i}].id_number",
                f"the same person is listed twice (members[{seen[m.id_number]}])",
                f"同一人重复登记（members[{seen[m.id_number]}]）",
            )
        seen[m.id_number] = i
    return checked


def check_income(income_fen: int, limits: Limits, field: str = "annual_net_income_fen") -> None:
    """Income in fen, never negative, never absurd."""
    if income_fen < 0:
        raise _invalid("negative-income", field, "income cannot be negative", "收入不能为负数")
    if income_fen > limits.max_annual_income_fen:
        raise _invalid(
            "implausible-income",
            field,
            f"income above {limits.max_annual_income_fen} fen is not plausible",
            f"收入超过 {limits.max_annual_income_fen} 分，不合理",
        )


def holder_name(draft: HouseholdDraft) -> str | None:
    """The name of the member who holds the household's card (ID numbers already normalised)."""
    if draft.bank_account is None:
        return None
    holder = draft.bank_account.holder_id_number
    return next((m.name for m in draft.members if m.id_number == holder), None)


def check_bank_account(account: BankAccountDraft, is_member: Callable[[str], bool]) -> BankAccountDraft:
    """The card holder (a normalised ID number) must be a member of the household."""
    try:
        holder = idnumber.parse(account.holder_id_number).number
    except idnumber.InvalidIdNumber:
        raise _invalid(
            "invalid-id-number",
            "bank_account.holder_id_number",
            "holder ID number is invalid",
            "持卡人身份证号码无效",
        ) from None
    if not is_member(holder):
        raise _invalid(
            "holder-not-member",
            "bank_account.holder_id_number",
            "the card holder must be a member of the household",
            "持卡人必须是本户成员",
        )
    if holder == account.holder_id_number:
        return account  # already normalised
    return account.model_copy(update={"holder_id_number": holder})


def check_village(division_code: str, division_level: str | None, field: str = "division_code") -> None:
    """Households are registered in a village that exists."""
    if division_level is None:
        raise _invalid("unknown-division", field, "no such division", "行政区划不存在")
    if division_level != "village" or divisions.level(division_code) != "village":
        raise _invalid("not-a-village", field, "households are registered in a village", "农户须登记在行政村")


def check_household(draft: HouseholdDraft, today: date, limits: Limits) -> HouseholdDraft:
    """All rules of a new household that need no database; returns the normalised draft."""
    check_income(draft.annual_net_income_fen, limits)
    members = check_members(draft.members, today, limits)
    numbers = {m.id_number for m in members}
    bank = check_bank_account(draft.bank_account, numbers.__contains__) if draft.bank_account else None
    return draft.model_copy(update={"members": members, "bank_account": bank})
