"""`watchlist deliver`, `watchlist webhooks …`, `watchlist deliveries …` and `watchlist users set-email`."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import click

from watchlist.cli import CliState, main, pass_state
from watchlist.cli.users import _table, users
from watchlist.db import session_scope
from watchlist.delivery.endpoints import add_endpoint, disable_endpoint, list_endpoints
from watchlist.delivery.outbox import counts_by_status, dead_letters, retry_dead
from watchlist.delivery.rules import SOURCE_KINDS
from watchlist.delivery.signing import new_secret
from watchlist.delivery.subscriptions import set_email
from watchlist.delivery.worker import DeliveryWorker
from watchlist.models import Severity
from watchlist.users import get_user_by_name

KIND_CHOICE = click.Choice([*SOURCE_KINDS, "any"])
SEVERITY_CHOICE = click.Choice([severity.value for severity in Severity])


@main.command("deliver")
@click.option("--poll-seconds", default=1.0, show_default=True, type=float, help="Idle wait between claims.")
@click.option("--batch", default=20, show_default=True, type=int, help="Messages claimed at a time.")
@click.option("--exit-when-idle", is_flag=True, help="Stop when nothing is due instead of waiting.")
@pass_state
def deliver_command(state: CliState, poll_seconds: float, batch: int, exit_when_idle: bool) -> None:
    """Send alert e-mails and webhooks from the outbox, retrying with backoff; run as many as you like
    on PostgreSQL, one at a time on SQLite."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stopping: list[bool] = []

    def stop(signum: int, frame: object) -> None:
        stopping.append(True)

    signal.signal(signal.SIGTERM, stop)
    worker = DeliveryWorker(
        state.sessionmaker, state.settings, batch=batch, echo=lambda line: click.echo(line)
    )
    done = worker.run(
        poll_seconds=poll_seconds, exit_when_idle=exit_when_idle, should_stop=lambda: bool(stopping)
    )
    click.echo(f"deliver {worker.name}: {done} attempts")


@main.group("webhooks")
def webhooks_group() -> None:
    """Webhook endpoints that receive signed alert notifications."""


@webhooks_group.command("add")
@click.argument("url")
@click.option(
    "--secret-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The endpoint's whsec_… secret; a new one is written there when the file does not exist.",
)
@click.option(
    "--kind", type=KIND_CHOICE, default="any", show_default=True, help="Only alerts of this source kind."
)
@click.option("--min-severity", type=SEVERITY_CHOICE, default="low", show_default=True)
@pass_state
def webhooks_add(state: CliState, url: str, secret_file: Path, kind: str, min_severity: str) -> None:
    """Send the alerts of a kind and severity to URL, signed with the secret in --secret-file."""
    if secret_file.exists():
        secret = secret_file.read_text(encoding="utf-8").strip()
    else:
        secret = new_secret()
        # created readable by the owner only, never for a moment by anyone else
        with os.fdopen(os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(secret + "\n")
        click.echo(f"wrote a new secret to {secret_file}; give it to the receiver", err=True)
    with session_scope(state.sessionmaker) as session:
        endpoint = add_endpoint(session, url, secret, source_kind=kind, min_severity=min_severity)
        click.echo(f"webhook endpoint {endpoint.id}: {endpoint.url}")


@webhooks_group.command("list")
@pass_state
def webhooks_list(state: CliState) -> None:
    """List the endpoints: what they receive and whether they are still called."""
    with session_scope(state.sessionmaker) as session:
        rows = [
            (
                str(endpoint.id),
                endpoint.url,
                endpoint.source_kind or "any",
                endpoint.min_severity.value,
                "active" if endpoint.is_active else f"disabled: {endpoint.disabled_reason}",
            )
            for endpoint in list_endpoints(session)
        ]
    _table(("id", "url", "kind", "min severity", "state"), rows)


@webhooks_group.command("disable")
@click.argument("endpoint_id", metavar="ID", type=int)
@pass_state
def webhooks_disable(state: CliState, endpoint_id: int) -> None:
    """Stop calling endpoint ID; what still waits for it is cancelled."""
    with session_scope(state.sessionmaker) as session:
        endpoint = disable_endpoint(session, endpoint_id, "disabled by an operator")
        click.echo(f"disabled webhook endpoint {endpoint.id}")


@main.group("deliveries")
def deliveries_group() -> None:
    """The alert outbox: dead letters and retries."""


@deliveries_group.command("dead")
@pass_state
def deliveries_dead(state: CliState) -> None:
    """List the messages given up on after the retry window; `watchlist deliveries retry` sends them again."""
    with session_scope(state.sessionmaker) as session:
        rows = [
            (
                str(message.id),
                str(message.alert_id),
                message.channel.value,
                message.email or (message.endpoint.url if message.endpoint else ""),
                str(message.attempts),
                message.dead_at.strftime("%Y-%m-%d %H:%M") if message.dead_at else "",
                message.last_error or "",
            )
            for message in dead_letters(session)
        ]
        counts = counts_by_status(session)
    _table(("id", "alert", "channel", "recipient", "attempts", "dead since (UTC)", "last error"), rows)
    click.echo(", ".join(f"{status}: {count}" for status, count in sorted(counts.items())) or "outbox empty")


@deliveries_group.command("retry")
@click.argument("outbox_ids", metavar="[ID]...", nargs=-1, type=int)
@click.option("--all", "retry_all", is_flag=True, help="Every dead letter.")
@pass_state
def deliveries_retry(state: CliState, outbox_ids: tuple[int, ...], retry_all: bool) -> None:
    """Send dead letters again, with a fresh retry window."""
    if bool(outbox_ids) == retry_all:
        raise click.UsageError("give dead letter ids, or --all")
    with session_scope(state.sessionmaker) as session:
        revived = retry_dead(session, None if retry_all else list(outbox_ids))
    click.echo(f"{revived} dead letter(s) queued again")


@users.command("set-email")
@click.argument("username")
@click.argument("email")
@pass_state
def users_set_email(state: CliState, username: str, email: str) -> None:
    """Set the address USERNAME's subscribed alerts are e-mailed to ("" clears it)."""
    with session_scope(state.sessionmaker) as session:
        set_email(session, get_user_by_name(session, username), email)
    click.echo(f"e-mail of {username} set")
