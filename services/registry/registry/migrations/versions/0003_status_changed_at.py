"""When identification last decided a household's status.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``households.status_changed_at``."""
    with op.batch_alter_table("households") as batch:
        batch.add_column(sa.Column("status_changed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    """Drop ``households.status_changed_at``."""
    with op.batch_alter_table("households") as batch:
        batch.drop_column("status_changed_at")
