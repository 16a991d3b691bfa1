"""`watchlist lists import`, `lists deliveries`, `lists quarantine` and `watchlist runs` as an operator
types them, on the demo watchlist and the demo incoming lists."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from tests.jobs.list_server import ListServer, fails_then_serves, list_server, serves
from watchlist import migrations
from watchlist.db import make_engine
from watchlist.demo import INCOMING
from watchlist.models import Alert, ConvictedPerson, ReceivedRecord

Invoke = Callable[..., Result]

SOURCES = """
[sources.pow_registry]
kind = "pow"
format = "csv"
folder = "{drop}"

[sources.small_list]
kind = "pow"
format = "csv"
folder = "{drop}"
limits = {{ max_bytes = 64 }}

[sources.border_log]
kind = "border"
format = "csv"
folder = "{drop}"
"""


def _invoke(database: str, sources: Path, *args: str) -> Result:
    from watchlist.cli import main

    env = {
        "WATCHLIST_SECRET_KEY": "cli-test-secret-key-0123456789",
        "WATCHLIST_DEMO_PASSWORD": "demo password 1",
        "WATCHLIST_SOURCES_FILE": str(sources),
    }
    return CliRunner(env=env).invoke(main, ["--database-url", database, *args])


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo watchlist, built once and copied for each test."""
    folder = tmp_path_factory.mktemp("lists-demo")
    path = folder / "demo.db"
    url = f"sqlite:///{path}"
    # DEFERRED: the checkpoint below must not run inside a transaction holding the write lock
    engine = make_engine(url, sqlite_begin="DEFERRED")
    migrations.upgrade(engine)
    result = _invoke(url, folder / "no-sources.toml", "demo")
    assert result.exit_code == 0, result.output
    with engine.connect() as connection:
        # fold the write-ahead log into the file, so a copy of the file alone holds everything
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def workspace(demo_database: Path, tmp_path: Path) -> tuple[str, Path]:
    """A copy of the demo database (the commands commit, so not the test transaction) and a sources file
    declaring the demo lists, with a drop folder."""
    database = tmp_path / "lists.db"
    shutil.copyfile(demo_database, database)
    sources = tmp_path / "sources.toml"
    (tmp_path / "drop").mkdir()
    sources.write_text(SOURCES.format(drop=tmp_path / "drop"), encoding="utf-8")
    return f"sqlite:///{database}", sources


@pytest.fixture
def invoke(workspace: tuple[str, Path]) -> Invoke:
    return lambda *args: _invoke(*workspace, *args)


def import_demo(invoke: Invoke, file: str, source: str) -> Result:
    result = invoke("lists", "import", str(INCOMING / file), "--source", source)
    assert result.exit_code == 0, result.output
    return result


def alerted_pairs(database: str) -> set[tuple[str, str]]:
    engine = make_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(
            select(ReceivedRecord.record_id, ConvictedPerson.external_id)
            .join(Alert, Alert.record_id == ReceivedRecord.id)
            .join(ConvictedPerson, ConvictedPerson.id == Alert.person_id)
        ).all()
    engine.dispose()
    return {(record_id, external_id) for record_id, external_id in rows}


def expected_pairs(file: str) -> set[tuple[str, str]]:
    with (INCOMING / "expected_matches.csv").open(encoding="utf-8") as handle:
        return {
            (row["record_id"], row["external_id"])
            for row in csv.DictReader(handle)
            if row["file"] == file and row["external_id"]
        }


def test_importing_the_demo_pow_registry_stores_it_and_alerts_every_expected_person(
    invoke: Invoke, workspace: tuple[str, Path]
) -> None:
    result = invoke("lists", "import", str(INCOMING / "pow_registry.csv"), "--source", "pow_registry")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("pow_registry: delivery 1 accepted: 15 rows, 15 stored (15 new, 0 changed)")
    assert lines[1].startswith("matching: 15 records matched, 10 alerts raised")
    pairs = alerted_pairs(workspace[0])
    assert pairs == expected_pairs("pow_registry.csv")


def test_importing_the_same_file_again_changes_nothing_and_alerts_nobody_twice(
    invoke: Invoke, workspace: tuple[str, Path]
) -> None:
    assert (
        invoke("lists", "import", str(INCOMING / "border_log.csv"), "--source", "border_log").exit_code == 0
    )
    before = alerted_pairs(workspace[0])
    again = invoke("lists", "import", str(INCOMING / "border_log.csv"), "--source", "border_log")
    assert again.exit_code == 0, again.output
    assert "the same bytes were received before as delivery 1 (accepted); nothing changed" in again.output
    assert "matching" not in again.output
    assert alerted_pairs(workspace[0]) == before
    assert expected_pairs("border_log.csv") <= before


