"""What the soak knows about the data it created: households, cases and grants, and who may act next.

Operations pick their targets here, so every write is one the system should accept: a case is advanced
only by the role it awaits and after its notice ran out, a household is edited by one operation at a
time, a grant is applied for only once the funds service has the household locked in.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from identification.domain.procedure import TABLE, TERMINAL, Action, Stage
from jzkit.auth import Role
from jzkit.testing.stack import Stack

T = TypeVar("T")

VILLAGE = ("510822104201", "炉场村")  # the clerk's village: every household registered one by one
TOWNSHIP = "510822104000"  # 茶坝乡: imports spread over its villages
COUNTY = "510822000000"  # 青川县
# A notice ends on the server's clock: act this long after its end so the step is never early.
NOTICE_MARGIN_SECONDS = 0.25
# The roles that act in the soak, by the role names a case's ``awaits`` carries.
ROLES: dict[str, tuple[Role, str]] = {
    "clerk": (Role.VILLAGE_CLERK, VILLAGE[0]),
    "township": (Role.TOWNSHIP_REVIEWER, TOWNSHIP),
    "county": (Role.COUNTY_APPROVER, COUNTY),
    "funds": (Role.FUNDS_OFFICER, COUNTY),
    "auditor": (Role.AUDITOR, COUNTY),
    "admin": (Role.ADMIN, COUNTY),
}
BY_ROLE = {role.value: who for who, (role, _) in ROLES.items()}


def tokens(stack: Stack) -> dict[str, str]:
    """A bearer token per acting role, signed with the stack's key."""
    return {who: stack.token(role, area, subject=f"soak-{who}") for who, (role, area) in ROLES.items()}


class Pool(Generic[T]):
    """A set with O(1) add, remove and random choice (operations draw targets from these)."""

    def __init__(self, items: Iterable[T] = ()) -> None:
        self._items: list[T] = []
        self._where: dict[T, int] = {}
        for item in items:
            self.add(item)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._where

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items))  # a copy: the pool may change while the caller iterates

    def add(self, item: T) -> None:
        """Add ``item`` (no-op when present)."""
        if item not in self._where:
            self._where[item] = len(self._items)
            self._items.append(item)

    def discard(self, item: T) -> None:
        """Remove ``item`` if present (the last item takes its slot)."""
        where = self._where.pop(item, None)
        if where is None:
            return
        last = self._items.pop()
        if where < len(self._items):
            self._items[where] = last
            self._where[last] = where

    def choice(self, rng: random.Random) -> T | None:
        """A random item, or None when empty."""
        return self._items[rng.randrange(len(self._items))] if self._items else None


@dataclass
class Household:
    """A household the soak registered."""

    id: str
    members: list[str]
    registered_at: float = field(default_factory=time.monotonic)
    added: list[str] = field(default_factory=list)  # members the soak added (only these are removed)


@dataclass
class Step:
    """The next step of a case or grant: who acts, what they do, not before ``ready_at`` (monotonic)."""

    id: str
    household_id: str
    who: str
    action: str
    ready_at: float = 0.0


def ready_at(ends_at: str | None) -> float:
    """The monotonic time at which a notice ending at ``ends_at`` (ISO 8601, server clock) has run out."""
    if not ends_at:
        return 0.0
    left = (datetime.fromisoformat(ends_at) - datetime.now(UTC)).total_seconds()
    return time.monotonic() + max(0.0, left) + NOTICE_MARGIN_SECONDS


# A grant goes applied -> verified -> published (notice) -> approved, each step by this role.
GRANT_STEPS = {
    "applied": ("clerk", "verify"),
    "verified": ("township", "publish"),
    "published": ("township", "approve"),
}


