"""The card holder's name (encrypted) on the roster and frozen with each payment: the pain.001 payee.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``holder_name_ciphertext`` to ``roster`` and ``payments``."""
    for table in ("roster", "payments"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("holder_name_ciphertext", sa.Text))


def downgrade() -> None:
    """Drop the columns."""
    for table in ("roster", "payments"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("holder_name_ciphertext")
