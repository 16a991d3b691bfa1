"""Benchmark: match N stored incoming records against a watchlist of M persons with `watchlist worker`
processes sharing the run's batches (issue 5 target: 1,000,000 records against 100,000 persons in 10 min
with one worker), once with one worker and once with two, to measure the speed-up.

`python -m bench.worker_matching --database-url postgresql+psycopg://…/bench --reset` (PostgreSQL: the
workers claim batches with SKIP LOCKED; --reset empties that database's public schema first, so give it a
database of its own). `--persons 500 --records 3000` is a quick smoke run. Each worker process loads the
match index itself; the time reported runs from the start of the processes to the last one's exit, so it
includes the index load, as a nightly run does. Writes bench/results/worker-matching.md and .json through
`bench.report.write_results`.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import sessionmaker

from bench.incoming_import import _reset
from bench.report import RESULTS, write_results
from bench.synthetic_watchlist import hit_query, make_watchlist, miss_query
from jobs.worker import BATCH_SIZE, plan_run
from watchlist.db import make_engine, session_scope
from watchlist.incoming import receive_delivery
from watchlist.models import Alert, ConvictedPerson, ReceivedRecord, Run
from watchlist.models.runs import MatchBatch, RetroRequest
from watchlist.persons import import_persons, require_person

TARGET_SECONDS = 600.0
TARGET_RECORDS = 1_000_000
TARGET_PERSONS = 100_000
DELIVERY_ROWS = 50_000


def _load(url: str, persons: int, records: int, seed: int) -> None:
    factory = sessionmaker(bind=make_engine(url), expire_on_commit=False)
    watchlist = make_watchlist(persons, seed)
    for start in range(0, persons, 10_000):
        rows = [
            require_person(
                {
                    "external_id": f"B-{person.person_id}",
                    "full_name": person.names[0],
                    "aliases": list(person.names[1:]),
                    "birth_date": person.birth_date,
                }
            )
            for person in watchlist[start : start + 10_000]
        ]
        with session_scope(factory) as session:
            import_persons(session, rows, "bench")
    with session_scope(factory) as session:
        # the benchmark times nightly matching, not retro-matching of the newly loaded watchlist
        session.execute(delete(RetroRequest))
    rng = random.Random(f"{seed}:records")
    for start in range(0, records, DELIVERY_ROWS):
        delivered: list[tuple[int, dict[str, str]]] = []
        for number in range(start, min(records, start + DELIVERY_ROWS)):
            name, born = hit_query(rng.choice(watchlist), rng) if rng.random() < 0.01 else miss_query(rng)
            delivered.append(
                (number + 2, {"record_id": f"R{number}", "full_name": name, "birth_date": born or ""})
            )
        with session_scope(factory) as session:
            # parts of one list, each a delivery of changes: no part marks the others' records absent
            receive_delivery(
                session,
                "bench_border",
                f"part-{start}.csv",
                f"part-{start}".encode(),
                delivered,
                full=False,
                max_shrink=1.0,
            )


def _check_loaded(url: str, persons: int, records: int) -> None:
    """Refuse to reuse a database that does not hold `persons` persons and `records` incoming records."""
    engine = make_engine(url)
    with engine.connect() as connection:
        held = (
            connection.scalar(select(func.count()).select_from(ConvictedPerson)),
            connection.scalar(select(func.count()).select_from(ReceivedRecord)),
        )
    engine.dispose()
    if held != (persons, records):
        raise SystemExit(
            f"--reuse-data: the database holds {held[0]:,} persons and {held[1]:,} records, "
            f"not {persons:,} and {records:,}; load it without --reuse-data"
        )


def _run(url: str, workers: int, batch_size: int) -> dict[str, Any]:
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with session_scope(factory) as session:
        session.execute(delete(Alert))
        session.execute(delete(MatchBatch))
        session.execute(delete(Run))
        session.execute(update(ReceivedRecord).values(matched_hash=None))
    run = plan_run(factory, batch_size=batch_size)
    assert run is not None
    command = [
        str(Path(sys.executable).parent / "watchlist"),
        "--database-url",
        url,
        "worker",
        "--exit-when-idle",
    ]
    env = {
        **os.environ,
        "WATCHLIST_SECRET_KEY": os.environ.get("WATCHLIST_SECRET_KEY", "bench-secret-key-0123456789"),
    }
    started = time.perf_counter()
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in range(workers)]
    statuses = [process.wait() for process in processes]
    seconds = time.perf_counter() - started
    assert statuses == [0] * workers, statuses
    with factory() as session:
        done = session.get(Run, run.id)
        assert done is not None and done.status.value == "succeeded", done and done.status
        alerts = session.scalar(select(func.count()).select_from(Alert))
        records = done.counts["records_matched"]
    engine.dispose()
    return {
        "workers": workers,
        "seconds": round(seconds, 2),
        "records": records,
        "alerts": alerts,
        "records_per_second": round(records / seconds),
    }


def render_markdown(result: dict[str, Any]) -> str:
    """The benchmark's figures as the Markdown report in bench/results/."""
    one = next((run for run in result["runs"] if run["workers"] == 1), None)
    full_size = result["records"] == TARGET_RECORDS and result["persons"] == TARGET_PERSONS
    if one is None or not full_size:
        verdict = "not judged (target is 1,000,000 records x 100,000 persons, one worker)"
    else:
        verdict = "met" if one["seconds"] <= TARGET_SECONDS else "NOT met"
    loaded = (
        f"Loading the data took {result['load_seconds']} s."
        if result["load_seconds"] is not None
        else "The data was loaded by an earlier run (--reuse-data) and matched again."
    )
    lines = [
        "# Nightly matching with workers",
        "",
        f"Run {result['measured_at']} on {result['machine']}, load average {result['load_average_1min']} at "
        "the end (wall-clock figures stretch with other work on the machine), PostgreSQL.",
        "",
        f"{result['records']:,} stored incoming records (about 1% hits) matched against a synthetic "
        f"watchlist of {result['persons']:,} persons by `watchlist worker --exit-when-idle` processes "
        f"sharing the run's batches of {result['batch_size']:,} records (SELECT ... FOR UPDATE SKIP "
        "LOCKED). Each time runs from the processes' start (each loads the match index itself) to the "
        f"last one's exit. {loaded}",
        "",
        "| workers | seconds | records per second | alerts | speed-up | target | |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in result["runs"]:
        target = f"<= {TARGET_SECONDS:.0f} s" if run["workers"] == 1 else ""
        mark = verdict if run["workers"] == 1 else ""
        lines.append(
            f"| {run['workers']} | {run['seconds']} | {run['records_per_second']:,} | {run['alerts']:,} | "
            f"{result['speed_up'].get(str(run['workers']), '')} | {target} | {mark} |"
        )
    lines += [
        "",
        "Each worker shares its batch among forked matcher processes, one per CPU (`screen_many`), so one "
        "worker alone keeps every core of this machine busy: a second worker on the same machine adds only "
        "what overlaps its database work with the other's matching. Workers on other machines add their "
        "cores.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the figures and write bench/results/worker-matching.md and .json."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--persons", type=int, default=TARGET_PERSONS)
    parser.add_argument("--records", type=int, default=TARGET_RECORDS)
    parser.add_argument("--workers", default="1,2", help="worker counts to time, comma-separated")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database of the benchmark's own")
    parser.add_argument("--reset", action="store_true", help="drop and re-create the database's schema first")
    parser.add_argument("--output-dir", type=Path, default=RESULTS, help=f"[default: {RESULTS}]")
    parser.add_argument(
        "--reuse-data",
        action="store_true",
        help="the database holds the persons and records of an earlier run with the same sizes and seed: "
        "match them again without loading them (a million records take minutes to load)",
    )
    args = parser.parse_args(argv)
    if not args.reset:
        parser.error("--reset is required (the benchmark empties that database)")
    load_seconds: float | None = None
    if args.reuse_data:
        _check_loaded(args.database_url, args.persons, args.records)
    else:
        _reset(args.database_url)
        started = time.perf_counter()
        _load(args.database_url, args.persons, args.records, args.seed)
        load_seconds = time.perf_counter() - started
    runs = [_run(args.database_url, int(count), args.batch_size) for count in args.workers.split(",")]
    one = next((r for r in runs if r["workers"] == 1), None)
    result: dict[str, Any] = {
        "benchmark": "worker-matching",
        "persons": args.persons,
        "records": args.records,
        "batch_size": args.batch_size,
        "load_seconds": round(load_seconds, 1) if load_seconds is not None else None,
        "runs": runs,
        "speed_up": {
            str(r["workers"]): round(one["seconds"] / r["seconds"], 2) for r in runs if one is not None
        },
        "target": f"1,000,000 records against 100,000 persons in {TARGET_SECONDS:.0f} s with one worker",
        # other processes on the machine stretch wall-clock time; the lead reruns this on a quiet machine
        "load_average_1min": round(os.getloadavg()[0], 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    report = render_markdown(result)
    print(report)
    print(f"wrote {write_results(args.output_dir, 'worker-matching', report, result)} and .json")
    return result


if __name__ == "__main__":
    main()
