"""audit chain: rows linked by hash, a chain head with the retention anchor, append-only triggers

Every audit row gets `content_hash`, and once sealed its place `chain_seq`, `prev_hash` and `row_hash`
(rows already written are sealed here, in id order); `audit_chain` holds the head (last place and hash,
which sealers lock) and the anchor the chain starts from after retention has pruned its start. A trigger
refuses UPDATE and DELETE on `audit_events` except sealing a row once and a DELETE of rows at or below
the anchor (the retention job moves the anchor first); on PostgreSQL TRUNCATE is refused too, and the
head row can neither be deleted nor moved backwards.

Revision ID: 0009
Revises: 0006
Created: 2026-11-24 23:59:00
"""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from alembic import op

from watchlist.audit import content_hash, row_hash
from watchlist.models.audit import GENESIS_HASH

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None

_PG_TRIGGERS = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.chain_seq <= (SELECT anchor_seq FROM audit_chain WHERE id = 1) THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.chain_seq IS NULL AND OLD.row_hash IS NULL AND NEW.chain_seq IS NOT NULL
            AND NEW.id = OLD.id AND NEW.content_hash = OLD.content_hash THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = '42501';
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
CREATE FUNCTION audit_chain_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.last_seq >= OLD.last_seq
            AND NEW.anchor_seq >= OLD.anchor_seq THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_chain only moves forward: % refused', TG_OP USING ERRCODE = '42501';
END $$;
CREATE TRIGGER audit_chain_forward_only BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_chain_forward_only();
"""

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    WHEN NOT (OLD.chain_seq IS NULL AND OLD.row_hash IS NULL AND NEW.chain_seq IS NOT NULL
              AND NEW.id = OLD.id AND NEW.content_hash = OLD.content_hash)
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    WHEN OLD.chain_seq IS NULL
      OR OLD.chain_seq > COALESCE((SELECT anchor_seq FROM audit_chain WHERE id = 1), 0)
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END""",
    """CREATE TRIGGER audit_chain_forward_only BEFORE UPDATE ON audit_chain
    WHEN NEW.id != OLD.id OR NEW.last_seq < OLD.last_seq OR NEW.anchor_seq < OLD.anchor_seq
    BEGIN SELECT RAISE(ABORT, 'audit_chain only moves forward: UPDATE refused'); END""",
    """CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
    BEGIN SELECT RAISE(ABORT, 'audit_chain only moves forward: DELETE refused'); END""",
]


def upgrade() -> None:
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("anchor_seq", sa.Integer(), nullable=False),
        sa.Column("anchor_hash", sa.String(length=64), nullable=False),
        sa.Column("anchored_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("chain_seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_chain_seq"), ["chain_seq"])

    connection = op.get_bind()
    events = sa.table(
        "audit_events",
        *(
            sa.column(name)
            for name in (
                "id",
                "action",
                "actor",
                "role",
                "via",
                "remote_addr",
                "prev_hash",
                "content_hash",
                "chain_seq",
            )
        ),
        sa.column("row_hash"),
        sa.column("occurred_at", sa.DateTime(timezone=True)),
        sa.column("subject", sa.JSON()),
        sa.column("outcome", sa.JSON()),
    )
    last_seq, last_hash = 0, GENESIS_HASH
    for row in connection.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        values = dict(row)
        if values["occurred_at"].tzinfo is None:
            values["occurred_at"] = values["occurred_at"].replace(tzinfo=UTC)
        digest = content_hash(values)
        last_seq += 1
        linked = row_hash(row["id"], last_seq, last_hash, digest)
        connection.execute(
            events.update()
            .where(events.c.id == row["id"])
            .values(chain_seq=last_seq, prev_hash=last_hash, content_hash=digest, row_hash=linked)
        )
        last_hash = linked
    connection.execute(
        sa.table(
            "audit_chain",
            sa.column("id"),
            sa.column("last_seq"),
            sa.column("last_hash"),
            sa.column("anchor_seq"),
            sa.column("anchor_hash"),
        )
        .insert()
        .values(id=1, last_seq=last_seq, last_hash=last_hash, anchor_seq=0, anchor_hash=GENESIS_HASH)
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("content_hash", existing_type=sa.String(length=64), nullable=False)

    if connection.dialect.name == "postgresql":
        op.execute(_PG_TRIGGERS)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_chain_forward_only ON audit_chain")
        op.execute("DROP FUNCTION audit_chain_forward_only()")
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    else:
        for name in ("audit_chain_no_delete", "audit_chain_forward_only", "audit_events_no_delete"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TRIGGER audit_events_no_update")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_events_chain_seq"), type_="unique")
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("chain_seq")
        batch_op.drop_column("content_hash")
    op.drop_table("audit_chain")
