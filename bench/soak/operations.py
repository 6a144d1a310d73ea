"""The soak's operations: each one request (PATCH: a GET for the ETag, then the PATCH) a real client makes.

Targets come from the :class:`~bench.soak.world.World`, so each write is one the system should accept;
the few 4xx the system answers by design in a situation (a projection not caught up yet) are named
where they are expected, anything else is an error.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable
from itertools import count
from typing import Any

import httpx

from bench.soak.calls import Caller
from bench.soak.world import TOWNSHIP, VILLAGE, Household, World
from registry.domain.vocabulary import Relation
from registry.exports.rows import from_draft, sheet_rows
from registry.exports.sheets import csv_bytes
from registry.synth import Synthesizer

IMPORT_HOUSEHOLDS = 5  # per imported file: small files, many of them
JOB_POLL_SECONDS = 1.0
JOB_WAIT_SECONDS = 120.0
# A household registered this recently may not have reached identification yet: do not ask for it.
PROJECTION_GRACE_SECONDS = 5.0
VISITORS = 250  # X-Forwarded-For addresses of the public board's visitors (the gateway limits per IP)
CHABA_VILLAGES = [f"{TOWNSHIP[:9]}{201 + i:03d}" for i in range(11)]
GRANT_PERIOD = "2026"
RETRY_SECONDS = 1.0
LAG = "the event that feeds this service was not applied yet (eventual consistency)"


def _missing(response: httpx.Response) -> str | None:
    missing = response.json().get("missing")
    return f"dossier missing {missing}" if missing else None


def _not_locked(response: httpx.Response) -> str | None:
    return None if response.json().get("locked_in") else "roster entry not locked in"


class Soak:
    """The operations against one stack, sharing the world, the caller and the background pollers."""

    def __init__(self, world: World, caller: Caller, synth: Synthesizer) -> None:
        self.world = world
        self.caller = caller
        self.synth = synth
        self.background: set[asyncio.Task[None]] = set()
        self.imports: dict[str, Any] = {"submitted": 0, "succeeded": 0, "failed": 0, "households_created": 0}
        self._files = count(1)
        # Drawn when a target was there, found none when it ran (another operation due in the same
        # instant took it): no request is made.
        self.skipped = 0

    @property
    def rng(self) -> random.Random:
        """The world's random source (one per run: a run is repeatable up to timing)."""
        return self.world.rng

    def visitor(self) -> dict[str, str]:
        """The public board is read by many people: one of :data:`VISITORS` addresses."""
        return {"X-Forwarded-For": f"10.77.0.{self.rng.randrange(VISITORS)}"}

    def draft(self, village: tuple[str, str] = VILLAGE) -> dict[str, Any]:
        """A new household (every person new to the registry: one synthesizer for the whole run)."""
        return self.synth.household(*village).model_dump(mode="json", exclude_none=True)

    def household_id(self) -> str:
        """Any household the soak registered."""
        hid = self.world.readable.choice(self.rng)
        assert hid is not None  # seeded before the load starts
        return hid

    # --- reads ---------------------------------------------------------------------------------

    async def household_list(self) -> None:
        """A page of one village's households, as the county sees them."""
        params = {"division": self.rng.choice([VILLAGE[0], *CHABA_VILLAGES]), "limit": 20}
        await self.caller.call("GET /api/v1/households", "GET", "/api/v1/households", "county", params=params)

    async def household_detail(self) -> None:
        """One household with its members."""
        url = f"/api/v1/households/{self.household_id()}"
        await self.caller.call("GET /api/v1/households/{household_id}", "GET", url, "county")

    async def assessment(self, hid: str | None = None) -> None:
        """The explained assessment; half of them for households identification may not have yet."""
        if hid is None:
            hid = self.world.unprojected.choice(self.rng) if self.rng.random() < 0.5 else None
            young = hid is not None and self._age(hid) < PROJECTION_GRACE_SECONDS
            hid = self.household_id() if hid is None or young else hid
        lagging = hid in self.world.unprojected
        response = await self.caller.call(
            "GET /api/v1/households/{household_id}/assessment",
            "GET",
            f"/api/v1/households/{hid}/assessment",
            "county",
            params={"policy": self.world.policy_id},
            by_design={"404": LAG} if lagging else None,
        )
        if response is not None and response.status_code == 200:
            self.world.projected(hid)

    def _age(self, hid: str) -> float:
        return time.monotonic() - self.world.households[hid].registered_at

    async def roster_list(self) -> None:
        """A page of the funds roster."""
        await self.caller.call("GET /api/v1/roster", "GET", "/api/v1/roster", "funds", params={"limit": 20})

    async def roster_entry(self, hid: str | None = None) -> None:
        """A roster entry; half of them for households just locked in (funds may not know yet)."""
        if hid is None:
            hid = self.world.unlocked.choice(self.rng) if self.rng.random() < 0.5 else None
            hid = hid or self.world.locked.choice(self.rng) or self.world.unlocked.choice(self.rng)
        if hid is None:
            self.skipped += 1
            return
        lagging = hid in self.world.unlocked
        response = await self.caller.call(
            "GET /api/v1/roster/{household_id}",
            "GET",
            f"/api/v1/roster/{hid}",
            "funds",
            by_design={"404": LAG} if lagging else None,
            check=None if lagging else _not_locked,
        )
        if response is not None and response.status_code == 200 and response.json().get("locked_in"):
            self.world.on_roster(hid)

    async def case_list(self) -> None:
        """A page of the village's cases."""
        params = {"division": VILLAGE[0], "limit": 20}
        await self.caller.call("GET /api/v1/cases", "GET", "/api/v1/cases", "county", params=params)

    async def audit_entries(self) -> None:
        """A page of the audit log; half of them one household's trail."""
        params: dict[str, Any] = {"limit": 50}
        if self.rng.random() < 0.5:
            params["subject"] = self.household_id()
        await self.caller.call(
            "GET /api/v1/audit/entries", "GET", "/api/v1/audit/entries", "auditor", params=params
        )

    async def tree_head(self) -> None:
        """The signed tree head."""
        await self.caller.call("GET /api/v1/audit/tree-head", "GET", "/api/v1/audit/tree-head", "auditor")

    async def public_notices(self) -> None:
        """The public notice list of a village (no token)."""
        await self.caller.call(
            "GET /api/v1/public/notices",
            "GET",
            "/api/v1/public/notices",
            None,
            params={"division": self.rng.choice([VILLAGE[0], *CHABA_VILLAGES])},
            headers=self.visitor(),
        )

    async def public_board(self) -> None:
        """The public board of a village: notices and fund use, gathered by the gateway (no token)."""
        await self.caller.call(
            "GET /api/v1/public/board",
            "GET",
            "/api/v1/public/board",
            None,
            params={"division": VILLAGE[0]},
            headers=self.visitor(),
        )

    async def dossier(self) -> None:
        """一户一档 from every service in parallel; a part reported missing is an error."""
        url = f"/api/v1/households/{self.household_id()}/dossier"
        await self.caller.call(
            "GET /api/v1/households/{household_id}/dossier", "GET", url, "county", check=_missing
        )

    # --- writes --------------------------------------------------------------------------------

    async def register(self) -> None:
        """Register a new household in the clerk's village."""
        response = await self.caller.call(
            "POST /api/v1/households", "POST", "/api/v1/households", "clerk", json=self.draft(), expect=(201,)
        )
        if response is not None and response.status_code == 201:
            self.world.registered(response.json())

    async def add_member(self) -> None:
        """A child born into a household."""
        household = self.world.take_editable()
        if household is None:
            self.skipped += 1
            return
        try:
            body = {**self._child(), "reason": "新生儿落户"}
            response = await self.caller.call(
                "POST /api/v1/households/{household_id}/members",
                "POST",
                f"/api/v1/households/{household.id}/members",
                "clerk",
                json=body,
                expect=(201,),
            )
            if response is not None and response.status_code == 201:
                members = [str(m["id"]) for m in response.json()["members"]]
                household.added += [m for m in members if m not in household.members]
                household.members = members
                self.world.members_added += 1
        finally:
            self.world.release(household)

    def _child(self) -> dict[str, Any]:
        # A child of a freshly drawn household: a valid, never used ID number from the same synthesizer.
        for _ in range(50):
            for member in self.draft()["members"]:
                if member["relation"] == Relation.CHILD.value:
                    return dict(member)
        raise AssertionError("the synthesizer drew no child in 50 households")

    async def remove_member(self) -> None:
        """A member the soak added moves away."""
        household = self.world.take_removable()
        if household is None:
            self.skipped += 1
            return
        try:
            member = household.added[-1]
            response = await self.caller.call(
                "DELETE /api/v1/households/{household_id}/members/{member_id}",
                "DELETE",
                f"/api/v1/households/{household.id}/members/{member}",
                "clerk",
                params={"reason": "迁出"},
            )
            if response is not None and response.status_code == 200:
                household.added.pop()
                household.members.remove(member)
        finally:
            self.world.release(household)

    async def patch(self) -> None:
        """Read a household for its ETag, then change its assistance plan with ``If-Match``."""
        household = self.world.take_editable()
        if household is None:
            self.skipped += 1
            return
        try:
            await self._patch(household)
        finally:
            self.world.release(household)

    async def _patch(self, household: Household) -> None:
        url = f"/api/v1/households/{household.id}"
        read = await self.caller.call("GET /api/v1/households/{household_id}", "GET", url, "clerk")
        if read is None or read.status_code != 200:
            return
        body = {"reason": "帮扶计划更新", "assistance_plan": f"产业帮扶 第{self.rng.randrange(1, 99)}期"}
        await self.caller.call(
            "PATCH /api/v1/households/{household_id}",
            "PATCH",
            url,
            "clerk",
            json=body,
            headers={"If-Match": read.headers["ETag"]},
        )

    async def open_case(self) -> None:
        """An entry case (识别申请) for a household identification has."""
        hid = self.world.take_caseless()
        if hid is None:
            self.skipped += 1
            return
        body = {"household_id": hid, "kind": "entry", "policy": self.world.policy_id, "reason": "本人申请"}
        response = await self.caller.call(
            "POST /api/v1/cases", "POST", "/api/v1/cases", "clerk", json=body, expect=(201,)
        )
        if response is not None and response.status_code == 201:
            self.world.case_step(response.json())

    async def case_step(self) -> None:
        """The next step of a case, by the role it awaits, once its notice has run out."""
        step = self.world.take_ready(self.world.cases)
        if step is None:
            self.skipped += 1
            return
        try:
            response = await self.caller.call(
                "POST /api/v1/cases/{case_id}/transitions",
                "POST",
                f"/api/v1/cases/{step.id}/transitions",
                step.who,
                json={"action": step.action, "reason": "核实无误"},
                by_design={"409 notice-running": "our clock ran ahead of the server's notice end"},
            )
            if response is not None and response.status_code == 200:
                self.world.case_step(response.json())
            else:  # refused or failed: try again a little later, not on the very next draw
                step.ready_at = time.monotonic() + RETRY_SECONDS
        finally:
            self.world.done(step)

    async def apply_grant(self) -> None:
        """An industry grant for a locked-in household."""
        hid = self.world.grantable.choice(self.rng)
        if hid is None:
            self.skipped += 1
            return
        self.world.grantable.discard(hid)
        body = {
            "program_id": self.world.program,
            "household_id": hid,
            "period": GRANT_PERIOD,
            "details": {"industries": ["farming"]},
            "reason": "发展种植",
        }
        response = await self.caller.call(
            "POST /api/v1/grants", "POST", "/api/v1/grants", "clerk", json=body, expect=(201,)
        )
        if response is not None and response.status_code == 201:
            self.world.grant_step(response.json())

    async def grant_step(self) -> None:
        """verify, publish, then approve after the grant's notice."""
        step = self.world.take_ready(self.world.grants)
        if step is None:
            self.skipped += 1
            return
        try:
            response = await self.caller.call(
                "POST /api/v1/grants/{grant_id}/transitions",
                "POST",
                f"/api/v1/grants/{step.id}/transitions",
                step.who,
                json={"action": step.action, "reason": "核实"},
                by_design={"409 notice-not-ended": "our clock ran ahead of the server's notice end"},
            )
            if response is not None and response.status_code == 200:
                self.world.grant_step(response.json())
            else:  # refused or failed: try again a little later, not on the very next draw
                step.ready_at = time.monotonic() + RETRY_SECONDS
        finally:
            self.world.done(step)

    # --- imports -------------------------------------------------------------------------------

    async def upload(self) -> None:
        """A small CSV of new households over the township's villages, then its job followed to the end."""
        rows = [csv_bytes([], with_header=True)]
        for n in range(IMPORT_HOUSEHOLDS):
            village = (CHABA_VILLAGES[self.rng.randrange(len(CHABA_VILLAGES))], "")
            draft = self.synth.household(*village)
            rows.append(csv_bytes(sheet_rows(from_draft(f"S{n + 1:03d}", draft))))
        name = f"soak-{next(self._files)}.csv"
        response = await self.caller.call(
            "POST /api/v1/imports",
            "POST",
            "/api/v1/imports",
            "township",
            files={"file": (name, b"".join(rows), "text/csv")},
            expect=(202,),
        )
        if response is not None and response.status_code == 202:
            self.imports["submitted"] += 1
            self.spawn(self._follow_job(str(response.json()["id"])))

    def spawn(self, work: Awaitable[None]) -> None:
        """Run ``work`` beside the schedule (the driver waits for these, bounded, at the end)."""

        async def wrapped() -> None:
            await work

        task = asyncio.create_task(wrapped())
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _follow_job(self, job_id: str) -> None:
        template = "GET /api/v1/jobs/{job_id}"
        deadline = time.monotonic() + JOB_WAIT_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(JOB_POLL_SECONDS)
            response = await self.caller.call(
                template, "GET", f"/api/v1/jobs/{job_id}", "township", check=_job_problem
            )
            if response is None or response.status_code != 200:
                continue
            job = response.json()
            if job["status"] == "succeeded":
                self.imports["succeeded"] += 1
                self.imports["households_created"] += job["counts"]["households_created"]
                return
            if job["status"] == "failed":
                self.imports["failed"] += 1
                return
        self.caller.recorder.error(template, None, f"job not finished after {JOB_WAIT_SECONDS:.0f} s")


def _job_problem(response: httpx.Response) -> str | None:
    """A finished job that failed or rejected rows (every file the soak sends is valid)."""
    job = response.json()
    if job["status"] == "failed":
        return "job failed"
    counts = job["counts"]
    if job["status"] == "succeeded" and (counts["households_rejected"] or counts["errors"]):
        return "rows rejected"
    return None
