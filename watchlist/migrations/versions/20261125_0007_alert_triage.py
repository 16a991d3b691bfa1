"""alert triage: origin (record or screening), severity, status with dismissal reason, assignment,
fingerprint of what was matched; the alerts' history, sightings and who has read them

Existing alerts were all raised from incoming records and never triaged: they become origin `record`,
take their record's source, a severity from their person's status, and an empty fingerprint (nothing was
ever dismissed, so nothing compares with it).

Revision ID: 0007
Revises: 0006
Created: 2026-11-25 00:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CHECKS = {
    "alert_origin": "origin IN ('record', 'screening')",
    "alert_severity": "severity IN ('critical', 'high', 'medium', 'low')",
    "alert_status": "status IN ('new', 'acknowledged', 'confirmed', 'dismissed')",
    "dismiss_reason": "dismiss_reason IN ('different_person', 'duplicate', 'data_error')",
}


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=16), nullable=False, server_default="record")
        )
        batch_op.add_column(sa.Column("audit_event_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("list_screening_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("source_kind", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("screened", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(
            sa.Column("severity", sa.String(length=16), nullable=False, server_default="high")
        )
        batch_op.add_column(sa.Column("dismiss_reason", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("assigned_to_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("record_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_alerts_audit_event_id_audit_events"),
            "audit_events",
            ["audit_event_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_alerts_list_screening_id_list_screenings"),
            "list_screenings",
            ["list_screening_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_alerts_assigned_to_id_users"),
            "users",
            ["assigned_to_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.execute(
        "UPDATE alerts SET"
        " source = COALESCE("
        "(SELECT source FROM incoming_records WHERE incoming_records.id = alerts.record_id), ''),"
        " severity = CASE (SELECT status FROM persons WHERE persons.id = alerts.person_id)"
        " WHEN 'wanted' THEN 'critical' WHEN 'closed' THEN 'low' ELSE 'high' END,"
        " status = CASE WHEN status IN ('new', 'acknowledged', 'confirmed', 'dismissed')"
        " THEN status ELSE 'new' END,"
        " updated_at = raised_at,"
        " last_seen_at = raised_at"
    )

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        for column in ("origin", "source", "severity", "fingerprint"):
            batch_op.alter_column(column, existing_type=sa.String(), server_default=None)
        batch_op.alter_column("screened", existing_type=sa.JSON(), server_default=None)
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column("last_seen_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        for name, condition in CHECKS.items():
            batch_op.create_check_constraint(name, condition)
        batch_op.create_index(batch_op.f("ix_alerts_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_source"), ["source"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_source_kind"), ["source_kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_severity"), ["severity"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_assigned_to_id"), ["assigned_to_id"], unique=False)
        batch_op.create_index("ix_alerts_status_raised_at", ["status", "raised_at"], unique=False)

    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_events_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_events_alert_id"), ["alert_id"], unique=False)

    op.create_table(
        "alert_sightings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("audit_event_id", sa.Integer(), nullable=True),
        sa.Column("screened", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_sightings_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["audit_event_id"],
            ["audit_events.id"],
            name=op.f("fk_alert_sightings_audit_event_id_audit_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_alert_sightings_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["incoming_records.id"],
            name=op.f("fk_alert_sightings_record_id_incoming_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_sightings")),
        sa.UniqueConstraint("person_id", "record_id", name="uq_alert_sightings_person_id_record_id"),
    )
    with op.batch_alter_table("alert_sightings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_sightings_alert_id"), ["alert_id"], unique=False)

    op.create_table(
        "alert_reads",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_reads_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_alert_reads_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("alert_id", "user_id", name=op.f("pk_alert_reads")),
    )


def downgrade() -> None:
    op.drop_table("alert_reads")
    with op.batch_alter_table("alert_sightings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_sightings_alert_id"))
    op.drop_table("alert_sightings")
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_events_alert_id"))
    op.drop_table("alert_events")
    # alerts of screenings have no record and cannot stay in the old shape
    op.execute("DELETE FROM alerts WHERE record_id IS NULL")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_status_raised_at")
        for index in ("assigned_to_id", "severity", "source_kind", "source", "person_id"):
            batch_op.drop_index(batch_op.f(f"ix_alerts_{index}"))
        for name in CHECKS:
            batch_op.drop_constraint(batch_op.f(f"ck_alerts_{name}"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_alerts_assigned_to_id_users"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_alerts_list_screening_id_list_screenings"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_alerts_audit_event_id_audit_events"), type_="foreignkey")
        batch_op.alter_column("record_id", existing_type=sa.Integer(), nullable=False)
        for column in (
            "last_seen_at",
            "updated_at",
            "assigned_to_id",
            "fingerprint",
            "dismiss_reason",
            "severity",
            "screened",
            "source_kind",
            "source",
            "list_screening_id",
            "audit_event_id",
            "origin",
        ):
            batch_op.drop_column(column)
