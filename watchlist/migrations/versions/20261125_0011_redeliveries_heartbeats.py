"""re-deliveries and dead runs: records a full delivery no longer carries, run heartbeats

A record is matched again only when what the matcher reads of it (name, birth date) changed: its
`screened_hash`, which for records stored before is taken to be their content hash. A full delivery that
comes without some of a source's records marks them absent (never deleted: alerts and the audit log point
at them), so each record notes the last delivery that carried it. A run notes its process and a
heartbeat, so a run whose process died is found and marked failed.

Revision ID: 0011
Revises: 0006
Created: 2026-11-25 00:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incoming_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_delivery_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("absent_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_incoming_records_source_last_seen", ["source", "last_seen_delivery_id"], unique=False
        )
        batch_op.add_column(sa.Column("screened_hash", sa.String(length=64), nullable=True))
    # every stored record was carried by the delivery that last changed it, at least; and was matched (or
    # waits) by its content hash, which stands for its screened hash until it next changes
    op.execute(
        "UPDATE incoming_records SET last_seen_delivery_id = last_delivery_id, screened_hash = content_hash"
    )
    with op.batch_alter_table("incoming_records", schema=None) as batch_op:
        batch_op.alter_column("screened_hash", existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table("incoming_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rows_absent", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("holder")
    with op.batch_alter_table("incoming_deliveries", schema=None) as batch_op:
        batch_op.drop_column("rows_absent")
    with op.batch_alter_table("incoming_records", schema=None) as batch_op:
        batch_op.drop_index("ix_incoming_records_source_last_seen")
        batch_op.drop_column("screened_hash")
        batch_op.drop_column("absent_since")
        batch_op.drop_column("last_seen_delivery_id")
