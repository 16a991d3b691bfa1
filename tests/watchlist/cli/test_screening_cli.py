"""`watchlist screen` and `watchlist screen-file` as an official or an analyst types them, on demo data."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from watchlist import migrations
from watchlist.db import make_engine
from watchlist.demo import INCOMING

Invoke = Callable[..., Result]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file holding the demo data (the commands commit, so not the test transaction)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('screen') / 'cli.db'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    result = _invoke(url, "demo")
    assert result.exit_code == 0, result.output
    return url


def _invoke(database: str, *args: str) -> Result:
    from watchlist.cli import main

    env = {
        "WATCHLIST_SECRET_KEY": "cli-test-secret-key-0123456789",
        "WATCHLIST_DEMO_PASSWORD": "demo password 1",
    }
    return CliRunner(env=env).invoke(main, ["--database-url", database, *args])


@pytest.fixture
def invoke(database: str) -> Invoke:
    return lambda *args: _invoke(database, *args)


def test_screen_finds_the_commissar_by_his_russian_passport_spelling(invoke: Invoke) -> None:
    result = invoke("screen", "KABASHNYY ALEKSANDR")
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("alert")
    assert "PUBLIC-0002" in first


def test_screen_json_gives_the_screening_result_shape(invoke: Invoke) -> None:
    result = invoke("screen", "Костянтин Качаров", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    best = answer["matches"][0]
    assert best["external_id"] == "PUBLIC-0001"
    assert best["decision"] == "alert"
    assert 0.0 <= best["score"] <= 1.0
    assert best["explanation"]["matched_name"] == "Качаров Костянтин"


def test_screen_says_when_nobody_matches(invoke: Invoke) -> None:
    result = invoke("screen", "Zzyzx Qwerty")
    assert result.exit_code == 0
    assert result.output == "no match\n"


def test_screen_file_writes_one_line_per_record_in_input_order_and_finds_the_expected_persons(
    invoke: Invoke, tmp_path: Path
) -> None:
    with (INCOMING / "expected_matches.csv").open(encoding="utf-8", newline="") as handle:
        expected = list(csv.DictReader(handle))
    for name in ("pow_registry.csv", "border_log.csv", "extradition_list.csv"):
        output = tmp_path / f"{name}.jsonl"
        result = invoke("screen-file", str(INCOMING / name), "--output", str(output))
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
        with (INCOMING / name).open(encoding="utf-8", newline="") as handle:
            assert [line["record_id"] for line in lines] == [
                row["record_id"] for row in csv.DictReader(handle)
            ]
        found = {line["record_id"]: line["matches"] for line in lines}
        for row in (row for row in expected if row["file"] == name):
            matches = found[row["record_id"]]
            if row["external_id"]:
                assert matches, row
                assert matches[0]["external_id"] == row["external_id"], row
                assert matches[0]["decision"] == "alert", row
            else:
                assert all(match["decision"] != "alert" for match in matches), row


def test_screen_file_refuses_a_list_with_a_nameless_row_and_names_the_row(
    invoke: Invoke, tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_text("record_id,full_name,birth_date\nA,Ivan Petrenko,1980\nB,,1981\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    result = invoke("screen-file", str(path), "--output", str(output))
    assert result.exit_code == 1
    assert "list.csv:3:full_name: empty" in result.output
    assert not output.exists()


def test_screen_file_names_an_unreadable_file(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "list.pdf"
    path.write_text("hello", encoding="utf-8")
    result = invoke("screen-file", str(path))
    assert result.exit_code == 1
    assert "list.pdf" in result.output and "unknown file type" in result.output
