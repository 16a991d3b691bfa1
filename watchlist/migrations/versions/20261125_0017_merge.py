"""merge: normalised search names (0015) and the queue of screening hits (0016) into one line again

The two were built side by side on top of 0013 and touch different tables; this revision changes nothing
but joins them, so later revisions have one parent.

Revision ID: 0017
Revises: 0015, 0016
Created: 2026-11-25 04:40:00
"""

from __future__ import annotations

revision = "0017"
down_revision = ("0015", "0016")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
