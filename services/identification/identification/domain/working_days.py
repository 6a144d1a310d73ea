"""Working-day arithmetic (工作日) for procedure deadlines: Monday to Friday, in China Standard Time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

# Weekends are local: a case opened on Monday 01:00 in Beijing is still Sunday in UTC.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
SATURDAY = 5


def is_working_day(moment: datetime, tz: timezone = CHINA_STANDARD_TIME) -> bool:
    """True when ``moment`` falls on Monday to Friday in ``tz``."""
    return moment.astimezone(tz).weekday() < SATURDAY


def add_working_days(start: datetime, days: int, tz: timezone = CHINA_STANDARD_TIME) -> datetime:
    """The moment ``days`` working days after ``start`` (same local time of day), in UTC.

    Each counted day is the next Monday-to-Friday date, so a case opened on Friday with one
    working day is due on Monday at the same time; opened on Saturday, also on Monday.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    local = start.astimezone(tz)
    counted = 0
    while counted < days:
        local += timedelta(days=1)
        if local.weekday() < SATURDAY:
            counted += 1
    return local.astimezone(UTC)
