"""Alerts operations: raise one alert per (person, incoming record) pair or hit screening, attach later
sightings to the open alert, and triage it (acknowledge, assign, comment, confirm, dismiss), each step one
operation that writes the alert's history.

Operations flush and never commit: the request, command or job that called them commits.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, delete, exists, false, func, insert, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, object_session, selectinload

from watchlist.audit import Attached, audit
from watchlist.db import utcnow
from watchlist.delivery import enqueue_alert
from watchlist.delivery.rules import asks_for
from watchlist.exc import Conflict, FieldError, NotFound, NotVisible, ValidationFailed
from watchlist.models import (
    Alert,
    AlertEvent,
    AlertOrigin,
    AlertRead,
    AlertSighting,
    AlertStatus,
    ConvictedPerson,
    Delivery,
    DismissReason,
    PersonStatus,
    QueuedScreeningHit,
    ReceivedRecord,
    Role,
    Severity,
    Subscription,
    User,
)
from watchlist.models.alerts import OPEN_STATUSES
from watchlist.models.runs import RetroRequest

# the person fields the matcher reads: a change to any of them may make old incoming records hits
SCREENED_FIELDS = frozenset({"full_name", "aliases", "document_names", "birth_date", "status"})
# who the history names for what the matching did on its own
SYSTEM_ACTOR = "system"
SCREENING_SOURCE = "screening"
MAX_COMMENT_LENGTH = 4000
# the statuses an officer may move a person to on confirming an alert
CONFIRMED_PERSON_STATUSES = (PersonStatus.LOCATED, PersonStatus.DETAINED)
# persons still sought or held: an alert on them needs an officer
_OPEN_PERSON_STATUSES = frozenset(
    {PersonStatus.WANTED, PersonStatus.LOCATED, PersonStatus.DETAINED, PersonStatus.SERVING}
)
MAX_ID = 2**31 - 1
# control characters other than tab and newline, and lone surrogates: PostgreSQL cannot store them in text
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
MAX_PER_PAGE = 200
# the record an open alert was raised for, beside the one seen now (made once: building an alias per
# alert was a sixth of raising one in a matching run)
_EARLIER_RECORD = aliased(ReceivedRecord, name="earlier_record")


def severity_of(decision: str, person_status: PersonStatus) -> Severity:
    """How urgent an alert is, from the matcher's decision and the person's status.

    The rule: `critical` for an alert on a wanted person (he may be gone tomorrow); `high` for an alert on
    a person in another open status (located, detained, serving: found again where he should not be);
    `medium` for a review candidate on a wanted person; `low` for everything else (review candidates on
    other statuses, anything on a closed person).
    """
    if decision == "alert" and person_status is PersonStatus.WANTED:
        return Severity.CRITICAL
    if decision == "alert" and person_status in _OPEN_PERSON_STATUSES:
        return Severity.HIGH
    if decision == "review" and person_status is PersonStatus.WANTED:
        return Severity.MEDIUM
    return Severity.LOW


def fingerprint(person: ConvictedPerson, name: str, birth_date: str | None) -> str:
    """A digest of what was matched: all the person's names and his birth date, the record's name and
    birth date. A dismissed pair alerts again only when this changes."""
    matched = [sorted(n.name for n in person.names), person.birth_date_text(), name, birth_date]
    return hashlib.sha256(json.dumps(matched, ensure_ascii=False).encode("utf-8")).hexdigest()


def current_fingerprint(alert: Alert) -> str:
    """The fingerprint of the alert's pair as both sides are now."""
    if alert.record is not None:
        return fingerprint(alert.person, alert.record.name, alert.record.birth_date)
    screened = alert.screened or {}
    return fingerprint(alert.person, str(screened.get("name") or ""), screened.get("birth_date"))


