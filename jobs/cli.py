"""`watchlist lists import`, `watchlist lists fetch` and `watchlist sources check`.

jobs sit above watchlist in the layers, so watchlist cannot import these; the `watchlist.commands`
entry point of the package names this module and `watchlist.cli` loads it, and it attaches the commands.
"""

from __future__ import annotations

import logging
import signal
from datetime import timedelta
from pathlib import Path

import click

from jobs.retro import run_retro
from jobs.runs import run_matching
from jobs.scheduler import SchedulerProcess, holder_name, install_signal_handlers, job_specs, lease_for
from jobs.sources.config import FolderTransport, HttpTransport, Source, SourcesConfig, load_sources
from jobs.sources.fetch import Fetcher, FetchFailed
from jobs.sources.receive import DEFAULT_SETTLE_SECONDS, Received, fetch_source, import_file
from jobs.worker import CLAIM_TIMEOUT, Worker, plan_run, worker_name
from watchlist.cli import CliState, main, pass_state
from watchlist.cli.lists import lists_group
from watchlist.exc import ConfigError
from watchlist.models import RunStatus

sources_file_option = click.option(
    "--sources-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The sources file [default: $WATCHLIST_SOURCES_FILE, else config/sources.toml].",
)


def _report(received: Received) -> list[str]:
    lines: list[str] = []
    report = received.report
    if received.fetched is not None and received.fetched.not_modified:
        lines.append(f"{received.run.source}: not modified since the last fetch (304); nothing to do")
    elif report is not None:
        delivery = report.delivery
        if report.duplicate:
            lines.append(
                f"{delivery.source}: the same bytes were received before as delivery {delivery.id} "
                f"({delivery.status.value}); nothing changed"
            )
        elif report.quarantined:
            lines.append(
                f"{delivery.source}: delivery {delivery.id} QUARANTINED: {delivery.reason}; "
                f"the previous data stays in use"
            )
        else:
            lines.append(
                f"{delivery.source}: delivery {delivery.id} accepted: {delivery.rows_total} rows, "
                f"{delivery.rows_stored} stored ({report.new} new, {report.changed} changed), "
                f"{delivery.rows_unchanged} unchanged, {delivery.rows_quarantined} quarantined"
                + (f" (see `watchlist lists quarantine {delivery.id}`)" if delivery.rows_quarantined else "")
            )
    match = received.match_run
    if match is not None:
        counts = match.counts
        lines.append(
            f"matching: {counts.get('records_matched', 0)} records matched, "
            f"{counts.get('alerts_raised', 0)} alerts raised"
            + (
                f" ({counts['alerts_existing']} pairs alerted before)"
                if counts.get("alerts_existing")
                else ""
            )
        )
    return lines


def _finish(outcome: list[Received]) -> None:
    for received in outcome:
        for line in _report(received):
            click.echo(line)
    quarantined = [r for r in outcome if r.run.status is RunStatus.QUARANTINED]
    if quarantined:
        raise click.ClickException(f"{len(quarantined)} delivery(ies) quarantined whole; see above")


@lists_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "source_name", required=True, help="The declared source the file comes from.")
@sources_file_option
@pass_state
def lists_import(state: CliState, file: Path, source_name: str, sources_file: Path | None) -> None:
    """Receive FILE as a delivery of a source, store its records, and match the new and changed ones.

    Rows that fail validation are kept in quarantine; a file that looks wrong (HTML, empty, far smaller
    than the last) is quarantined whole and the command exits with status 1.
    """
    source = load_sources(sources_file).get(source_name)
    _finish([import_file(state.sessionmaker, state.settings, source, file)])


@lists_group.command("fetch")
@click.argument("name")
@click.option(
    "--settle-seconds",
    default=DEFAULT_SETTLE_SECONDS,
    show_default=True,
    type=float,
    help="Drop folders: skip files changed more recently than this (they may still be being written).",
)
@sources_file_option
@pass_state
def lists_fetch(state: CliState, name: str, settle_seconds: float, sources_file: Path | None) -> None:
    """Fetch source NAME (its URL, or the new files in its drop folder), store it, match what is new."""
    config = load_sources(sources_file)
    outcome = fetch_source(
        state.sessionmaker, state.settings, config, config.get(name), settle_seconds=settle_seconds
    )
    if not outcome.received:
        click.echo(f"{name}: no new files")
    _finish(outcome.received)


@main.group("sources")
def sources_group() -> None:
    """The incoming-list sources declared in the sources file."""


def _check(config: SourcesConfig, source: Source, offline: bool) -> list[str]:
    problems: list[str] = []
    transport = source.transport
    if isinstance(transport, HttpTransport):
        try:
            transport.secret_values()
        except ConfigError as error:
            problems.append(str(error))
        if not offline and not problems:
            fetcher = Fetcher(transport, source.limits, config.allow_plain_http_loopback)
            try:
                status, url, content_type = fetcher.probe()
            except FetchFailed as error:
                problems.append(f"unreachable: {error}")
            else:
                if status >= 400:
                    problems.append(f"{url} answered {status}")
                elif content_type and content_type.split(";")[0].strip() == "text/html":
                    problems.append(f"{url} serves an HTML page (text/html), not a list")
    elif isinstance(transport, FolderTransport) and not transport.path.is_dir():
        problems.append(f"drop folder {transport.path} does not exist")
    return problems


