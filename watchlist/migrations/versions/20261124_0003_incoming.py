"""incoming: deliveries of incoming lists, their records and quarantine, alerts, run history

Each delivery a source sends (checksum unique per source, so the same file twice is one delivery), the
records it carried keyed by (source, record key), rows that failed validation kept in quarantine, the
ETag / Last-Modified a source's server sent last, a minimal alert per (person, record) pair, and one row
per import, fetch or matching run.

Revision ID: 0003
Revises: 0002
Created: 2026-11-24 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incoming_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=1000), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("sample", sa.Text(), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_stored", sa.Integer(), nullable=False),
        sa.Column("rows_quarantined", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoming_deliveries")),
        sa.UniqueConstraint("source", "checksum", name="uq_incoming_deliveries_source_checksum"),
    )
    with op.batch_alter_table("incoming_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incoming_deliveries_source"), ["source"], unique=False)

    op.create_table(
        "incoming_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("birth_date", sa.String(length=200), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("matched_hash", sa.String(length=64), nullable=True),
        sa.Column("first_delivery_id", sa.Integer(), nullable=False),
        sa.Column("last_delivery_id", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_delivery_id"],
            ["incoming_deliveries.id"],
            name=op.f("fk_incoming_records_first_delivery_id_incoming_deliveries"),
        ),
        sa.ForeignKeyConstraint(
            ["last_delivery_id"],
            ["incoming_deliveries.id"],
            name=op.f("fk_incoming_records_last_delivery_id_incoming_deliveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoming_records")),
        sa.UniqueConstraint("source", "record_key", name="uq_incoming_records_source_record_key"),
    )
    with op.batch_alter_table("incoming_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incoming_records_first_delivery_id"), ["first_delivery_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incoming_records_last_delivery_id"), ["last_delivery_id"], unique=False
        )
        batch_op.create_index("ix_incoming_records_source_pending", ["source", "matched_hash"], unique=False)

    op.create_table(
        "incoming_quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["incoming_deliveries.id"],
            name=op.f("fk_incoming_quarantine_delivery_id_incoming_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoming_quarantine")),
    )
    with op.batch_alter_table("incoming_quarantine", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incoming_quarantine_delivery_id"), ["delivery_id"], unique=False)

    op.create_table(
        "incoming_source_states",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_incoming_source_states")),
    )

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_runs_started_at"), ["started_at"], unique=False)
        batch_op.create_index("ix_runs_source_started_at", ["source", "started_at"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_alerts_person_id_persons"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["incoming_records.id"],
            name=op.f("fk_alerts_record_id_incoming_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_alerts_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("person_id", "record_id", name="uq_alerts_person_id_record_id"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_raised_at"), ["raised_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_record_id"), ["record_id"], unique=False)


def downgrade() -> None:
    op.drop_table("alerts")
    op.drop_table("runs")
    op.drop_table("incoming_source_states")
    op.drop_table("incoming_quarantine")
    op.drop_table("incoming_records")
    op.drop_table("incoming_deliveries")
