"""Stored complete subtree hashes, so proofs read O(log n) hashes instead of every leaf.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSE_FUNCTION = """
CREATE FUNCTION audit_nodes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_nodes is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""
# Rows per read and write while backfilling the nodes of an existing log.
_BATCH = 10_000


def upgrade() -> None:
    """Create audit_nodes, fill it for the entries already logged, and guard it on PostgreSQL."""
    nodes = op.create_table(
        "audit_nodes",
        sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
        sa.CheckConstraint("level >= 1 AND idx >= 0", name="ck_audit_nodes_position"),
    )
    _backfill(nodes)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_REFUSE_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_nodes_no_update_delete BEFORE UPDATE OR DELETE ON audit_nodes "
            "FOR EACH ROW EXECUTE FUNCTION audit_nodes_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_nodes_no_truncate BEFORE TRUNCATE ON audit_nodes "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_nodes_append_only()"
        )
        op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_nodes FROM PUBLIC")


def _backfill(nodes: sa.Table) -> None:
    """Every complete subtree of level >= 1 over the logged leaves (RFC 9162 node hashes, inlined)."""
    bind = op.get_bind()
    entries = sa.table(
        "audit_entries", sa.column("index", sa.BigInteger), sa.column("leaf_hash", sa.LargeBinary)
    )
    stack: list[bytes] = []  # the frontier, largest subtree first
    size, rows = 0, []
    while True:
        page = bind.execute(
            sa.select(entries.c.leaf_hash)
            .where(entries.c.index >= size)
            .order_by(entries.c.index)
            .limit(_BATCH)
        ).all()
        for (leaf,) in page:
            node, bits, level = bytes(leaf), size, 0
            while bits & 1:
                node = hashlib.sha256(b"\x01" + stack.pop() + node).digest()
                bits >>= 1
                level += 1
                rows.append({"level": level, "idx": size >> level, "hash": node})
            stack.append(node)
            size += 1
        if rows:
            op.bulk_insert(nodes, rows)
            rows = []
        if len(page) < _BATCH:
            break


def downgrade() -> None:
    """Drop audit_nodes (its triggers go with it)."""
    op.drop_table("audit_nodes")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_nodes_append_only()")
