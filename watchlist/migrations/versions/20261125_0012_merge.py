"""merge: alert triage (0007), alert delivery (0008), the audit chain (0009), access hardening (0010) and
re-deliveries with run heartbeats (0011) into one line again

The five were built side by side on top of 0006 and touch different tables; this revision changes nothing
but joins them, so later revisions have one parent.

Revision ID: 0012
Revises: 0007, 0008, 0009, 0010, 0011
Created: 2026-11-25 00:50:00
"""

from __future__ import annotations

revision = "0012"
down_revision = ("0007", "0008", "0009", "0010", "0011")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
