"""Demo data: two publicly reported convictions and a few hundred fictitious persons (`watchlist demo`).

`public_convictions.csv` holds the two convictions for forced conscription in occupied Crimea reported in
public sources, with only the facts those reports give; every other field is left empty. The fictitious
persons (`fictitious_persons.csv`) and the sample incoming lists (`incoming/`) come from `generate.py`.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchlist.delivery.subscriptions import add_subscription, list_subscriptions
from watchlist.imports import import_person_file, read_person_file
from watchlist.models import Role, Subscription, User
from watchlist.persons import ImportSummary
from watchlist.users import DEMO_USERNAME_PREFIX

HERE = Path(__file__).parent
DEMO_FILES = (HERE / "public_convictions.csv", HERE / "fictitious_persons.csv")
INCOMING = HERE / "incoming"
DEMO_ACTOR = "demo"
# the demo files are ours and small; the limit only has to let them through
_MAX_BYTES = 10 * 1024 * 1024


def load_demo_persons(session: Session) -> ImportSummary:
    """Import the demo persons; a second run finds them unchanged and writes nothing."""
    total = ImportSummary()
    for path in DEMO_FILES:
        report = import_person_file(session, read_person_file(path, _MAX_BYTES), DEMO_ACTOR)
        total.created += report.summary.created
        total.updated += report.summary.updated
        total.unchanged += report.summary.unchanged
    return total


def subscribe_demo_officer(session: Session) -> Subscription | None:
    """Give the demo officer (once) a subscription to every alert, for his inbox only, so that he sees
    the demo's alerts: an officer sees only those assigned to him or asked for by his subscriptions.
    Returns the subscription made now; None when he has one already or does not exist."""
    officer = session.scalar(select(User).where(User.username == f"{DEMO_USERNAME_PREFIX}{Role.OFFICER}"))
    if officer is None or list_subscriptions(session, officer):
        return None
    return add_subscription(session, officer, by_email=False)
