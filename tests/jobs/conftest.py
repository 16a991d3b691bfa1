"""Fixtures for tests that start real processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@pytest.fixture
def process_database(tmp_path: Path, database_url: str) -> Iterator[str]:
    """A database of its own for processes that commit (the tests' database rolls every test back):
    a SQLite file, or on PostgreSQL a fresh database beside the test one."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scheduler.db'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_procs"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    admin.dispose()
