"""One household's rows to a ``HouseholdDraft``, or row errors saying what is wrong and where.

The draft model is the API's own; the API's other rules run in :mod:`registry.imports.rules`.
This module only reads cells and points each error at a row and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pydantic import ValidationError

from jzkit.errors import DomainError
from registry import formula_guard
from registry.domain.household import HouseholdDraft
from registry.imports import cells
from registry.imports.columns import BY_FIELD, BY_KEY, COLUMNS, FLAG_KEYS, Column, Header
from registry.imports.grouping import FileFacts, RawHousehold, account_key, cell, person_key

_MEMBER_FIELD = re.compile(r"^members\[(\d+)\]\.(\w+)")
_BANK_KEYS = ("bank", "account_number", "holder_id_number")
_PYDANTIC_ZH = {
    "missing": "必填",
    "string_too_short": "不能为空或过短",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不正确",
    "enum": "不是可选值",
    "too_long": "项数过多",
    "too_short": "项数过少",
}


@dataclass(frozen=True)
class RowError:
    """Why a row was not imported: row number as in the file, column label and API field."""

    row: int
    column: str | None
    field: str | None
    code: str
    message_zh: str
    message_en: str


@dataclass
class MappedHousehold:
    """A household read from the file: its rows, the draft if readable, and errors so far."""

    ref: str
    rows: list[int]
    sources: dict[str, int] = field(default_factory=dict)
    draft: HouseholdDraft | None = None
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        """True once any error is recorded."""
        return bool(self.errors)

    def error_at(self, field_path: str | None, code: str, zh: str, en: str) -> None:
        """Record an error for an API field path (``members[2].id_number``, ``bank_account.bank``)."""
        row, column = self._locate(field_path)
        self.errors.append(RowError(row, column.label if column else None, field_path, code, zh, en))

    def domain_error(self, err: DomainError) -> None:
        """Record a rule the API would refuse with, at the row and column it names."""
        self.error_at(err.field, err.code, err.message_zh, err.message_en)

    def _locate(self, field_path: str | None) -> tuple[int, Column | None]:
        if field_path is None:
            return self.rows[0], None
        match = _MEMBER_FIELD.match(field_path)
        if match:
            index = int(match.group(1))
            row = self.rows[index] if index < len(self.rows) else self.rows[0]
            return row, BY_FIELD.get(match.group(2))
        column = BY_FIELD.get(field_path)
        if column is None:
            return self.rows[0], None
        return self.sources.get(column.key, self.rows[0]), column

    def rejection_notes(self) -> list[RowError]:
        """One note for each of its rows that has no error of its own: whole households only."""
        flagged = {e.row for e in self.errors}
        label = BY_KEY["household_ref"].label
        first = min(flagged) if flagged else self.rows[0]
        return [
            RowError(
                row,
                label,
                "household_ref",
                "household-rejected",
                f"本行未导入：户 {self.ref} 有错误（见第 {first} 行）",
                f"row not imported: household {self.ref} has errors (see row {first})",
            )
            for row in self.rows
            if row not in flagged
        ]


def _parser(column: Column) -> Callable[[str], object]:
    if column.kind == "fen":
        return cells.yuan_to_fen
    if column.kind == "bool":
        return cells.yes_no
    if column.kind == "date":
        return cells.calendar_date
    if column.kind == "causes":
        return cells.poverty_causes
    if column.vocabulary is not None:
        return partial(cells.vocabulary_value, column.vocabulary)
    return str


_PARSE: dict[str, Callable[[str], object]] = {c.key: _parser(c) for c in COLUMNS}


def _texts(row: list[str], positions: list[int]) -> list[str]:
    """Stripped cells at ``positions`` ("" past a short row's end), export quotes removed.

    Every cell of a province-sized file passes here: comprehensions, no call per cell.
    """
    width = len(row)
    texts = [row[p].strip() if p < width else "" for p in positions]
    return [formula_guard.restore(t) if t[:1] == formula_guard.QUOTE else t for t in texts]


def _household_values(raw: RawHousehold, header: Header, mapped: MappedHousehold) -> dict[str, object]:
    columns = header.household_columns
    rows = [(number, _texts(row, header.household_positions)) for number, row in raw.rows]
    # Exports repeat the household columns on every row: identical rows need no comparison.
    if all(texts == rows[0][1] for _, texts in rows[1:]):
        rows = rows[:1]
    values: dict[str, object] = {}
    for i, (column, _) in enumerate(columns):
        seen = ""
        for number, texts in rows:
            text = texts[i]
            if not text:
                continue
            if not seen:
                seen, mapped.sources[column.key] = text, number
            elif text != seen:
                first = mapped.sources[column.key]
                mapped.errors.append(
                    RowError(
                        number,
                        column.label,
                        column.field,
                        "household-field-conflict",
                        f"同一户各行的“{column.label}”不一致（见第 {first} 行）",
                        f"rows of one household disagree on {column.label} (see row {first})",
                    )
                )
                break
        if not seen:
            continue
        try:
            values[column.key] = _PARSE[column.key](seen)
        except cells.CellError as exc:
            mapped.error_at(column.field, exc.code, exc.message_zh, exc.message_en)
    return values


def _member_values(raw: RawHousehold, header: Header, mapped: MappedHousehold) -> list[dict[str, object]]:
    members: list[dict[str, object]] = []
    columns = header.member_columns
    for index, (_, row) in enumerate(raw.rows):
        member: dict[str, object] = {}
        for (column, _), text in zip(columns, _texts(row, header.member_positions), strict=True):
            if not text and column.kind != "bool":
                continue  # the draft's default applies
            try:
                member[column.key] = _PARSE[column.key](text)
            except cells.CellError as exc:
                mapped.error_at(f"members[{index}].{column.field}", exc.code, exc.message_zh, exc.message_en)
        members.append(member)
    return members


def _bank(values: dict[str, object], mapped: MappedHousehold) -> dict[str, object] | None:
    given = [k for k in _BANK_KEYS if values.get(k)]
    if not given:
        return None
    for key in _BANK_KEYS:
        if key not in given:
            label = BY_KEY[key].label
            mapped.error_at(
                BY_KEY[key].field,
                "incomplete-bank-account",
                f"银行信息须三项全填：缺“{label}”",
                f"bank details need all three columns: {label} is empty",
            )
    return {key: values.get(key) for key in _BANK_KEYS}


def _draft_body(values: dict[str, object], bank: object, members: list[dict[str, object]]) -> dict[str, Any]:
    flags = {k: values[k] for k in FLAG_KEYS if k in values}
    return {
        "division_code": values.get("division_code", ""),
        "address": values.get("address", ""),
        "annual_net_income_fen": values.get("income"),
        "housing": values.get("housing"),
        "poverty_causes": values.get("causes", []),
        "flags": flags,
        "bank_account": bank,
        "members": members,
    }


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_household(raw: RawHousehold, header: Header, facts: FileFacts) -> MappedHousehold:
    """Read the cells and build the draft (the draft model's own validation included)."""
    mapped = MappedHousehold(ref=raw.ref, rows=[n for n, _ in raw.rows])
    if not raw.ref:
        mapped.error_at(
            "household_ref", "missing-household-ref", "户编号不能为空", "household reference is empty"
        )
        return mapped
    if raw.ref in facts.scattered_refs:
        mapped.error_at(
            "household_ref",
            "household-rows-not-consecutive",
            f"户 {raw.ref} 的各行须相邻",
            f"the rows of household {raw.ref} must be consecutive",
        )
    values = _household_values(raw, header, mapped)
    members = _member_values(raw, header, mapped)
    bank = _bank(values, mapped)
    for index, (_, row) in enumerate(raw.rows):
        if person_key(cell(row, header, "id_number")) in facts.shared_people:
            mapped.error_at(
                f"members[{index}].id_number",
                "person-listed-twice",
                "此人在文件中出现在多户（一人只能属于一户）",
                "this person is listed in more than one household of the file",
            )
    if account_key(str(values.get("account_number", ""))) in facts.shared_accounts:
        mapped.error_at(
            "bank_account.account_number",
            "bank-account-listed-twice",
            "该银行账号在文件中属于多户（一卡一户）",
            "this bank account is listed for more than one household of the file",
        )
    if mapped.rejected:
        return mapped
    try:
        mapped.draft = HouseholdDraft.model_validate(_draft_body(values, bank, members))
    except ValidationError as exc:
        for err in exc.errors():
            zh = _PYDANTIC_ZH.get(str(err["type"]), "数据无效")
            mapped.error_at(_path(tuple(err["loc"])), str(err["type"]), zh, str(err["msg"]))
    return mapped
