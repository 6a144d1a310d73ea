"""Schemathesis against the gateway's merged OpenAPI, as every role and as nobody (issue 8 §2).

For each caller every operation of the document gets generated valid and invalid requests and
reads of real objects; no answer may be a 5xx, and each must match what the document promises
(status, content type, headers, body; errors as problem+json). ``JZ_HOSTILE_EXAMPLES`` sets the
valid cases per operation (invalid ones are half as many); the default keeps CI under a minute.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from jzkit.auth import Role
from jzkit.testing.stack import Stack
from tests.hostile import fuzz, report
from tests.hostile.routes import routes
from tests.hostile.world import COUNTY, TOWNSHIP, VILLAGE, World

pytestmark = pytest.mark.stack

EXAMPLES = int(os.environ.get("JZ_HOSTILE_EXAMPLES", "6"))
PROVINCE = "510000000000"
# Each role where it works: the victims' village, township and county, or the whole province.
JURISDICTION = {
    Role.VILLAGE_CLERK: VILLAGE,
    Role.TOWNSHIP_REVIEWER: TOWNSHIP,
    Role.COUNTY_APPROVER: COUNTY,
    Role.FUNDS_OFFICER: COUNTY,
    Role.AUDITOR: COUNTY,
    Role.ADMIN: PROVINCE,
    Role.SYSTEM: PROVINCE,
}
CALLERS = [None, *Role]


def _headers(stack: Stack, role: Role | None) -> dict[str, str]:
    if role is None:
        return {}
    return {"Authorization": f"Bearer {stack.token(role, JURISDICTION[role])}"}


@pytest.mark.parametrize("role", CALLERS, ids=lambda r: "anonymous" if r is None else r.value)
def test_every_operation_answers_as_documented(
    hostile_stack: Stack, openapi: dict[str, Any], victims: World, role: Role | None
) -> None:
    caller = "anonymous" if role is None else role.value
    schema = fuzz.load(openapi, hostile_stack.gateway_url)
    stats = fuzz.run(schema, caller, _headers(hostile_stack, role), EXAMPLES, victims.ids)
    ok = sum(n for status, n in stats.statuses.items() if status < 300)
    report.add(
        f"schemathesis {caller:>17}: {stats.operations} operations, {stats.requests} requests "
        f"({ok} 2xx, {stats.known} reads of real objects, {len(stats.no_invalid)} operations without "
        f"input to make invalid), {len(stats.failures)} failures; "
        f"statuses {dict(sorted(stats.statuses.items()))}"
    )
    assert stats.operations == len(routes(openapi)) > 0
    assert stats.requests >= stats.operations  # at least one case each
    assert stats.failures == [], "\n".join(stats.failures[:30])
    assert stats.statuses[429] == 0, "rate limited although the stack's limits are out of reach"
    assert ok > 0, "no request succeeded: the run only saw refusals"
    if role is None:
        assert stats.statuses[401] > 0  # the secured operations refused the anonymous caller
