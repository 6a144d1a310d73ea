"""One chunk of households: read and check, look up what exists, then create, skip or refuse each.

A household whose head is already registered, with the same people and the same facts, is
"unchanged": nothing is written and no event is emitted, which is what makes re-importing a file
(or resuming an interrupted job) harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jzkit.pii import PiiCipher
from registry import import_repository as repo
from registry.domain.household import MemberDraft
from registry.domain.vocabulary import Relation
from registry.imports.columns import BY_KEY, FLAG_KEYS, Header
from registry.imports.grouping import FileFacts, RawHousehold
from registry.imports.mapping import MappedHousehold, RowError, read_household
from registry.imports.records import NewHousehold, new_household
from registry.imports.rules import ImportRules, check_rules


@dataclass
class Checked:
    """A household after the file-only checks, with the keys the database look-ups need."""

    mapped: MappedHousehold
    member_hashes: list[str] = field(default_factory=list)
    account_hash: str | None = None
    holder_hash: str | None = None
    new: NewHousehold | None = None


@dataclass(frozen=True)
class ChunkResult:
    """What a chunk did."""

    rows: int
    created: int
    unchanged: int
    rejected: int
    errors: list[RowError]


def prepare_chunk(
    raws: list[RawHousehold],
    header: Header,
    facts: FileFacts,
    rules: ImportRules,
    pii: PiiCipher,
    actor: str,
    reason: str,
) -> list[Checked]:
    """All the CPU work of a chunk, and none of the database work.

    Cells, the draft model, village and jurisdiction, the household rules, and the rows and event
    of each valid household in case it turns out to be new.

    Building rows before knowing whether they are needed costs a re-import some CPU, but lets this
    run in a thread while the database writes the previous chunk.
    """
    now = datetime.now(UTC)
    checked: list[Checked] = []
    for raw in raws:
        mapped = read_household(raw, header, facts)
        check_rules(mapped, rules)
        item = Checked(mapped)
        draft = mapped.draft
        if draft is not None:
            item.new = new_household(draft, pii, actor, reason, now)
            item.member_hashes = [str(m["id_number_hash"]) for m in item.new.members]
            item.account_hash = _text_or_none(item.new.household["bank_account_hash"])
            item.holder_hash = _text_or_none(item.new.household["bank_holder_hash"])
        checked.append(item)
    return checked


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _member_facts(member: MemberDraft) -> dict[str, object]:
    return {
        "name": member.name,
        "relation": member.relation.value,
        "sex": member.sex.value,
        "birth_date": member.birth_date,
        "disability": member.disability,
        "health": member.health.value,
        "education": member.education.value,
        "labour": member.labour.value,
        "in_school": member.in_school.value if member.in_school else None,
    }


def _differences(item: Checked, household: repo.Row, members: list[repo.Row]) -> list[str]:
    draft = item.mapped.draft
    assert draft is not None
    stored_flags = dict(household["flags"])  # type: ignore[call-overload]
    stored_causes = household["poverty_causes"]
    assert isinstance(stored_causes, list)
    same = {
        "division_code": draft.division_code == household["division_code"],
        "address": draft.address == household["address"],
        "income": draft.annual_net_income_fen == household["annual_net_income_fen"],
        "housing": draft.housing.value == household["housing"],
        "causes": sorted(c.value for c in draft.poverty_causes) == sorted(stored_causes),
        "bank": (draft.bank_account.bank if draft.bank_account else None, item.account_hash, item.holder_hash)
        == (household["bank_name"], household["bank_account_hash"], household["bank_holder_hash"]),
    }
    flags = draft.flags.model_dump()
    same.update({k: flags[k] == bool(stored_flags.get(k, False)) for k in FLAG_KEYS})
    by_hash = {str(m["id_number_hash"]): m for m in members}
    same["id_number"] = set(by_hash) == set(item.member_hashes)
    for member, id_hash in zip(draft.members, item.member_hashes, strict=True):
        stored = by_hash.get(id_hash)
        if stored is not None:
            for key, value in _member_facts(member).items():
                same[key] = same.get(key, True) and value == stored[key]
    return [BY_KEY["account_number" if k == "bank" else k].label for k, ok in same.items() if not ok]


def _heads(members: list[repo.Row], id_hash: str) -> bool:
    return any(m["id_number_hash"] == id_hash and m["relation"] == Relation.HEAD.value for m in members)


def _classify(
    item: Checked,
    homes: dict[str, str],
    cards: dict[str, str],
    stored: tuple[dict[str, repo.Row], dict[str, list[repo.Row]]],
) -> tuple[str, MappedHousehold]:
    """("create" | "unchanged" | "rejected", the household with any new errors).

    A household is the one already registered under its head; anyone else already registered
    belongs to another household.
    """
    mapped = replace(item.mapped, errors=list(item.mapped.errors))
    draft = item.mapped.draft
    assert draft is not None
    head = next(i for i, m in enumerate(draft.members) if m.relation is Relation.HEAD)
    own = homes.get(item.member_hashes[head])
    if own is not None and not _heads(stored[1][own], item.member_hashes[head]):
        own = None  # our head is someone else's child: that is another household
    for i, id_hash in enumerate(item.member_hashes):
        if id_hash in homes and homes[id_hash] != own:
            mapped.error_at(
                f"members[{i}].id_number",
                "person-already-registered",
                "此人已是其他农户的成员（一人只能属于一户）",
                "this person is already a member of another household",
            )
    card_home = cards.get(item.account_hash) if item.account_hash else None
    if card_home is not None and card_home != own:
        mapped.error_at(
            "bank_account.account_number",
            "bank-account-in-use",
            "该银行账户已属于其他农户（一卡一户）",
            "this bank account already belongs to another household (one card, one household)",
        )
    if mapped.rejected:
        return "rejected", mapped
    if own is None:
        return "create", mapped
    differs = _differences(item, stored[0][own], stored[1][own])
    if not differs:
        return "unchanged", mapped
    mapped.error_at(
        "household_ref",
        "household-already-registered",
        f"该户已登记，但以下信息不同：{'、'.join(differs)}；请在系统中修改，不能通过导入更改",
        f"the household is already registered with different {', '.join(differs)}; "
        "change it in the register, not by import",
    )
    return "rejected", mapped


async def apply_chunk(session: AsyncSession, chunk: list[Checked]) -> ChunkResult:
    """Look up, classify and write one prepared chunk in the session's transaction (the caller commits)."""
    valid = [c for c in chunk if c.mapped.draft is not None]
    homes = await repo.member_homes(session, [h for c in valid for h in c.member_hashes])
    cards = await repo.card_holders(session, [c.account_hash for c in valid if c.account_hash])
    stored = await repo.stored_households(session, sorted(set(homes.values())))
    new: list[NewHousehold] = []
    unchanged = 0
    errors: list[RowError] = []
    rejected = 0
    for item in chunk:
        outcome, mapped = ("rejected", item.mapped)
        if item.new is not None:
            outcome, mapped = _classify(item, homes, cards, stored)
        if outcome == "create" and item.new is not None:
            new.append(item.new)
        elif outcome == "unchanged":
            unchanged += 1
        else:
            rejected += 1
            errors.extend(mapped.errors)
            errors.extend(mapped.rejection_notes())
    await repo.insert_new(
        session,
        [n.household for n in new],
        [m for n in new for m in n.members],
        [n.outbox for n in new],
    )
    errors.sort(key=lambda e: e.row)
    rows = sum(len(c.mapped.rows) for c in chunk)
    return ChunkResult(rows=rows, created=len(new), unchanged=unchanged, rejected=rejected, errors=errors)
