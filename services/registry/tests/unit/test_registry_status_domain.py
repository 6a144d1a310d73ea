"""Which status each identification event sets in the registry."""

from __future__ import annotations

import pytest

from registry.domain.status import status_after


@pytest.mark.parametrize(
    ("event_type", "kind", "expected"),
    [
        ("identification.case.opened", "entry", "under_review"),
        ("identification.case.opened", "reentry", "under_review"),
        ("identification.case.opened", "exit", None),
        ("identification.case.opened", "monitoring", None),
        ("identification.case.rejected", "entry", "rejected"),
        ("identification.case.rejected", "reentry", "exited"),
        ("identification.case.rejected", "exit", None),
        ("identification.household.approved", None, "poor"),
        ("identification.household.reentered", None, "poor"),
        ("identification.household.exited", None, "exited"),
        ("identification.notice.started", "entry", None),
        ("identification.monitoring.started", None, None),
    ],
)
def test_status_after_each_decision(event_type: str, kind: str | None, expected: str | None) -> None:
    assert status_after(event_type, {"kind": kind} if kind else {}) == expected
