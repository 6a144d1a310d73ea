"""Re-review (动态管理) outcomes and the per-village summary built from them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# stay: poor and still poor; exit (脱贫): poor and the exit rule met; entry: eligible and within quota;
# below_cut: eligible but the quota is used up; reentry (返贫): exited and eligible again;
# monitoring: not poor, not monitored, below the monitoring line or hit by a qualifying shock.
OUTCOMES = ("stay", "exit", "entry", "below_cut", "reentry", "monitoring")
# People who are poor after the proposals: what the village quota is spent on (monitoring is not).
QUOTA_OUTCOMES = ("stay", "entry", "reentry")
# Proposals that open a case, and its kind.
CASE_KINDS = {"exit": "exit", "entry": "entry", "reentry": "reentry", "monitoring": "monitoring"}


def summarize(totals: Iterable[tuple[str, str, int, int]], quotas: dict[str, int]) -> list[dict[str, Any]]:
    """Per village: households and people per outcome, quota and quota use (villages in code order)."""
    villages: dict[str, dict[str, Any]] = {}
    for village, outcome, households, people in totals:
        entry = villages.setdefault(
            village,
            {
                "village_code": village,
                "households": dict.fromkeys(OUTCOMES, 0),
                "people": dict.fromkeys(OUTCOMES, 0),
            },
        )
        entry["households"][outcome] = households
        entry["people"][outcome] = people
    out = []
    for code in sorted(villages):
        v = villages[code]
        quota = quotas.get(code, 0)
        used = sum(v["people"][o] for o in QUOTA_OUTCOMES)
        out.append({**v, "quota": quota, "quota_used": used, "quota_left": quota - used})
    return out
