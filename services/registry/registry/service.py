"""Registry use cases: load through the repository, apply the domain rules, record events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jzkit import divisions, idnumber
from jzkit.auth import Principal
from jzkit.contracts.registry import HouseholdRegistered, HouseholdUpdated
from jzkit.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from jzkit.ids import new_id
from jzkit.pii import PiiCipher
from registry import repository
from registry.domain.changes import HouseholdPatch
from registry.domain.household import (
    BankAccountDraft,
    HouseholdDraft,
    Limits,
    MemberDraft,
    check_bank_account,
    check_household,
    check_income,
    check_village,
    holder_name,
)
from registry.domain.visibility import WRITER_ROLES, sees_full_id_numbers
from registry.events.publish import emit, household_facts
from registry.models import Household, Member
from registry.views import mask_account


@dataclass(frozen=True)
class Context:
    """Who acts, with which keys and bounds, and what day it is."""

    principal: Principal
    pii: PiiCipher
    limits: Limits
    today: date


def now_utc() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def _out_of_scope() -> Forbidden:
    return Forbidden(
        "outside-jurisdiction",
        "the division is outside your jurisdiction",
        "该行政区划不在您的管辖范围内",
        field="division_code",
    )


async def require_village_in_scope(session: AsyncSession, ctx: Context, code: str) -> None:
    """The division exists, is a village, and lies in the caller's jurisdiction."""
    ctx.principal.require_role(*WRITER_ROLES)
    if not divisions.is_code(code) or not ctx.principal.covers(code):
        raise _out_of_scope()
    division = await repository.get_division(session, code)
    check_village(code, division.level if division else None)


def scope_prefix(principal: Principal, division: str | None) -> str:
    """The division prefix a list or export covers: ``division`` narrowed to the caller's jurisdiction."""
    scope = division or principal.jurisdiction
    try:
        divisions.level(scope)
    except ValueError:  # 12 digits naming no division (000000000000): a 422, not a 500
        raise InvalidInput(
            "invalid-division-code",
            "division names no division",
            "division 不是有效的区划代码",
            field="division",
        ) from None
    if not principal.covers(scope) and not divisions.contains(scope, principal.jurisdiction):
        raise Forbidden(
            "outside-jurisdiction",
            "the division is outside your jurisdiction",
            "该行政区划不在您的管辖范围内",
            field="division",
        )
    # A filter wider than the jurisdiction is narrowed to the jurisdiction.
    return max(divisions.prefix(scope), divisions.prefix(principal.jurisdiction), key=len)


async def load_visible(session: AsyncSession, principal: Principal, household_id: str) -> Household:
    """The household if it exists inside the caller's jurisdiction; 404 otherwise (no existence leak)."""
    household = await repository.get_household(session, household_id)
    if household is None or not principal.covers(household.division_code):
        raise NotFound("household", household_id, "农户")
    return household


def member_row(draft: MemberDraft, household_id: str, pii: PiiCipher, now: datetime) -> Member:
    """A member row with the ID number encrypted, masked and hashed."""
    assert draft.birth_date is not None  # filled from the ID number by check_member
    return Member(
        id=new_id(),
        household_id=household_id,
        name=draft.name,
        id_number_ciphertext=pii.encrypt(draft.id_number),
        id_number_masked=idnumber.mask(draft.id_number),
        id_number_hash=pii.blind_index(draft.id_number),
        relation=draft.relation.value,
        sex=draft.sex.value,
        birth_date=draft.birth_date,
        disability=draft.disability,
        health=draft.health.value,
        education=draft.education.value,
        labour=draft.labour.value,
        in_school=draft.in_school.value if draft.in_school else None,
        created_at=now,
    )


async def ensure_people_unregistered(
    session: AsyncSession, ctx: Context, drafts: list[MemberDraft], field_prefix: str = "members"
) -> None:
    """A person belongs to one household only; the conflict is named only to those who may see it."""
    hashes = [ctx.pii.blind_index(d.id_number) for d in drafts]
    found = await repository.find_members_by_hash(session, hashes)
    if not found:
        return
    member, division_code = found[0]
    index = hashes.index(member.id_number_hash)
    extra: dict[str, object] = {}
    if ctx.principal.covers(division_code) and sees_full_id_numbers(ctx.principal.role):
        extra = {"conflicting_household_id": member.household_id, "conflicting_member_id": member.id}
    elif ctx.principal.covers(division_code):
        extra = {"conflicting_household_id": member.household_id}
    raise Conflict(
        "person-already-registered",
        "this person is already a member of another household",
        "此人已是其他农户的成员（一人只能属于一户）",
        # A list in the body names the member by index; a single member (add member) is the body itself.
        field=f"{field_prefix}[{index}].id_number" if field_prefix else "id_number",
        extra=extra,
    )


async def _ensure_card_free(
    session: AsyncSession, ctx: Context, account_hash: str, household_id: str
) -> None:
    holder = await repository.find_household_by_bank_hash(session, account_hash)
    if holder is not None and holder.id != household_id:
        raise Conflict(
            "bank-account-in-use",
            "this bank account already belongs to another household (one card, one household)",
            "该银行账户已属于其他农户（一卡一户）",
            field="bank_account.account_number",
        )


def _apply_bank(
    household: Household, bank: BankAccountDraft | None, holder_name: str | None, pii: PiiCipher
) -> None:
    if bank is None:
        return
    household.bank_name = bank.bank
    household.bank_holder_name_ciphertext = pii.encrypt(holder_name) if holder_name else None
    household.bank_account_ciphertext = pii.encrypt(bank.account_number)
    household.bank_account_masked = mask_account(bank.account_number)
    household.bank_account_hash = pii.blind_index(bank.account_number)
    household.bank_holder_hash = pii.blind_index(bank.holder_id_number)