class World:
    """Pools of targets for each operation; a target is taken out while an operation works on it."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.households: dict[str, Household] = {}
        self.readable: Pool[str] = Pool()  # every household (reads)
        self.unprojected: Pool[str] = Pool()  # registered, identification not seen to have it yet
        self.editable: Pool[str] = Pool()  # no case: its status cannot change under an edit
        self.caseless: Pool[str] = Pool()  # projected into identification, no case yet
        self.removable: Pool[str] = Pool()  # editable, with a member the soak added
        self.cases: dict[str, Step] = {}  # open cases by id, with their next step
        self.unlocked: Pool[str] = Pool()  # case locked, funds' roster not seen to have it yet
        self.locked: Pool[str] = Pool()  # on the roster, locked in (readable there)
        self.grantable: Pool[str] = Pool()  # locked in, no grant yet
        self.grants: dict[str, Step] = {}  # grants not approved yet, with their next step
        self.busy: set[str] = set()  # case and grant ids with a step on its way
        self.policy_id = ""
        self.program = ""
        self.members_added = 0

    # --- households ------------------------------------------------------------------------

    def registered(self, body: dict[str, Any]) -> None:
        """A household the registry answered 201 for."""
        hid = str(body["id"])
        self.households[hid] = Household(hid, [str(m["id"]) for m in body["members"]])
        for pool in (self.readable, self.unprojected, self.editable):
            pool.add(hid)

    def projected(self, hid: str) -> None:
        """Identification answered an assessment: the household may get a case."""
        if hid in self.unprojected:
            self.unprojected.discard(hid)
            if hid in self.editable:  # not edited right now and no case yet
                self.caseless.add(hid)

    def take_editable(self) -> Household | None:
        """A household with no case and no edit in progress, taken out until :meth:`release`."""
        return self._take(self.editable.choice(self.rng))

    def take_removable(self) -> Household | None:
        """Like :meth:`take_editable`, one with a member the soak added (it may remove that one)."""
        return self._take(self.removable.choice(self.rng))

    def _take(self, hid: str | None) -> Household | None:
        if hid is None:
            return None
        for pool in (self.editable, self.caseless, self.removable):
            pool.discard(hid)
        return self.households[hid]

    def release(self, household: Household) -> None:
        """An edit finished: the household is editable (and may get a case) again."""
        self.editable.add(household.id)
        if household.id not in self.unprojected:
            self.caseless.add(household.id)
        if household.added:
            self.removable.add(household.id)

    def take_caseless(self) -> str | None:
        """A projected household with no case, taken out of the edit pools for good."""
        hid = self.caseless.choice(self.rng)
        self._take(hid)
        return hid

    # --- cases and grants ------------------------------------------------------------------

    def case_step(self, case: dict[str, Any]) -> None:
        """Record a case as answered: its next step, or locked (the roster should now get it)."""
        cid, hid = str(case["id"]), str(case["household_id"])
        stage = Stage(case["stage"])
        if stage in TERMINAL:
            self.cases.pop(cid, None)
            if stage is Stage.LOCKED:
                self.unlocked.add(hid)
            return
        awaits = case.get("awaits")
        if awaits is None:  # a notice is running: after it, the procedure's approver for this stage acts
            role, action = TABLE[(stage, Action.APPROVE)].role.value, Action.APPROVE.value
        else:
            role, action = str(awaits["role"]), str(awaits["action"])
        self.cases[cid] = Step(cid, hid, BY_ROLE[role], action, ready_at(case.get("notice_ends_at")))

    def on_roster(self, hid: str) -> None:
        """The roster shows the household locked in: grants may be applied for."""
        if hid in self.unlocked:
            self.unlocked.discard(hid)
            self.locked.add(hid)
            self.grantable.add(hid)

    def grant_step(self, grant: dict[str, Any]) -> None:
        """Record a grant as answered: its next step, or none once approved (or anything else)."""
        gid = str(grant["id"])
        step = GRANT_STEPS.get(str(grant["status"]))
        if step is None:
            self.grants.pop(gid, None)
            return
        ready = ready_at(grant.get("notice_ends_at")) if grant["status"] == "published" else 0.0
        self.grants[gid] = Step(gid, str(grant["household_id"]), *step, ready_at=ready)

    def take_ready(self, steps: dict[str, Step]) -> Step | None:
        """A case or grant whose next step may be taken now, marked busy until :meth:`done`."""
        now = time.monotonic()
        ready = [s for s in steps.values() if s.ready_at <= now and s.id not in self.busy]
        if not ready:
            return None
        step = self.rng.choice(ready)
        self.busy.add(step.id)
        return step

    def has_ready(self, steps: dict[str, Step]) -> bool:
        """True when :meth:`take_ready` would find a step."""
        now = time.monotonic()
        return any(s.ready_at <= now and s.id not in self.busy for s in steps.values())

    def done(self, step: Step) -> None:
        """A step's request finished (whatever its outcome)."""
        self.busy.discard(step.id)
