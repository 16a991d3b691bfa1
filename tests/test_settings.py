from pathlib import Path

import pytest

from watchlist.exc import ConfigError
from watchlist.settings import load_settings

CONFIG = Path(__file__).parents[1] / "config" / "default.toml"


def test_environment_overrides_the_file() -> None:
    settings = load_settings(
        CONFIG,
        environ={"WATCHLIST_SECRET_KEY": "s" * 32, "WATCHLIST_MATCHING_ALERT_THRESHOLD": "0.9"},
    )
    assert settings.matching_alert_threshold == 0.9
    assert settings.database_url == "sqlite:///var/watchlist.db"


def test_secret_key_has_no_default() -> None:
    with pytest.raises(ConfigError, match="secret_key"):
        load_settings(CONFIG, environ={})


def test_a_bad_value_is_named() -> None:
    with pytest.raises(ConfigError, match="matching_max_candidates"):
        load_settings(
            CONFIG,
            environ={"WATCHLIST_SECRET_KEY": "s" * 32, "WATCHLIST_MATCHING_MAX_CANDIDATES": "ten"},
        )


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ConfigError, match="review_threshold <= alert_threshold"):
        load_settings(
            CONFIG,
            environ={
                "WATCHLIST_SECRET_KEY": "s" * 32,
                "WATCHLIST_MATCHING_REVIEW_THRESHOLD": "0.95",
            },
        )
