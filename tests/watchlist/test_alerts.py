"""Alerts operations: one alert per (person, incoming record), sightings attached to the open alert,
dismissed pairs that stay dismissed until what was matched changes, and the triage steps with history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchlist.alerts import (
    AlertFilters,
    Reader,
    acknowledge_alert,
    alerts_for_records,
    assign_alert,
    comment_alert,
    confirm_alert,
    dismiss_alert,
    get_alert,
    list_alerts,
    mark_read,
    raise_alert,
    raise_alerts_for,
    severity_of,
    source_kinds,
    unread_count,
)
from watchlist.delivery.subscriptions import add_subscription
from watchlist.exc import Conflict, NotFound, NotVisible, ValidationFailed
from watchlist.incoming import receive_delivery
from watchlist.models import (
    Alert,
    AlertEvent,
    AlertOrigin,
    AlertSighting,
    AlertStatus,
    AuditEvent,
    ConvictedPerson,
    DismissReason,
    PersonStatus,
    ReceivedRecord,
    Role,
    Severity,
    User,
)
from watchlist.persons import add_person, person_input, require_person, update_person, watchlist_version

HIT = {"score": 0.93, "decision": "alert", "explanation": {"matched_name": "Гнилицький Олег"}}


@pytest.fixture
def person(session: Session) -> ConvictedPerson:
    return add_person(
        session,
        require_person({"external_id": "T-1", "full_name": "Гнилицький Олег", "birth_date": "1975"}),
        "test",
    )


def deliver(session: Session, source: str, content: bytes, *rows: dict[str, str]) -> list[ReceivedRecord]:
    """Receive one delivery of a source; its records, in row order."""
    receive_delivery(session, source, f"{source}.csv", content, list(enumerate(rows, start=2)))
    keys = [row["record_id"] for row in rows]
    records = session.scalars(
        select(ReceivedRecord).where(ReceivedRecord.source == source, ReceivedRecord.record_id.in_(keys))
    ).all()
    return sorted(records, key=lambda record: keys.index(record.record_id or ""))


def alert_on(session: Session, person: ConvictedPerson, record: ReceivedRecord) -> tuple[Alert, bool]:
    return raise_alert(session, person_id=person.id, record_id=record.id, **HIT)


@pytest.mark.parametrize(
    ("decision", "status", "severity"),
    [
        ("alert", PersonStatus.WANTED, Severity.CRITICAL),
        ("alert", PersonStatus.LOCATED, Severity.HIGH),
        ("alert", PersonStatus.SERVING, Severity.HIGH),
        ("review", PersonStatus.WANTED, Severity.MEDIUM),
        ("review", PersonStatus.DETAINED, Severity.LOW),
        ("alert", PersonStatus.CLOSED, Severity.LOW),
    ],
)
def test_severity_follows_the_decision_and_the_persons_status(
    decision: str, status: PersonStatus, severity: Severity
) -> None:
    assert severity_of(decision, status) is severity


def test_the_same_pair_is_alerted_once_and_a_dismissed_pair_stays_dismissed(
    session: Session, person: ConvictedPerson
) -> None:
    [record] = deliver(session, "pow", b"1", {"record_id": "P1", "full_name": "GNILITSKII OLEG"})
    alert, new = alert_on(session, person, record)
    assert new and alert.status is AlertStatus.NEW and alert.severity is Severity.CRITICAL
    assert alert.origin is AlertOrigin.RECORD and alert.source == "pow"
    dismiss_alert(session, alert, "different_person", "born elsewhere, other father", "officer1")
    again, new_again = raise_alert(
        session, person_id=person.id, record_id=record.id, score=0.97, decision="alert", explanation={}
    )
    assert not new_again
    assert again.id == alert.id and again.status is AlertStatus.DISMISSED and again.score == 0.93
    assert session.scalar(select(func.count()).select_from(Alert)) == 1
    assert [a.id for a in alerts_for_records(session, [record.id])] == [alert.id]


def test_a_dismissed_pair_alerts_again_when_the_records_birth_date_changes_not_its_other_fields(
    session: Session, person: ConvictedPerson
) -> None:
    row = {"record_id": "P1", "full_name": "GNILITSKII OLEG", "birth_date": "1975", "document_number": "A1"}
    [record] = deliver(session, "pow", b"1", row)
    alert, _ = alert_on(session, person, record)
    dismiss_alert(session, alert, "data_error", "the registry mixed two rows", "officer1")
    # a new document number: what was matched is the same, the pair stays dismissed
    [record] = deliver(session, "pow", b"2", {**row, "document_number": "B2"})
    assert alert_on(session, person, record) == (alert, False)
    assert alert.status is AlertStatus.DISMISSED
    # a new birth date on the record: it alerts again, as the same alert reopened with its history
    [record] = deliver(session, "pow", b"3", {**row, "birth_date": "12.03.1975"})
    reopened, new = alert_on(session, person, record)
    assert new and reopened.id == alert.id
    assert reopened.status is AlertStatus.NEW and reopened.dismiss_reason is None
    assert [event.action for event in reopened.events] == ["raised", "dismissed", "reopened"]


def test_a_dismissed_pair_alerts_again_when_the_person_gets_a_new_name(
    session: Session, person: ConvictedPerson
) -> None:
    [record] = deliver(session, "pow", b"1", {"record_id": "P1", "full_name": "GNILITSKII OLEG"})
    alert, _ = alert_on(session, person, record)
    dismiss_alert(session, alert, "different_person", "not him", "officer1")
    update_person(
        session,
        person,
        require_person({**person_input(person).to_mapping(), "aliases": ["Гнилицкий Олег"]}),
        "t",
    )
    assert alert_on(session, person, record) == (alert, True)
    assert alert.status is AlertStatus.NEW


def test_the_same_person_in_a_later_list_of_the_source_is_a_sighting_of_the_open_alert(
    session: Session, person: ConvictedPerson
) -> None:
    [first] = deliver(session, "pow", b"monday", {"record_id": "P1", "full_name": "GNILITSKII OLEG"})
    alert, _ = alert_on(session, person, first)
    [tomorrow] = deliver(session, "pow", b"tuesday", {"record_id": "P9", "full_name": "Гнилицкий Олег"})
    sighted, new = alert_on(session, person, tomorrow)
    assert (sighted.id, new) == (alert.id, False)
    assert [s.record_id for s in alert.sightings] == [tomorrow.id]
    assert alert.events[-1].action == "sighted"
    # matched again, the sighting stays one sighting
    assert alert_on(session, person, tomorrow) == (alert, False)
    assert session.scalar(select(func.count()).select_from(AlertSighting)) == 1
    # another source is another alert
    [border] = deliver(session, "border", b"x", {"record_id": "B1", "full_name": "GNILITSKII OLEG"})
    other, new_other = alert_on(session, person, border)
    assert new_other and other.id != alert.id
    # once the alert is closed, the person turning up again is a new alert
    dismiss_alert(session, alert, "duplicate", "same as the border alert", "officer1")
    [wednesday] = deliver(session, "pow", b"wednesday", {"record_id": "P5", "full_name": "GNILITSKII OLEG"})
    assert alert_on(session, person, wednesday)[1]


def test_triage_moves_through_the_allowed_steps_and_writes_the_history(
    session: Session, person: ConvictedPerson, make_user: Callable[..., User]
) -> None:
    officer = make_user(Role.OFFICER, "olena")
    make_user(Role.EDITOR, "petro")
    [record] = deliver(session, "pow", b"1", {"record_id": "P1", "full_name": "GNILITSKII OLEG"})
    alert, _ = alert_on(session, person, record)
    version = watchlist_version(session)
    with pytest.raises(ValidationFailed) as refused:
        assign_alert(session, alert, "petro", "chief")
    assert [d.field for d in refused.value.details] == ["assignee"]
    assign_alert(session, alert, "olena", "chief")
    assert alert.assigned_to_id == officer.id
    acknowledge_alert(session, alert, "olena")
    with pytest.raises(Conflict):
        acknowledge_alert(session, alert, "olena")
    comment_alert(session, alert, "calling the camp administration", "olena")
    with pytest.raises(ValidationFailed) as bad:
        confirm_alert(session, alert, "serving", "olena")
    assert [d.field for d in bad.value.details] == ["person_status"]
    confirm_alert(session, alert, "detained", "olena", comment="identified by fingerprints")
    assert alert.status is AlertStatus.CONFIRMED
    # the person moved through the persons operations: his history and the watchlist's version say so
    assert person.status is PersonStatus.DETAINED
    assert person.changes[-1].changes["status"] == ["wanted", "detained"]
    assert person.changes[-1].changed_by == "olena"
    assert watchlist_version(session) == version + 1
    with pytest.raises(Conflict):
        dismiss_alert(session, alert, "duplicate", "late", "olena")
    history = [(e.actor, e.action, e.changes, e.comment) for e in alert.events]
    assert history == [
        ("system", "raised", {"status": [None, "new"]}, None),
        ("chief", "assigned", {"assigned_to": [None, "olena"]}, None),
        ("olena", "acknowledged", {"status": ["new", "acknowledged"]}, None),
        ("olena", "commented", {}, "calling the camp administration"),
        (
            "olena",
            "confirmed",
            {"status": ["acknowledged", "confirmed"], "person_status": ["wanted", "detained"]},
            "identified by fingerprints",
        ),
    ]
    assert all(event.occurred_at is not None for event in alert.events)


@pytest.mark.parametrize(
    ("reason", "comment", "fields"),
    [
        (None, "x", ["reason"]),
        ("lookalike", "x", ["reason"]),
        ("duplicate", "  ", ["comment"]),
        (1, None, ["reason", "comment"]),
    ],
)
def test_a_dismissal_needs_a_known_reason_and_a_comment(
    session: Session, person: ConvictedPerson, reason: Any, comment: Any, fields: list[str]
) -> None:
    [record] = deliver(session, "pow", b"1", {"record_id": "P1", "full_name": "GNILITSKII OLEG"})
    alert, _ = alert_on(session, person, record)
    with pytest.raises(ValidationFailed) as refused:
        dismiss_alert(session, alert, reason, comment, "olena")
    assert [d.field for d in refused.value.details] == fields
    assert alert.status is AlertStatus.NEW
    dismiss_alert(session, alert, "duplicate", "same as #1", "olena")
    assert alert.dismiss_reason is DismissReason.DUPLICATE


def test_the_inbox_filters_pages_newest_first_and_counts_unread_per_user(
    session: Session, person: ConvictedPerson, make_user: Callable[..., User]
) -> None:
    olena, ivan = make_user(Role.OFFICER, "olena"), make_user(Role.OFFICER, "ivan")
    # both subscribe to every alert: an officer sees only what his subscriptions ask for (or is his)
    for officer in (olena, ivan):
        add_subscription(session, officer, by_email=False)
    as_olena, as_ivan = Reader(olena.id, olena.role), Reader(ivan.id, ivan.role)
    records = deliver(
        session, "pow", b"1", *({"record_id": f"P{n}", "full_name": "GNILITSKII OLEG"} for n in range(5))
    )
    alerts = [alert_on(session, person, record)[0] for record in records]
    assert unread_count(session, as_olena) == 5
    mark_read(session, alerts[0], olena.id)
    mark_read(session, alerts[0], olena.id)
    assert (unread_count(session, as_olena), unread_count(session, as_ivan)) == (4, 5)
    dismiss_alert(session, alerts[1], "duplicate", "dup", "olena")
    assign_alert(session, alerts[2], "olena", "chief")
    # a dismissed alert no longer waits for anybody
    assert unread_count(session, as_ivan) == 4
    page = list_alerts(session, AlertFilters(), as_olena, page=1, per_page=2)
    assert [a.id for a in page.alerts] == [alerts[4].id, alerts[3].id]
    assert (page.total, page.pages) == (5, 3) and page.unread == {alerts[4].id, alerts[3].id}
    last = list_alerts(session, AlertFilters(), as_olena, page=3, per_page=2)
    assert [a.id for a in last.alerts] == [alerts[0].id] and not last.unread
    dismissed = list_alerts(session, AlertFilters(status=AlertStatus.DISMISSED), as_olena)
    assert [a.id for a in dismissed.alerts] == [alerts[1].id]
    mine = list_alerts(session, AlertFilters(assigned_to_id=olena.id), as_olena)
    assert [a.id for a in mine.alerts] == [alerts[2].id]
    assert list_alerts(session, AlertFilters(severity=Severity.LOW), as_olena).total == 0


@pytest.fixture
def regional_alerts(session: Session, person: ConvictedPerson) -> dict[str, Alert]:
    """A critical POW alert from the Kherson region, a critical border alert from the Kyiv region (its
    record spells the region in capitals), a medium (review) extradition alert with no region, and a
    critical alert from an official's screening."""
    [pow_record] = deliver(
        session, "pow", b"1", {"record_id": "P1", "full_name": "GNILITSKII OLEG", "region": "Херсонська"}
    )
    [border_record] = deliver(
        session, "border", b"2", {"record_id": "B1", "full_name": "Гнилицкий Олег", "region": "КИЇВСЬКА"}
    )
    [extradition_record] = deliver(
        session, "extradition", b"3", {"record_id": "E1", "full_name": "Oleg Gnilitsky"}
    )
    review = {**HIT, "decision": "review"}
    alerts = {
        "pow": raise_alert(session, person_id=person.id, record_id=pow_record.id, source_kind="pow", **HIT)[
            0
        ],
        "border": raise_alert(
            session, person_id=person.id, record_id=border_record.id, source_kind="border", **HIT
        )[0],
        "extradition": raise_alert(
            session, person_id=person.id, record_id=extradition_record.id, source_kind="extradition", **review
        )[0],
        "screening": raise_alert(session, person_id=person.id, screened={"name": "Гнилицький Олег"}, **HIT)[
            0
        ],
    }
    assert (
        alerts["extradition"].severity is Severity.MEDIUM and alerts["border"].severity is Severity.CRITICAL
    )
    return alerts


