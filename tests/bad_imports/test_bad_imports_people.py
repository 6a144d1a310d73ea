"""People: listed twice in a file or across files, ID numbers with a wrong check digit, rare characters."""

from __future__ import annotations

import csv
import io

import pytest

from jzkit.idnumber import check_character
from registry.synth import Synthesizer
from tests.bad_imports import corpus
from tests.bad_imports.importer import Importer, Upload

pytestmark = pytest.mark.stack

ID = corpus.col("id_number")
NAME = corpus.col("name")
RELATION = corpus.col("relation")
REF = corpus.col("household_ref")


def _first_rows(rows: corpus.Rows) -> dict[str, int]:
    """File row number (header is row 1) of each household's first row."""
    first: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        first.setdefault(row[REF], number)
    return first


async def test_person_in_two_households_of_one_file_refuses_both(
    importer: Importer, synthesizer: Synthesizer
) -> None:
    drafts = corpus.households(synthesizer, 4, "dupfile")
    groups = corpus.rows_of(drafts)
    # H2's head also appears as a child of H3; H4 lists its head a second time, as a child.
    groups[2].append(corpus.member_in(groups[2][0], groups[1][0], "子女"))
    groups[3].append(corpus.member_in(groups[3][0], groups[3][0], "子女"))
    rows = corpus.flat(groups)
    outcome = await importer.attempt("same person in 2 households", Upload("dup.csv", corpus.csv_file(rows)))
    counts = outcome.counts
    assert (counts["households_created"], counts["households_rejected"]) == (1, 3)
    twice = outcome.errors_with("person-listed-twice")
    assert {(e["row"], e["column"]) for e in twice} == {
        (_first_rows(rows)["H2"], "身份证号"),
        (len(corpus.flat(groups[:3])) + 1, "身份证号"),
    }
    assert [(e["row"], e["column"]) for e in outcome.errors_with("duplicate-member")] == [
        (len(rows) + 1, "身份证号")
    ]
    # Nothing else is wrong with these households: no error but the ones above and the notes.
    assert outcome.codes() == {"person-listed-twice", "duplicate-member"}
    assert await importer.stored_people("dupfile") == corpus.people(drafts[:1])


async def test_people_already_registered_by_an_earlier_file(
    importer: Importer, synthesizer: Synthesizer
) -> None:
    drafts = corpus.households(synthesizer, 3, "dupacross")
    first = await importer.attempt(
        "file 1 of 2", Upload("first.csv", corpus.csv_file(corpus.flat(corpus.rows_of(drafts[:2]))))
    )
    assert first.counts["households_created"] == 2
    # File 2: H1 again unchanged, a new household claiming H2's head, and one new valid household.
    again = corpus.rows_of(drafts[:1])[0]
    claimed = corpus.rows_of(corpus.households(synthesizer, 1, "dupacross-claim"), "C")[0]
    claimed.append(corpus.member_in(claimed[0], corpus.rows_of(drafts[1:2])[0][0], "子女"))
    fresh = corpus.rows_of(drafts[2:], "N")[0]
    second = await importer.attempt(
        "file 2 of 2: overlaps file 1", Upload("second.csv", corpus.csv_file([*again, *claimed, *fresh]))
    )
    counts = second.counts
    assert (counts["households_created"], counts["households_unchanged"], counts["households_rejected"]) == (
        1,
        1,
        1,
    )
    assert [(e["row"], e["column"]) for e in second.errors_with("person-already-registered")] == [
        (1 + len(again) + len(claimed), "身份证号")
    ]
    assert second.codes() == {"person-already-registered"}
    assert await importer.stored_people("dupacross") == corpus.people(drafts)
    assert await importer.stored_people("dupacross-claim") == []


async def test_wrong_check_digits_are_refused_at_their_cell(
    importer: Importer, synthesizer: Synthesizer
) -> None:
    drafts = corpus.households(synthesizer, 4, "checkdigit")
    groups = corpus.rows_of(drafts)
    bad_rows = []
    for index in (1, 3):  # the last member of H2 and of H4
        row = groups[index][-1]
        number = row[ID]
        wrong = next(c for c in "0123456789X" if c != check_character(number[:17]))
        row[ID] = number[:17] + wrong
        bad_rows.append(len(corpus.flat(groups[: index + 1])) + 1)
    rows = corpus.flat(groups)
    outcome = await importer.attempt("ID check digit wrong", Upload("check.csv", corpus.csv_file(rows)))
    assert (outcome.counts["households_created"], outcome.counts["households_rejected"]) == (2, 2)
    invalid = outcome.errors_with("invalid-id-number")
    assert [(e["row"], e["column"], e["field"]) for e in invalid] == [
        (row, "身份证号", f"members[{len(groups[i]) - 1}].id_number")
        for row, i in zip(bad_rows, (1, 3), strict=True)
    ]
    assert "校验码" in invalid[0]["message_zh"] and "check_character" in invalid[0]["message_en"]
    assert await importer.stored_people("checkdigit") == corpus.people([drafts[0], drafts[2]])


RARE_NAMES = ("王𠀀", "𪚥龘", "李䶮", "𰻝𰻝面", "张𡈽")  # CJK extensions B, B, A, G, B


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
async def test_rare_characters_are_stored_and_read_back_intact(
    importer: Importer, synthesizer: Synthesizer, encoding: str
) -> None:
    case = f"rare-{encoding}"
    drafts = [
        d.model_copy(
            update={
                "address": f"{d.address}𠀀",
                "members": [
                    m.model_copy(update={"name": RARE_NAMES[i % len(RARE_NAMES)]})
                    for i, m in enumerate(d.members)
                ],
            }
        )
        for d in corpus.households(synthesizer, 2, case)
    ]
    body = corpus.csv_file(corpus.flat(corpus.rows_of(drafts)), encoding)
    outcome = await importer.attempt(f"CJK ext. B names, {encoding}", Upload(f"{case}.csv", body))
    assert outcome.counts["households_created"] == 2
    assert await importer.stored_people(case) == corpus.people(drafts)
    async with importer.client() as client:
        # Through the gateway: the API and the export hand back the same characters.
        for household_id in outcome.new_households:
            served = (await client.get(f"/api/v1/households/{household_id}")).json()
            assert served["address"].endswith("𠀀")
            assert {m["name"] for m in served["members"]} <= set(RARE_NAMES)
        export = await client.get("/api/v1/exports/households.csv")
        assert export.status_code == 200
    exported = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    mine = [r for r in exported if r[corpus.col("address")].startswith(f"{case}-")]
    assert sorted((r[corpus.col("address")], r[NAME]) for r in mine) == corpus.people(drafts)
