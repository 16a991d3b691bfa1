"""Benchmark: receive a generated N-row incoming CSV list as `watchlist lists import` does (issue 5 target:
1,000,000 rows in 120 s on PostgreSQL), then receive it again with one row in a hundred changed.

`python -m bench.incoming_import --rows 1000000 --database-url postgresql+psycopg://…/bench --reset`
(--reset empties that database's public schema first: give it a database of its own). Without
--database-url a fresh SQLite file is used. Reading, validation, storage and the commit are timed apart
from the matching run that follows (against an empty watchlist here, so it times our side of matching:
taking the records, screening them, marking them matched). Writes bench/results/incoming-import.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from jobs.sources.config import FolderTransport, Source
from jobs.sources.receive import import_file
from watchlist import migrations
from watchlist.db import make_engine
from watchlist.demo.generate import GIVEN_NAMES, PATRONYMICS, SURNAMES
from watchlist.settings import load_settings

RESULTS = Path(__file__).parent / "results" / "incoming-import.json"
TARGET_SECONDS = 120.0
TARGET_ROWS = 1_000_000


def write_border_log(path: Path, rows: int, seed: int, changed_every: int = 0) -> None:
    """A border-crossing log of fictitious people, in Russian forms as such logs write them."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "record_id",
                "surname",
                "given_name",
                "patronymic",
                "birth_date",
                "nationality",
                "document_number",
                "crossing_point",
            ]
        )
        for number in range(1, rows + 1):
            surname, given, patronymic = (
                rng.choice(SURNAMES),
                rng.choice(GIVEN_NAMES),
                rng.choice(PATRONYMICS),
            )
            born = date(1955, 1, 1) + timedelta(days=rng.randrange(365 * 45))
            point = rng.choice(("Kalanchak", "Chonhar", "Chaplynka"))
            if changed_every and number % changed_every == 0:
                point = "Armiansk"
            writer.writerow(
                [
                    f"BRD-{number:07d}",
                    surname[1],
                    given[1],
                    patronymic[1],
                    f"{born:%d.%m.%Y}",
                    "RU",
                    f"XP{rng.randrange(10**7):07d}",
                    point,
                ]
            )


def _reset(url: str) -> None:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrations.upgrade(engine)
    engine.dispose()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the figures and write them to bench/results/incoming-import.json."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--database-url", help="an empty database of the benchmark's own [default: SQLite]")
    parser.add_argument("--reset", action="store_true", help="drop and re-create the database's schema first")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-incoming-") as workdir:
        folder = Path(workdir)
        url = args.database_url or f"sqlite:///{folder / 'incoming.db'}"
        if args.database_url and not args.reset:
            parser.error("--database-url needs --reset (the benchmark empties that database)")
        _reset(url)
        first, second = folder / "border_log.csv", folder / "border_log_next.csv"
        write_border_log(first, args.rows, seed=5)
        write_border_log(second, args.rows, seed=5, changed_every=100)
        source = Source("bench_border", "border", "csv", FolderTransport(folder))
        settings = load_settings(environ={}, secret_key="bench-secret-key-0123456789", database_url=url)
        engine = make_engine(url)
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        timings: dict[str, float] = {}
        for label, path in (("first_import", first), ("reimport_1pct_changed", second)):
            started = time.perf_counter()
            received = import_file(factory, settings, source, path)
            total = time.perf_counter() - started
            assert received.report is not None and not received.report.quarantined
            match = received.match_run
            matching = (
                (match.finished_at - match.started_at).total_seconds() if match and match.finished_at else 0
            )
            timings[label] = total - matching
            timings[f"{label}_matching_run"] = matching
        engine.dispose()

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result: dict[str, Any] = {
        "benchmark": "incoming-import",
        "rows": args.rows,
        "database": engine.dialect.name,
        "seconds": {label: round(value, 2) for label, value in timings.items()},
        # other processes on the machine stretch wall-clock time; the lead reruns this on a quiet machine
        "load_average_1min": round(os.getloadavg()[0], 1),
        "rows_per_second": round(args.rows / timings["first_import"]),
        "peak_rss_mib": round(peak_mib),
        "target": f"{TARGET_ROWS} rows in {TARGET_SECONDS:.0f} s on PostgreSQL",
        "projected_seconds_for_target_rows": round(timings["first_import"] * TARGET_ROWS / args.rows, 1),
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
