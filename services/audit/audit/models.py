"""The audit log's tables: entries (the source of truth), the tree's compact state and its nodes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

TREE_ROW_ID = 1


class AuditEntry(SQLModel, table=True):
    """One log entry: its exact canonical bytes and the columns queries filter on."""

    __tablename__ = "audit_entries"

    index: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    # The JCS bytes as UTF-8 text, byte for byte what was hashed: never re-serialised.
    entry_json: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    leaf_hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    type: str = Field(sa_column=sa.Column(sa.String(120), nullable=False))
    subject: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    actor: str | None = Field(default=None, sa_column=sa.Column(sa.String(128)))
    division_code: str | None = Field(default=None, sa_column=sa.Column(sa.String(12)))
    event_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, unique=True))
    recorded_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


class AuditTree(SQLModel, table=True):
    """The single row holding the tree size and its frontier (perfect-subtree roots, concatenated)."""

    __tablename__ = "audit_tree"

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    frontier: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


class AuditNode(SQLModel, table=True):
    """A complete, aligned subtree of level >= 1: the hash of leaves [idx * 2**level, (idx + 1) * 2**level).

    Level 0 are the leaf hashes in ``audit_entries``; with these a proof reads O(log n) stored hashes.
    """

    __tablename__ = "audit_nodes"

    level: int = Field(sa_column=sa.Column(sa.SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
