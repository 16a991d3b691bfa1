"""`watchlist screen NAME` and `watchlist screen-file FILE`: the matcher over the registered persons."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

import click

from watchlist.cli import CliState, fail, main, pass_state
from watchlist.screening import WatchlistIndex, incoming_records


def _load_index(state: CliState) -> WatchlistIndex:
    with state.sessionmaker() as session:
        return WatchlistIndex.load(session, state.settings)


def _describe(match: dict[str, Any]) -> str:
    explanation = match["explanation"]
    verdict = explanation.get("birth_date", {}).get("verdict", "unknown")
    return (
        f"{match['decision']:<6}  {match['score']:.3f}  {match['external_id'] or match['person_id']}  "
        f"{explanation.get('matched_name', '')}  (birth date: {verdict})"
    )


@main.command("screen")
@click.argument("name")
@click.option("--birth-date", help="Birth date in any common format (1975-03-12, 12.03.1975, 1975, …).")
@click.option("--json", "as_json", is_flag=True, help="Print the screening result as JSON.")
@pass_state
def screen(state: CliState, name: str, birth_date: str | None, as_json: bool) -> None:
    """Screen one NAME against the watchlist."""
    matches = _load_index(state).screen(name, birth_date)
    if as_json:
        click.echo(json.dumps({"record_id": None, "matches": matches}, ensure_ascii=False, indent=2))
        return
    if not matches:
        click.echo("no match")
        return
    for match in matches:
        click.echo(_describe(match))


@main.command("screen-file")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the results as JSON lines (default: standard output).",
)
@pass_state
def screen_file(state: CliState, file: Path, output: Path | None) -> None:
    """Screen every record of an incoming-list FILE (CSV, JSON, JSONL, XLSX); one result line per record."""
    from watchlist.imports import read_rows

    records, errors = incoming_records(read_rows(file, state.settings.imports_max_file_bytes), file=file.name)
    if errors:
        fail("\n".join(["rows that cannot be screened (nothing was screened):", *map(str, errors)]))
    index = _load_index(state)
    # a command runs no threads: the matcher may fork one process per CPU for a long list
    results = index.screen_records(records, workers=None)
    out: TextIO
    with output.open("w", encoding="utf-8") if output else _stdout() as out:
        for result in results:
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    hits = sum(1 for result in results if result["matches"])
    alerts = sum(1 for r in results if r["matches"] and r["matches"][0]["decision"] == "alert")
    click.echo(f"{len(results)} records screened: {alerts} alert, {hits - alerts} review only", err=True)


class _stdout:
    """Standard output as a context manager that is not closed at the end."""

    def __enter__(self) -> TextIO:
        return sys.stdout

    def __exit__(self, *_: object) -> None:
        sys.stdout.flush()