@pytest.mark.parametrize(
    ("subscriptions", "sees"),
    [
        ([], set()),
        ([{}], {"pow", "border", "extradition", "screening"}),
        ([{"source_kind": "pow"}], {"pow"}),
        ([{"source_kind": "pow"}, {"source_kind": "screening"}], {"pow", "screening"}),
        ([{"min_severity": "high"}], {"pow", "border", "screening"}),
        ([{"min_severity": "medium", "source_kind": "extradition"}], {"extradition"}),
        ([{"region": "Київська"}], {"border"}),
        ([{"region": "Київська", "source_kind": "pow"}], set()),
    ],
)
def test_an_officer_sees_the_alerts_his_subscriptions_ask_for(
    session: Session,
    regional_alerts: dict[str, Alert],
    make_user: Callable[..., User],
    subscriptions: list[dict[str, str]],
    sees: set[str],
) -> None:
    officer = make_user(Role.OFFICER, "olena")
    for subscription in subscriptions:
        add_subscription(session, officer, by_email=False, **subscription)
    reader = Reader(officer.id, Role.OFFICER)
    expected = {regional_alerts[name].id for name in sees}
    found = list_alerts(session, AlertFilters(), reader)
    assert {alert.id for alert in found.alerts} == expected and found.total == len(expected)
    assert unread_count(session, reader) == len(expected)
    assert source_kinds(session, reader) == sorted(sees)
    for name, alert in regional_alerts.items():
        if name in sees:
            assert get_alert(session, alert.id, reader) is alert
        else:
            with pytest.raises(NotVisible, match=f"^no alert {alert.id}$"):
                get_alert(session, alert.id, reader)


