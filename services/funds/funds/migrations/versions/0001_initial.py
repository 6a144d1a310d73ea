"""Programs, budgets and balances, roster, loans, grants, batches, payments, bank reports, ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jzkit.messaging.tables import BigId, create_kit_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Ts = sa.DateTime(timezone=True)
Id = sa.String(36)
Money = sa.BigInteger
# Payments that still hold the grant: at most one of them per grant (never paid twice).
LIVE_PAYMENT = "status IN ('pending', 'paid')"


def upgrade() -> None:
    """Create the funds schema; money guards (unique, check) live here, not only in Python."""
    create_kit_tables()
    op.create_table(
        "programs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "budgets",
        sa.Column("id", Id, primary_key=True),
        sa.Column("program_id", sa.String(64), sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("parent_id", Id, sa.ForeignKey("budgets.id")),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.UniqueConstraint("program_id", "division_code", "year", name="uq_budgets_scope"),
    )
    op.create_table(
        "budget_balances",
        sa.Column("budget_id", Id, sa.ForeignKey("budgets.id"), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("allocated_fen", Money, nullable=False),
        sa.Column("delegated_fen", Money, nullable=False),
        sa.Column("available_fen", Money, nullable=False),
        sa.Column("reserved_fen", Money, nullable=False),
        sa.Column("paid_fen", Money, nullable=False),
        sa.CheckConstraint("allocated_fen >= 0", name="ck_balances_allocated"),
        sa.CheckConstraint("delegated_fen >= 0", name="ck_balances_delegated"),
        sa.CheckConstraint("available_fen >= 0", name="ck_balances_available"),
        sa.CheckConstraint("reserved_fen >= 0", name="ck_balances_reserved"),
        sa.CheckConstraint("paid_fen >= 0", name="ck_balances_paid"),
        sa.CheckConstraint(
            "available_fen + reserved_fen + paid_fen + delegated_fen = allocated_fen",
            name="ck_balances_conserved",
        ),
    )
    op.create_table(
        "roster",
        sa.Column("household_id", Id, primary_key=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("locked_in", sa.Boolean, nullable=False),
        sa.Column("decided_at", Ts),
        sa.Column("facts_version", sa.Integer, nullable=False),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("bank_name", sa.String(120)),
        sa.Column("account_masked", sa.String(64)),
        sa.Column("account_ciphertext", sa.Text),
        sa.Column("card_update_required", sa.Boolean, nullable=False),
        sa.Column("updated_at", Ts, nullable=False),
    )
    op.create_index("ix_roster_division", "roster", ["division_code"])
    op.create_table(
        "loans",
        sa.Column("id", Id, primary_key=True),
        sa.Column("borrower_kind", sa.String(16), nullable=False),
        sa.Column("household_id", Id),
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
        sa.CheckConstraint("principal_fen > 0", name="ck_loans_principal"),
        sa.CheckConstraint("end_date > start_date", name="ck_loans_dates"),
    )
    op.create_table(
        "grants",
        sa.Column("id", Id, primary_key=True),
        sa.Column("program_id", sa.String(64), sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("household_id", Id, nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("amount_fen", Money, nullable=False),
        sa.Column("breakdown", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("notice_ends_at", Ts),
        sa.Column("budget_id", Id, sa.ForeignKey("budgets.id")),
        sa.Column("reserved", sa.Text),
        sa.Column("frozen", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("updated_at", Ts, nullable=False),
        sa.UniqueConstraint("program_id", "household_id", "period", name="uq_grants_once_per_period"),
        sa.CheckConstraint("amount_fen >= 0", name="ck_grants_amount"),
    )
    op.create_index("ix_grants_batchable", "grants", ["program_id", "period", "status"])
    op.create_index("ix_grants_division", "grants", ["division_code"])
    op.create_table(
        "grant_history",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("grant_id", Id, sa.ForeignKey("grants.id"), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("from_status", sa.String(24)),
        sa.Column("to_status", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("at", Ts, nullable=False),
    )
    op.create_index("ix_grant_history_grant", "grant_history", ["grant_id"])
    op.create_table(
        "batches",
        sa.Column("id", Id, primary_key=True),
        sa.Column("program_id", sa.String(64), sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("message_id", sa.String(35), nullable=False, unique=True),
        sa.Column("payments_count", sa.Integer, nullable=False),
        sa.Column("total_fen", Money, nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.CheckConstraint("total_fen >= 0 AND payments_count >= 0", name="ck_batches_totals"),
    )
    op.create_table(
        "payments",
        sa.Column("id", Id, primary_key=True),
        sa.Column("batch_id", Id, sa.ForeignKey("batches.id"), nullable=False),
        sa.Column("grant_id", Id, sa.ForeignKey("grants.id"), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("household_id", Id, nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("amount_fen", Money, nullable=False),
        sa.Column("bank_name", sa.String(120), nullable=False),
        sa.Column("account_masked", sa.String(64), nullable=False),
        sa.Column("account_ciphertext", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("bank_reason", sa.String(120)),
        sa.Column("updated_at", Ts, nullable=False),
        sa.UniqueConstraint("grant_id", "attempt", name="uq_payments_attempt"),
        sa.CheckConstraint("amount_fen > 0", name="ck_payments_amount"),
    )
    op.create_index(
        "uq_payments_live_per_grant",
        "payments",
        ["grant_id"],
        unique=True,
        postgresql_where=sa.text(LIVE_PAYMENT),
        sqlite_where=sa.text(LIVE_PAYMENT),
    )
    op.create_index("ix_payments_batch", "payments", ["batch_id"])
    op.create_table(
        "bank_reports",
        sa.Column("message_id", sa.String(35), primary_key=True),
        sa.Column("batch_id", Id, sa.ForeignKey("batches.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("applied", sa.Integer, nullable=False),
        sa.Column("ignored", sa.Integer, nullable=False),
        sa.Column("received_at", Ts, nullable=False),
        sa.Column("received_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "ledger_transactions",
        sa.Column("id", Id, primary_key=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("at", Ts, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("transaction_id", Id, sa.ForeignKey("ledger_transactions.id"), nullable=False),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("debit_fen", Money, nullable=False),
        sa.Column("credit_fen", Money, nullable=False),
        sa.CheckConstraint("debit_fen >= 0 AND credit_fen >= 0", name="ck_ledger_entries_amounts"),
    )
    op.create_index("ix_ledger_entries_account", "ledger_entries", ["account", "id"])
    op.create_index("ix_ledger_entries_transaction", "ledger_entries", ["transaction_id"])


def downgrade() -> None:
    """Drop the funds schema."""
    for table in (
        "ledger_entries",
        "ledger_transactions",
        "bank_reports",
        "payments",
        "batches",
        "grant_history",
        "grants",
        "loans",
        "roster",
        "budget_balances",
        "budgets",
        "programs",
        "idempotency_keys",
        "inbox",
        "outbox",
    ):
        op.drop_table(table)
