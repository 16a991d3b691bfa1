"""`watchlist lists …` (deliveries, quarantine) and `watchlist runs`: what the incoming lists brought.

The commands that fetch and import lists (`lists import`, `lists fetch`, `sources check`) live in
`jobs/cli.py`: jobs sit above watchlist in the layers and plug them in (see `_register_commands`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from watchlist.cli import CliState, fail, main, pass_state
from watchlist.incoming import quarantined_rows, recent_deliveries, recent_runs
from watchlist.models import Delivery, Run


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment else "-"


def delivery_line(delivery: Delivery) -> str:
    """One delivery as an operator reads it."""
    line = (
        f"{delivery.id:>6}  {_when(delivery.received_at)}  {delivery.source:<20} {delivery.status.value:<11} "
        f"rows {delivery.rows_total}: stored {delivery.rows_stored}, unchanged {delivery.rows_unchanged}, "
        f"quarantined {delivery.rows_quarantined}  {delivery.origin}"
    )
    if delivery.reason:
        line += f"\n        reason: {delivery.reason}"
    return line


def delivery_to_dict(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "source": delivery.source,
        "origin": delivery.origin,
        "checksum": delivery.checksum,
        "received_at": delivery.received_at.isoformat(),
        "size_bytes": delivery.size_bytes,
        "status": delivery.status.value,
        "reason": delivery.reason,
        "rows_total": delivery.rows_total,
        "rows_stored": delivery.rows_stored,
        "rows_unchanged": delivery.rows_unchanged,
        "rows_quarantined": delivery.rows_quarantined,
    }


def _duration(run: Run) -> str:
    if run.finished_at is None:
        return "-"
    return f"{(run.finished_at - run.started_at).total_seconds():.1f}s"


def run_line(run: Run) -> str:
    """One run as an operator reads it."""
    counts = ", ".join(f"{key} {value}" for key, value in run.counts.items())
    line = (
        f"{run.id:>6}  {_when(run.started_at)}  {_duration(run):>8}  {run.kind.value:<6} "
        f"{run.source or '(all)':<20} {run.status.value:<11} {counts}"
    )
    if run.error:
        line += f"\n        error: {run.error}"
    return line


def run_to_dict(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind.value,
        "source": run.source,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "status": run.status.value,
        "counts": run.counts,
        "delivery_id": run.delivery_id,
        "error": run.error,
    }


@main.group("lists")
def lists_group() -> None:
    """Incoming lists: deliveries received, rows in quarantine (and, from jobs, import and fetch)."""


@lists_group.command("deliveries")
@click.option("--source", help="Only this source.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_state
def lists_deliveries(state: CliState, source: str | None, limit: int, as_json: bool) -> None:
    """The newest deliveries, with what became of their rows; quarantined ones say why."""
    with state.sessionmaker() as session:
        deliveries = recent_deliveries(session, source, limit)
    for delivery in deliveries:
        click.echo(json.dumps(delivery_to_dict(delivery)) if as_json else delivery_line(delivery))


@lists_group.command("quarantine")
@click.argument("delivery_id", type=int)
@pass_state
def lists_quarantine(state: CliState, delivery_id: int) -> None:
    """The rows of a delivery kept in quarantine, each with its cells and reasons (one JSON object a line)."""
    with state.sessionmaker() as session:
        if session.get(Delivery, delivery_id) is None:
            fail(f"no delivery {delivery_id}")
        rows = quarantined_rows(session, delivery_id)
    for row in rows:
        click.echo(
            json.dumps({"row": row.row_number, "errors": row.errors, "cells": row.cells}, ensure_ascii=False)
        )


@main.command("runs")
@click.option("--source", help="Only this source.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_state
def runs(state: CliState, source: str | None, limit: int, as_json: bool) -> None:
    """The newest import, fetch and matching runs: when, how long, outcome, counts, errors."""
    with state.sessionmaker() as session:
        found = recent_runs(session, source, limit)
    for run in found:
        click.echo(json.dumps(run_to_dict(run)) if as_json else run_line(run))