async def flush_guarded(session: AsyncSession) -> None:
    """Flush; a unique index that loses a race becomes a 409, not a 500."""
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "conflict",
            "the change conflicts with a concurrent change (person or card already registered)",
            "与并发修改冲突（成员或银行卡已登记）",
        ) from exc


async def register_household(
    session: AsyncSession, ctx: Context, draft: HouseholdDraft, reason: str | None
) -> tuple[Household, list[Member]]:
    """Register a household with its members (one event: registered)."""
    await require_village_in_scope(session, ctx, draft.division_code)
    draft = check_household(draft, ctx.today, ctx.limits)
    await ensure_people_unregistered(session, ctx, draft.members)
    now = now_utc()
    household = Household(
        id=new_id(),
        division_code=draft.division_code,
        address=draft.address,
        annual_net_income_fen=draft.annual_net_income_fen,
        members_count=len(draft.members),
        per_capita_income_fen=draft.annual_net_income_fen // len(draft.members),
        housing=draft.housing.value,
        poverty_causes=[c.value for c in draft.poverty_causes],
        flags=draft.flags.model_dump(),
        responsible_person=draft.responsible_person.model_dump() if draft.responsible_person else None,
        assistance_plan=draft.assistance_plan,
        measures=[m.model_dump(mode="json") for m in draft.measures],
        results=[r.model_dump(mode="json") for r in draft.results],
        status="registered",
        version=1,
        created_at=now,
        updated_at=now,
        created_by=ctx.principal.subject,
        updated_by=ctx.principal.subject,
    )
    if draft.bank_account:
        _apply_bank(household, draft.bank_account, holder_name(draft), ctx.pii)
        assert household.bank_account_hash is not None
        await _ensure_card_free(session, ctx, household.bank_account_hash, household.id)
    members = [member_row(m, household.id, ctx.pii, now) for m in draft.members]
    repository.add_household(session, household, members)
    await flush_guarded(session)
    emit(
        session,
        HouseholdRegistered(household=household_facts(household, members)),
        household.id,
        ctx.principal.subject,
        reason or "household registered",
    )
    return household, members


async def claim(session: AsyncSession, household: Household, if_match: int) -> None:
    """Take the next version iff the household is still at ``if_match`` (412 otherwise)."""
    if household.version != if_match or not await repository.claim_version(session, household.id, if_match):
        raise PreconditionFailed(
            "version-mismatch",
            f"the household changed since version {if_match}; reload and retry",
            f"农户记录已在版本 {if_match} 之后被修改，请重新加载后再试",
            field="If-Match",
            extra={"current_version": household.version},
        )
    household.version = if_match + 1


async def update_household(
    session: AsyncSession, ctx: Context, household_id: str, patch: HouseholdPatch, if_match: int
) -> tuple[Household, list[Member]]:
    """Apply a PATCH under optimistic concurrency (one event: updated)."""
    ctx.principal.require_role(*WRITER_ROLES)
    household = await load_visible(session, ctx.principal, household_id)
    if not patch.changed_fields():
        raise InvalidInput(
            "empty-patch", "the PATCH changes no field", "修改请求未包含任何字段", field="body"
        )
    members = await repository.get_members(session, household_id)
    if patch.division_code and patch.division_code != household.division_code:
        await require_village_in_scope(session, ctx, patch.division_code)
    if patch.annual_net_income_fen is not None:
        check_income(patch.annual_net_income_fen, ctx.limits)
    bank = patch.bank_account
    if bank is not None:
        hashes = {m.id_number_hash for m in members}
        bank = check_bank_account(bank, lambda number: ctx.pii.blind_index(number) in hashes)
        await _ensure_card_free(session, ctx, ctx.pii.blind_index(bank.account_number), household_id)
    await claim(session, household, if_match)
    simple = ("division_code", "address", "annual_net_income_fen", "assistance_plan")
    for name in simple:
        value = getattr(patch, name)
        if value is not None:
            setattr(household, name, value)
    if patch.housing is not None:
        household.housing = patch.housing.value
    if patch.poverty_causes is not None:
        household.poverty_causes = list(dict.fromkeys(c.value for c in patch.poverty_causes))
    if patch.flags is not None:
        household.flags = patch.flags.model_dump()
    if patch.responsible_person is not None:
        household.responsible_person = patch.responsible_person.model_dump()
    if patch.measures is not None:
        household.measures = [m.model_dump(mode="json") for m in patch.measures]
    if patch.results is not None:
        household.results = [r.model_dump(mode="json") for r in patch.results]
    holder = None
    if bank is not None:
        holder_hash = ctx.pii.blind_index(bank.holder_id_number)
        holder = next((m.name for m in members if m.id_number_hash == holder_hash), None)
    _apply_bank(household, bank, holder, ctx.pii)
    touch(household, members, ctx)
    await flush_guarded(session)
    emit(
        session,
        HouseholdUpdated(
            household=household_facts(household, members), changed_fields=patch.changed_fields()
        ),
        household.id,
        ctx.principal.subject,
        patch.reason,
    )
    return household, members


def touch(household: Household, members: list[Member], ctx: Context) -> None:
    """Refresh the derived counts and the who/when of the last change."""
    household.members_count = len(members)
    household.per_capita_income_fen = household.annual_net_income_fen // max(len(members), 1)
    household.updated_at = now_utc()
    household.updated_by = ctx.principal.subject
