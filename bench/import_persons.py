"""Benchmark: import a generated 10,000-row persons CSV into a fresh SQLite file (target: under 10 s).

`python -m bench.import_persons` prints the median of 3 runs and writes bench/results/import-persons.json.
Each run reads, validates and writes every row and commits, as `watchlist persons import` does; creating
and migrating the empty database is not timed. A re-import of the same file (every person unchanged) is
timed as well, since editors re-send whole lists.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy
from sqlalchemy.orm import sessionmaker

from watchlist import migrations
from watchlist.db import make_engine, session_scope
from watchlist.demo.generate import GIVEN_NAMES, PATRONYMICS, SURNAMES, icao_ru, kmu_2010
from watchlist.imports import import_person_file, read_person_file
from watchlist.persons import PERSON_COLUMNS

RESULTS = Path(__file__).parent / "results" / "import-persons.json"
TARGET_SECONDS = 10.0
RUNS = 3


def write_persons_csv(path: Path, rows: int, seed: int = 10_000) -> None:
    """A persons file of `rows` fictitious persons with every column filled the way real lists fill them."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PERSON_COLUMNS)
        for number in range(1, rows + 1):
            surname, given, patronymic = (
                rng.choice(SURNAMES),
                rng.choice(GIVEN_NAMES),
                rng.choice(PATRONYMICS),
            )
            born = date(1955, 1, 1) + timedelta(days=rng.randrange(365 * 40))
            birth = rng.choice((born.isoformat(), born.isoformat()[:7], born.isoformat()[:4], ""))
            aliases = [
                f"{surname[1]} {given[1]} {patronymic[1]}",
                kmu_2010(f"{surname[0]} {given[0]}"),
                icao_ru(f"{surname[1]} {given[1]}").upper(),
            ]
            writer.writerow(
                [
                    f"BENCH-{number:06d}",
                    f"{surname[0]} {given[0]} {patronymic[0]}",
                    "; ".join(aliases),
                    birth,
                    "Сімферополь",
                    "UA",
                    f"BENCH/{number}",
                    "Darnytskyi District Court of Kyiv",
                    "Part 1 of Art. 438",
                    "10 years",
                    "2023-01-30",
                    "wanted",
                    "Fictitious person generated for a benchmark",
                ]
            )


def timed_import(url: str, source: Path) -> float:
    """Seconds to read, check, write and commit the file into the database at `url`."""
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    started = time.perf_counter()
    person_file = read_person_file(source, max_bytes=1 << 30)
    with session_scope(factory) as session:
        import_person_file(session, person_file, "bench")
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run the benchmark, print the figures and write them to bench/results/import-persons.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--no-write", action="store_true", help="print only; keep bench/results as it is")
    args = parser.parse_args(argv)

    first_runs: list[float] = []
    again_runs: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as workdir:
        source = Path(workdir) / "persons.csv"
        write_persons_csv(source, args.rows)
        for run in range(args.runs):
            url = f"sqlite:///{Path(workdir) / f'run{run}.db'}"
            engine = make_engine(url)
            migrations.upgrade(engine)
            engine.dispose()
            first_runs.append(timed_import(url, source))
            again_runs.append(timed_import(url, source))

    median = statistics.median(first_runs)
    result: dict[str, object] = {
        "benchmark": "import-persons",
        "rows": args.rows,
        "database": "sqlite (fresh file, WAL)",
        "runs_seconds": [round(value, 3) for value in first_runs],
        "median_seconds": round(median, 3),
        "reimport_unchanged_median_seconds": round(statistics.median(again_runs), 3),
        "rows_per_second": round(args.rows / median),
        "target_seconds": TARGET_SECONDS,
        "within_target": median < TARGET_SECONDS,
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "machine": platform.machine(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        f"import {args.rows} persons into SQLite: median {median:.2f} s of {args.runs} runs "
        f"(target < {TARGET_SECONDS:.0f} s), re-import unchanged {statistics.median(again_runs):.2f} s"
    )
    return result


if __name__ == "__main__":
    main()