def _event(
    alert: Alert,
    actor: str,
    action: str,
    changes: Mapping[str, list[Any]] | None = None,
    comment: str | None = None,
) -> AlertEvent:
    event = AlertEvent(
        actor=actor[:128], action=action, changes=dict(changes or {}), comment=comment, occurred_at=utcnow()
    )
    session = object_session(alert)
    if session is None:
        # a new alert: its history is empty, nothing to load
        alert.events.append(event)
    else:
        # never loads the whole history (an alert screened again and again gathers a long one); a loaded
        # history gets the event through the back reference
        event.alert = alert
        session.add(event)
    return event


def _triage_event(
    session: Session,
    alert: Alert,
    actor: str,
    action: str,
    changes: Mapping[str, list[Any]] | None = None,
    comment: str | None = None,
) -> AlertEvent:
    """An officer's step on an alert: in the alert's history and, as a change, in the audit log (the
    comment stays in the history only)."""
    event = _event(alert, actor, action, changes, comment)
    audit(
        session, "alert.decided", subject={"alert_id": alert.id}, outcome={"action": action, **event.changes}
    )
    return event


@dataclass(frozen=True)
class Raised:
    """What raising an alert did: `raised` a new one, `reopened` a dismissed pair whose matched data
    changed, attached a `sighting` to the person's open alert, or found the pair `existing`."""

    alert: Alert
    outcome: str

    @property
    def new(self) -> bool:
        return self.outcome in ("raised", "reopened")