def test_a_changed_record_is_matched_again_without_a_second_alert_for_the_same_pair(
    invoke: Invoke, workspace: tuple[str, Path], tmp_path: Path
) -> None:
    original = (INCOMING / "pow_registry.csv").read_text(encoding="utf-8")
    assert (
        invoke("lists", "import", str(INCOMING / "pow_registry.csv"), "--source", "pow_registry").exit_code
        == 0
    )
    # moved to another camp: stored, but nothing the matcher reads changed, so nothing is matched again
    moved = tmp_path / "pow_registry_moved.csv"
    moved.write_text(original.replace("Camp 5", "Camp 6"), encoding="utf-8")
    result = invoke("lists", "import", str(moved), "--source", "pow_registry")
    assert result.exit_code == 0, result.output
    assert "(0 new, 3 changed)" in result.output
    assert "matching:" not in result.output
    # his name spelled another way: matched again, and the pair alerted before is not alerted twice
    renamed = tmp_path / "pow_registry_renamed.csv"
    moved_text = original.replace("Camp 5", "Camp 6")
    renamed.write_text(moved_text.replace("GNILITSKII OLEG", "GNILITSKIY OLEG"), encoding="utf-8")
    result = invoke("lists", "import", str(renamed), "--source", "pow_registry")
    assert result.exit_code == 0, result.output
    assert "(0 new, 1 changed)" in result.output
    assert "matching: 1 records matched, 0 alerts raised" in result.output
    assert alerted_pairs(workspace[0]) == expected_pairs("pow_registry.csv")


def test_bad_rows_go_to_quarantine_and_the_operator_can_read_them(invoke: Invoke, tmp_path: Path) -> None:
    file = tmp_path / "pow.csv"
    file.write_text(
        "record_id,full_name,birth_date\nP-1,Олег Гнилицький,1993\nP-2,,1990\nP-3," + "Я" * 301 + ",1990\n",
        encoding="utf-8",
    )
    result = invoke("lists", "import", str(file), "--source", "pow_registry")
    assert result.exit_code == 0, result.output
    assert "3 rows, 1 stored (1 new, 0 changed), 0 unchanged, 2 quarantined" in result.output
    assert "see `watchlist lists quarantine 1`" in result.output
    kept = [json.loads(line) for line in invoke("lists", "quarantine", "1").output.splitlines()]
    assert [(row["row"], row["errors"][0]["field"]) for row in kept] == [(3, "full_name"), (4, "full_name")]
    assert kept[0]["cells"]["record_id"] == "P-2"


def test_an_html_page_is_quarantined_whole_the_data_stays_and_operators_see_why(
    invoke: Invoke, tmp_path: Path
) -> None:
    assert (
        invoke("lists", "import", str(INCOMING / "pow_registry.csv"), "--source", "pow_registry").exit_code
        == 0
    )
    page = tmp_path / "pow.csv"
    page.write_text("<!DOCTYPE html><html><body>Service unavailable</body></html>", encoding="utf-8")
    result = invoke("lists", "import", str(page), "--source", "pow_registry")
    assert result.exit_code == 1
    assert "pow_registry: delivery 2 QUARANTINED: pow.csv is an HTML page, not a list" in result.output
    assert "the previous data stays in use" in result.output

    deliveries = invoke("lists", "deliveries", "--json").output.splitlines()
    newest = json.loads(deliveries[0])
    assert (newest["status"], newest["reason"]) == ("quarantined", "pow.csv is an HTML page, not a list")
    assert json.loads(deliveries[1])["rows_total"] == 15

    runs = [json.loads(line) for line in invoke("runs", "--json").output.splitlines()]
    assert [(run["kind"], run["status"]) for run in runs] == [
        ("import", "quarantined"),
        ("match", "succeeded"),
        ("import", "succeeded"),
    ]
    assert runs[1]["counts"]["alerts_raised"] == 10
    assert all(run["finished_at"] for run in runs)
    text = invoke("runs").output
    assert "import pow_registry" in text and "quarantined" in text


def test_an_unknown_source_is_one_clear_error(invoke: Invoke) -> None:
    unknown = invoke("lists", "import", str(INCOMING / "pow_registry.csv"), "--source", "nowhere")
    assert unknown.exit_code == 1
    assert (
        "unknown source 'nowhere'" in unknown.output
        and "border_log, pow_registry, small_list" in unknown.output
    )
    assert "Traceback" not in unknown.output


