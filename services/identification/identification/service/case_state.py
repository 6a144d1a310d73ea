"""Between a case row and the pure procedure state."""

from __future__ import annotations

from datetime import datetime

from identification.domain.procedure import TERMINAL, CaseState, Notice, NoticeState, Stage
from identification.models.case import IdentificationCase


def state_of(case: IdentificationCase) -> CaseState:
    """The procedure state held in ``case``."""
    return CaseState(
        stage=Stage(case.stage),
        notice=Notice(case.notice) if case.notice else None,
        notice_started_at=case.notice_started_at,
        notice_ends_at=case.notice_ends_at,
        notice_state=NoticeState(case.notice_state) if case.notice_state else None,
        paused_at=case.paused_at,
        open_objections=case.open_objections,
    )


def store_state(case: IdentificationCase, state: CaseState, now: datetime) -> None:
    """Write ``state`` into ``case``; a closed case frees the household for its next case."""
    case.stage = state.stage.value
    case.notice = state.notice.value if state.notice else None
    case.notice_started_at = state.notice_started_at
    case.notice_ends_at = state.notice_ends_at
    case.notice_state = state.notice_state.value if state.notice_state else None
    case.paused_at = state.paused_at
    case.open_objections = state.open_objections
    case.updated_at = now
    case.version += 1
    if state.stage in TERMINAL:
        case.open_household_id = None
        case.closed_at = now
