"""The message catalogue: both languages complete, plurals, every message a template uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

import watchlist
from watchlist.i18n import SHELL_MESSAGES, Catalogue, catalogue_of
from watchlist.models import Role


def test_both_languages_have_the_same_messages() -> None:
    assert set(SHELL_MESSAGES["uk"]) == set(SHELL_MESSAGES["en"])


def test_every_message_a_template_names_exists(app: Flask) -> None:
    catalogue = catalogue_of(app)
    templates = Path(watchlist.__file__).parent / "templates"
    used = set()
    for template in templates.rglob("*.html"):
        used |= set(re.findall(r"""_\(\s*["']([\w.]+)["']\s*[,)]""", template.read_text(encoding="utf-8")))
    assert used, "no messages found: the pattern no longer matches the templates"
    assert used - set(catalogue.messages["uk"]) == set()


def test_every_role_and_token_state_has_its_names(app: Flask) -> None:
    messages = catalogue_of(app).messages["uk"]
    for role in Role:
        assert f"role.{role.value}" in messages and f"duties.{role.value}" in messages
    for state in ("active", "revoked", "expired", "user disabled", "exceeds role"):
        assert f"token.state.{state}" in messages


@pytest.mark.parametrize(
    ("count", "uk", "en"),
    [
        (1, "1 активний токен", "1 active token"),
        (2, "2 активні токени", "2 active tokens"),
        (5, "5 активних токенів", "5 active tokens"),
        (11, "11 активних токенів", "11 active tokens"),
        (21, "21 активний токен", "21 active tokens"),
        (22, "22 активні токени", "22 active tokens"),
        (0, "0 активних токенів", "0 active tokens"),
    ],
)
def test_plural_forms(app: Flask, count: int, uk: str, en: str) -> None:
    catalogue = catalogue_of(app)
    assert catalogue.plural("uk", "home.token_count", count) == uk
    assert catalogue.plural("en", "home.token_count", count) == en


def test_a_feature_cannot_add_half_translated_or_clashing_messages() -> None:
    catalogue = Catalogue()
    catalogue.add({"uk": {"a": "а"}, "en": {"a": "a"}})
    with pytest.raises(ValueError, match="keys differ"):
        catalogue.add({"uk": {"b": "б"}, "en": {}})
    with pytest.raises(ValueError, match="defined twice"):
        catalogue.add({"uk": {"a": "а"}, "en": {"a": "a"}})
    assert catalogue.translate("en", "a") == "a"