def test_a_file_that_is_not_a_list_is_quarantined_and_one_too_large_fails_the_run(
    invoke: Invoke, tmp_path: Path
) -> None:
    odd = tmp_path / "scan.csv"
    odd.write_bytes(b"%PDF-1.4\n")
    quarantined = invoke("lists", "import", str(odd), "--source", "pow_registry")
    assert quarantined.exit_code == 1
    assert "scan.csv holds no records" in quarantined.output
    size = (INCOMING / "pow_registry.csv").stat().st_size
    failed = invoke("lists", "import", str(INCOMING / "pow_registry.csv"), "--source", "small_list")
    assert failed.exit_code == 1
    assert f"pow_registry.csv: {size} bytes, more than the 64 allowed" in failed.output
    runs = [json.loads(line) for line in invoke("runs", "--json").output.splitlines()]
    assert [(run["status"], run["delivery_id"]) for run in runs] == [("failed", None), ("quarantined", 1)]
    assert "more than the 64 allowed" in runs[0]["error"]


def test_a_drop_folder_source_takes_the_files_not_received_before(
    invoke: Invoke, workspace: tuple[str, Path]
) -> None:
    drop = workspace[1].parent / "drop"
    (drop / "border_log.csv").write_bytes((INCOMING / "border_log.csv").read_bytes())
    first = invoke("lists", "fetch", "border_log", "--settle-seconds", "0")
    assert first.exit_code == 0, first.output
    assert "border_log: delivery 1 accepted: 11 rows" in first.output
    second = invoke("lists", "fetch", "border_log", "--settle-seconds", "0")
    assert "received before as delivery 1" in second.output
    assert alerted_pairs(workspace[0]) >= expected_pairs("border_log.csv")


# --- fetching from a real HTTP server on 127.0.0.1 ------------------------------------------------------

HTTP_SOURCES = """
[fetch]
# the explicit test setting: plain http:// to the loopback interface
allow_plain_http_loopback = true

[fetch.limits]
connect_timeout = 2
read_timeout = 2
deadline = 10
retries = 1
backoff = 0.05

[sources.pow_http]
kind = "pow"
format = "csv"
[sources.pow_http.http]
url = "{base}/pow.csv"
secret_headers = {{ Authorization = "WATCHLIST_TEST_POW_AUTHORIZATION" }}

[sources.extradition_xml]
kind = "extradition"
format = "xml"
record_path = "person"
mapping = {{ record_id = "@id", full_name = "name", birth_date = "born" }}
[sources.extradition_xml.http]
url = "{base}/extradition.xml"

[sources.gone]
kind = "border"
format = "csv"
[sources.gone.http]
url = "{base}/gone.csv"
"""

EXTRADITION_XML = """<?xml version="1.0" encoding="UTF-8"?>
<list>
  <person id="EXT-001"><name>Igor' Yur'evich Burlaka</name><born>20 Jun 1984</born></person>
  <person id="EXT-002"><name>Deduch, Wladimir</name><born>20 Mar 1990</born></person>
</list>
"""

