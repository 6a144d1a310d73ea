"""The import template: the header row (Chinese labels) and one example row; XLSX adds a notes sheet."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from jzkit.idnumber import check_character
from registry.domain import labels
from registry.domain.household import BankAccountDraft, Flags, HouseholdDraft, MemberDraft
from registry.domain.vocabulary import Education, Health, Housing, Labour, PovertyCause, Relation, Sex
from registry.exports.rows import from_draft, sheet_rows
from registry.exports.sheets import SHEET_TITLE, csv_bytes
from registry.formula_guard import neutralise
from registry.imports.columns import COLUMNS

EXAMPLE_REF = "H0001"
NOTES_TITLE = "填写说明"
_EXAMPLE_ID_17 = "51082219800101123"  # a man born 1980-01-01 in 青川县 (odd 17th digit)
_HOUSEHOLD_NOTE = (
    "每行一名成员；同一户的各行填相同的户编号且须相邻。户级信息（户编号至持卡人身份证号）"
    "可每行重复填写（导出文件即如此），也可只在一行填写；多行填写时须一致。"
)


def example_household() -> HouseholdDraft:
    """The example row: a one-member household in 茶坝乡炉场村 (demo world), valid as it stands."""
    head_id = _EXAMPLE_ID_17 + check_character(_EXAMPLE_ID_17)
    return HouseholdDraft(
        division_code="510822104201",
        address="青川县茶坝乡炉场村三组",
        annual_net_income_fen=600_050,
        housing=Housing.UNSAFE,
        poverty_causes=[PovertyCause.ILLNESS, PovertyCause.LACK_OF_LABOUR],
        flags=Flags(),
        bank_account=BankAccountDraft(
            bank="农村信用社", account_number="6230000000000000001", holder_id_number=head_id
        ),
        members=[
            MemberDraft(
                name="王大山",
                id_number=head_id,
                relation=Relation.HEAD,
                sex=Sex.MALE,
                birth_date=date(1980, 1, 1),
                health=Health.CHRONIC_ILLNESS,
                education=Education.PRIMARY,
                labour=Labour.FULL,
            )
        ],
    )


def example_rows() -> list[list[str]]:
    """The template's example row(s)."""
    return sheet_rows(from_draft(EXAMPLE_REF, example_household()))


def template_csv() -> bytes:
    """UTF-8 with BOM: header and the example row."""
    return csv_bytes(example_rows(), with_header=True)


def _notes() -> list[list[str]]:
    rows = [["列名", "API 字段", "必填", "说明", "可选值"]]
    for column in COLUMNS:
        choices = labels.allowed(column.vocabulary) if column.vocabulary else ""
        if column.kind == "causes":
            choices = labels.allowed(PovertyCause)
        rows.append([column.label, column.field, "是" if column.required else "否", column.note, choices])
    rows.append(["", "", "", _HOUSEHOLD_NOTE, ""])
    return rows


def template_xlsx() -> bytes:
    """The template workbook: every column formatted as text, so ID numbers keep all 18 digits."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    sheet.append(list(c.label for c in COLUMNS))
    for row in example_rows():
        sheet.append([neutralise(c) for c in row])
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(10, 2 * len(column.label) + 4)
        for cell in sheet[letter]:
            cell.number_format = "@"
        sheet[f"{letter}1"].font = Font(bold=True)
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(NOTES_TITLE)
    for row in _notes():
        notes.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
