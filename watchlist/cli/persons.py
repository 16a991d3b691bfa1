"""`watchlist persons …` and `watchlist demo`."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import click

from watchlist.cli import CliState, main, pass_state
from watchlist.db import session_scope
from watchlist.demo import load_demo_persons, subscribe_demo_officer
from watchlist.imports import ImportReport, import_person_file, read_person_file
from watchlist.persons import find_person, person_to_dict


def cli_actor() -> str:
    """Who the change rows of a command name: the operating-system user who ran it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry, e.g. a container running as an arbitrary uid
        return "cli"


def _summary(report: ImportReport) -> str:
    summary = report.summary
    line = (
        f"created {summary.created}, updated {summary.updated}, unchanged {summary.unchanged}, "
        f"rejected {report.rejected}"
    )
    if report.reject_file is not None:
        line += f" (written to {report.reject_file})"
    return line


@main.group()
def persons() -> None:
    """The watchlist of convicted persons."""


@persons.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Import the valid rows and write the invalid ones, with reasons, to the reject file.",
)
@click.option(
    "--reject-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where --skip-invalid writes rejected rows [default: FILE.rejected.csv].",
)
@pass_state
def persons_import(state: CliState, file: Path, skip_invalid: bool, reject_file: Path | None) -> None:
    """Import persons from FILE (CSV, JSON, JSONL or XLSX), matching them by external_id.

    Every row is checked first. Unless --skip-invalid is given, one bad row means nothing is written and
    every error is listed as file:row:field: message.
    """
    if reject_file is not None and not skip_invalid:
        raise click.UsageError(
            "--reject-file goes with --skip-invalid: without it a bad row stops the import"
        )
    person_file = read_person_file(file, state.settings.imports_max_file_bytes)
    if reject_file is None and skip_invalid:
        reject_file = file.with_name(file.name + ".rejected.csv")
    with session_scope(state.sessionmaker) as session:
        # a progress bar only for a person watching; logs and pipes get the summary alone
        with click.progressbar(
            length=len(person_file.valid),
            label=f"importing {file.name}",
            file=sys.stderr,
            hidden=not sys.stderr.isatty(),
        ) as bar:
            report = import_person_file(
                session, person_file, cli_actor(), skip_invalid, reject_file, progress=bar.update
            )
    click.echo(_summary(report))


@persons.command("show")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print the person as the API shows him.")
@pass_state
def persons_show(state: CliState, key: str, as_json: bool) -> None:
    """Show the person with external_id (or numeric id) KEY, his names, convictions and changes."""
    with session_scope(state.sessionmaker) as session:
        data = person_to_dict(find_person(session, key), with_changes=True)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{data['full_name']}  [{data['external_id']}, id {data['id']}, {data['status']}]")
    for label in ("birth_date", "birth_place", "citizenship", "notes", "close_reason"):
        if data[label]:
            click.echo(f"  {label}: {data[label]}")
    for name in data["names"]:
        if name["kind"] != "primary":
            click.echo(f"  {name['kind']}: {name['name']} ({name['script']})")
    for conviction in data["convictions"]:
        parts = [f"{k}={v}" for k, v in conviction.items() if v not in (None, "")]
        click.echo(f"  conviction: {', '.join(parts)}")
    for change in data["changes"]:
        fields = ", ".join(sorted(change["changes"]))
        click.echo(f"  {change['changed_at']} {change['action']} by {change['changed_by']}: {fields}")


@main.command("demo")
@pass_state
def demo(state: CliState) -> None:
    """Load the demo persons and demo users; running it again changes nothing."""
    from watchlist.cli.users import create_demo_users

    with session_scope(state.sessionmaker) as session:
        summary = load_demo_persons(session)
        create_demo_users(session)
        if subscribe_demo_officer(session) is not None:
            click.echo("demo-officer subscribed to every alert (inbox only): he sees the demo's alerts")
    click.echo(
        f"demo persons: created {summary.created}, updated {summary.updated}, unchanged {summary.unchanged}"
    )
