"""One household as file rows (one per member, household columns repeated), from a draft or the register.

Exports mask ID and bank numbers by the caller's role exactly as the API does, so a file holds
full numbers only for roles that may see them (and only such a file can be imported again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from jzkit.auth import Principal
from jzkit.money import fen_to_yuan
from jzkit.pii import PiiCipher
from registry.domain import labels
from registry.domain.household import HouseholdDraft
from registry.domain.visibility import sees_full_bank_accounts, sees_full_id_numbers
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
from registry.imports.cells import yes_no_label
from registry.imports.columns import COLUMNS, FLAG_KEYS

StoredRow = Mapping[str, object]


@dataclass(frozen=True)
class SheetMember:
    """A member's cells before formatting (enum values in English)."""

    name: str
    id_number: str
    relation: str
    sex: str
    birth_date: date | None
    disability: bool
    health: str
    education: str
    labour: str
    in_school: str | None


@dataclass(frozen=True)
class SheetHousehold:
    """A household's cells before formatting."""

    ref: str
    division_code: str
    address: str
    income_fen: int
    housing: str
    causes: list[str]
    flags: Mapping[str, bool]
    bank: str
    account_number: str
    holder_id_number: str
    members: list[SheetMember]


def _member_cells(m: SheetMember) -> dict[str, str]:
    return {
        "name": m.name,
        "id_number": m.id_number,
        "relation": labels.label_of(Relation, m.relation),
        "sex": labels.label_of(Sex, m.sex),
        "birth_date": m.birth_date.isoformat() if m.birth_date else "",
        "disability": yes_no_label(m.disability),
        "health": labels.label_of(Health, m.health),
        "education": labels.label_of(Education, m.education),
        "labour": labels.label_of(Labour, m.labour),
        "in_school": labels.label_of(SchoolLevel, m.in_school) if m.in_school else "",
    }


def sheet_rows(h: SheetHousehold) -> list[list[str]]:
    """The household's rows in column order."""
    household = {
        "household_ref": h.ref,
        "division_code": h.division_code,
        "address": h.address,
        "income": fen_to_yuan(h.income_fen),
        "housing": labels.label_of(Housing, h.housing),
        "causes": "、".join(labels.label_of(PovertyCause, c) for c in h.causes),
        "bank": h.bank,
        "account_number": h.account_number,
        "holder_id_number": h.holder_id_number,
        **{k: yes_no_label(bool(h.flags.get(k, False))) for k in FLAG_KEYS},
    }
    rows = []
    for member in h.members:
        cells = household | _member_cells(member)
        rows.append([cells[c.key] for c in COLUMNS])
    return rows


def from_draft(ref: str, draft: HouseholdDraft) -> SheetHousehold:
    """A draft (template example, synthetic data) as file cells, with full numbers."""
    bank = draft.bank_account
    return SheetHousehold(
        ref=ref,
        division_code=draft.division_code,
        address=draft.address,
        income_fen=draft.annual_net_income_fen,
        housing=draft.housing.value,
        causes=[c.value for c in draft.poverty_causes],
        flags=draft.flags.model_dump(),
        bank=bank.bank if bank else "",
        account_number=bank.account_number if bank else "",
        holder_id_number=bank.holder_id_number if bank else "",
        members=[
            SheetMember(
                name=m.name,
                id_number=m.id_number,
                relation=m.relation.value,
                sex=m.sex.value,
                birth_date=m.birth_date,
                disability=m.disability,
                health=m.health.value,
                education=m.education.value,
                labour=m.labour.value,
                in_school=m.in_school.value if m.in_school else None,
            )
            for m in draft.members
        ],
    )


def from_stored(
    household: StoredRow, members: Sequence[StoredRow], principal: Principal, pii: PiiCipher
) -> SheetHousehold:
    """A registered household as file cells, numbers masked unless the caller's role needs them."""
    full_ids = sees_full_id_numbers(principal.role)

    def id_number(m: StoredRow) -> str:
        return pii.decrypt(str(m["id_number_ciphertext"])) if full_ids else str(m["id_number_masked"])

    head_first = sorted(members, key=lambda m: m["relation"] != "head")
    holder = next((m for m in members if m["id_number_hash"] == household["bank_holder_hash"]), None)
    account = ""
    if household["bank_account_ciphertext"]:
        account = (
            pii.decrypt(str(household["bank_account_ciphertext"]))
            if sees_full_bank_accounts(principal.role)
            else str(household["bank_account_masked"] or "")
        )
    flags = household["flags"]
    causes = household["poverty_causes"]
    assert isinstance(flags, dict) and isinstance(causes, list)
    income = household["annual_net_income_fen"]
    assert isinstance(income, int)
    return SheetHousehold(
        ref=str(household["id"]),
        division_code=str(household["division_code"]),
        address=str(household["address"]),
        income_fen=income,
        housing=str(household["housing"]),
        causes=[str(c) for c in causes],
        flags={str(k): bool(v) for k, v in flags.items()},
        bank=str(household["bank_name"] or ""),
        account_number=account,
        holder_id_number=id_number(holder) if holder is not None else "",
        members=[
            SheetMember(
                name=str(m["name"]),
                id_number=id_number(m),
                relation=str(m["relation"]),
                sex=str(m["sex"]),
                birth_date=m["birth_date"] if isinstance(m["birth_date"], date) else None,
                disability=bool(m["disability"]),
                health=str(m["health"]),
                education=str(m["education"]),
                labour=str(m["labour"]),
                in_school=str(m["in_school"]) if m["in_school"] else None,
            )
            for m in head_first
        ],
    )
