"""The cost of one audit write with many writers at once on PostgreSQL: unchained (a plain INSERT, as before
the chain), sealed (what `write_event` does: INSERT with the content hash, a sealer linking rows into the
chain once a second beside the writers) and a synchronous chain (each writer locks a head row FOR UPDATE,
inserts, moves the head, and holds the lock until its commit). Each write is its own transaction, as a
screening's is. Writes `bench/results/audit-writes.md`.

    python -m bench.audit_writes --database-url postgresql+psycopg://postgres@127.0.0.1:5432/wt_audit_bench
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from watchlist import migrations
from watchlist.audit import content_hash, row_hash, seal_chain, verify_chain, write_event
from watchlist.db import make_engine, utcnow

RESULTS = Path(__file__).resolve().parent / "results"
SUBJECT = {"records": [{"record_id": "1", "name": "Гнилицький Олег Петрович", "birth_date": "12.03.1975"}]}
OUTCOME = {"records": 1, "hits": 1, "possible_hits": 0, "persons_disclosed": [2]}


def fresh_database(url: str) -> Engine:
    base = make_url(url)
    admin = make_engine(
        base.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{base.database}"')
    admin.dispose()
    engine = make_engine(url, pool_size=20, max_overflow=0)
    migrations.upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE audit_plain (LIKE audit_events INCLUDING DEFAULTS INCLUDING INDEXES)"
        )
        connection.exec_driver_sql(
            "CREATE TABLE bench_head (id int PRIMARY KEY, last_seq int, last_hash text)"
        )
        connection.exec_driver_sql("INSERT INTO bench_head VALUES (1, 0, '')")
    return engine


def sealed(session: Session) -> None:
    write_event(
        session,
        "screen",
        actor="bench",
        via="token",
        role="screener",
        remote_addr="192.0.2.1",
        subject=SUBJECT,
        outcome=OUTCOME,
    )


def synchronous(session: Session) -> None:
    values = {
        "occurred_at": utcnow(),
        "action": "screen",
        "actor": "bench",
        "role": "screener",
        "via": "token",
        "remote_addr": "192.0.2.1",
        "subject": SUBJECT,
        "outcome": OUTCOME,
    }
    head = session.execute(text("SELECT last_seq, last_hash FROM bench_head WHERE id = 1 FOR UPDATE")).one()
    seq = head.last_seq + 1
    digest = content_hash(values)
    linked = row_hash(0, seq, head.last_hash, digest)
    session.execute(
        text(
            "INSERT INTO audit_plain (occurred_at, action, actor, role, via, remote_addr, subject, outcome,"
            " chain_seq, prev_hash, content_hash, row_hash) VALUES (:at, 'screen', 'bench', 'screener',"
            " 'token', '192.0.2.1', :subject, :outcome, :seq, :prev, :digest, :hash)"
        ),
        {
            "at": values["occurred_at"],
            "subject": json.dumps(SUBJECT),
            "outcome": json.dumps(OUTCOME),
            "seq": seq,
            "prev": head.last_hash,
            "digest": digest,
            "hash": linked,
        },
    )
    session.execute(
        text("UPDATE bench_head SET last_seq = :seq, last_hash = :hash WHERE id = 1"),
        {"seq": seq, "hash": linked},
    )


def unchained(session: Session) -> None:
    session.execute(
        text(
            "INSERT INTO audit_plain (occurred_at, action, actor, role, via, remote_addr, subject, outcome,"
            " content_hash) VALUES (:at, 'screen', 'bench', 'screener', 'token',"
            " '192.0.2.1', :subject, :outcome, '')"
        ),
        {"at": utcnow(), "subject": json.dumps(SUBJECT), "outcome": json.dumps(OUTCOME)},
    )


def measure(
    factory: sessionmaker[Session], write: Callable[[Session], None], threads: int, per_thread: int
) -> dict[str, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    start_line = threading.Barrier(threads)

    def worker() -> None:
        mine = []
        start_line.wait()
        for _ in range(per_thread):
            started = time.perf_counter()
            with factory() as session:
                write(session)
                session.commit()
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    began = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "writes": len(ordered),
        "writes_per_second": round(len(ordered) / elapsed, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
        "p50_ms": round(ordered[len(ordered) // 2] * 1000, 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95)] * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 2),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_writes", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database this benchmark may drop")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--per-thread", type=int, default=200)
    parser.add_argument("--note", default="")
    args = parser.parse_args(argv)
    engine = fresh_database(args.database_url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    results = {}
    stop = threading.Event()
    rounds: list[int] = []

    def sealer() -> None:
        while not stop.wait(1.0):
            with factory() as session:
                rounds.append(seal_chain(session))
                session.commit()

    modes = (("unchained", unchained), ("sealed", sealed), ("synchronous chain", synchronous))
    for name, write in (*modes, *((f"{name} (again)", write) for name, write in modes)):
        thread = threading.Thread(target=sealer) if write is sealed else None
        if thread is not None:
            stop.clear()
            thread.start()
        results[name] = measure(factory, write, args.threads, args.per_thread)
        if thread is not None:
            stop.set()
            thread.join()
        print(name, results[name], flush=True)
    with factory() as session:
        seal_chain(session)
        session.commit()
        verified = verify_chain(session)
    sealing = (
        f"The sealer linked at most {max(rounds, default=0)} rows in one second-long round; "
        f"afterwards verify checked {verified.checked} sealed rows: "
        f"{'intact' if verified.intact else verified.problem}."
    )
    lines = [
        "# Audit writes: unchained, sealed, synchronous chain (PostgreSQL)",
        "",
        f"{args.threads} threads, {args.per_thread} writes each, one transaction (INSERT + COMMIT) per "
        f"write. {args.note}",
        "",
        sealing,
        "",
        "| mode | writes/s | mean ms | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    for name, figures in results.items():
        lines.append(
            f"| {name} | {figures['writes_per_second']} | {figures['mean_ms']} | {figures['p50_ms']} | "
            f"{figures['p95_ms']} | {figures['p99_ms']} |"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "audit-writes.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
