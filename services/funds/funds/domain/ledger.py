"""The double-entry ledger (资金台账): accounts per budget bucket, balanced transactions, invariants.

Every budget (program, year, division) has, per funding source, five accounts keyed
``budget:<source>:<division>:<program>:<year>:<bucket>``:

- ``allocated`` (debit-normal): all money the budget ever received, from the source or its parent;
- ``available``, ``reserved``, ``paid``, ``delegated`` (credit-normal): where that money is now —
  free, held for approved grants, paid to households, passed down to child divisions.

Movements: allocate (allocated → available, or parent available → delegated plus child
allocated → available), reserve (available → reserved), release (reserved → available), pay
(reserved → paid) and return (paid → available). So for every budget and source, at all times::

    allocated == available + reserved + paid + delegated,  every bucket >= 0

which is the issue's "paid ≤ reserved ≤ allocated" read cumulatively: money ever reserved
(reserved + paid) never exceeds money allocated, and paid never exceeds money ever reserved.

Every movement is split per funding source with ``split_by_sources`` (deterministic, so a
grant's reservation, payment, release and return split identically). Whole-yuan amounts split
exactly; amounts with odd fen put the odd fen on the largest remainder, so near exhaustion one
source's ``available`` can reach zero a few fen before the others — the database's
``available >= 0`` check then refuses the reservation: conservative, never an overspend.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from funds.domain.budget import split_by_sources
from funds.domain.program import FundingShare
from jzkit import divisions
from jzkit.errors import InvalidInput

BUCKETS = ("allocated", "available", "reserved", "paid", "delegated")
DEBIT_NORMAL = frozenset({"allocated"})


@dataclass(frozen=True)
class Account:
    """One bucket of one budget for one funding source; ``key`` is its stable string name."""

    source: str
    division: str
    program: str
    year: int
    bucket: str

    def __post_init__(self) -> None:
        if self.bucket not in BUCKETS:
            raise ValueError(f"unknown bucket {self.bucket!r}")
        for part in (self.source, self.division, self.program):
            if not part or ":" in part:
                raise ValueError(f"account part {part!r} must be non-empty and contain no ':'")

    @property
    def key(self) -> str:
        """``budget:<source>:<division>:<program>:<year>:<bucket>``."""
        return f"budget:{self.source}:{self.division}:{self.program}:{self.year}:{self.bucket}"

    @classmethod
    def parse(cls, key: str) -> Account:
        """The account a key names; ValueError for anything else."""
        parts = key.split(":")
        if len(parts) != 6 or parts[0] != "budget" or not parts[4].isdigit():
            raise ValueError(f"not a budget account key: {key!r}")
        return cls(parts[1], parts[2], parts[3], int(parts[4]), parts[5])


@dataclass(frozen=True)
class LedgerLine:
    """One entry: exactly one of debit and credit is positive."""

    account: str
    debit_fen: int
    credit_fen: int

    def __post_init__(self) -> None:
        if min(self.debit_fen, self.credit_fen) != 0 or max(self.debit_fen, self.credit_fen) <= 0:
            raise ValueError("a ledger line has one positive side and a zero other side")


@dataclass(frozen=True)
class LedgerTransaction:
    """A balanced set of lines of one kind (allocation, reservation, release, payment, return)."""

    kind: str
    lines: tuple[LedgerLine, ...]

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("a ledger transaction needs lines")
        if sum(line.debit_fen for line in self.lines) != sum(line.credit_fen for line in self.lines):
            raise ValueError("a ledger transaction must balance")


@dataclass(frozen=True)
class Budget:
    """Which budget a movement touches: program (id or code), year, division and its cost shares."""

    program: str
    year: int
    division: str
    shares: Sequence[FundingShare]

    def account(self, source: str, bucket: str, division: str | None = None) -> str:
        """The key of ``bucket`` for ``source`` (in ``division``, default this budget's)."""
        return Account(source, division or self.division, self.program, self.year, bucket).key


def _positive(amount_fen: int) -> None:
    if amount_fen <= 0:
        raise InvalidInput(
            "amount-not-positive", "the amount must be positive", "金额必须大于零", field="amount_fen"
        )


def _move(kind: str, budget: Budget, amount_fen: int, debit: str, credit: str) -> LedgerTransaction:
    _positive(amount_fen)
    lines: list[LedgerLine] = []
    for source, part in split_by_sources(amount_fen, budget.shares).items():
        if part:
            lines.append(LedgerLine(budget.account(source, debit), part, 0))
            lines.append(LedgerLine(budget.account(source, credit), 0, part))
    return LedgerTransaction(kind, tuple(lines))


def allocate(budget: Budget, amount_fen: int, parent_division: str | None = None) -> LedgerTransaction:
    """Give ``budget`` money: from its sources, or passed down from the parent division's budget."""
    _positive(amount_fen)
    lines: list[LedgerLine] = []
    for source, part in split_by_sources(amount_fen, budget.shares).items():
        if not part:
            continue
        if parent_division is not None:
            lines.append(LedgerLine(budget.account(source, "available", parent_division), part, 0))
            lines.append(LedgerLine(budget.account(source, "delegated", parent_division), 0, part))
        lines.append(LedgerLine(budget.account(source, "allocated"), part, 0))
        lines.append(LedgerLine(budget.account(source, "available"), 0, part))
    return LedgerTransaction("allocation", tuple(lines))


def reserve(budget: Budget, amount_fen: int) -> LedgerTransaction:
    """Hold an approved grant's amount: available → reserved."""
    return _move("reservation", budget, amount_fen, "available", "reserved")


def release(budget: Budget, amount_fen: int) -> LedgerTransaction:
    """Give a reservation back (payment failed, grant cancelled): reserved → available."""
    return _move("release", budget, amount_fen, "reserved", "available")


def pay(budget: Budget, amount_fen: int) -> LedgerTransaction:
    """The bank confirmed a payment: reserved → paid."""
    return _move("payment", budget, amount_fen, "reserved", "paid")


def return_payment(budget: Budget, amount_fen: int) -> LedgerTransaction:
    """The bank returned a paid amount (reversal): paid → available."""
    return _move("return", budget, amount_fen, "paid", "available")


def normal_balance(account: str, debit_fen: int, credit_fen: int) -> int:
    """An account's balance on its normal side (debit − credit for ``allocated``, else credit − debit)."""
    bucket = account.rsplit(":", 1)[-1]
    return debit_fen - credit_fen if bucket in DEBIT_NORMAL else credit_fen - debit_fen


def balances_from_lines(lines: Iterable[LedgerLine]) -> dict[str, int]:
    """Every account's normal balance after ``lines``."""
    debits: dict[str, int] = defaultdict(int)
    credits: dict[str, int] = defaultdict(int)
    for line in lines:
        debits[line.account] += line.debit_fen
        credits[line.account] += line.credit_fen
    return {key: normal_balance(key, debits[key], credits[key]) for key in debits.keys() | credits.keys()}


def check_invariants(balances: Mapping[str, int], confirmed_paid_fen: int | None = None) -> list[str]:
    """Every broken invariant, described; empty when the ledger is sound.

    ``balances`` are normal balances by account key. ``confirmed_paid_fen`` is the total the bank
    confirmed, net of returns: when given, the paid accounts must add up to it exactly.
    """
    problems: list[str] = []
    groups: dict[tuple[str, str, str, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(BUCKETS, 0))
    for key, balance in balances.items():
        try:
            account = Account.parse(key)
        except ValueError:
            problems.append(f"unknown account {key!r}")
            continue
        groups[(account.source, account.division, account.program, account.year)][account.bucket] += balance
    for (source, division, program, year), b in sorted(groups.items()):
        where = f"{program}/{year}/{division}/{source}"
        problems.extend(f"{where}: {bucket} is negative ({b[bucket]})" for bucket in BUCKETS if b[bucket] < 0)
        held = b["available"] + b["reserved"] + b["paid"] + b["delegated"]
        if held != b["allocated"]:
            problems.append(
                f"{where}: allocated {b['allocated']} != available+reserved+paid+delegated {held}"
            )
        if b["delegated"] > 0:
            passed_down = sum(
                c["allocated"]
                for (s, d, p, y), c in groups.items()
                if (s, p, y) == (source, program, year) and divisions.is_code(d) and _parent(d) == division
            )
            if passed_down < b["delegated"]:
                problems.append(f"{where}: delegated {b['delegated']} but children hold only {passed_down}")
    if confirmed_paid_fen is not None:
        paid = sum(b["paid"] for b in groups.values())
        if paid != confirmed_paid_fen:
            problems.append(f"paid accounts hold {paid}, the bank confirmed {confirmed_paid_fen}")
    return problems


def _parent(code: str) -> str | None:
    try:
        return divisions.parent(code)
    except ValueError:
        return None