def _load_person(session: Session, person_id: int) -> ConvictedPerson:
    person = session.get(ConvictedPerson, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    return person


def _reopen(
    session: Session,
    alert: Alert,
    person: ConvictedPerson,
    print_: str,
    score: float,
    decision: str,
    explanation: Mapping[str, Any],
    actor: str,
) -> None:
    severity = severity_of(decision, person.status)
    _event(
        alert,
        actor,
        "reopened",
        {
            "status": [alert.status.value, AlertStatus.NEW.value],
            "dismiss_reason": [alert.dismiss_reason.value if alert.dismiss_reason else None, None],
            "score": [alert.score, score],
        },
    )
    alert.status = AlertStatus.NEW
    alert.dismiss_reason = None
    alert.fingerprint = print_
    alert.score = score
    alert.decision = decision
    alert.explanation = dict(explanation)
    alert.severity = severity
    alert.updated_at = alert.last_seen_at = utcnow()
    # it counts as unread again for everyone: it needs a fresh look
    session.execute(delete(AlertRead).where(AlertRead.alert_id == alert.id))


def _attach_sighting(
    session: Session,
    alert: Alert,
    *,
    person_id: int,
    record_id: int | None,
    audit_event_id: int | None,
    screened: Mapping[str, Any],
    score: float,
    print_: str,
) -> bool:
    sighting = AlertSighting(
        person_id=person_id,
        record_id=record_id,
        audit_event_id=audit_event_id,
        screened=dict(screened),
        score=score,
        fingerprint=print_,
        seen_at=utcnow(),
    )
    try:
        # a savepoint: another run may attach the same record between our look-up and insert
        with session.begin_nested():
            # not through the collection: that would load every earlier sighting
            sighting.alert = alert
            session.add(sighting)
            session.flush()
    except IntegrityError:
        return False
    alert.last_seen_at = sighting.seen_at
    count = session.scalar(select(func.count()).where(AlertSighting.alert_id == alert.id)) or 0
    _event(alert, SYSTEM_ACTOR, "sighted", {"sightings": [count - 1, count]})
    return True


def _raise(
    session: Session,
    *,
    person_id: int,
    record_id: int | None,
    score: float,
    decision: str,
    explanation: Mapping[str, Any],
    run_id: int | None,
    source_kind: str | None,
    audit_event_id: int | None,
    list_screening_id: int | None,
    screened: Mapping[str, Any] | None,
) -> Raised:
    person = _load_person(session, person_id)
    # read afresh: a re-delivery updates stored records with Core statements the identity map never sees
    record = session.get(ReceivedRecord, record_id, populate_existing=True) if record_id is not None else None
    if record_id is not None and record is None:
        raise NotFound(f"no incoming record {record_id}")
    if record is not None:
        origin, source = AlertOrigin.RECORD, record.source
        if source_kind is None:
            # the kind the source was declared with when it delivered the record (a run does not know it)
            source_kind = session.scalar(
                select(Delivery.source_kind).where(Delivery.id == record.first_delivery_id)
            )
        print_ = fingerprint(person, record.name, record.birth_date)
        pair = Alert.record_id == record.id
    else:
        origin, source = AlertOrigin.SCREENING, SCREENING_SOURCE
        screened = dict(screened or {})
        print_ = fingerprint(person, str(screened.get("name") or ""), screened.get("birth_date"))
        # a screening has no record: the pair is the person and what was screened
        pair = and_(Alert.origin == AlertOrigin.SCREENING, Alert.fingerprint == print_)
        source_kind = source_kind or SCREENING_SOURCE
    existing = session.scalars(
        select(Alert).where(Alert.person_id == person_id, pair).order_by(Alert.id.desc()).limit(1)
    ).first()
    if existing is not None:
        if existing.status is AlertStatus.DISMISSED and existing.fingerprint != print_:
            _reopen(session, existing, person, print_, score, decision, explanation, SYSTEM_ACTOR)
            _notify(session, existing, record)
            return Raised(existing, "reopened")
        return Raised(existing, "existing")
    if record is not None:
        sighting = session.scalars(
            select(AlertSighting).where(
                AlertSighting.person_id == person_id, AlertSighting.record_id == record.id
            )
        ).one_or_none()
        # a record seen as a sighting of an alert dismissed since, and changed in what matters, alerts
        if sighting is not None and not (
            sighting.alert.status is AlertStatus.DISMISSED and sighting.fingerprint != print_
        ):
            return Raised(sighting.alert, "existing")
    later = select(Alert).where(
        Alert.person_id == person_id, Alert.source == source, Alert.status.in_(OPEN_STATUSES)
    )
    if record is not None:
        # turning up again is being in a later list of the source; two rows of one list are two records
        later = later.join(_EARLIER_RECORD, _EARLIER_RECORD.id == Alert.record_id).where(
            _EARLIER_RECORD.first_delivery_id != record.first_delivery_id
        )
    open_alert = session.scalars(later.order_by(Alert.id.desc()).limit(1)).first()
    if open_alert is not None:
        attached = _attach_sighting(
            session,
            open_alert,
            person_id=person_id,
            record_id=record_id,
            audit_event_id=audit_event_id,
            screened=screened or {},
            score=score,
            print_=print_,
        )
        if attached:
            return Raised(open_alert, "sighting")
    if open_alert is not None and record_id is not None:
        # another run attached the same record meanwhile: it is that alert's sighting now
        raced = session.scalars(
            select(AlertSighting).where(
                AlertSighting.person_id == person_id, AlertSighting.record_id == record_id
            )
        ).one()
        return Raised(raced.alert, "existing")
    now = utcnow()
    alert = Alert(
        person_id=person_id,
        origin=origin,
        record_id=record_id,
        audit_event_id=audit_event_id,
        list_screening_id=list_screening_id,
        source=source,
        source_kind=source_kind,
        screened=dict(screened or {}),
        score=score,
        decision=decision,
        explanation=dict(explanation),
        severity=severity_of(decision, person.status),
        status=AlertStatus.NEW,
        fingerprint=print_,
        raised_at=now,
        updated_at=now,
        last_seen_at=now,
        run_id=run_id,
    )
    _event(alert, SYSTEM_ACTOR, "raised", {"status": [None, AlertStatus.NEW.value]})
    try:
        # a savepoint: a run in another process may raise the same pair between our look-up and insert
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        if record_id is None:
            raise
        return Raised(
            session.scalars(
                select(Alert).where(Alert.person_id == person_id, Alert.record_id == record_id)
            ).one(),
            "existing",
        )
    _notify(session, alert, record)
    return Raised(alert, "raised")


def _notify(session: Session, alert: Alert, record: ReceivedRecord | None) -> None:
    """Queue the alert's e-mails and webhooks in the alert's own transaction (the outbox): written with
    the alert or not at all. A sighting of an open alert notifies no one again; a reopened alert does."""
    attributes = record.attributes if record is not None else {}
    region = attributes.get("region") if isinstance(attributes, dict) else None
    enqueue_alert(
        session,
        alert.id,
        severity=alert.severity.value,
        source_kind=alert.source_kind,
        region=str(region) if region else None,
    )


def raise_alert(
    session: Session,
    *,
    person_id: int,
    record_id: int | None = None,
    score: float,
    decision: str,
    explanation: Mapping[str, Any],
    run_id: int | None = None,
    source_kind: str | None = None,
    audit_event_id: int | None = None,
    list_screening_id: int | None = None,
    screened: Mapping[str, Any] | None = None,
) -> tuple[Alert, bool]:
    """Raise an alert for a person found in an incoming record (or, without a record, by the screening
    `screened`), unless that pair has one already; returns the pair's alert and whether it is new.

    When the person has an open alert from the same source, the record is attached to it as a sighting
    and that alert is returned (not new). A dismissed pair stays dismissed unless what was matched (the
    person's names and birth date, the record's name and birth date) changed since: then it is reopened.
    """
    raised = _raise(
        session,
        person_id=person_id,
        record_id=record_id,
        score=score,
        decision=decision,
        explanation=explanation,
        run_id=run_id,
        source_kind=source_kind,
        audit_event_id=audit_event_id,
        list_screening_id=list_screening_id,
        screened=screened,
    )
    return raised.alert, raised.new


def raise_alerts_for(
    session: Session,
    record_id: int,
    matches: Iterable[Mapping[str, Any]],
    run_id: int | None = None,
    *,
    source_kind: str | None = None,
) -> dict[str, int]:
    """Raise an alert for each candidate of one record's screening result that the matcher decided
    `alert`; returns how many were raised (or reopened), existed already (or were attached as a sighting
    to an open alert), or were only for review."""
    tally = {"alerts_raised": 0, "alerts_existing": 0, "review_candidates": 0}
    for match in matches:
        if match["decision"] != "alert":
            tally["review_candidates"] += 1
            continue
        _alert, new = raise_alert(
            session,
            person_id=match["person_id"],
            record_id=record_id,
            score=match["score"],
            decision=match["decision"],
            explanation=match["explanation"],
            run_id=run_id,
            source_kind=source_kind,
        )
        tally["alerts_raised" if new else "alerts_existing"] += 1
    return tally


def queued_screening_hits(
    screened: Sequence[Mapping[str, Any]],
    results: Sequence[Mapping[str, Any]],
    *,
    list_screening_id: int | None = None,
) -> Attached:
    """The hits (candidates decided `alert`) of an official's screening as rows of the queue of the
    `screening-alerts` job, to be written with the screening's audit row, which they point at
    (`write_event(attached=…)`: one statement for a whole batch); review candidates are not queued.
    `screened` are the records as screened, one per result."""
    now = utcnow()
    rows = [
        {
            "person_id": match["person_id"],
            "list_screening_id": list_screening_id,
            "screened": dict(record),
            "score": match["score"],
            "decision": match["decision"],
            "explanation": match["explanation"],
            "queued_at": now,
        }
        for record, result in zip(screened, results, strict=True)
        for match in result["matches"]
        if match["decision"] == "alert"
    ]
    return Attached(cast(Table, QueuedScreeningHit.__table__), "audit_event_id", rows)


def raise_queued_screening_alerts(session: Session, limit: int = 500) -> int:
    """Raise the alerts of up to `limit` queued screening hits, oldest first, and take them off the queue;
    returns how many were taken. Several jobs may run at once: on PostgreSQL each takes rows the others
    have not locked (SKIP LOCKED). The caller commits: until then the hits stay queued for the next job."""
    hits = session.scalars(
        select(QueuedScreeningHit)
        .order_by(QueuedScreeningHit.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for hit in hits:
        raise_alert(
            session,
            person_id=hit.person_id,
            score=hit.score,
            decision=hit.decision,
            explanation=hit.explanation,
            audit_event_id=hit.audit_event_id,
            list_screening_id=hit.list_screening_id,
            screened=hit.screened,
        )
    if hits:
        session.execute(delete(QueuedScreeningHit).where(QueuedScreeningHit.id.in_([hit.id for hit in hits])))
    return len(hits)


def alerts_for_records(session: Session, record_ids: list[int]) -> list[Alert]:
    """The alerts raised on the given incoming records, oldest first."""
    if not record_ids:
        return []
    return list(session.scalars(select(Alert).where(Alert.record_id.in_(record_ids)).order_by(Alert.id)))


def screening_changed(changes: Collection[str]) -> bool:
    """Whether a person's changed fields (names of `persons.diff`) alter what the matcher finds."""
    return not SCREENED_FIELDS.isdisjoint(changes)


def queue_retro(session: Session, person_ids: Iterable[int]) -> int:
    """Queue persons to be matched against every stored incoming record (retro-matching), in the
    caller's transaction; returns how many were queued."""
    now = utcnow()
    rows = [{"person_id": person_id, "queued_at": now} for person_id in dict.fromkeys(person_ids)]
    if rows:
        session.execute(insert(RetroRequest), rows)
    return len(rows)


# --- triage ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """Who is looking at alerts: which of them he sees is `visible_to`."""

    user_id: int
    role: Role


def _record_region() -> Any:
    # the region an incoming record names (`region` among its columns), as the alert was delivered with
    return (
        select(ReceivedRecord.attributes["region"].as_string())
        .where(ReceivedRecord.id == Alert.record_id)
        .correlate(Alert)
        .scalar_subquery()
    )


def visible_to(session: Session, reader: Reader) -> ColumnElement[bool]:
    """The alerts `reader` sees, as a SQL condition on Alert.

    An admin sees every alert. An officer sees the alerts assigned to him (he must be able to work on
    them) and those one of his subscriptions asks for (source kind, minimum severity, region: the rule
    that e-mails them, `asks_for`), whether it is by e-mail or for the inbox only. Every other role
    (screeners, editors, auditors, who read the audit log instead) sees none.

    His few subscriptions are read first and become plain conditions on the alerts' columns: a
    subquery per alert would make a page of 50 out of 100,000 alerts cost a look-up per alert.
    """
    if reader.role is Role.ADMIN:
        return true()
    if reader.role is not Role.OFFICER:
        return false()
    subscriptions = session.execute(
        select(Subscription.source_kind, Subscription.min_severity, Subscription.region)
        .where(Subscription.user_id == reader.user_id)
        .order_by(Subscription.id)
    ).all()
    return or_(
        Alert.assigned_to_id == reader.user_id,
        *(
            asks_for(
                kind,
                min_severity,
                region,
                alert_kind=Alert.source_kind,
                alert_severity=Alert.severity,
                alert_region=_record_region() if region is not None else None,
            )
            for kind, min_severity, region in subscriptions
        ),
    )


def get_alert(session: Session, alert_id: int, reader: Reader) -> Alert:
    """The alert with this id if `reader` sees it; NotFound when there is none, NotVisible (a NotFound,
    with the same message) when it is outside his view."""
    alert = session.get(Alert, alert_id) if 0 < alert_id <= MAX_ID else None
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    if reader.role is not Role.ADMIN and not session.scalar(
        select(exists().where(Alert.id == alert_id, visible_to(session, reader)))
    ):
        raise NotVisible(f"no alert {alert_id}")
    return alert


def _comment_text(comment: Any, required: bool) -> str | None:
    if comment is None or (isinstance(comment, str) and not comment.strip()):
        if required:
            raise ValidationFailed("invalid comment", [FieldError("comment", "is required")])
        return None
    if not isinstance(comment, str):
        raise ValidationFailed("invalid comment", [FieldError("comment", "must be text")])
    text = comment.strip()
    if _CONTROL.search(text):
        raise ValidationFailed(
            "invalid comment", [FieldError("comment", "contains control characters or broken Unicode")]
        )
    if len(text) > MAX_COMMENT_LENGTH:
        raise ValidationFailed(
            "invalid comment", [FieldError("comment", f"is longer than {MAX_COMMENT_LENGTH} characters")]
        )
    return text


def _move(alert: Alert, to: AlertStatus, allowed_from: Collection[AlertStatus]) -> None:
    if alert.status not in allowed_from:
        raise Conflict(f"alert {alert.id} is {alert.status.value}; it cannot become {to.value}")


def acknowledge_alert(session: Session, alert: Alert, actor: str) -> Alert:
    """An officer takes a new alert up: new → acknowledged."""
    _move(alert, AlertStatus.ACKNOWLEDGED, (AlertStatus.NEW,))
    _triage_event(
        session,
        alert,
        actor,
        "acknowledged",
        {"status": [alert.status.value, AlertStatus.ACKNOWLEDGED.value]},
    )
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.updated_at = utcnow()
    session.flush()
    return alert


def assign_alert(session: Session, alert: Alert, assignee: Any, actor: str) -> Alert:
    """Give an open alert to an officer (an active user with the role officer), by username."""
    if not isinstance(assignee, str) or not assignee.strip() or _CONTROL.search(assignee):
        raise ValidationFailed("invalid assignee", [FieldError("assignee", "is required (a username)")])
    user = session.scalars(select(User).where(User.username == assignee.strip())).one_or_none()
    if user is None or not user.is_active or user.role is not Role.OFFICER:
        raise ValidationFailed(
            "invalid assignee", [FieldError("assignee", "must be the username of an active officer")]
        )
    if alert.status not in OPEN_STATUSES:
        raise Conflict(f"alert {alert.id} is {alert.status.value}; only an open alert can be assigned")
    before = _username(session, alert.assigned_to_id)
    if before != user.username:
        _triage_event(session, alert, actor, "assigned", {"assigned_to": [before, user.username]})
        alert.assigned_to_id = user.id
        alert.updated_at = utcnow()
    session.flush()
    return alert


def comment_alert(session: Session, alert: Alert, comment: Any, actor: str) -> Alert:
    """Add a comment to an alert's history, whatever its status."""
    text = _comment_text(comment, required=True)
    _triage_event(session, alert, actor, "commented", comment=text)
    alert.updated_at = utcnow()
    session.flush()
    return alert


def confirm_alert(
    session: Session, alert: Alert, person_status: Any, actor: str, comment: Any = None
) -> Alert:
    """It is him: the alert becomes confirmed and the person moves to `located` or `detained` (the
    officer's choice) through the persons operations, so the person's history and the watchlist's
    revision record it too."""
    # imported here: the persons operations import this module (to queue retro-matching)
    from watchlist.persons import person_input, update_person

    choices = [status.value for status in CONFIRMED_PERSON_STATUSES]
    if person_status not in choices:
        raise ValidationFailed(
            "invalid confirmation", [FieldError("person_status", f"must be one of {', '.join(choices)}")]
        )
    text = _comment_text(comment, required=False)
    _move(alert, AlertStatus.CONFIRMED, OPEN_STATUSES)
    person = _load_person(session, alert.person_id)
    if person.status is PersonStatus.CLOSED:
        raise Conflict(f"person {person.id} is closed; reopen him before confirming an alert on him")
    before_status = person.status.value
    update_person(
        session, person, dataclasses.replace(person_input(person), status=PersonStatus(person_status)), actor
    )
    _triage_event(
        session,
        alert,
        actor,
        "confirmed",
        {
            "status": [alert.status.value, AlertStatus.CONFIRMED.value],
            "person_status": [before_status, person_status],
        },
        comment=text,
    )
    alert.status = AlertStatus.CONFIRMED
    alert.updated_at = utcnow()
    session.flush()
    return alert


def dismiss_alert(session: Session, alert: Alert, reason: Any, comment: Any, actor: str) -> Alert:
    """It is not him (or a duplicate, or bad data): the alert becomes dismissed with the reason and a
    comment, and the pair does not alert again unless what was matched changes."""
    choices = [member.value for member in DismissReason]
    errors: list[FieldError] = []
    if reason not in choices:
        errors.append(FieldError("reason", f"must be one of {', '.join(choices)}"))
    try:
        text = _comment_text(comment, required=True)
    except ValidationFailed as error:
        errors.extend(error.details)
    if errors:
        raise ValidationFailed("invalid dismissal", errors)
    _move(alert, AlertStatus.DISMISSED, OPEN_STATUSES)
    _triage_event(
        session,
        alert,
        actor,
        "dismissed",
        {"status": [alert.status.value, AlertStatus.DISMISSED.value], "dismiss_reason": [None, reason]},
        comment=text,
    )
    alert.status = AlertStatus.DISMISSED
    alert.dismiss_reason = DismissReason(reason)
    # what the officer saw when he dismissed it is what a later match is compared with
    alert.fingerprint = current_fingerprint(alert)
    alert.updated_at = utcnow()
    session.flush()
    return alert


def _username(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.username if user is not None else None


def officers(session: Session) -> list[User]:
    """The active officers an alert may be assigned to, by username."""
    return list(
        session.scalars(
            select(User).where(User.role == Role.OFFICER, User.is_active.is_(True)).order_by(User.username)
        )
    )


# --- the inbox ---------------------------------------------------------------------------------------------


def mark_read(session: Session, alert: Alert, user_id: int) -> None:
    """Remember that the user has opened the alert (it leaves his unread count)."""
    if session.get(AlertRead, (alert.id, user_id)) is None:
        session.add(AlertRead(alert_id=alert.id, user_id=user_id, read_at=utcnow()))
        session.flush()


def _unread(user_id: int) -> Any:
    return ~exists().where(AlertRead.alert_id == Alert.id, AlertRead.user_id == user_id)


def unread_count(session: Session, reader: Reader) -> int:
    """How many open alerts the reader sees and has not opened yet."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Alert)
            .where(Alert.status.in_(OPEN_STATUSES), visible_to(session, reader), _unread(reader.user_id))
        )
        or 0
    )


@dataclass(frozen=True)
class AlertFilters:
    """The inbox's filters, validated (`alert_filters`)."""

    status: AlertStatus | None = None
    severity: Severity | None = None
    source_kind: str | None = None
    assigned_to_id: int | None = None


def alert_filters(args: Mapping[str, Any], user_id: int | None) -> tuple[AlertFilters, int, int]:
    """The filters, page and page size from query parameters (`status`, `severity`, `source_kind`,
    `mine`, `page`, `per_page`); ValidationFailed naming every bad one."""
    errors: list[FieldError] = []

    def choice(name: str, kind: Any) -> Any:
        value = args.get(name) or None
        if value is None:
            return None
        try:
            return kind(value)
        except ValueError:
            errors.append(FieldError(name, f"must be one of {', '.join(m.value for m in kind)}"))
            return None

    def number(name: str, default: int, high: int) -> int:
        value = args.get(name) or None
        if value is None:
            return default
        if not str(value).isdigit() or not 1 <= int(value) <= high:
            errors.append(FieldError(name, f"must be a whole number from 1 to {high}"))
            return default
        return int(value)

    status = choice("status", AlertStatus)
    severity = choice("severity", Severity)
    source_kind = args.get("source_kind") or None
    if source_kind is not None and (len(str(source_kind)) > 32 or _CONTROL.search(str(source_kind))):
        errors.append(FieldError("source_kind", "must be at most 32 printable characters"))
    mine = args.get("mine") or None
    if mine not in (None, "0", "1", "true", "false"):
        errors.append(FieldError("mine", "must be true or false"))
    page = number("page", 1, 1_000_000)
    per_page = number("per_page", 50, MAX_PER_PAGE)
    if errors:
        raise ValidationFailed("invalid filters", errors)
    assigned = user_id if mine in ("1", "true") else None
    return AlertFilters(status, severity, source_kind, assigned), page, per_page


@dataclass(frozen=True)
class AlertPage:
    alerts: list[Alert]
    total: int
    page: int
    pages: int
    # the ids among `alerts` the reader has not opened
    unread: frozenset[int]


def list_alerts(
    session: Session, filters: AlertFilters, reader: Reader, page: int = 1, per_page: int = 50
) -> AlertPage:
    """One page of the alerts the reader sees, newest first, with which of them he has not opened."""
    conditions = [visible_to(session, reader)]
    if filters.status is not None:
        conditions.append(Alert.status == filters.status)
    if filters.severity is not None:
        conditions.append(Alert.severity == filters.severity)
    if filters.source_kind is not None:
        conditions.append(Alert.source_kind == filters.source_kind)
    if filters.assigned_to_id is not None:
        conditions.append(Alert.assigned_to_id == filters.assigned_to_id)
    total = session.scalar(select(func.count()).select_from(Alert).where(*conditions)) or 0
    pages = max(1, math.ceil(total / per_page))
    alerts = list(
        session.scalars(
            select(Alert)
            .where(*conditions)
            .options(selectinload(Alert.sightings))
            .order_by(Alert.raised_at.desc(), Alert.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    ids = [alert.id for alert in alerts]
    read = (
        set(
            session.scalars(
                select(AlertRead.alert_id).where(
                    AlertRead.user_id == reader.user_id, AlertRead.alert_id.in_(ids)
                )
            )
        )
        if ids
        else set()
    )
    return AlertPage(alerts, total, page, pages, frozenset(set(ids) - read))


def source_kinds(session: Session, reader: Reader) -> list[str]:
    """The source kinds of the alerts the reader sees, for the inbox's filter."""
    kinds = session.scalars(select(Alert.source_kind).where(visible_to(session, reader)).distinct())
    return sorted(kind for kind in kinds if kind is not None)


# --- what readers see --------------------------------------------------------------------------------------


def _record_dict(record: ReceivedRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "id": record.id,
        "source": record.source,
        "record_id": record.record_id,
        "name": record.name,
        "birth_date": record.birth_date,
        "attributes": dict(record.attributes or {}),
        "first_seen_at": record.first_seen_at.isoformat(),
    }


def alert_to_dict(alert: Alert, with_details: bool = False) -> dict[str, Any]:
    """The alert as the API shows it; `with_details` adds both sides in full, the explanation, the
    sightings and the history."""
    person = alert.person
    data: dict[str, Any] = {
        "id": alert.id,
        "origin": alert.origin.value,
        "source": alert.source,
        "source_kind": alert.source_kind,
        "status": alert.status.value,
        "severity": alert.severity.value,
        "score": alert.score,
        "decision": alert.decision,
        "dismiss_reason": alert.dismiss_reason.value if alert.dismiss_reason else None,
        "assigned_to": alert.assigned_to.username if alert.assigned_to else None,
        "person": {
            "id": person.id,
            "external_id": person.external_id,
            "primary_name": person.primary_name,
            "status": person.status.value,
        },
        "record": _record_dict(alert.record),
        "screened": dict(alert.screened or {}) if alert.origin is AlertOrigin.SCREENING else None,
        "audit_event_id": alert.audit_event_id,
        "list_screening_id": alert.list_screening_id,
        "sightings_count": len(alert.sightings),
        "raised_at": alert.raised_at.isoformat(),
        "updated_at": alert.updated_at.isoformat(),
        "last_seen_at": alert.last_seen_at.isoformat(),
    }
    if with_details:
        # imported here: screening imports this module (its hits raise alerts)
        from watchlist.screening import person_details

        data["person"] = {**data["person"], **person_details(person), "id": person.id}
        data["explanation"] = dict(alert.explanation or {})
        data["sightings"] = [
            {
                "seen_at": sighting.seen_at.isoformat(),
                "score": sighting.score,
                "record": _record_dict(sighting.record),
                "screened": dict(sighting.screened) if sighting.record_id is None else None,
            }
            for sighting in alert.sightings
        ]
        data["history"] = [
            {
                "occurred_at": event.occurred_at.isoformat(),
                "actor": event.actor,
                "action": event.action,
                "changes": dict(event.changes or {}),
                "comment": event.comment,
            }
            for event in alert.events
        ]
    return data
