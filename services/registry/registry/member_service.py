"""Member use cases: add and remove members of a registered household."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from jzkit.contracts.registry import MemberAdded, MemberRemoved
from jzkit.errors import InvalidInput, NotFound
from registry import repository
from registry.domain.changes import MemberAddition
from registry.domain.household import MemberDraft, check_member
from registry.domain.visibility import WRITER_ROLES
from registry.events.publish import emit, household_facts
from registry.models import Household, Member
from registry.service import (
    Context,
    claim,
    ensure_people_unregistered,
    flush_guarded,
    load_visible,
    member_row,
    now_utc,
    touch,
)


async def add_member(
    session: AsyncSession, ctx: Context, household_id: str, addition: MemberAddition, if_match: int | None
) -> tuple[Household, list[Member], Member]:
    """Add one member (not a second head, not a person of another household)."""
    ctx.principal.require_role(*WRITER_ROLES)
    household = await load_visible(session, ctx.principal, household_id)
    members = await repository.get_members(session, household_id)
    draft = check_member(
        MemberDraft.model_validate(addition.model_dump(exclude={"reason"})), "member", ctx.today
    )
    if len(members) + 1 > ctx.limits.max_members:
        raise InvalidInput(
            "too-many-members",
            f"a household has at most {ctx.limits.max_members} members",
            f"每户成员不超过 {ctx.limits.max_members} 人",
            field="members",
        )
    if draft.relation.value == "head":
        raise InvalidInput("head-count", "the household already has a head", "该户已有户主", field="relation")
    await ensure_people_unregistered(session, ctx, [draft], field_prefix="")
    await claim(session, household, household.version if if_match is None else if_match)
    member = member_row(draft, household_id, ctx.pii, now_utc())
    session.add(member)
    members.append(member)
    touch(household, members, ctx)
    await flush_guarded(session)
    emit(
        session,
        MemberAdded(household=household_facts(household, members), member_id=member.id),
        household.id,
        ctx.principal.subject,
        addition.reason,
    )
    return household, members, member


async def remove_member(
    session: AsyncSession, ctx: Context, household_id: str, member_id: str, reason: str, if_match: int | None
) -> tuple[Household, list[Member]]:
    """Remove a member; the head stays (change the head by PATCHing relations is not allowed here)."""
    ctx.principal.require_role(*WRITER_ROLES)
    household = await load_visible(session, ctx.principal, household_id)
    members = await repository.get_members(session, household_id)
    target = next((m for m in members if m.id == member_id), None)
    if target is None:
        raise NotFound("member", member_id, "成员")
    if target.relation == "head":
        raise InvalidInput(
            "head-required", "the head of household cannot be removed", "不能删除户主", field="member_id"
        )
    if household.bank_holder_hash is not None and target.id_number_hash == household.bank_holder_hash:
        # The card holder must be a member (一卡一户): change the bank account first.
        raise InvalidInput(
            "holder-not-member",
            "the bank card holder cannot be removed; change the household's bank account first",
            "不能删除持卡人，请先变更本户银行账户",
            field="member_id",
        )
    await claim(session, household, household.version if if_match is None else if_match)
    await repository.delete_member(session, member_id)
    members = [m for m in members if m.id != member_id]
    touch(household, members, ctx)
    await flush_guarded(session)
    emit(
        session,
        MemberRemoved(household=household_facts(household, members), member_id=member_id),
        household.id,
        ctx.principal.subject,
        reason,
    )
    return household, members