def test_an_alert_assigned_to_an_officer_is_in_his_view_whatever_his_subscriptions(
    session: Session, regional_alerts: dict[str, Alert], make_user: Callable[..., User]
) -> None:
    officer = make_user(Role.OFFICER, "ivan")
    add_subscription(session, officer, source_kind="pow", by_email=False)
    reader = Reader(officer.id, Role.OFFICER)
    border = regional_alerts["border"]
    with pytest.raises(NotVisible):
        get_alert(session, border.id, reader)
    assign_alert(session, border, "ivan", "chief")
    assert get_alert(session, border.id, reader) is border
    assert [a.id for a in list_alerts(session, AlertFilters(), reader).alerts] == [
        border.id,
        regional_alerts["pow"].id,
    ]
    assert unread_count(session, reader) == 2
    mine = list_alerts(session, AlertFilters(assigned_to_id=officer.id), reader)
    assert [a.id for a in mine.alerts] == [border.id]


def test_an_admin_sees_every_alert_and_other_roles_none(
    session: Session, regional_alerts: dict[str, Alert], make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.ADMIN)
    everyone = {alert.id for alert in regional_alerts.values()}
    as_admin = Reader(admin.id, Role.ADMIN)
    assert {a.id for a in list_alerts(session, AlertFilters(), as_admin).alerts} == everyone
    assert unread_count(session, as_admin) == len(everyone)
    for role in (Role.SCREENER, Role.EDITOR, Role.AUDITOR):
        reader = Reader(make_user(role).id, role)
        assert list_alerts(session, AlertFilters(), reader).total == 0
        assert unread_count(session, reader) == 0 and source_kinds(session, reader) == []
        with pytest.raises(NotVisible):
            get_alert(session, regional_alerts["pow"].id, reader)