def _describe(source: Source) -> str:
    transport = source.transport
    where = (
        f"{transport.url} (hosts: {', '.join(sorted(transport.hosts))})"
        if isinstance(transport, HttpTransport)
        else f"folder {transport.path}"
    )
    trigger = source.trigger()
    schedule = f"schedule {source.schedule!r}" if trigger else "no schedule"
    return f"{source.name}: {source.kind} list, {source.format}, {where}, {schedule}"


@sources_group.command("check")
@click.option("--offline", is_flag=True, help="Check the file and the environment only; do not reach out.")
@sources_file_option
def sources_check(offline: bool, sources_file: Path | None) -> None:
    """Check the sources file, the environment variables it names, and that every source answers."""
    config = load_sources(sources_file)
    if not config.sources:
        raise click.ClickException("no sources declared (config/sources.toml or $WATCHLIST_SOURCES_FILE)")
    failed = 0
    for source in config.sources.values():
        problems = _check(config, source, offline)
        click.echo(("FAIL " if problems else "ok   ") + _describe(source))
        for problem in problems:
            click.echo(f"     {problem}")
        failed += bool(problems)
    if failed:
        raise click.ClickException(f"{failed} of {len(config.sources)} source(s) failed the check")


@main.command("retro")
@pass_state
def retro_command(state: CliState) -> None:
    """Match the persons added or renamed since the last retro run against every stored incoming record."""
    run = run_retro(state.sessionmaker, state.settings)
    if run is None:
        click.echo("retro: nobody queued; nothing to do")
        return
    counts = run.counts
    click.echo(
        f"retro: {counts['persons']} persons against {counts['records_screened']} stored records, "
        f"{counts['alerts_raised']} alerts raised"
    )


@main.command("scheduler")
@sources_file_option
@click.option("--match-every", default=300.0, show_default=True, type=float, help="Seconds between matching.")
@click.option(
    "--retro-every", default=60.0, show_default=True, type=float, help="Seconds between retro runs."
)
@click.option(
    "--poll-seconds",
    default=5.0,
    show_default=True,
    type=float,
    help="How often a standby tries the lease, and the active one renews it.",
)
@click.option("--exit-after", type=float, help="Stop after this many seconds (tests, one-off runs).")
@click.option(
    "--with-workers",
    is_flag=True,
    help="Only plan matching batches; `watchlist worker` processes match them.",
)
@pass_state
def scheduler_command(
    state: CliState,
    sources_file: Path | None,
    match_every: float,
    retro_every: float,
    poll_seconds: float,
    exit_after: float | None,
    with_workers: bool,
) -> None:
    """Run the scheduler: fetch each source on its schedule, match, retro-match. Only one is active
    at a time however many are started; the others wait as standbys and take over when it stops."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # one line per job run is enough; APScheduler says three
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    config = load_sources(sources_file)
    factory, settings = state.sessionmaker, state.settings
    process = SchedulerProcess(
        factory=factory,
        lease=lease_for(state.engine, factory, holder_name()),
        specs=lambda: job_specs(
            factory,
            settings,
            config,
            match_every=match_every,
            retro_every=retro_every,
            with_workers=with_workers,
        ),
        config=config,
        poll_seconds=poll_seconds,
        exit_after=exit_after,
        echo=lambda line: click.echo(line),
    )
    install_signal_handlers(process)
    if process.run():
        raise click.ClickException("the scheduler lost its lease to another and stopped")


@main.command("worker")
@click.option(
    "--claim-timeout",
    default=CLAIM_TIMEOUT.total_seconds(),
    show_default=True,
    type=float,
    help="Seconds after which a batch claimed by a silent worker is claimed again.",
)
@click.option("--poll-seconds", default=5.0, show_default=True, type=float, help="Idle wait between claims.")
@click.option("--exit-when-idle", is_flag=True, help="Stop when no batch is left instead of waiting.")
@click.option("--pause-after-claim", default=0.0, type=float, hidden=True)
@pass_state
def worker_command(
    state: CliState, claim_timeout: float, poll_seconds: float, exit_when_idle: bool, pause_after_claim: float
) -> None:
    """Match the batches of planned matching runs, sharing them with any other workers (PostgreSQL;
    on SQLite run one worker at a time)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stopping: list[bool] = []

    def stop(signum: int, frame: object) -> None:
        stopping.append(True)

    signal.signal(signal.SIGTERM, stop)
    worker = Worker(
        state.sessionmaker,
        state.settings,
        worker_name(),
        timeout=timedelta(seconds=claim_timeout),
        poll_seconds=poll_seconds,
        pause_after_claim=pause_after_claim,
        echo=lambda line: click.echo(line),
    )
    done = worker.run(exit_when_idle=exit_when_idle, should_stop=lambda: bool(stopping))
    click.echo(f"worker {worker.name}: {done} batches done")


@main.command("match")
@click.option("--source", help="Only the records of this source.")
@click.option("--plan", is_flag=True, help="Only plan the run's batches for `watchlist worker` processes.")
@pass_state
def match_command(state: CliState, source: str | None, plan: bool) -> None:
    """Match the records waiting to be matched (new or changed) against the watchlist."""
    if plan:
        run = plan_run(state.sessionmaker, source)
        if run is None:
            click.echo("match: nothing waits, or a planned run is still being worked")
        else:
            click.echo(f"match: run {run.id} planned as {run.counts['batches']} batches")
        return
    counts = run_matching(state.sessionmaker, state.settings, source).counts
    click.echo(f"match: {counts['records_matched']} records matched, {counts['alerts_raised']} alerts raised")
