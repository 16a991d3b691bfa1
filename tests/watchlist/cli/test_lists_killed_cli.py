"""A `watchlist lists import` killed with SIGKILL in the middle of storing or of matching, then run
again, ends with the same database as a run never interrupted, and no pair alerted twice."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.incoming_import import write_border_log
from watchlist import migrations
from watchlist.db import make_engine
from watchlist.demo import INCOMING

pytestmark = pytest.mark.slow

SOURCES = """
[sources.border_log]
kind = "border"
format = "csv"
folder = "/nonexistent"
"""
ENV = {"WATCHLIST_SECRET_KEY": "cli-test-secret-key-0123456789", "WATCHLIST_DEMO_PASSWORD": "demo password 1"}


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from watchlist.cli import main

    path = tmp_path_factory.mktemp("killed") / "demo.db"
    # DEFERRED: the checkpoint below must not run inside a transaction holding the write lock
    engine = make_engine(f"sqlite:///{path}", sqlite_begin="DEFERRED")
    migrations.upgrade(engine)
    result = CliRunner(env=ENV).invoke(main, ["--database-url", f"sqlite:///{path}", "demo"])
    assert result.exit_code == 0, result.output
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def border_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo border log (its hits) after 8,000 generated crossings: long enough to be killed in."""
    path = tmp_path_factory.mktemp("killed-list") / "border_log.csv"
    write_border_log(path, 8_000, seed=7)
    demo_rows = (INCOMING / "border_log.csv").read_text(encoding="utf-8").splitlines()[1:]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(demo_rows) + "\n")
    return path


def _start(database: Path, sources: Path, file: Path) -> subprocess.Popen[bytes]:
    # the installed console script, as an operator or cron starts it
    command = [str(Path(sys.executable).parent / "watchlist"), "--database-url", f"sqlite:///{database}"]
    command += ["lists", "import", str(file), "--source", "border_log"]
    env = {**os.environ, **ENV, "WATCHLIST_SOURCES_FILE": str(sources)}
    output = database.with_suffix(f".{time.monotonic_ns()}.log")
    with output.open("wb") as log:
        # the child keeps its own copy of the file descriptor; ours is closed at once
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def _finished(process: subprocess.Popen[bytes], database: Path) -> None:
    status = process.wait(timeout=600)
    logs = "\n".join(
        path.read_text(encoding="utf-8") for path in database.parent.glob(f"{database.stem}.*.log")
    )
    assert status == 0, logs


def _running(database: Path, kind: str) -> bool:
    with closing(sqlite3.connect(database, timeout=30)) as connection:
        row = connection.execute(
            "SELECT count(*) FROM runs WHERE kind = ? AND status = 'running'", (kind,)
        ).fetchone()
    return bool(row[0])


def _state(database: Path) -> dict[str, object]:
    with closing(sqlite3.connect(database, timeout=30)) as connection:
        return {
            "deliveries": connection.execute(
                "SELECT source, checksum, status, rows_total, rows_stored, rows_quarantined "
                "FROM incoming_deliveries ORDER BY id"
            ).fetchall(),
            "records": sorted(
                connection.execute(
                    "SELECT source, record_key, content_hash, matched_hash = screened_hash "
                    "FROM incoming_records"
                ).fetchall()
            ),
            "alerts": sorted(
                connection.execute(
                    "SELECT p.external_id, r.record_key, a.score FROM alerts a "
                    "JOIN persons p ON p.id = a.person_id JOIN incoming_records r ON r.id = a.record_id"
                ).fetchall()
            ),
        }


@pytest.mark.parametrize("kill_in", ["import", "match"])
def test_a_killed_import_run_again_ends_as_an_uninterrupted_one(
    demo_database: Path, border_log: Path, tmp_path: Path, kill_in: str
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES, encoding="utf-8")
    uninterrupted, killed = tmp_path / "uninterrupted.db", tmp_path / "killed.db"
    shutil.copyfile(demo_database, uninterrupted)
    shutil.copyfile(demo_database, killed)

    _finished(_start(uninterrupted, sources, border_log), uninterrupted)

    process = _start(killed, sources, border_log)
    deadline = time.monotonic() + 300
    while not _running(killed, kill_in):
        assert process.poll() is None, "the import ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # the import run's row is committed before the file is read, so a kill now lands in reading or storing;
    # matching commits batch by batch, so a kill a moment in lands after some batches
    time.sleep(0.5 if kill_in == "match" else 0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    if kill_in == "import":
        # the delivery is one transaction: nothing of it is in the database
        assert _state(killed)["deliveries"] == []

    _finished(_start(killed, sources, border_log), killed)
    assert _state(killed) == _state(uninterrupted)
    with closing(sqlite3.connect(killed)) as connection:
        unfinished = connection.execute("SELECT kind FROM runs WHERE finished_at IS NULL").fetchall()
    # the killed run stays visible as one that never finished
    assert unfinished == [(kill_in,)]

    # the next worker (or scheduler) to start finds it silent for longer than stale_after and fails it
    time.sleep(1.2)
    command = [str(Path(sys.executable).parent / "watchlist"), "--database-url", f"sqlite:///{killed}"]
    env = {**os.environ, **ENV, "WATCHLIST_RUNS_STALE_AFTER_SECONDS": "1"}
    worker = subprocess.run(
        [*command, "worker", "--exit-when-idle"], env=env, capture_output=True, timeout=300, check=False
    )
    assert worker.returncode == 0, worker.stderr.decode()
    with closing(sqlite3.connect(killed)) as connection:
        statuses = connection.execute("SELECT kind, status, error, holder FROM runs").fetchall()
    abandoned = [row for row in statuses if row[1] == "failed"]
    assert [(kind, status) for kind, status, _error, _holder in abandoned] == [(kill_in, "failed")]
    holder = abandoned[0][3]
    assert holder and abandoned[0][2].startswith(f"abandoned: its process ({holder}) gave no sign of life")
    assert all(status != "running" for _kind, status, _error, _holder in statuses)
