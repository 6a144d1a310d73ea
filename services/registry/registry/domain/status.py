"""A household's ``status`` as identification's decisions set it (the registry only mirrors them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.domain.vocabulary import HouseholdStatus as S

# Kinds whose case puts a household that is not yet poor under review; exit and monitoring
# cases concern households whose status stays what it is until they are decided.
_REVIEWED_KINDS = {"entry", "reentry"}
# A rejected case leaves the household where the case found it: an entry becomes rejected,
# a failed re-entry stays exited, a refused exit stays poor.
_AFTER_REJECTION = {"entry": S.REJECTED, "reentry": S.EXITED}
_DECISIONS = {
    "identification.household.approved": S.POOR,
    "identification.household.reentered": S.POOR,
    "identification.household.exited": S.EXITED,
}


def status_after(event_type: str, data: Mapping[str, Any]) -> S | None:
    """The status an identification event sets, or None when it leaves the status alone."""
    if event_type in _DECISIONS:
        return _DECISIONS[event_type]
    kind = data.get("kind")
    if event_type == "identification.case.opened" and kind in _REVIEWED_KINDS:
        return S.UNDER_REVIEW
    if event_type == "identification.case.rejected" and isinstance(kind, str):
        return _AFTER_REJECTION.get(kind)
    return None
