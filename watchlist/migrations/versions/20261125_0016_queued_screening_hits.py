"""a queue of screening hits for the screening-alerts job

An official's screening used to raise the alert of each hit inside its own request: several look-ups
and inserts per hit, minutes for a batch of thousands. The screening now writes its hits here in one
statement beside its audit row, and the scheduler's `screening-alerts` job raises the alerts.

Revision ID: 0016
Revises: 0013
Created: 2026-11-25 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queued_screening_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("audit_event_id", sa.Integer(), nullable=True),
        sa.Column("list_screening_id", sa.Integer(), nullable=True),
        sa.Column("screened", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_event_id"],
            ["audit_events.id"],
            name=op.f("fk_queued_screening_hits_audit_event_id_audit_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["list_screening_id"],
            ["list_screenings.id"],
            name=op.f("fk_queued_screening_hits_list_screening_id_list_screenings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_queued_screening_hits_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queued_screening_hits")),
    )


def downgrade() -> None:
    op.drop_table("queued_screening_hits")
