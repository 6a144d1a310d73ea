"""The funds tables as SQLAlchemy Core (the schema itself is created by migration 0001)."""

from __future__ import annotations

import sqlalchemy as sa

from jzkit.db import UtcDateTime
from jzkit.messaging.tables import BigId

metadata = sa.MetaData()
Ts = UtcDateTime()
Money = sa.BigInteger

programs = sa.Table(
    "programs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
)
budgets = sa.Table(
    "budgets",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("program_id", sa.String(64), nullable=False),
    sa.Column("division_code", sa.String(12), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("parent_id", sa.String(36)),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
)
balances = sa.Table(
    "budget_balances",
    metadata,
    sa.Column("budget_id", sa.String(36), primary_key=True),
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("allocated_fen", Money, nullable=False),
    sa.Column("delegated_fen", Money, nullable=False),
    sa.Column("available_fen", Money, nullable=False),
    sa.Column("reserved_fen", Money, nullable=False),
    sa.Column("paid_fen", Money, nullable=False),
)
roster = sa.Table(
    "roster",
    metadata,
    sa.Column("household_id", sa.String(36), primary_key=True),
    sa.Column("division_code", sa.String(12), nullable=False),
    sa.Column("locked_in", sa.Boolean, nullable=False),
    sa.Column("decided_at", Ts),
    sa.Column("facts_version", sa.Integer, nullable=False),
    sa.Column("facts", sa.Text, nullable=False),
    sa.Column("bank_name", sa.String(120)),
    sa.Column("account_masked", sa.String(64)),
    sa.Column("account_ciphertext", sa.Text),
    sa.Column("holder_name_ciphertext", sa.Text),
    sa.Column("card_update_required", sa.Boolean, nullable=False),
    sa.Column("updated_at", Ts, nullable=False),
)
loans = sa.Table(
    "loans",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("borrower_kind", sa.String(16), nullable=False),
    sa.Column("household_id", sa.String(36)),
    sa.Column("enterprise_name", sa.String(200)),
    sa.Column("division_code", sa.String(12), nullable=False),
    sa.Column("lender", sa.String(200), nullable=False),
    sa.Column("principal_fen", Money, nullable=False),
    sa.Column("annual_rate", sa.String(16), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("linked_households", sa.Text, nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
)
grants = sa.Table(
    "grants",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("program_id", sa.String(64), nullable=False),
    sa.Column("household_id", sa.String(36), nullable=False),
    sa.Column("division_code", sa.String(12), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("amount_fen", Money, nullable=False),
    sa.Column("breakdown", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("notice_ends_at", Ts),
    sa.Column("budget_id", sa.String(36)),
    sa.Column("reserved", sa.Text),
    sa.Column("frozen", sa.Text),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("updated_at", Ts, nullable=False),
)
grant_history = sa.Table(
    "grant_history",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("grant_id", sa.String(36), nullable=False),
    sa.Column("action", sa.String(24), nullable=False),
    sa.Column("from_status", sa.String(24)),
    sa.Column("to_status", sa.String(24), nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("at", Ts, nullable=False),
)
batches = sa.Table(
    "batches",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("program_id", sa.String(64), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("division_code", sa.String(12), nullable=False),
    sa.Column("message_id", sa.String(35), nullable=False),
    sa.Column("payments_count", sa.Integer, nullable=False),
    sa.Column("total_fen", Money, nullable=False),
    sa.Column("created_at", Ts, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
)
payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("batch_id", sa.String(36), nullable=False),
    sa.Column("grant_id", sa.String(36), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("household_id", sa.String(36), nullable=False),
    sa.Column("division_code", sa.String(12), nullable=False),
    sa.Column("amount_fen", Money, nullable=False),
    sa.Column("bank_name", sa.String(120), nullable=False),
    sa.Column("account_masked", sa.String(64), nullable=False),
    sa.Column("account_ciphertext", sa.Text, nullable=False),
    sa.Column("holder_name_ciphertext", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("bank_reason", sa.String(120)),
    sa.Column("updated_at", Ts, nullable=False),
)
bank_reports = sa.Table(
    "bank_reports",
    metadata,
    sa.Column("message_id", sa.String(35), primary_key=True),
    sa.Column("batch_id", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("applied", sa.Integer, nullable=False),
    sa.Column("ignored", sa.Integer, nullable=False),
    sa.Column("received_at", Ts, nullable=False),
    sa.Column("received_by", sa.String(128), nullable=False),
)
ledger_transactions = sa.Table(
    "ledger_transactions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("reference", sa.String(64), nullable=False),
    sa.Column("at", Ts, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
)
ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("transaction_id", sa.String(36), nullable=False),
    sa.Column("account", sa.String(200), nullable=False),
    sa.Column("debit_fen", Money, nullable=False),
    sa.Column("credit_fen", Money, nullable=False),
)
