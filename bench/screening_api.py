"""The screening API under load: gunicorn with 2 workers on 127.0.0.1 over a 100,000-person watchlist, 16
concurrent clients for 60 s on `POST /api/v1/screen`, then one batch of 10,000 records.

    python -m bench.screening_api            # 100,000 persons, 60 s; writes bench/results/screening-api.*
    python -m bench.screening_api --quick    # 2,000 persons, 5 s; prints only
    python -m bench.screening_api --database-url sqlite   # a fresh SQLite file instead of PostgreSQL

The watchlist is bench/synthetic_watchlist.py's made-up persons (no real data), imported with the persons
import into a fresh database: by default the PostgreSQL database `bench_screening_api` on 127.0.0.1:5432
(created when missing, emptied at the start: it is the benchmark's own), as in production, where several
workers share one PostgreSQL. On SQLite, two worker processes writing audit rows at once fail with "database
is locked" when a read transaction must become a write one (SQLITE_BUSY_SNAPSHOT, which the busy timeout
does not wait out): the API answers those 503, and the benchmark counts them as errors. The load
generator is Debian's `wrk` (installed with apt-get when missing) with a Lua script cycling through a
thousand queries, two thirds naming a watchlist person another way, one third made-up persons. wrk is C with
an event loop: it takes a small share of one core (measured and reported), where a Python generator driving
16 clients would take most of a core that gunicorn's workers need on a 2-core machine. Every request is
authenticated with a real API token and writes its audit row, as in production. Latency is what wrk
measures per request from send to last byte, queueing included: 16 clients on 2 workers wait for about 8
requests' service time. gunicorn runs with config/gunicorn.conf.py, the production settings (threaded
workers that build their index at start).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import csv
import datetime as dt
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from bench.report import RESULTS, write_results
from bench.synthetic_watchlist import SyntheticPerson, hit_query, make_watchlist, miss_query
from watchlist import migrations
from watchlist.db import make_engine, session_scope
from watchlist.imports import import_person_file, read_person_file
from watchlist.models import AuditEvent, Role
from watchlist.users import create_token, create_user

GUNICORN_CONF = Path(__file__).resolve().parents[1] / "config" / "gunicorn.conf.py"
SEED = 20261124
WORKERS = 2
CLIENTS = 16
TARGETS = {"p50_ms": 15.0, "p99_ms": 60.0, "errors": 0, "batch_s": 10.0}
# the secret of the throwaway server's session cookies; nothing is kept
SECRET = "bench-screening-api-secret-not-for-production"
# seconds of the one-client run before the timed load (the service time alone)
SERVICE_SECONDS = 10
# the queries the Lua script cycles through
QUERIES = 1000
# the benchmark's own database, emptied at each run
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_screening_api"


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"[screening-api {dt.datetime.now(dt.UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def write_persons_csv(path: Path, persons: Sequence[SyntheticPerson]) -> None:
    """The synthetic persons as a persons file: Ukrainian name, Russian and Latin aliases, a conviction."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "full_name", "aliases", "birth_date", "court", "article", "sentence"])
        for person in persons:
            writer.writerow(
                [
                    f"SYN-{person.person_id:06d}",
                    person.names[0],
                    "; ".join(person.names[1:]),
                    person.birth_date,
                    "Fictitious District Court",
                    "Part 1 of Art. 438",
                    "10 years",
                ]
            )


def empty_database(url: str, reset: bool) -> None:
    """Make sure the PostgreSQL database at `url` exists and is empty: created when missing, its schema
    dropped when `reset`, else refused when it holds tables (the benchmark never empties a database it was
    not told it may)."""
    target = make_url(url)
    maintenance = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with maintenance.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    maintenance.dispose()
    engine = make_engine(url)
    with engine.begin() as connection:
        if reset:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        elif inspect(connection).get_table_names():
            raise SystemExit(f"{target.database} is not empty; pass --reset to empty it")
    engine.dispose()


def template_name(url: str, persons: int, seed: int) -> str:
    """The PostgreSQL database keeping an imported watchlist of `persons` made with `seed`, to be copied."""
    return f"{make_url(url).database}_template_{persons}_{seed}"


