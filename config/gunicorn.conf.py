"""gunicorn settings: `gunicorn -c config/gunicorn.conf.py "watchlist.app:create_app()"` (pages and API).

Threaded workers (gthread): a request spends part of its time waiting on PostgreSQL (the token query, the
audit INSERT and its commit, which waits for the disk sync); while one thread waits another screens. The
matching itself takes turns under the worker's index lock, so more threads than this add only queueing.
They also keep wrk's and browsers' connections alive, where a synchronous worker closes each one.
"""

import os

bind = os.environ.get("WATCHLIST_BIND", "127.0.0.1:8000")
# one process per core: each holds its own match index in memory
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WATCHLIST_THREADS", "4"))
# a worker builds its match index on its first screening; with 100,000 persons that takes longer than
# gunicorn's default 30 s
timeout = 600
keepalive = 5
backlog = 256


def post_worker_init(worker: object) -> None:
    """Build the worker's match index before it takes requests, so no caller waits for it (with threads,
    the first requests would all queue behind the build). A watchlist that cannot be read now is left to
    the first screening, which answers 503 until it can."""
    from flask import Flask

    from watchlist.exc import Unavailable
    from watchlist.screening import screening_service

    app = getattr(worker, "wsgi", None)
    if isinstance(app, Flask):
        try:
            screening_service(app).warm()
        except Unavailable:
            worker.log.warning("the watchlist cannot be read yet; the index is built on the first screening")  # type: ignore[attr-defined]
