"""`watchlist audit seal|verify|prune`: link new rows into the audit log's hash chain, check the chain,
enforce its retention."""

from __future__ import annotations

import getpass

import click

from watchlist.audit import prune_audit, retention_of, seal_chain, verify_chain
from watchlist.cli import CliState, main, pass_state
from watchlist.db import session_scope


@main.group()
def audit() -> None:
    """The audit log (tamper-evident, append-only)."""


@audit.command("seal")
@pass_state
def audit_seal(state: CliState) -> None:
    """Link the rows written since the last sealing into the chain (the scheduler does it every few
    seconds)."""
    with session_scope(state.sessionmaker) as session:
        sealed = seal_chain(session)
    click.echo(f"sealed {sealed} audit rows")


@audit.command("verify")
@pass_state
def audit_verify(state: CliState) -> None:
    """Seal, then walk the hash chain from its anchor to its head; exit 1 naming the first edited,
    deleted or inserted row."""
    with session_scope(state.sessionmaker) as session:
        seal_chain(session)
    with session_scope(state.sessionmaker) as session:
        result = verify_chain(session)
    if result.problem is not None:
        click.echo(f"audit chain BROKEN: {result.problem.message}", err=True)
        raise SystemExit(1)
    click.echo(
        f"audit chain intact: {result.checked} rows checked (places {result.anchor_seq + 1}.."
        f"{result.last_seq}; rows before place {result.anchor_seq + 1} pruned by retention), "
        f"head {result.head_hash}"
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
        f"deleted {pruned.events} audit rows (the chain now starts after place {pruned.anchor_seq}) "
        f"and {pruned.list_screenings} list screenings"
    )
