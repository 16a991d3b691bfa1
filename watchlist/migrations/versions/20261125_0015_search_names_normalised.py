"""person names are searched in their normalised form, without invisible characters

The search form of a name (`person_names.folded`) was NFKC and case folding only, so a name pasted with a
zero-width space, a bidi mark or a Latin look-alike letter inside a Cyrillic word could not be found by the
name as it reads. It is now the matcher's normalised name; the stored forms are computed again.

Revision ID: 0015
Revises: 0013
Created: 2026-11-25 03:20:00
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

# the migration computes the forms with the normaliser of its day; a later change of the normaliser that
# changes stored forms brings its own migration
from matchers.normalize import normalize_name

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None

FOLDED_LENGTH = 512
BATCH = 5000

names = sa.table(
    "person_names",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("folded", sa.String),
)


def _refold(fold: Callable[[str], str]) -> None:
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(names.c.id, names.c.name).where(names.c.id > last).order_by(names.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            names.update().where(names.c.id == sa.bindparam("row_id")).values(folded=sa.bindparam("form")),
            [{"row_id": row.id, "form": fold(row.name)[:FOLDED_LENGTH]} for row in rows],
        )
        last = rows[-1].id


def upgrade() -> None:
    _refold(normalize_name)


def downgrade() -> None:
    _refold(lambda name: unicodedata.normalize("NFKC", name).casefold())
