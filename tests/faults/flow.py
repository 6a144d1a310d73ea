"""The faults scenario's business flow through the gateway: register, identify, grant, batch, reconcile."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from funds.domain.iso20022.pain002 import TxStatus, build_pain002
from funds.testing import industry_program
from identification.policies import DEFAULT, document
from jzkit.auth import Role
from jzkit.ids import new_id
from jzkit.testing.stack import Stack
from registry.synth import Synthesizer

VILLAGE = ("510822104201", "炉场村")
TOWNSHIP = "510822104000"
COUNTY = "510822000000"
WAIT_SECONDS = 60.0
NOTICE = "PT1S"  # seconds, not days: the notices run out while the scenario waits
STEPS = (("clerk", 2), ("township", 2), ("county", 3))
PROGRAM = "faults-industry-2026"
FARMING_FEN = 200_000
PARALLEL = 8
# Households in flight at once: each one's waits are timed from its own start, not from a queue of
# thousands (at 2,000 households a gather of all would spend its timeouts waiting for the gate).
LANES = 4 * PARALLEL
RETRY_ATTEMPTS = 60
RETRY_PAUSE_SECONDS = 0.25
# 429s waited out per request (Retry-After is 1 s): at 2,000 households the flow's bursts reach the
# gateway's per-client limit, and a client of the API waits as told rather than failing.
THROTTLE_ATTEMPTS = 30
SYNTH_SEED = 20268

T = TypeVar("T")
R = TypeVar("R")
# Called at each named phase; a scenario injects its fault there (or starts it as a task).
Hook = Callable[[str, "Flow"], Awaitable[None]]


class Flow:
    """One scenario run's gateway client, tokens and the ids it created."""

    def __init__(
        self, stack: Stack, client: httpx.AsyncClient, households: int, *, retries: bool = False
    ) -> None:
        self.stack = stack
        self.retries = retries
        self.retried = 0
        self.throttled = 0
        self.client = client
        self.count = households
        self.gate = asyncio.Semaphore(PARALLEL)
        roles = {
            "clerk": (Role.VILLAGE_CLERK, VILLAGE[0]),
            "township": (Role.TOWNSHIP_REVIEWER, TOWNSHIP),
            "county": (Role.COUNTY_APPROVER, COUNTY),
            "funds": (Role.FUNDS_OFFICER, COUNTY),
            "admin": (Role.ADMIN, COUNTY),
        }
        self.who = {k: {"Authorization": f"Bearer {stack.token(*v)}"} for k, v in roles.items()}
        self.drafts: list[dict[str, Any]] = []
        self.household_ids: list[str] = []
        self.policy_id = ""
        self.report = b""
        self.batch_id = ""

    async def _attempt(
        self, method: str, url: str, headers: dict[str, str], **kw: Any
    ) -> httpx.Response | None:
        """One try; None when the connection failed (the caller retries as for a 5xx)."""
        try:
            return await self._send(method, url, headers, **kw)
        except httpx.TransportError:
            return None

    async def _send(self, method: str, url: str, headers: dict[str, str], **kw: Any) -> httpx.Response:
        """The request, sent again after Retry-After while the gateway refuses it with 429 (not forwarded)."""
        for _ in range(THROTTLE_ATTEMPTS):
            async with self.gate:
                response = await self.client.request(method, url, headers=headers, **kw)
            if response.status_code != 429:
                break
            self.throttled += 1
            await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
        return response

    async def _call(self, method: str, url: str, who: str, **kw: Any) -> httpx.Response:
        headers = self.who[who] | kw.pop("headers", {})
        if not self.retries:
            return await self._send(method, url, headers, **kw)
        if method == "POST":  # the same key on every retry: a write that did commit is replayed, not redone
            headers["Idempotency-Key"] = new_id()
        # Bounded in count and time: a service that stays down fails the scenario.
        async with asyncio.timeout(WAIT_SECONDS):
            for _ in range(RETRY_ATTEMPTS):
                response = await self._attempt(method, url, headers, **kw)
                if response is not None and response.status_code < 500:
                    return response
                self.retried += 1
                await asyncio.sleep(RETRY_PAUSE_SECONDS)
        raise AssertionError(f"{method} {url} still failing after {RETRY_ATTEMPTS} attempts")

    async def _retry(
        self, method: str, url: str, who: str, retry_on: Callable[[httpx.Response], bool], **kw: Any
    ) -> httpx.Response:
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                response = await self._call(method, url, who, **kw)
                if not retry_on(response):
                    return response
                await asyncio.sleep(0.2)

    async def _each(self, step: Callable[[T], Awaitable[R]], items: Sequence[T]) -> list[R]:
        """``step`` for every item, LANES at a time, results in order."""
        lanes = asyncio.Semaphore(LANES)

        async def one(item: T) -> R:
            async with lanes:
                return await step(item)

        return await asyncio.gather(*(one(item) for item in items))

    async def register(self, hook: Hook) -> None:
        """The fast-notice policy and N households, half before the ``registering`` hook, half after."""
        policy = document(DEFAULT)
        policy.update(name="faults-fast-notices", division_code=COUNTY)
        policy["notices"] = {"first": NOTICE, "second": NOTICE, "county": None}
        stored = await self._call(
            "POST", "/api/v1/policies", "admin", json={"document": policy, "reason": "faults"}
        )
        assert stored.status_code == 201, stored.text
        self.policy_id = stored.json()["id"]
        synth = Synthesizer(seed=SYNTH_SEED)
        # Only households with a bank card can be paid; the others would leave grants out of the batch.
        while len(self.drafts) < self.count:
            draft = synth.household(*VILLAGE).model_dump(mode="json", exclude_none=True)
            if draft.get("bank_account"):
                self.drafts.append(draft)
        half = self.count // 2
        first = await self._each(self._register, self.drafts[:half])
        await hook("registering", self)
        rest = await self._each(self._register, self.drafts[half:])
        self.household_ids = [*first, *rest]

    async def _register(self, draft: dict[str, Any]) -> str:
        created = await self._call("POST", "/api/v1/households", "clerk", json=draft)
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    async def identify(self, hook: Hook) -> None:
        """Each household's entry case through every step (the projection is fed by events)."""
        half = self.count // 2
        await self._each(self._identify, self.household_ids[:half])
        await hook("identifying", self)
        await self._each(self._identify, self.household_ids[half:])

    async def _identify(self, household_id: str) -> None:
        url = f"/api/v1/households/{household_id}/assessment"
        seen = await self._retry(
            "GET", url, "clerk", lambda r: r.status_code == 404, params={"policy": self.policy_id}
        )
        assert seen.status_code == 200, seen.text
        body = {"household_id": household_id, "kind": "entry", "policy": self.policy_id, "reason": "本人申请"}
        opened = await self._call("POST", "/api/v1/cases", "clerk", json=body)
        assert opened.status_code == 201, opened.text
        case = opened.json()
        step = {"action": "approve", "reason": "核实无误"}
        for role, count in STEPS:
            for _ in range(count):
                done = await self._retry(
                    "POST",
                    f"/api/v1/cases/{case['id']}/transitions",
                    role,
                    lambda r: r.status_code == 409 and r.json().get("code") == "notice-running",
                    json=step,
                )
                assert done.status_code == 200, done.text
                case = done.json()
        assert case["stage"] == "locked", case

    async def grant(self, hook: Hook) -> None:
        """Program, budgets sized for N grants, and one approved grant per household."""
        program = industry_program(code=PROGRAM, notice=NOTICE, test_only=True)
        stored = await self._call("POST", "/api/v1/programs", "funds", json=program)
        assert stored.status_code == 201, stored.text
        need = self.count * FARMING_FEN
        for division, scale in ((COUNTY, 2), (TOWNSHIP, 1)):
            amounts = {"region": need * 7 // 10 * scale, "county": need * 3 // 10 * scale}
            body = {"program_id": PROGRAM, "division_code": division, "year": 2026, "amounts_fen": amounts}
            budget = await self._call("POST", "/api/v1/budgets", "funds", json=body)
            assert budget.status_code == 201, budget.text
        half = self.count // 2
        await self._each(self._grant, self.household_ids[:half])
        await hook("granting", self)
        await self._each(self._grant, self.household_ids[half:])

    async def _grant(self, household_id: str) -> None:
        roster = f"/api/v1/roster/{household_id}"
        locked = await self._retry(
            "GET",
            roster,
            "funds",
            lambda r: r.status_code == 404 or (r.status_code == 200 and not r.json()["locked_in"]),
        )
        assert locked.status_code == 200, locked.text
        application = {
            "program_id": PROGRAM,
            "household_id": household_id,
            "period": "2026",
            "details": {"industries": ["farming"]},
            "reason": "发展种植",
        }
        applied = await self._call("POST", "/api/v1/grants", "clerk", json=application)
        assert applied.status_code == 201, applied.text
        url = f"/api/v1/grants/{applied.json()['id']}/transitions"
        for role, action in (("clerk", "verify"), ("township", "publish")):
            step = await self._call("POST", url, role, json={"action": action, "reason": "核实"})
            assert step.status_code == 200, step.text
        body = {"action": "approve", "reason": "公示无异议"}
        approved = await self._retry("POST", url, "township", lambda r: r.status_code == 409, json=body)
        assert approved.status_code == 200, approved.text

    async def batch(self) -> None:
        """One batch of every approved grant with its control totals; the bank accepts every payment."""
        body = {
            "program_id": PROGRAM,
            "period": "2026",
            "division_code": TOWNSHIP,
            "payments_count": self.count,
            "total_fen": self.count * FARMING_FEN,
            "reason": "第一批",
        }
        created = await self._call("POST", "/api/v1/batches", "funds", json=body)
        assert created.status_code == 201, created.text
        batch = created.json()
        self.batch_id = batch["id"]
        payment_file = await self._call("GET", f"/api/v1/batches/{batch['id']}/payment-file", "funds")
        assert payment_file.status_code == 200, payment_file.text
        ids = re.findall(r"<EndToEndId>([^<]+)</EndToEndId>", payment_file.text)
        assert len(ids) == self.count
        statuses = [TxStatus(i, "accepted") for i in ids]
        self.report = build_pain002("BANK-FAULTS-1", datetime.now(UTC), batch["message_id"], statuses)

    async def post_report(self) -> httpx.Response:
        """POST the bank's pain.002 for the batch (the same bytes every time)."""
        return await self._call(
            "POST",
            f"/api/v1/batches/{self.batch_id}/bank-report",
            "funds",
            content=self.report,
            headers={"Content-Type": "application/xml"},
        )
