"""merge: list screenings (0004) and scheduling (0005) into one line again

The two were built side by side on top of the audit and incoming-list revisions; this revision changes
nothing but joins them, so later revisions have one parent.

Revision ID: 0006
Revises: 0004, 0005
Created: 2026-11-24 23:06:00
"""

from __future__ import annotations

revision = "0006"
down_revision = ("0004", "0005")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
