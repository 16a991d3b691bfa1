"""Alert delivery: officers' subscriptions, admins' webhook endpoints, and an outbox written in the alert's
own transaction, from which the delivery worker sends e-mails and signed webhooks at least once.

The alerts feature calls `enqueue_alert` right after it raises an alert, in the same transaction: an alert
is never committed without its outbox rows, and an outbox row never without its alert.
"""

from watchlist.delivery.outbox import enqueue_alert

__all__ = ["enqueue_alert"]
