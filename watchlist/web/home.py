"""The home page: who you are, what your role may do, and the pages and API calls open to you."""

from __future__ import annotations

from flask import render_template

from watchlist.access import ALL_ROLES, allow, current_principal
from watchlist.db import get_session
from watchlist.models import User
from watchlist.users import list_tokens, token_state
from watchlist.web import navigation, web


@web.get("/")
@allow(*ALL_ROLES)
def home() -> str:
    """The page a user lands on after login."""
    principal = current_principal()
    assert principal is not None  # the policy let only signed-in users through
    user = get_session().get(User, principal.user_id)
    tokens = [(row, token_state(row)) for row in list_tokens(get_session(), principal.username)]
    return render_template(
        "home.html",
        principal=principal,
        display_name=user.display_name if user is not None else principal.username,
        pages=[item for item in navigation.nav_items() if item.endpoint != "web.home"],
        api_rules=navigation.api_rules(),
        tokens=tokens,
        active_tokens=sum(1 for _row, state in tokens if state == "active"),
    )
