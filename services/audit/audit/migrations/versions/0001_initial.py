"""Audit entries, the tree state, append-only guards on PostgreSQL, and the kit tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jzkit.messaging.tables import create_kit_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Ts = sa.DateTime(timezone=True)

_REFUSE_FUNCTION = """
CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""


def upgrade() -> None:
    """Create the audit schema."""
    create_kit_tables()
    op.create_table(
        "audit_entries",
        sa.Column("index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("entry_json", sa.Text, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("type", sa.String(120), nullable=False),
        sa.Column("subject", sa.String(200)),
        sa.Column("actor", sa.String(128)),
        sa.Column("division_code", sa.String(12)),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("recorded_at", Ts, nullable=False),
        sa.CheckConstraint('"index" >= 0', name="ck_audit_entries_index"),
    )
    for column in ("subject", "actor", "type", "division_code", "recorded_at"):
        op.create_index(f"ix_audit_entries_{column}", "audit_entries", [column])
    tree = op.create_table(
        "audit_tree",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("frontier", sa.LargeBinary, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_audit_tree_single_row"),
    )
    op.bulk_insert(tree, [{"id": 1, "size": 0, "frontier": b""}])
    if op.get_bind().dialect.name == "postgresql":
        _append_only_guards()


def _append_only_guards() -> None:
    op.execute(_REFUSE_FUNCTION)
    op.execute(
        "CREATE TRIGGER audit_entries_no_update_delete BEFORE UPDATE OR DELETE ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()"
    )
    # The grant only binds other roles: the owner (the migrating role) always holds every privilege
    # on its table, so for it the triggers above are what refuse the change.
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM PUBLIC")


def downgrade() -> None:
    """Drop the audit schema (the triggers go with the table)."""
    op.drop_table("audit_tree")
    op.drop_table("audit_entries")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_entries_append_only()")
    for table in ("idempotency_keys", "inbox", "outbox"):
        op.drop_table(table)
