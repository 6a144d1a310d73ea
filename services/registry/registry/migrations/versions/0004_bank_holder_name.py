"""The card holder's name, encrypted: the payee name of the funds service's bank transfers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``households.bank_holder_name_ciphertext`` (households registered earlier stay without it)."""
    with op.batch_alter_table("households") as batch:
        batch.add_column(sa.Column("bank_holder_name_ciphertext", sa.Text))


def downgrade() -> None:
    """Drop ``households.bank_holder_name_ciphertext``."""
    with op.batch_alter_table("households") as batch:
        batch.drop_column("bank_holder_name_ciphertext")
