"""Compiled SQL evaluation and Python assessment agree on every household (property test, SQLite)."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from identification.domain.evaluate import assess
from identification.domain.policy import Policy
from identification.domain.synthetic import household_facts, member
from identification.models.facts import household_facts as T
from identification.policies import DEFAULT, EXAMPLE, document
from identification.repository.evaluation import evaluation_select
from identification.repository.facts import row_values
from jzkit.contracts.registry import HouseholdFacts, MemberFacts

CAUSES = [
    "illness",
    "disability",
    "education",
    "disaster",
    "lack_of_labour",
    "lack_of_land",
    "other",
    "accident",
]
FLAGS = ["idle_land", "crime", "family_planning_violation", "wubao", "dibao", "sanwu"]
NOW = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, ident_db_template: Path) -> Iterator[sa.Engine]:
    """A synchronous engine on a copy of the migrated template (same SQLite dialect, no event loop)."""
    db = tmp_path_factory.mktemp("evaluation") / "eval.db"
    shutil.copyfile(ident_db_template, db)
    engine = sa.create_engine(f"sqlite:///{db}")
    yield engine
    engine.dispose()


@st.composite
def members(draw: st.DrawFn) -> MemberFacts:
    return member(
        relation=draw(st.sampled_from(["head", "spouse", "child", "parent"])),
        sex=draw(st.sampled_from(["male", "female"])),
        birth_date=date(1970, 1, 1),
        disability=draw(st.booleans()),
        health=draw(st.sampled_from(["healthy", "chronic_illness", "serious_illness", "disabled"])),
        labour=draw(st.sampled_from(["full", "partial", "none"])),
        in_school=draw(st.sampled_from([None, "primary", "university"])),
    )


@st.composite
def households(draw: st.DrawFn) -> HouseholdFacts:
    people = draw(st.lists(members(), min_size=1, max_size=6))
    return household_facts(
        "510822104201",
        annual_net_income_fen=draw(st.integers(min_value=0, max_value=3_000_000)),
        members=people,
        housing=draw(st.sampled_from(["safe", "basic", "unsafe", "none", "cave"])),
        poverty_causes=draw(st.lists(st.sampled_from(CAUSES), unique=True, max_size=4)),
        flags={
            f: draw(st.booleans()) for f in draw(st.lists(st.sampled_from(FLAGS), unique=True, max_size=3))
        },
    )


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    doc: dict[str, Any] = copy.deepcopy(document(draw(st.sampled_from([DEFAULT, EXAMPLE]))))
    doc["income_line_fen"] = draw(st.integers(min_value=1, max_value=800_000))
    doc["min_score"] = draw(st.integers(min_value=0, max_value=100))
    for rule in doc["exclusions"] + doc["priorities"]:
        rule["enabled"] = draw(st.booleans())
    doc["exit_rule"]["income_percent_of_line"] = draw(st.integers(min_value=0, max_value=300))
    doc["monitoring"]["line_percent_of_poverty_line"] = draw(st.integers(min_value=1, max_value=300))
    return Policy.model_validate(doc)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(policy=policies(), batch=st.lists(households(), min_size=1, max_size=12))
def test_sql_and_python_agree(engine: sa.Engine, policy: Policy, batch: list[HouseholdFacts]) -> None:
    with engine.begin() as conn:
        conn.execute(sa.delete(T))
        conn.execute(sa.insert(T), [row_values(f, NOW) for f in batch])
        ev = evaluation_select(policy, "510822")
        rows = {r.household_id: r for r in conn.execute(sa.select(ev))}
    for facts in batch:
        expected = assess(policy, facts)
        got = rows[facts.household_id]
        assert (got.eligible == 1, got.score) == (expected.eligible, expected.score)
        assert got.priority == (1 if expected.priorities else 0)
        assert got.excluded == (1 if expected.exclusions else 0)
        assert (got.exit_ready == 1, got.at_risk == 1) == (expected.exit_ready, expected.monitoring_candidate)
