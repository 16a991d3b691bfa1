"""`watchlist audit verify|prune`: check the audit log's hash chain, enforce its retention."""

from __future__ import annotations

import getpass

import click

from watchlist.audit import prune_audit, retention_of, verify_chain
from watchlist.cli import CliState, main, pass_state
from watchlist.db import session_scope


@main.group()
def audit() -> None:
    """The audit log (tamper-evident, append-only)."""


@audit.command("verify")
@pass_state
def audit_verify(state: CliState) -> None:
    """Walk the hash chain from its anchor to its head; exit 1 naming the first edited, deleted or
    inserted row."""
    with session_scope(state.sessionmaker) as session:
        result = verify_chain(session)
    if result.problem is not None:
        click.echo(f"audit chain BROKEN: {result.problem.message}", err=True)
        raise SystemExit(1)
    click.echo(
        f"audit chain intact: {result.checked} rows checked (rows {result.first_id or '-'}"
        f"..{result.last_id or '-'}, anchored after row {result.anchor_id}), head {result.head_hash}"
    )


@audit.command("prune")
@pass_state
def audit_prune(state: CliState) -> None:
    """Delete audit rows (from the chain's start) and list screenings past their retention."""
    with session_scope(state.sessionmaker) as session:
        pruned = prune_audit(
            session, retention_of(state.settings), actor=f"cli:{getpass.getuser()}", via="cli"
        )
    click.echo(
        f"deleted {pruned.events} audit rows (the chain now starts after row {pruned.anchor_id}) "
        f"and {pruned.list_screenings} list screenings"
    )
