"""Working days for the monitoring deadline: weekends skipped, in China Standard Time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from identification.domain.working_days import add_working_days, is_working_day

# 2026-03-06 is a Friday.
FRIDAY_10_CST = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)


def test_one_working_day_after_friday_is_monday() -> None:
    assert add_working_days(FRIDAY_10_CST, 1) == datetime(2026, 3, 9, 2, 0, tzinfo=UTC)


def test_twenty_working_days_span_four_weekends() -> None:
    assert add_working_days(FRIDAY_10_CST, 20) == datetime(2026, 4, 3, 2, 0, tzinfo=UTC)


def test_weekend_is_judged_in_china_time() -> None:
    # Sunday 17:00 UTC is Monday 01:00 in Beijing: a working day there.
    sunday_utc = datetime(2026, 3, 8, 17, 0, tzinfo=UTC)
    assert is_working_day(sunday_utc)
    assert add_working_days(sunday_utc, 1) == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)


def test_opened_on_saturday_counts_from_monday() -> None:
    saturday = datetime(2026, 3, 7, 2, 0, tzinfo=UTC)
    assert add_working_days(saturday, 1) == datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    assert add_working_days(saturday, 0) == saturday


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(FRIDAY_10_CST, -1)
