"""list screenings: uploaded incoming lists and the result of each row

An official's uploaded list (owner, file name, columns and their mapping, progress counters) and its
rows (the cells as read, and once screened the decision and result). Progress lives in the database so
that any web worker can screen the next chunk of a list or report how far it has got.

Revision ID: 0004
Revises: 0002
Created: 2026-11-24 21:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "list_screenings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "mapping",
                "screening",
                "done",
                name="list_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("screened_rows", sa.Integer(), nullable=False),
        sa.Column("invalid_rows", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("possible_hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_screenings")),
    )
    with op.batch_alter_table("list_screenings", schema=None) as batch_op:
        batch_op.create_index("ix_list_screenings_owner_created_at", ["owner", "created_at"], unique=False)

    op.create_table(
        "list_screening_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "screened",
                "invalid",
                name="list_row_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("record_id", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("birth_date", sa.String(length=200), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("best_score", sa.Float(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["list_screenings.id"],
            name=op.f("fk_list_screening_rows_screening_id_list_screenings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_screening_rows")),
    )
    with op.batch_alter_table("list_screening_rows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_list_screening_rows_screening_id_position", ["screening_id", "position"], unique=True
        )
        batch_op.create_index(
            "ix_list_screening_rows_screening_id_state", ["screening_id", "state"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("list_screening_rows", schema=None) as batch_op:
        batch_op.drop_index("ix_list_screening_rows_screening_id_state")
        batch_op.drop_index("ix_list_screening_rows_screening_id_position")
    op.drop_table("list_screening_rows")
    with op.batch_alter_table("list_screenings", schema=None) as batch_op:
        batch_op.drop_index("ix_list_screenings_owner_created_at")
    op.drop_table("list_screenings")