XML_BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<list><person id="1"><name>&lol2;</name></person></list>
"""


@pytest.fixture
def server() -> Iterator[ListServer]:
    with list_server() as running:
        yield running


@pytest.fixture
def fetch_invoke(workspace: tuple[str, Path], server: ListServer) -> Invoke:
    database, sources = workspace
    sources.write_text(HTTP_SOURCES.format(base=server.url("")), encoding="utf-8")
    env = {"WATCHLIST_TEST_POW_AUTHORIZATION": "Bearer test-token", "WATCHLIST_SOURCES_FILE": str(sources)}

    def invoke(*args: str) -> Result:
        from watchlist.cli import main

        runner = CliRunner(env={**env, "WATCHLIST_SECRET_KEY": "cli-test-secret-key-0123456789"})
        return runner.invoke(main, ["--database-url", database, *args])

    return invoke


def test_fetching_a_source_stores_and_matches_it_and_the_next_fetch_gets_a_304(
    fetch_invoke: Invoke, server: ListServer, workspace: tuple[str, Path]
) -> None:
    server.routes["/pow.csv"] = serves((INCOMING / "pow_registry.csv").read_bytes(), etag='"2026-11-24"')
    first = fetch_invoke("lists", "fetch", "pow_http")
    assert first.exit_code == 0, first.output
    assert "pow_http: delivery 1 accepted: 15 rows, 15 stored" in first.output
    assert "matching: 15 records matched, 10 alerts raised" in first.output
    assert server.hits("/pow.csv")[0]["Authorization"] == "Bearer test-token"

    second = fetch_invoke("lists", "fetch", "pow_http")
    assert second.exit_code == 0, second.output
    assert "pow_http: not modified since the last fetch (304); nothing to do" in second.output
    assert server.hits("/pow.csv")[1]["If-None-Match"] == '"2026-11-24"'
    runs = [json.loads(line) for line in fetch_invoke("runs", "--json").output.splitlines()]
    assert [(run["kind"], run["status"]) for run in runs] == [
        ("fetch", "unchanged"),
        ("match", "succeeded"),
        ("fetch", "succeeded"),
    ]
    assert alerted_pairs(workspace[0]) == expected_pairs("pow_registry.csv")


def test_an_xml_source_is_fetched_and_its_records_matched(fetch_invoke: Invoke, server: ListServer) -> None:
    server.routes["/extradition.xml"] = serves(EXTRADITION_XML.encode(), content_type="application/xml")
    result = fetch_invoke("lists", "fetch", "extradition_xml")
    assert result.exit_code == 0, result.output
    assert "delivery 1 accepted: 2 rows, 2 stored" in result.output
    assert "2 alerts raised" in result.output


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"<html><body>Please log in</body></html>", "text/html", "is an HTML page (Content-Type text/html)"),
        (XML_BOMB.encode(), "application/xml", "the XML declares entities or external references"),
        (EXTRADITION_XML.encode()[:-40], "application/xml", "is not well-formed XML"),
    ],
    ids=["html", "xml-bomb", "truncated"],
)
def test_garbage_from_the_server_is_quarantined_whole_and_the_previous_data_stays(
    fetch_invoke: Invoke, server: ListServer, body: bytes, content_type: str, reason: str
) -> None:
    server.routes["/extradition.xml"] = serves(EXTRADITION_XML.encode(), content_type="application/xml")
    assert fetch_invoke("lists", "fetch", "extradition_xml").exit_code == 0
    server.routes["/extradition.xml"] = serves(body, content_type=content_type)
    result = fetch_invoke("lists", "fetch", "extradition_xml")
    assert result.exit_code == 1
    assert "delivery 2 QUARANTINED" in result.output and reason in result.output
    assert "the previous data stays in use" in result.output
    deliveries = [
        json.loads(line) for line in fetch_invoke("lists", "deliveries", "--json").output.splitlines()
    ]
    assert [(d["status"], d["rows_total"]) for d in deliveries] == [("quarantined", 0), ("accepted", 2)]


def test_a_failing_server_fails_the_run_with_its_reason_and_stores_nothing(
    fetch_invoke: Invoke, server: ListServer
) -> None:
    server.routes["/gone.csv"] = fails_then_serves([503] * 5, b"")
    result = fetch_invoke("lists", "fetch", "gone")
    assert result.exit_code == 1
    assert "gone.csv answered 503; gave up after 2 attempts" in result.output
    runs = [json.loads(line) for line in fetch_invoke("runs", "--json").output.splitlines()]
    assert (runs[0]["kind"], runs[0]["status"]) == ("fetch", "failed")
    assert "answered 503" in runs[0]["error"]
    assert fetch_invoke("lists", "deliveries").output == ""


def test_sources_check_reaches_every_source_and_names_what_is_wrong(
    fetch_invoke: Invoke, server: ListServer
) -> None:
    server.routes["/pow.csv"] = serves(b"record_id,full_name\n1,A B\n")
    server.routes["/extradition.xml"] = serves(b"<html></html>", content_type="text/html; charset=utf-8")
    result = fetch_invoke("sources", "check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"ok   pow_http: pow list, csv, {server.url('/pow.csv')} (hosts: 127.0.0.1)")
    assert lines[1].startswith("FAIL extradition_xml: extradition list, xml")
    assert "serves an HTML page (text/html), not a list" in lines[2]
    assert lines[3].startswith("FAIL gone:") and "answered 404" in lines[4]
    assert "2 of 3 source(s) failed the check" in result.output
    # offline, only the file and the environment are checked
    assert fetch_invoke("sources", "check", "--offline").exit_code == 0


def test_alerts_carry_the_kind_of_the_source_that_delivered_the_record(
    invoke: Invoke, workspace: tuple[str, Path]
) -> None:
    # officers subscribe by source kind (pow / border / extradition): the kind comes from sources.toml
    import_demo(invoke, "pow_registry.csv", "pow_registry")
    import_demo(invoke, "border_log.csv", "border_log")
    engine = make_engine(workspace[0])
    with engine.connect() as connection:
        kinds = connection.execute(select(Alert.source, Alert.source_kind).distinct()).all()
    engine.dispose()
    assert sorted(kinds) == [("border_log", "border"), ("pow_registry", "pow")]
