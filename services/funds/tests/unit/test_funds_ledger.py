"""The double-entry ledger: transactions balance by construction, invariants hold under any legal sequence."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funds.domain.budget import split_by_sources
from funds.domain.ledger import (
    Account,
    Budget,
    LedgerLine,
    LedgerTransaction,
    allocate,
    balances_from_lines,
    check_invariants,
    pay,
    release,
    reserve,
    return_payment,
)
from funds.domain.program import FundingShare
from jzkit.errors import InvalidInput

COUNTY, TOWNSHIP, VILLAGE = "510822000000", "510822104000", "510822104201"
SHARES = [FundingShare(source="region", percent=70), FundingShare(source="county", percent=30)]


def budget(division: str = COUNTY, shares: list[FundingShare] = SHARES) -> Budget:
    return Budget(program="p1", year=2026, division=division, shares=shares)


def test_account_key_round_trip() -> None:
    account = Account("region", COUNTY, "p1", 2026, "available")
    assert account.key == f"budget:region:{COUNTY}:p1:2026:available"
    assert Account.parse(account.key) == account
    for bad in ("budget:region", "cash:a:b:c:2026:paid", f"budget:region:{COUNTY}:p1:2026:spent"):
        with pytest.raises(ValueError):
            Account.parse(bad)
    with pytest.raises(ValueError):
        Account("re:gion", COUNTY, "p1", 2026, "paid")


def test_lines_and_transactions_refuse_imbalance() -> None:
    with pytest.raises(ValueError):
        LedgerLine("a", 5, 5)
    with pytest.raises(ValueError):
        LedgerLine("a", 0, 0)
    with pytest.raises(ValueError):
        LedgerLine("a", -5, 0)
    with pytest.raises(ValueError):
        LedgerTransaction("payment", (LedgerLine("a", 5, 0), LedgerLine("b", 0, 4)))
    with pytest.raises(ValueError):
        LedgerTransaction("payment", ())


def test_each_movement_balances_and_moves_the_right_buckets() -> None:
    b = budget()
    lines: list[LedgerLine] = []
    for tx, kind in [
        (allocate(b, 1_000_000), "allocation"),
        (reserve(b, 300_001), "reservation"),
        (pay(b, 200_000), "payment"),
        (release(b, 100_001), "release"),
        (return_payment(b, 50_000), "return"),
    ]:
        assert tx.kind == kind
        assert sum(line.debit_fen for line in tx.lines) == sum(line.credit_fen for line in tx.lines)
        lines.extend(tx.lines)
    balances = balances_from_lines(lines)
    assert balances[b.account("region", "allocated")] == 700_000
    assert (
        balances[b.account("county", "available")] == 300_000 - 90_000 + 30_000 + 15_000
    )  # odd fen go to region
    assert balances[b.account("region", "paid")] == 105_000
    assert check_invariants(balances, confirmed_paid_fen=150_000) == []
    with pytest.raises(InvalidInput) as caught:
        reserve(b, 0)
    assert caught.value.field == "amount_fen"


def test_delegation_moves_money_down_the_tree() -> None:
    tx = allocate(budget(TOWNSHIP), 400_000, parent_division=COUNTY)
    lines = [*allocate(budget(), 1_000_000).lines, *tx.lines]
    balances = balances_from_lines(lines)
    assert balances[budget().account("region", "delegated")] == 280_000
    assert balances[budget().account("region", "available")] == 420_000
    assert balances[budget(TOWNSHIP).account("county", "available")] == 120_000
    assert check_invariants(balances) == []


def test_invariants_catch_what_a_guard_missed() -> None:
    b = budget()
    overspent = balances_from_lines([*allocate(b, 100).lines, *reserve(b, 200).lines])
    problems = check_invariants(overspent)
    assert any("available is negative" in p for p in problems)
    paid = balances_from_lines([*allocate(b, 100).lines, *reserve(b, 100).lines, *pay(b, 100).lines])
    assert check_invariants(paid, confirmed_paid_fen=100) == []
    assert check_invariants(paid, confirmed_paid_fen=90) == ["paid accounts hold 100, the bank confirmed 90"]
    one_sided = dict(paid)
    one_sided[b.account("region", "paid")] += 1
    assert any("allocated" in p for p in check_invariants(one_sided))
    assert check_invariants({"nonsense": 1}) == ["unknown account 'nonsense'"]
    orphan_delegation = {
        b.account("region", "allocated"): 100,
        b.account("region", "delegated"): 100,
    }
    assert any("children hold only 0" in p for p in check_invariants(orphan_delegation))


@dataclass
class Model:
    """A guarded service in miniature: refuses what the database checks would refuse."""

    lines: list[LedgerLine] = field(default_factory=list)
    grants: list[tuple[Budget, int, str]] = field(default_factory=list)
    confirmed: int = 0

    def fits(self, b: Budget, amount: int) -> bool:
        balances = balances_from_lines(self.lines)
        parts = split_by_sources(amount, b.shares)
        return all(balances.get(b.account(s, "available"), 0) >= part for s, part in parts.items())

    def apply(self, tx: LedgerTransaction) -> None:
        assert sum(x.debit_fen for x in tx.lines) == sum(x.credit_fen for x in tx.lines)
        self.lines.extend(tx.lines)


OPS = st.sampled_from(["allocate", "delegate", "reserve", "release", "pay", "return"])


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.tuples(OPS, st.integers(1, 500_000), st.integers(0, 50)), min_size=1, max_size=60),
    shares=st.sampled_from(
        [SHARES, [FundingShare(source=s, percent=p) for s, p in (("a", 33), ("b", 33), ("c", 34))]]
    ),
)
def test_invariants_hold_under_random_sequences(
    steps: list[tuple[str, int, int]], shares: list[FundingShare]
) -> None:
    model = Model()
    tree = [budget(COUNTY, shares), budget(TOWNSHIP, shares), budget(VILLAGE, shares)]
    for op, amount, pick in steps:
        target = tree[pick % 3]
        if op == "allocate":
            model.apply(allocate(tree[0], amount))
        elif op == "delegate" and target is not tree[0]:
            parent = tree[tree.index(target) - 1]
            if model.fits(parent, amount):
                model.apply(allocate(target, amount, parent_division=parent.division))
        elif op == "reserve" and model.fits(target, amount):
            model.apply(reserve(target, amount))
            model.grants.append((target, amount, "reserved"))
        elif op in ("release", "pay", "return") and model.grants:
            index = pick % len(model.grants)
            b, granted, state = model.grants[index]
            if op == "release" and state == "reserved":
                model.apply(release(b, granted))
                model.grants[index] = (b, granted, "released")
            elif op == "pay" and state == "reserved":
                model.apply(pay(b, granted))
                model.grants[index] = (b, granted, "paid")
                model.confirmed += granted
            elif op == "return" and state == "paid":
                model.apply(return_payment(b, granted))
                model.grants[index] = (b, granted, "returned")
                model.confirmed -= granted
        assert check_invariants(balances_from_lines(model.lines), confirmed_paid_fen=model.confirmed) == []