def test_an_alert_that_does_not_exist_is_not_found_for_anyone(
    session: Session, make_user: Callable[..., User]
) -> None:
    officer = make_user(Role.OFFICER)
    with pytest.raises(NotFound) as missing:
        get_alert(session, 999_999, Reader(officer.id, Role.OFFICER))
    # only an existing alert outside the view is a refusal (audited); this one is simply not there
    assert not isinstance(missing.value, NotVisible)


def test_raise_alerts_for_keeps_its_tally_and_alerts_only_hits(
    session: Session, person: ConvictedPerson
) -> None:
    [record] = deliver(session, "pow", b"1", {"record_id": "P1", "full_name": "GNILITSKII OLEG"})
    matches = [{"person_id": person.id, **HIT}, {"person_id": person.id, **HIT, "decision": "review"}]
    # the delivery itself is audited (an ingest); raising alerts adds no audit row
    audited = session.scalar(select(func.count()).select_from(AuditEvent))
    tally = raise_alerts_for(session, record.id, matches, source_kind="pow")
    assert tally == {"alerts_raised": 1, "alerts_existing": 0, "review_candidates": 1}
    assert raise_alerts_for(session, record.id, matches)["alerts_existing"] == 1
    alert = session.scalars(select(Alert)).one()
    assert alert.source_kind == "pow"
    assert session.scalar(select(func.count()).select_from(AlertEvent)) == 1
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == audited


