"""The columns of the household file (import template, import, export): one row per member.

Rows with the same 户编号 (household reference) form one household and must be consecutive.
Household columns may be repeated on every row of the household (exports do) or filled on one
row only; where several rows fill one, they must agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from jzkit.errors import InvalidInput
from registry.domain.household import Flags
from registry.domain.vocabulary import Education, Health, Housing, Labour, Relation, SchoolLevel, Sex


@dataclass(frozen=True)
class Column:
    """One column: its header label, the API field it fills and how its cells are read."""

    key: str
    label: str
    field: str
    household: bool
    required: bool
    kind: str  # text | fen | bool | date | enum | causes
    note: str
    vocabulary: type[StrEnum] | None = None


def _h(key: str, label: str, field: str, kind: str, note: str, required: bool = False) -> Column:
    return Column(key, label, field, True, required, kind, note)


def _m(
    key: str, label: str, kind: str, note: str, vocab: type[StrEnum] | None = None, required: bool = False
) -> Column:
    return Column(key, label, key, False, required, kind, note, vocab)


COLUMNS: tuple[Column, ...] = (
    _h("household_ref", "户编号", "household_ref", "text", "同一户的各行填相同编号，且须相邻", True),
    _h("division_code", "行政区划代码", "division_code", "text", "12位行政村代码", True),
    _h("address", "地址", "address", "text", "现居住地址", True),
    _h("income", "家庭年纯收入(元)", "annual_net_income_fen", "fen", "单位元，最多两位小数", True),
    Column("housing", "住房", "housing", True, True, "enum", "住房状况", vocabulary=Housing),
    _h("causes", "致贫原因", "poverty_causes", "causes", "可填多项，用“、”或“;”分隔"),
    _h("wubao", "五保", "flags.wubao", "bool", "是/否，空白为否"),
    _h("dibao", "低保", "flags.dibao", "bool", "是/否，空白为否"),
    _h("sanwu", "三无", "flags.sanwu", "bool", "是/否，空白为否"),
    _h("idle_land", "土地撂荒", "flags.idle_land", "bool", "是/否，空白为否"),
    _h("crime", "违法犯罪", "flags.crime", "bool", "是/否，空白为否"),
    _h("family_planning_violation", "违反计生", "flags.family_planning_violation", "bool", "是/否，空白为否"),
    _h("bank", "开户银行", "bank_account.bank", "text", "一户一卡；三项银行信息全填或全空"),
    _h("account_number", "银行账号", "bank_account.account_number", "text", "12至30位数字，请设为文本格式"),
    _h("holder_id_number", "持卡人身份证号", "bank_account.holder_id_number", "text", "持卡人须为本户成员"),
    _m("name", "姓名", "text", "成员姓名", required=True),
    _m("id_number", "身份证号", "text", "18位居民身份证号码，请设为文本格式", required=True),
    _m("relation", "与户主关系", "enum", "每户有且只有一名户主", Relation, required=True),
    _m("sex", "性别", "enum", "须与身份证号一致", Sex, required=True),
    _m("birth_date", "出生日期", "date", "YYYY-MM-DD，可空（取自身份证号）"),
    _m("disability", "残疾", "bool", "是/否，空白为否"),
    _m("health", "健康状况", "enum", "空白为健康", Health),
    _m("education", "文化程度", "enum", "空白为文盲或半文盲", Education),
    _m("labour", "劳动能力", "enum", "空白为普通劳动力", Labour),
    _m("in_school", "在校情况", "enum", "不在校请留空", SchoolLevel),
)
BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
# The flag columns are keyed by the Flags model's field names.
FLAG_KEYS: tuple[str, ...] = tuple(Flags.model_fields)
BY_FIELD: dict[str, Column] = {c.field: c for c in COLUMNS}
LABELS: tuple[str, ...] = tuple(c.label for c in COLUMNS)
_BRACKETS = str.maketrans({"（": "(", "）": ")", "\u3000": " "})


def normalise_header(text: str) -> str:
    """Header cells compared without blanks, with full-width brackets as ASCII, case-folded."""
    return re.sub(r"\s+", "", text.replace("\ufeff", "").translate(_BRACKETS)).casefold()


_ACCEPTED: dict[str, str] = {}
for _c in COLUMNS:
    for _spelling in (_c.label, _c.key, _c.field):
        _ACCEPTED.setdefault(normalise_header(_spelling), _c.key)


@dataclass(frozen=True)
class Header:
    """Where each known column sits in the file's header row."""

    index: dict[str, int]
    width: int

    @cached_property
    def household_columns(self) -> list[tuple[Column, int]]:
        """Household columns present in the file, with their positions."""
        return [(c, self.index[c.key]) for c in COLUMNS if c.household and c.key in self.index]

    @cached_property
    def member_columns(self) -> list[tuple[Column, int]]:
        """Member columns present in the file, with their positions."""
        return [(c, self.index[c.key]) for c in COLUMNS if not c.household and c.key in self.index]

    @cached_property
    def household_positions(self) -> list[int]:
        """Positions of :attr:`household_columns`."""
        return [p for _, p in self.household_columns]

    @cached_property
    def member_positions(self) -> list[int]:
        """Positions of :attr:`member_columns`."""
        return [p for _, p in self.member_columns]


def read_header(cells: list[str]) -> Header:
    """Locate the columns; refuse missing required columns and columns given twice."""
    index: dict[str, int] = {}
    for position, cell in enumerate(cells):
        key = _ACCEPTED.get(normalise_header(cell))
        if key is None:
            continue  # extra columns (notes, row numbers) are ignored
        if key in index:
            label = BY_KEY[key].label
            raise InvalidInput(
                "duplicate-column",
                f"column {label} appears twice in the header",
                f"表头中“{label}”列重复",
                field="file",
                extra={"columns": [label]},
            )
        index[key] = position
    missing = [c.label for c in COLUMNS if c.required and c.key not in index]
    if missing:
        raise InvalidInput(
            "missing-columns",
            f"required columns missing: {', '.join(missing)}",
            f"缺少必需的列：{'、'.join(missing)}",
            field="file",
            extra={"columns": missing},
        )
    return Header(index=index, width=len(cells))