def clone_template(url: str, persons: Sequence[SyntheticPerson], seed: int, workdir: Path) -> float | None:
    """Replace the database at `url` with a copy of the template holding the same watchlist (imported into
    the template first when there is none); returns the import's seconds when it ran now, else None.

    Importing 100,000 persons takes minutes; `CREATE DATABASE … TEMPLATE` copies the result in seconds, so
    repeated runs start from the same state without paying for the import again.
    """
    target = make_url(url)
    template = template_name(url, len(persons), seed)
    maintenance = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    imported: float | None = None
    with maintenance.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": template}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{template}"'))
            try:
                imported = import_persons(str(target.set(database=template)), persons, workdir)
            except BaseException:
                connection.execute(text(f'DROP DATABASE "{template}"'))
                raise
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}" TEMPLATE "{template}"'))
    maintenance.dispose()
    return imported


def import_persons(url: str, persons: Sequence[SyntheticPerson], workdir: Path) -> float:
    """Migrate the database and import the persons; returns the import's seconds."""
    engine = make_engine(url)
    migrations.upgrade(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    source = workdir / "persons.csv"
    write_persons_csv(source, persons)
    started = time.perf_counter()
    with session_scope(factory) as session:
        import_person_file(session, read_person_file(source, max_bytes=1 << 30), "bench")
    engine.dispose()
    return time.perf_counter() - started


def prepare_database(
    url: str, persons: Sequence[SyntheticPerson], workdir: Path, *, imported: bool = False
) -> tuple[str, float]:
    """Migrate the database, import the persons (unless `imported`) and make a screener's token; returns it
    and the import's seconds (0 when imported before)."""
    seconds = 0.0 if imported else import_persons(url, persons, workdir)
    engine = make_engine(url)
    migrations.upgrade(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with session_scope(factory) as session:
        user = create_user(session, "bench-screener", Role.SCREENER)
        _row, token = create_token(session, user, name="bench")
    engine.dispose()
    return token, seconds


def audit_count(url: str, action: str) -> int:
    """How many audit rows of `action` the database holds."""
    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )
    engine.dispose()
    return int(count or 0)


def start_gunicorn(url: str, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    """gunicorn with the production settings (config/gunicorn.conf.py: threaded workers) and 2 workers
    serving the app on 127.0.0.1:`port`."""
    environ = {
        **os.environ,
        "WATCHLIST_DATABASE_URL": url,
        "WATCHLIST_SECRET_KEY": SECRET,
        "WATCHLIST_LOG_LEVEL": "WARNING",
        # 16 clients of one token far exceed a person's limit; the limit is still counted, as in production
        "WATCHLIST_RATE_LIMITS_PER_USER": "100000000",
        "WATCHLIST_RATE_LIMITS_PER_ADDRESS": "100000000",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(GUNICORN_CONF),
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        # a worker builds its match index on its first screening; with 100,000 persons that takes longer
        # than gunicorn's default 30 s before it would kill the worker as hung
        "--timeout",
        "600",
        "--backlog",
        "256",
        "--log-level",
        "warning",
        "watchlist.app:create_app()",
    ]
    log_file = (workdir / "gunicorn.log").open("wb")
    return subprocess.Popen(command, env=environ, stdout=log_file, stderr=subprocess.STDOUT)


def server_cpu_seconds(master_pid: int) -> float:
    """CPU seconds (user + system) spent so far by gunicorn's master and its workers (Linux /proc).

    On a shared machine wall-clock latency depends on the neighbours; CPU per request does not, so the
    benchmark reports it beside the latencies. PostgreSQL's own CPU is not counted.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [master_pid]
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    total = 0
    for pid in pids:
        try:
            # the fields after the parenthesised command: utime and stime are the 12th and 13th
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a worker that exited meanwhile
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def backend_cpu_seconds(url: str) -> dict[int, float]:
    """CPU seconds (user + system) spent so far by each PostgreSQL backend connected to the database at
    `url`, by process id (Linux /proc; the database runs on this machine). Other databases' backends (other
    work on a shared machine) and PostgreSQL's background writers are left out."""
    engine = make_engine(url)
    with engine.connect() as connection:
        pids = connection.scalars(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        ).all()
    engine.dispose()
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[int(pid)] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds


# the process holding a socket, in a line of `ss -p`
_HOLDER = re.compile(r"pid=(\d+)")


def connections_per_worker(port: int) -> list[int]:
    """How many established client connections each gunicorn worker holds on `port`, most first (Linux
    `ss`; empty when it is missing). The workers take wrk's connections in an accept race, not in turns."""
    ss = shutil.which("ss")
    if ss is None:
        return []
    listing = subprocess.run(
        [ss, "-tnpH", "state", "established", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout
    holders = collections.Counter(match[1] for match in map(_HOLDER.search, listing.splitlines()) if match)
    return sorted(holders.values(), reverse=True)


def wait_until_up(base: str, server: subprocess.Popen[bytes], seconds: float = 600) -> None:
    """Wait for /healthz to answer: the workers answer once they have built their match index."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or the workers are still importing the app
        time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def screen(base: str, token: str, query: dict[str, Any], attempts: int = 20) -> requests.Response:
    """One screening, asked again after a 503 as the API tells clients to (SQLite's lock conflicts)."""
    for _ in range(attempts):
        response = requests.post(
            f"{base}/api/v1/screen", json=query, headers={"Authorization": f"Bearer {token}"}, timeout=900
        )
        if response.status_code != 503:
            break
        time.sleep(0.2)
    return response


def warm_up(base: str, token: str, queries: Sequence[dict[str, Any]]) -> float:
    """Have every worker build its match index before the timed run; returns the seconds it took.

    The workers build their index at start (config/gunicorn.conf.py); these first requests wait for that
    and, a few at once, reach both workers.
    """
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(WORKERS * 2) as pool:
        for response in pool.map(lambda q: screen(base, token, q), queries[: WORKERS * 2]):
            response.raise_for_status()
    built = time.perf_counter() - started
    for query in queries[:50]:
        screen(base, token, query).raise_for_status()
    return built


LUA = """-- generated by bench/screening_api.py
local bodies = %(bodies)s
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"}
local counter = 0
local threads = {}
statuses = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counter = math.random(#bodies)
end

function request()
  counter = counter %% #bodies + 1
  return wrk.format("POST", "/api/v1/screen", headers, bodies[counter])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local e = summary.errors
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local by_status = {}
  for status, count in pairs(counts) do
    table.insert(by_status, string.format('"%%d": %%d', status, count))
  end
  io.write(string.format(
    'WRK-RESULT {"requests": %%d, "duration_us": %%d, "bytes": %%d, ' ..
    '"errors": {"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}, ' ..
    '"statuses": {%%s}, ' ..
    '"latency_us": {"p50": %%d, "p90": %%d, "p99": %%d, "max": %%d, "mean": %%.1f}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(by_status, ", "),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def lua_string(text: str) -> str:
    """`text` as a Lua long-bracket string literal: UTF-8 as it is, no escapes to get wrong."""
    level = "="
    while f"]{level}]" in text:
        level += "="
    return f"[{level}[{text}]{level}]"


def wrk_binary() -> str:
    """The wrk executable, installed from Debian when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: apt-get install -y wrk")
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk could not be installed")
    return found


def run_wrk(
    base: str,
    token: str,
    queries: Sequence[dict[str, Any]],
    seconds: int,
    workdir: Path,
    connections: int = CLIENTS,
) -> dict[str, Any]:
    """Drive `POST /api/v1/screen` with wrk; returns its figures and the CPU time wrk itself used."""
    bodies = "{" + ",\n".join(lua_string(json.dumps(q, ensure_ascii=False)) for q in queries) + "}"
    script = workdir / "screen.lua"
    script.write_text(LUA % {"bodies": bodies, "token": token}, encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(
        [
            wrk_binary(),
            "--threads",
            str(min(2, connections)),
            "--connections",
            str(connections),
            "--duration",
            f"{seconds}s",
            "--timeout",
            "10s",
            "--script",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((line for line in completed.stdout.splitlines() if line.startswith("WRK-RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{completed.stdout}\n{completed.stderr}")
    figures: dict[str, Any] = json.loads(line.removeprefix("WRK-RESULT "))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    figures["generator_cpu_s"] = round(cpu, 2)
    figures["generator_share_of_one_core"] = round(cpu / seconds, 3)
    figures["wrk_output"] = completed.stdout.split("WRK-RESULT", 1)[0].strip()
    return figures


def timed_batch(base: str, token: str, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One POST /api/v1/screen/batch, timed from the client (upload, screening, audit, answer)."""
    started = time.perf_counter()
    response = requests.post(
        f"{base}/api/v1/screen/batch",
        json={"records": list(records)},
        headers={"Authorization": f"Bearer {token}"},
        timeout=900,
    )
    elapsed = time.perf_counter() - started
    results = response.json().get("results", []) if response.ok else []
    return {
        "records": len(records),
        "status": response.status_code,
        "seconds": round(elapsed, 2),
        "results": len(results),
        "hits": sum(1 for r in results if r["decision"] == "hit"),
        "possible_hits": sum(1 for r in results if r["decision"] == "possible_hit"),
        "response_mb": round(len(response.content) / 1e6, 1),
    }


def make_queries(persons: Sequence[SyntheticPerson], count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Queries as officials send them: two thirds name a watchlist person another way, one third nobody."""
    queries = []
    for number in range(count):
        name, birth_date = hit_query(rng.choice(persons), rng) if number % 3 else miss_query(rng)
        query: dict[str, Any] = {"name": name}
        if birth_date:
            query["birth_date"] = birth_date
        queries.append(query)
    rng.shuffle(queries)
    return queries


def machine() -> dict[str, Any]:
    """What the benchmark ran on, and how busy the machine was at the start."""
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu
            )
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Set up, load, time the batch, tear down; returns the results."""
    rng = random.Random(f"{args.seed}:api")
    started_at = dt.datetime.now(dt.UTC)
    host = machine()
    with tempfile.TemporaryDirectory(prefix="bench-screening-api-") as scratch:
        workdir = Path(scratch)
        if args.database_url == "sqlite":
            url = f"sqlite:///{workdir / 'watchlist.db'}"
        else:
            url = args.database_url or DEFAULT_DATABASE_URL
            if not args.from_template:
                empty_database(url, reset=args.reset or args.database_url is None)
        log(f"making {args.persons:,} synthetic persons")
        persons = make_watchlist(args.persons, args.seed)
        if args.from_template and args.database_url != "sqlite":
            log(f"copying the template database {template_name(url, args.persons, args.seed)}")
            template_import = clone_template(url, persons, args.seed, workdir)
            token, _none = prepare_database(url, persons, workdir, imported=True)
            import_seconds: float | None = template_import
        else:
            log(f"importing them into {url.split(':', 1)[0]}")
            token, import_seconds = prepare_database(url, persons, workdir)
        if import_seconds is not None:
            log(f"imported in {import_seconds:.1f} s")
        queries = make_queries(persons, QUERIES, rng)
        batch = [{"record_id": f"b{n}", **q} for n, q in enumerate(make_queries(persons, args.batch, rng))]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_gunicorn(url, port, workdir)
        try:
            wait_until_up(base, server)
            log("gunicorn up; warming both workers' match indexes")
            warm_seconds = warm_up(base, token, queries)
            log(f"indexes built ({warm_seconds:.1f} s); one client for {SERVICE_SECONDS} s")
            # one client: each request alone, the service time without any wait in a queue
            alone = run_wrk(base, token, queries, SERVICE_SECONDS, workdir, connections=1)
            log(f"{CLIENTS} clients for {args.seconds} s")
            screens_before = audit_count(url, "screen")
            cpu_before = server_cpu_seconds(server.pid)
            postgres_before = backend_cpu_seconds(url) if url.startswith("postgresql") else {}
            # halfway through the load: which worker holds how many of the clients
            split: list[int] = []
            sampler = threading.Timer(args.seconds / 2, lambda: split.extend(connections_per_worker(port)))
            sampler.start()
            load = run_wrk(base, token, queries, args.seconds, workdir)
            sampler.join()
            # requests still in flight when wrk stopped are answered (and audited) a moment later
            time.sleep(1)
            server_cpu = server_cpu_seconds(server.pid) - cpu_before
            postgres_after = backend_cpu_seconds(url) if url.startswith("postgresql") else {}
            postgres_cpu = sum(spent - postgres_before.get(pid, 0.0) for pid, spent in postgres_after.items())
            audited = audit_count(url, "screen") - screens_before
            log(
                f"{load['requests']:,} requests: p50 {load['latency_us']['p50'] / 1000:.1f} ms, "
                f"p99 {load['latency_us']['p99'] / 1000:.1f} ms, "
                f"server CPU {server_cpu * 1000 / max(load['requests'], 1):.2f} ms per request"
            )
            log(f"batch of {len(batch):,} records")
            batch_result = timed_batch(base, token, batch)
            log(f"batch: {batch_result['seconds']} s, status {batch_result['status']}")
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            server_log = (workdir / "gunicorn.log").read_text(encoding="utf-8", errors="replace")
    errors = sum(load["errors"].values())
    latency = load["latency_us"]
    figures = {
        # None: copied from a template database imported in an earlier run
        "import_s": None if import_seconds is None else round(import_seconds, 1),
        "index_warm_up_s": round(warm_seconds, 1),
        "requests": load["requests"],
        "requests_per_s": round(load["requests"] / (load["duration_us"] / 1e6), 1),
        "p50_ms": round(latency["p50"] / 1000, 2),
        "p90_ms": round(latency["p90"] / 1000, 2),
        "p99_ms": round(latency["p99"] / 1000, 2),
        "max_ms": round(latency["max"] / 1000, 2),
        "mean_ms": round(latency["mean"] / 1000, 2),
        "client_connections_per_worker": split,
        "errors": load["errors"],
        "statuses": load["statuses"],
        "audit_rows_written": audited,
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(load["requests"], 1), 2),
        "postgres_cpu_ms_per_request": round(postgres_cpu * 1000 / max(load["requests"], 1), 2),
        "generator_cpu_ms_per_request": round(load["generator_cpu_s"] * 1000 / max(load["requests"], 1), 2),
        "one_client": {
            "requests_per_s": round(alone["requests"] / (alone["duration_us"] / 1e6), 1),
            "p50_ms": round(alone["latency_us"]["p50"] / 1000, 2),
            "p99_ms": round(alone["latency_us"]["p99"] / 1000, 2),
        },
        "generator_cpu_s": load["generator_cpu_s"],
        "generator_share_of_one_core": load["generator_share_of_one_core"],
        "batch": batch_result,
    }
    met = {
        "p50_ms": figures["p50_ms"] <= TARGETS["p50_ms"],
        "p99_ms": figures["p99_ms"] <= TARGETS["p99_ms"],
        "errors": errors == 0 and batch_result["status"] == 200,
        "batch_s": batch_result["status"] == 200 and batch_result["seconds"] <= TARGETS["batch_s"],
    }
    return {
        "benchmark": "screening-api",
        "run_at": started_at.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": host,
        "database": "sqlite (fresh file, WAL)"
        if url.startswith("sqlite")
        else f"PostgreSQL {url.split('@')[-1]}",
        "persons": args.persons,
        "server": f"gunicorn {WORKERS} threaded workers (config/gunicorn.conf.py) on 127.0.0.1",
        "load": f"wrk, 2 threads, {CLIENTS} connections, {args.seconds} s, {QUERIES} queries cycled",
        "figures": figures,
        "targets": TARGETS,
        "targets_met": met,
        "wrk_output": load["wrk_output"],
        # what the server logged about failures, for the errors above
        "server_log_errors": [line for line in server_log.splitlines() if "Error" in line][:20],
    }


def render_markdown(result: dict[str, Any]) -> str:
    """The results as Markdown."""
    f = result["figures"]
    met = result["targets_met"]
    b = f["batch"]
    one = f["one_client"]
    machine_ = result["machine"]
    # CPU of the server, the database and the load generator per request, on the machine's cores: the
    # throughput they allow, and by Little's law the mean latency of 16 clients that never pause
    cpu_per_request = (
        f["server_cpu_ms_per_request"] + f["postgres_cpu_ms_per_request"] + f["generator_cpu_ms_per_request"]
    )
    cores = machine_["cpus"] or 1
    ceiling = cores * 1000 / cpu_per_request if cpu_per_request else float("inf")

    def mark(key: str) -> str:
        return "met" if met[key] else "**not met**"

    errors = ", ".join(f"{kind} {count}" for kind, count in f["errors"].items())
    statuses = ", ".join(f"{status}: {count:,}" for status, count in sorted(f["statuses"].items()))
    imported = (
        f"imported in {f['import_s']} s"
        if f["import_s"] is not None
        else "copied from a template database imported earlier"
    )
    return "\n".join(
        [
            "# Screening API under load",
            "",
            f"Run {result['run_at']} on {machine_['cpu']} ({machine_['cpus']} CPUs), load average "
            f"{machine_['load_average_1m']} at the start, Python {machine_['python']}. Database: "
            f"{result['database']}. {result['persons']:,} synthetic persons (bench/synthetic_watchlist.py), "
            f"{imported}. Server: {result['server']}; each worker built its match index "
            f"on its first request ({f['index_warm_up_s']} s for both, before the timed run).",
            "",
            f"Load: {result['load']}: `POST /api/v1/screen` with a real screener token, two thirds of the "
            "queries naming a watchlist person another way, one third made-up persons. Each request is "
            "authenticated and writes its audit row. Latency is wrk's, send to last byte, including the wait "
            "in gunicorn (16 clients, 2 workers).",
            "",
            "| measure | value | target | |",
            "|---|---|---|---|",
            f"| requests | {f['requests']:,} ({f['requests_per_s']} /s) | | |",
            f"| p50 | {f['p50_ms']} ms | <= {TARGETS['p50_ms']:.0f} ms | {mark('p50_ms')} |",
            f"| p90 | {f['p90_ms']} ms | | |",
            f"| p99 | {f['p99_ms']} ms | <= {TARGETS['p99_ms']:.0f} ms | {mark('p99_ms')} |",
            f"| max | {f['max_ms']} ms | | |",
            f"| errors | {errors} | none | {mark('errors')} |",
            f"| answers by HTTP status | {statuses} | | |",
            f"| audit rows written during the run | {f['audit_rows_written']:,} | one per request | |",
            f"| wrk's connections per worker, halfway | "
            f"{' / '.join(str(n) for n in f['client_connections_per_worker']) or 'not seen'} | | |",
            f"| batch of {b['records']:,} records (`POST /api/v1/screen/batch`, client-side) "
            f"| {b['seconds']} s "
            f"(status {b['status']}, {b['hits']:,} hits, {b['possible_hits']:,} possible, "
            f"{b['response_mb']} MB answer) | <= {TARGETS['batch_s']:.0f} s | {mark('batch_s')} |",
            f"| gunicorn's CPU per request (master and workers, user + system) | "
            f"{f['server_cpu_ms_per_request']} ms | | |",
            f"| PostgreSQL's CPU per request (the backends of the benchmark's database) | "
            f"{f['postgres_cpu_ms_per_request']} ms | | |",
            f"| one client alone ({SERVICE_SECONDS} s before the load: the service time, no queue) | "
            f"p50 {one['p50_ms']} ms, p99 {one['p99_ms']} ms, {one['requests_per_s']} /s | | |",
            f"| load generator's own CPU | {f['generator_cpu_s']} s "
            f"({f['generator_share_of_one_core'] * 100:.0f}% of one core) | | |",
            "",
            f"Where the time goes: each request costs {cpu_per_request:.2f} ms of CPU in all (gunicorn, "
            f"PostgreSQL, wrk), so {cores} cores answer at most {ceiling:.0f} requests per second; "
            f"{CLIENTS} clients that send their next request as soon as the last is answered then wait, by "
            f"Little's law, {CLIENTS} / {ceiling:.0f} per s = {CLIENTS * 1000 / ceiling:.1f} ms on average "
            f"(measured mean {f['mean_ms']} ms). A p50 of {TARGETS['p50_ms']:.0f} ms with {CLIENTS} such "
            f"clients needs about {CLIENTS * 1000 / TARGETS['p50_ms']:.0f} requests per second, that is at "
            f"most {cores * TARGETS['p50_ms'] / CLIENTS:.1f} ms of CPU per request for everything.",
            "",
            "The workers take the clients' connections in an accept race, so one may hold more of them than "
            "the other (the row above). Each worker still answers about half the requests, so the clients of "
            "the busier one wait longer: the latencies gather around two values, and the p50 falls on one "
            "of them or between, where the mean stays at the figure above.",
            "",
        ]
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.screening_api", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 persons, 5 s, a 1,000-record batch")
    parser.add_argument("--persons", type=int, help="watchlist size (default 100000, quick 2000)")
    parser.add_argument("--seconds", type=int, help="length of the load (default 60, quick 5)")
    parser.add_argument("--batch", type=int, help="records in the timed batch (default 10000, quick 1000)")
    parser.add_argument(
        "--database-url",
        help=f"a PostgreSQL URL (default {DEFAULT_DATABASE_URL}), or `sqlite` for a fresh file",
    )
    parser.add_argument("--reset", action="store_true", help="empty the --database-url database first")
    parser.add_argument(
        "--from-template",
        action="store_true",
        help="start from a copy of a template database holding the same watchlist (made on first use; "
        "PostgreSQL only) instead of importing the persons again",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--output-dir", type=Path, help=f"where to write screening-api.md/.json (default {RESULTS})"
    )
    args = parser.parse_args(argv)
    args.persons = args.persons or (2_000 if args.quick else 100_000)
    args.seconds = args.seconds or (5 if args.quick else 60)
    args.batch = args.batch or (1_000 if args.quick else 10_000)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print it, and write the results unless --quick."""
    args = parse_args(argv)
    result = run(args)
    report = render_markdown(result)
    print(report)
    output_dir = args.output_dir or (None if args.quick else RESULTS)
    if output_dir is not None:
        log(f"wrote {write_results(output_dir, 'screening-api', report, result)} and .json")
    return 0 if all(result["targets_met"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
