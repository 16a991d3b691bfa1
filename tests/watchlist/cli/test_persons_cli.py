"""`watchlist persons import|show` and `watchlist demo` as an editor types them, on a fresh SQLite file."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from watchlist import migrations
from watchlist.db import make_engine
from watchlist.models import ConvictedPerson

FIXTURES = Path(__file__).parents[2] / "fixtures" / "persons"
Invoke = Callable[..., Result]


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A migrated SQLite file of this test's own, since the commands commit."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def invoke(database: str) -> Invoke:
    from watchlist.cli import main

    def run(*args: str) -> Result:
        env = {
            "WATCHLIST_SECRET_KEY": "cli-test-secret-key-0123456789",
            "WATCHLIST_DEMO_PASSWORD": "demo password 1",
        }
        return CliRunner(env=env).invoke(main, ["--database-url", database, *args])

    return run


def count_persons(database: str) -> int:
    engine = make_engine(database)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(ConvictedPerson))
    engine.dispose()
    return count or 0


def test_import_off_a_terminal_prints_only_a_summary_and_a_second_run_changes_nothing(
    invoke: Invoke, database: str
) -> None:
    first = invoke("persons", "import", str(FIXTURES / "persons_valid.csv"))
    assert first.exit_code == 0, first.output
    assert first.output == "created 3, updated 0, unchanged 0, rejected 0\n"
    second = invoke("persons", "import", str(FIXTURES / "persons_valid.csv"))
    assert second.output == "created 0, updated 0, unchanged 3, rejected 0\n"
    assert count_persons(database) == 3


def test_a_bad_file_lists_every_error_and_writes_nothing(invoke: Invoke, database: str) -> None:
    result = invoke("persons", "import", str(FIXTURES / "persons_invalid.csv"))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "Error: persons_invalid.csv: 6 error(s) on 5 row(s); nothing was imported"
    assert "persons_invalid.csv:2:birth_date: '1975-13-01' is not a real date" in lines
    assert "persons_invalid.csv:6:external_id: 'FX-0104' is also on row 5" in lines
    assert len(lines) == 7
    assert "Traceback" not in result.output
    assert count_persons(database) == 0


def test_skip_invalid_imports_good_rows_and_writes_a_reject_file(invoke: Invoke, tmp_path: Path) -> None:
    source = tmp_path / "mixed.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["external_id", "full_name", "birth_date"], ["M-1", "Олег", "1975"], ["M-2", "Петро", "someday"]]
        )
    result = invoke("persons", "import", str(source), "--skip-invalid")
    assert result.exit_code == 0, result.output
    reject = tmp_path / "mixed.csv.rejected.csv"
    assert result.output == f"created 1, updated 0, unchanged 0, rejected 1 (written to {reject})\n"
    with reject.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["external_id", "full_name", "birth_date", "error"],
            [
                "M-2",
                "Петро",
                "someday",
                "mixed.csv:3:birth_date: 'someday' is not YYYY-MM-DD, YYYY-MM or YYYY",
            ],
        ]


def test_the_reject_file_can_be_named(invoke: Invoke, tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    shutil.copy(FIXTURES / "persons_invalid.csv", source)
    target = tmp_path / "out" / "rejects.csv"
    target.parent.mkdir()
    result = invoke("persons", "import", str(source), "--skip-invalid", "--reject-file", str(target))
    assert result.exit_code == 0, result.output
    assert "rejected 5" in result.output
    assert len(target.read_text(encoding="utf-8-sig").splitlines()) == 6


def test_a_reject_file_without_skip_invalid_is_a_usage_error(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(
        "persons", "import", str(FIXTURES / "persons_valid.csv"), "--reject-file", str(tmp_path / "r")
    )
    assert result.exit_code == 2
    assert "--reject-file goes with --skip-invalid" in result.output


def test_a_missing_file_is_a_usage_error(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("persons", "import", str(tmp_path / "nothing.csv"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_show_prints_the_person_with_names_convictions_and_history(invoke: Invoke) -> None:
    invoke("persons", "import", str(FIXTURES / "persons_valid.csv"))
    result = invoke("persons", "show", "FX-0001")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Гнилицький Олег Петрович  [FX-0001, id 1, wanted]"
    assert "  alias: Hnylytskyi Oleh (Latn)" in lines
    assert any(line.startswith("  conviction: case_number=FX/1/23") for line in lines)
    assert " imported by cli" in lines[-1]
    as_json = invoke("persons", "show", "1", "--json")
    assert '"external_id": "FX-0001"' in as_json.output


def test_show_of_an_unknown_person_says_so(invoke: Invoke) -> None:
    result = invoke("persons", "show", "NOBODY")
    assert result.exit_code == 1
    assert result.output == "Error: no person 'NOBODY'\n"


def test_demo_loads_once_and_a_second_run_changes_nothing(invoke: Invoke, database: str) -> None:
    first = invoke("demo")
    assert first.exit_code == 0, first.output
    assert "demo persons: created 302, updated 0, unchanged 0" in first.output
    assert "demo-officer subscribed to every alert" in first.output
    second = invoke("demo")
    assert "demo persons: created 0, updated 0, unchanged 302" in second.output
    assert "subscribed" not in second.output
    assert count_persons(database) == 302
