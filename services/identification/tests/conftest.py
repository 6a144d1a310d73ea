"""Fixtures shared by the identification tests: demo users, tokens, a migrated template database, facts.

Test modules cannot import each other (``--import-mode=importlib``), so what they share is here, as
fixtures; ``api/conftest.py`` adds the running app on top.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from identification import MIGRATIONS_DIR
from identification.domain import synthetic
from jzkit.auth import Principal, Role, issue_token
from jzkit.contracts.registry import HouseholdFacts, MemberFacts
from jzkit.migrate import upgrade
from jzkit.settings import CommonSettings

COUNTY = "510822000000"  # 青川县
CHABA = "510822104000"  # 茶坝乡
QIAOZHUANG = "510822100000"  # 乔庄镇
LUCHANG = "510822104201"  # 炉场村, in 茶坝乡

# Test users: role and jurisdiction.
USERS = {
    "county": (Role.COUNTY_APPROVER, COUNTY),
    "township": (Role.TOWNSHIP_REVIEWER, CHABA),
    "township2": (Role.TOWNSHIP_REVIEWER, QIAOZHUANG),
    "clerk": (Role.VILLAGE_CLERK, LUCHANG),
    "admin": (Role.ADMIN, "510000000000"),
    "auditor": (Role.AUDITOR, COUNTY),
}

Auth = Callable[[str], dict[str, str]]
MakeFacts = Callable[..., HouseholdFacts]
MakeMember = Callable[..., MemberFacts]


@pytest.fixture(scope="session")
def common_settings() -> CommonSettings:
    return CommonSettings(mode="embedded")


@pytest.fixture(scope="session")
def auth(common_settings: CommonSettings) -> Auth:
    """``auth(user)``: the ``Authorization`` header of test user ``user`` (see ``USERS``)."""

    def headers(user: str) -> dict[str, str]:
        role, jurisdiction = USERS[user]
        return {"Authorization": f"Bearer {issue_token(common_settings, user, role, jurisdiction)}"}

    return headers


@pytest.fixture(scope="session")
def principal_of() -> Callable[[str], Principal]:
    """``principal_of(user)``: the Principal of test user ``user`` (for calling services directly)."""

    def make(user: str) -> Principal:
        role, jurisdiction = USERS[user]
        return Principal(subject=user, role=role, jurisdiction=jurisdiction)

    return make


@pytest.fixture(scope="session")
def ident_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head once per session (worker); tests copy it."""
    path = tmp_path_factory.mktemp("identification") / "template.db"
    upgrade(MIGRATIONS_DIR, f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def make_facts() -> MakeFacts:
    """``make_facts(division_code, annual_net_income_fen=..., members=[...], **fields)``: a facts snapshot."""
    return synthetic.household_facts


@pytest.fixture
def make_member() -> MakeMember:
    """``make_member(**fields)``: one member's facts."""

    def make(**fields: Any) -> MemberFacts:
        return synthetic.member(**fields)

    return make
