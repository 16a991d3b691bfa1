"""the kind of source (pow / border / extradition) each delivery came from

Officers subscribe to alerts by source kind; the kind is declared with the source (config/sources.toml),
which the matching runs do not read, so each delivery keeps the kind it was received as and an alert on
one of its records takes it from there. Deliveries received before stay without a kind.

Revision ID: 0013
Revises: 0012
Created: 2026-11-25 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incoming_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_kind", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incoming_deliveries", schema=None) as batch_op:
        batch_op.drop_column("source_kind")