def test_a_dismissal_keeps_the_pair_as_the_officer_saw_it(session: Session, person: ConvictedPerson) -> None:
    [record] = deliver(session, "pow", b"1", {"record_id": "P1", "full_name": "GNILITSKII OLEG"})
    alert, _ = alert_on(session, person, record)
    # an alert from before fingerprints were kept (migrated) has none
    alert.fingerprint = ""
    dismiss_alert(session, alert, "different_person", "not him", "olena")
    assert alert_on(session, person, record) == (alert, False)
    assert alert.status is AlertStatus.DISMISSED


def test_an_officers_steps_on_an_alert_are_audited_as_changes(
    session: Session, person: ConvictedPerson, make_user: Callable[..., User]
) -> None:
    make_user(Role.OFFICER, username="olena")
    [record] = deliver(session, "pow", b"1", {"record_id": "P1", "full_name": "GNILITSKII OLEG"})
    alert, _ = alert_on(session, person, record)
    before = session.scalar(select(func.max(AuditEvent.id))) or 0
    acknowledge_alert(session, alert, "officer1")
    assign_alert(session, alert, "olena", "officer1")
    dismiss_alert(session, alert, "different_person", "other father", "officer1")
    rows = session.scalars(select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.id)).all()
    assert [(row.action, row.subject, row.outcome["action"]) for row in rows] == [
        ("alert.decided", {"alert_id": alert.id}, "acknowledged"),
        ("alert.decided", {"alert_id": alert.id}, "assigned"),
        ("alert.decided", {"alert_id": alert.id}, "dismissed"),
    ]
    assert "other father" not in str([row.outcome for row in rows])


def test_a_page_of_an_officers_inbox_loads_only_that_page(
    session: Session, person: ConvictedPerson, make_user: Callable[..., User]
) -> None:
    officer = make_user(Role.OFFICER)
    add_subscription(session, officer, source_kind="border", by_email=False)
    pow_records = deliver(
        session, "pow", b"1", *({"record_id": f"P{n}", "full_name": "GNILITSKII OLEG"} for n in range(12))
    )
    border_records = deliver(
        session, "border", b"2", *({"record_id": f"B{n}", "full_name": "Гнилицкий Олег"} for n in range(8))
    )
    for kind, records in (("pow", pow_records), ("border", border_records)):
        for record in records:
            raise_alert(session, person_id=person.id, record_id=record.id, source_kind=kind, **HIT)
    session.flush()
    session.expunge_all()
    page = list_alerts(session, AlertFilters(), Reader(officer.id, Role.OFFICER), page=2, per_page=3)
    assert (page.total, page.pages, len(page.alerts)) == (8, 3, 3)
    assert {alert.source_kind for alert in page.alerts} == {"border"}
    # the filter is SQL: no alert beyond the page's three was read into the session
    loaded = [item for item in session.identity_map.values() if isinstance(item, Alert)]
    assert sorted(alert.id for alert in loaded) == sorted(alert.id for alert in page.alerts)
