"""The menu of the base template: each entry is shown only to the roles its endpoint's policy allows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from werkzeug.routing import Rule

from watchlist.access import PUBLIC, current_principal, policy_of


@dataclass(frozen=True)
class NavItem:
    """One menu entry: an endpoint without arguments and the message keys of its label and description."""

    endpoint: str
    label: str
    description: str | None = None


def add_nav_item(app: Flask, endpoint: str, label: str, description: str | None = None) -> None:
    """Add a menu entry; who sees it follows from the access policy of `endpoint`, declared once, there."""
    items: list[NavItem] = app.extensions["watchlist.nav"]
    items.append(NavItem(endpoint, label, description))


def add_nav_badge(app: Flask, endpoint: str, count: Callable[[], int | None], label: str) -> None:
    """Show a number beside a menu entry (`count()`, nothing when None), read out as message `label`."""
    app.extensions["watchlist.nav_badges"][endpoint] = (count, label)


def nav_badge(endpoint: str) -> tuple[int, str] | None:
    """The number beside a menu entry and the message key that says what it counts, if it has one."""
    badge = current_app.extensions["watchlist.nav_badges"].get(endpoint)
    if badge is None:
        return None
    number = badge[0]()
    return (number, badge[1]) if number else None


def nav_items() -> list[NavItem]:
    """The menu entries the caller of the current request may open."""
    principal = current_principal()
    if principal is None:
        return []
    items: list[NavItem] = current_app.extensions["watchlist.nav"]
    return [
        item
        for item in items
        if item.endpoint in current_app.view_functions
        and principal.role in (policy_of(current_app, item.endpoint) or PUBLIC)
    ]


def api_rules() -> list[tuple[str, str]]:
    """(methods, path) of every API route the caller's role may call, by path, public ones left out."""
    principal = current_principal()
    if principal is None:
        return []
    allowed: list[tuple[str, str]] = []
    rule: Rule
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        policy = policy_of(current_app, rule.endpoint)
        if policy and principal.role in policy:
            methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
            allowed.append((" ".join(methods), rule.rule))
    return sorted(allowed, key=lambda pair: (pair[1], pair[0]))


def init_app(app: Flask) -> None:
    app.extensions["watchlist.nav"] = [NavItem("web.home", "nav.home")]
    app.extensions["watchlist.nav_badges"] = {}
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["nav_badge"] = nav_badge
