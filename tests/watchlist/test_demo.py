"""The demo data: the two public convictions as reported, fictitious persons that are plainly fictitious."""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchers.scripts import detect_script
from watchlist.alerts import AlertFilters, Reader, list_alerts, raise_alert
from watchlist.delivery.subscriptions import list_subscriptions
from watchlist.demo import DEMO_FILES, INCOMING, load_demo_persons, subscribe_demo_officer
from watchlist.demo.generate import FICTITIOUS_FILE, SEED, make_incoming, make_persons
from watchlist.imports import read_person_file
from watchlist.incoming import receive_delivery
from watchlist.models import DatePrecision, NameKind, ReceivedRecord, Role, User
from watchlist.persons import find_person, watchlist_version
from watchlist.users import ensure_demo_users

REAL_NAMES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real_names.jsonl.gz"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_demo_files_are_valid_persons_files() -> None:
    for path in DEMO_FILES:
        assert read_person_file(path, 10**7).errors == []


def test_the_two_public_convictions_hold_only_the_reported_facts(session: Session) -> None:
    load_demo_persons(session)
    kacharov = find_person(session, "PUBLIC-0001")
    kabashnyi = find_person(session, "PUBLIC-0002")
    assert kacharov.primary_name == "Качаров Костянтин"
    assert kabashnyi.primary_name == "Кабашний Олександр"
    assert [n.name for n in kacharov.names if n.kind is NameKind.ALIAS] == [
        "Качаров Константин",
        "Kostiantyn Kacharov",
        "Konstantin Kacharov",
    ]
    assert [n.name for n in kabashnyi.names if n.kind is NameKind.ALIAS] == [
        "Кабашный Александр",
        "Oleksandr Kabashnyi",
        "Aleksandr Kabashnyy",
    ]
    for person in (kacharov, kabashnyi):
        assert person.birth_date is None and person.birth_place is None and person.citizenship is None
        [conviction] = person.convictions
        assert conviction.in_absentia is True
        assert conviction.case_number is None
        assert conviction.article == "Part 1 of Art. 438 of the Criminal Code of Ukraine"
    assert (kacharov.convictions[0].sentence, str(kacharov.convictions[0].verdict_date)) == (
        "11 years",
        "2023-01-30",
    )
    assert kacharov.convictions[0].court is None
    only = kabashnyi.convictions[0]
    assert (only.sentence, only.court, only.verdict_date) == (
        "8 years",
        "Darnytskyi District Court of Kyiv",
        None,
    )
    assert only.appeal_status == "upheld by the Supreme Court in 2024"
    assert kabashnyi.notes is not None and "April 2023" in kabashnyi.notes


def test_the_fictitious_persons_are_marked_and_named_in_three_scripts() -> None:
    rows = read_csv(FICTITIOUS_FILE)
    assert len(rows) == 300
    assert len({row["external_id"] for row in rows}) == 300
    for row in rows:
        assert row["notes"].startswith("Fictitious person")
        assert detect_script(row["full_name"]) == "Cyrl"
        scripts = {detect_script(alias) for alias in row["aliases"].split(";")}
        assert scripts == {"Cyrl", "Latn"}
    precisions = [person.birth_date_precision for person in read_person_file(FICTITIOUS_FILE, 10**7).valid]
    assert set(precisions) == {DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR, None}


def test_the_committed_files_are_what_the_generator_writes() -> None:
    rng = random.Random(SEED)
    persons = make_persons(rng)
    assert [person.row for person in persons] == read_csv(FICTITIOUS_FILE)
    for name, rows in make_incoming(rng, persons).items():
        assert rows == read_csv(INCOMING / f"{name}.csv"), name


def test_incoming_lists_refer_to_fictitious_persons_only() -> None:
    fictitious = {row["external_id"] for row in read_csv(FICTITIOUS_FILE)}
    expected = read_csv(INCOMING / "expected_matches.csv")
    assert {row["external_id"] for row in expected} - {""} <= fictitious
    assert sum(1 for row in expected if row["external_id"]) >= 20
    text = " ".join(path.read_text(encoding="utf-8") for path in INCOMING.glob("*.csv")).casefold()
    for public in ("качаров", "кабашн", "kacharov", "kabashn"):
        assert public not in text


@pytest.mark.skipif(not REAL_NAMES.exists(), reason="the real-person evaluation data is not here")
def test_no_fictitious_surname_is_a_real_persons_name() -> None:
    real: set[str] = set()
    with gzip.open(REAL_NAMES, "rt", encoding="utf-8") as handle:
        for line in handle:
            for name in json.loads(line)["names"]:
                real.update(word.casefold() for word in re.findall(r"\w+", name["name"]))
    surnames: set[str] = set()
    for row in read_csv(FICTITIOUS_FILE):
        for name in [row["full_name"], *row["aliases"].split(";"), row["document_names"]]:
            surnames.add(name.split()[0].casefold())
    for path in INCOMING.glob("*.csv"):
        for row in read_csv(path):
            if "surname" in row:
                surnames.add(row["surname"].casefold())
    assert sorted(surnames & real) == []


def test_loading_the_demo_twice_changes_nothing(session: Session) -> None:
    first = load_demo_persons(session)
    version = watchlist_version(session)
    second = load_demo_persons(session)
    assert (first.created, second.created, second.updated, second.unchanged) == (302, 0, 0, 302)
    assert watchlist_version(session) == version


def test_the_demo_officer_sees_every_demo_alert(session: Session) -> None:
    load_demo_persons(session)
    ensure_demo_users(session, "demo password 1234")
    subscription = subscribe_demo_officer(session)
    assert subscription is not None and not subscription.by_email
    # a second `watchlist demo` leaves his subscriptions (and any he made himself) as they are
    assert subscribe_demo_officer(session) is None
    officer = session.scalars(select(User).where(User.username == "demo-officer")).one()
    assert len(list_subscriptions(session, officer)) == 1
    person = find_person(session, "PUBLIC-0002")
    receive_delivery(
        session,
        "pow",
        "pow.csv",
        b"demo",
        [(2, {"record_id": "POW-9", "full_name": "Kabashnyi Oleksandr", "region": "Запорізька"})],
        source_kind="pow",
    )
    record = session.scalars(select(ReceivedRecord).where(ReceivedRecord.record_id == "POW-9")).one()
    hit = {"score": 0.9, "explanation": {}}
    raised = [
        raise_alert(session, person_id=person.id, record_id=record.id, decision="alert", **hit)[0],
        raise_alert(session, person_id=person.id, screened={"name": "Кабашний"}, decision="review", **hit)[0],
    ]
    seen = list_alerts(session, AlertFilters(), Reader(officer.id, Role.OFFICER))
    assert sorted(alert.id for alert in seen.alerts) == sorted(alert.id for alert in raised)
