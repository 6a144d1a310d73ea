"""The soak's request mix: which operation each scheduled slot gets.

Weights are per mille of the scheduled requests. An operation whose targets do not exist yet (no case
awaiting a step, say) is left out of the draw until they do; an operation never run yet is drawn first
as soon as it can run, so a short run still exercises every route.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench.soak.operations import GRANT_PERIOD, Soak
from bench.soak.world import COUNTY, World


@dataclass(frozen=True)
class Op:
    """One kind of request in the mix."""

    route: str  # the route template it is counted under (PATCH counts its GET separately)
    weight: int
    available: Callable[[World], bool]
    run: Callable[[Soak], Awaitable[None]]


def _always(_world: World) -> bool:
    return True


MIX: tuple[Op, ...] = (
    # reads: 70 %
    Op("GET /api/v1/households", 120, _always, Soak.household_list),
    Op("GET /api/v1/households/{household_id}", 150, _always, Soak.household_detail),
    Op("GET /api/v1/households/{household_id}/assessment", 100, _always, Soak.assessment),
    Op("GET /api/v1/roster", 50, _always, Soak.roster_list),
    Op("GET /api/v1/roster/{household_id}", 60, lambda w: bool(w.locked or w.unlocked), Soak.roster_entry),
    Op("GET /api/v1/cases", 40, _always, Soak.case_list),
    Op("GET /api/v1/audit/entries", 60, _always, Soak.audit_entries),
    Op("GET /api/v1/audit/tree-head", 20, _always, Soak.tree_head),
    Op("GET /api/v1/public/notices", 40, _always, Soak.public_notices),
    Op("GET /api/v1/public/board", 30, _always, Soak.public_board),
    Op("GET /api/v1/households/{household_id}/dossier", 30, _always, Soak.dossier),
    # writes: 29.5 %
    Op("POST /api/v1/households", 60, _always, Soak.register),
    Op("POST /api/v1/households/{household_id}/members", 35, lambda w: bool(w.editable), Soak.add_member),
    Op(
        "DELETE /api/v1/households/{household_id}/members/{member_id}",
        20,
        lambda w: bool(w.removable),
        Soak.remove_member,
    ),
    Op("PATCH /api/v1/households/{household_id}", 25, lambda w: bool(w.editable), Soak.patch),
    Op("POST /api/v1/cases", 15, lambda w: bool(w.caseless), Soak.open_case),
    Op("POST /api/v1/cases/{case_id}/transitions", 100, lambda w: w.has_ready(w.cases), Soak.case_step),
    Op("POST /api/v1/grants", 10, lambda w: bool(w.grantable), Soak.apply_grant),
    Op("POST /api/v1/grants/{grant_id}/transitions", 30, lambda w: w.has_ready(w.grants), Soak.grant_step),
    # bulk imports: 0.5 % (each followed by polls of its job)
    Op("POST /api/v1/imports", 5, _always, Soak.upload),
)
# Routes the soak must have exercised besides the mix's own: job polls and the review run.
FOLLOW_UP_ROUTES = ("GET /api/v1/jobs/{job_id}", "POST /api/v1/reviews", "GET /api/v1/reviews/{review_id}")


def choose(world: World, rng: random.Random, unexercised: set[str]) -> Op | None:
    """The next operation: one never run yet if it can run now, else a weighted draw of those that can."""
    ready = [op for op in MIX if op.available(world)]
    fresh = [op for op in ready if op.route in unexercised]
    if fresh:
        return fresh[0]
    if not ready:
        return None
    return rng.choices(ready, weights=[op.weight for op in ready])[0]


def review_body(world: World) -> dict[str, Any]:
    """The review run: the whole county, dry (it opens no cases the soak would not know about)."""
    return {
        "division_code": COUNTY,
        "year": int(GRANT_PERIOD),
        "policy": world.policy_id,
        "dry_run": True,
        "reason": "半年动态复核(soak)",
    }
