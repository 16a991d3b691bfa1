"""scheduling: the retro-matching queue, the scheduler's lease row, matching batches shared by workers

Revision ID: 0005
Revises: 0003
Created: 2026-11-24 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retro_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_retro_queue_person_id_persons"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retro_queue")),
    )
    with op.batch_alter_table("retro_queue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retro_queue_person_id"), ["person_id"], unique=False)

    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_leases")),
    )

    op.create_table(
        "match_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("first_record_id", sa.Integer(), nullable=False),
        sa.Column("last_record_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("records_matched", sa.Integer(), nullable=False),
        sa.Column("alerts_raised", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_match_batches_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_batches")),
    )
    with op.batch_alter_table("match_batches", schema=None) as batch_op:
        batch_op.create_index("ix_match_batches_run_id_status", ["run_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("match_batches", schema=None) as batch_op:
        batch_op.drop_index("ix_match_batches_run_id_status")
    op.drop_table("match_batches")
    op.drop_table("scheduler_leases")
    with op.batch_alter_table("retro_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retro_queue_person_id"))
    op.drop_table("retro_queue")
