"""Typed settings from `config/default.toml` overridden by `WATCHLIST_*` environment variables.

A key `k` of the top table is `WATCHLIST_K`; a key `k` of section `[s]` is `WATCHLIST_S_K`.
Settings are read once, in `create_app` or a CLI command, never at import time.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

from watchlist.exc import ConfigError

Env = Literal["development", "production", "test"]

ENV_PREFIX = "WATCHLIST_"
DEFAULT_CONFIG = Path("config") / "default.toml"


@dataclasses.dataclass(frozen=True)
class Settings:
    # secret for session cookies and CSRF tokens; no default, it must come from the environment
    secret_key: str
    env: Env = "production"
    # SQLAlchemy URL: SQLite (embedded default) or PostgreSQL (postgresql+psycopg://…)
    database_url: str = "sqlite:///var/watchlist.db"
    log_level: str = "INFO"
    # a candidate at or above this score raises an alert
    matching_alert_threshold: float = 0.86
    # a candidate at or above this score is shown for review
    matching_review_threshold: float = 0.70
    # how many candidates one screening returns at most
    matching_max_candidates: int = 10
    # what an official is told to do on a hit, per UI language
    screening_instruction_uk: str = ""
    screening_instruction_en: str = ""
    # largest persons file the import accepts, in bytes
    imports_max_file_bytes: int = 100 * 1024 * 1024
    # how often a run's process notes it is alive, and after how long without that a run is taken to
    # belong to a dead process and marked failed
    runs_heartbeat_seconds: float = 30.0
    runs_stale_after_seconds: float = 900.0
    # where the service is reached from outside: the links in e-mails and webhook payloads start with it
    delivery_public_url: str = "http://127.0.0.1:5000"
    # the first retry waits about this long, each next twice as long (with jitter), at most backoff_max
    delivery_backoff_base_seconds: float = 30.0
    delivery_backoff_max_seconds: float = 6 * 3600.0
    # a message not delivered this long after it was written goes to the dead letters
    delivery_retry_hours: float = 72.0
    # a claimed message is sent again after this long if its worker never reported back (it died)
    delivery_claim_seconds: float = 120.0
    delivery_connect_timeout_seconds: float = 5.0
    delivery_read_timeout_seconds: float = 15.0
    # the SMTP server that sends alert e-mails; the password has no default (WATCHLIST_SMTP_PASSWORD)
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from_address: str = "watchlist@localhost"
    smtp_timeout_seconds: float = 15.0
    # how long audit rows are kept, in days, per class (watchlist.audit.EVENT_CLASSES); list screenings
    # follow the consultation retention
    audit_retention_consultation_days: int = 1096
    audit_retention_change_days: int = 3653
    audit_retention_access_days: int = 1096
    audit_retention_operation_days: int = 3653
    # a login session ends after this long without a request, and after this long whatever happens
    sessions_idle_minutes: int = 30
    sessions_absolute_hours: int = 12
    # this many failed logins in a row lock an account for lockout_minutes
    logins_max_failures: int = 5
    logins_lockout_minutes: int = 10
    # requests allowed per caller in one window, shared by all workers; 0 turns a limit off
    rate_limits_window_seconds: int = 60
    rate_limits_per_user: int = 1200
    rate_limits_per_address: int = 2400
    # addresses or networks (comma-separated) of the reverse proxies whose X-Forwarded-For is believed
    proxy_trusted: str = ""

    def __post_init__(self) -> None:
        if not self.secret_key or len(self.secret_key) < 16:
            raise ConfigError("secret_key: must be set (WATCHLIST_SECRET_KEY), at least 16 characters")
        if self.env not in get_args(Env):
            raise ConfigError(f"env: must be one of {', '.join(get_args(Env))}, not {self.env!r}")
        if not 0 < self.matching_review_threshold <= self.matching_alert_threshold <= 1:
            raise ConfigError(
                "matching: need 0 < review_threshold <= alert_threshold <= 1, got "
                f"{self.matching_review_threshold} and {self.matching_alert_threshold}"
            )
        for name in ("consultation", "change", "access", "operation"):
            if getattr(self, f"audit_retention_{name}_days") < 1:
                raise ConfigError(f"audit_retention_{name}_days: must be at least 1")
        if self.matching_max_candidates < 1:
            raise ConfigError("matching_max_candidates: must be at least 1")
        if not 0 < self.delivery_backoff_base_seconds <= self.delivery_backoff_max_seconds:
            raise ConfigError("delivery: need 0 < backoff_base_seconds <= backoff_max_seconds")
        if self.delivery_retry_hours <= 0 or self.delivery_claim_seconds <= 0:
            raise ConfigError("delivery: retry_hours and claim_seconds must be positive")
        for name in (
            "sessions_idle_minutes",
            "sessions_absolute_hours",
            "logins_max_failures",
            "logins_lockout_minutes",
            "rate_limits_window_seconds",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: must be at least 1")
        if self.rate_limits_per_user < 0 or self.rate_limits_per_address < 0:
            raise ConfigError("rate_limits: per_user and per_address must be 0 (off) or more")
        self.trusted_proxies  # noqa: B018  (an address that does not parse stops the start)

    @property
    def trusted_proxies(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The networks of `proxy_trusted`."""
        try:
            return tuple(
                ipaddress.ip_network(part.strip(), strict=False)
                for part in self.proxy_trusted.split(",")
                if part.strip()
            )
        except ValueError as error:
            raise ConfigError(f"proxy_trusted: {error}") from error

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}_"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _coerce(name: str, raw: Any, kind: Any) -> Any:
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(f"not a boolean: {raw!r}")
        if kind is int:
            if isinstance(raw, bool):
                raise ValueError("not an integer")
            return int(raw)
        if kind is float:
            return float(raw)
        return str(raw)
    except ValueError as error:
        raise ConfigError(f"{name}: {error}") from error


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Read the TOML file, apply `WATCHLIST_*` variables and explicit overrides, and validate."""
    environ = os.environ if environ is None else environ
    path = config_file or Path(environ.get("WATCHLIST_CONFIG", str(DEFAULT_CONFIG)))
    values: dict[str, Any] = {}
    if path.exists():
        try:
            values = _flatten(tomllib.loads(path.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: {error}") from error
    elif config_file is not None:
        raise ConfigError(f"{path}: configuration file not found")

    hints = get_type_hints(Settings)
    fields = {field.name for field in dataclasses.fields(Settings)}
    unknown = sorted(set(values) - fields)
    if unknown:
        raise ConfigError(f"{path}: unknown settings: {', '.join(unknown)}")
    for name in fields:
        env_name = ENV_PREFIX + name.upper()
        if env_name in environ:
            values[name] = environ[env_name]
    secret_file = environ.get("WATCHLIST_SECRET_KEY_FILE")
    if "secret_key" not in values and secret_file:
        try:
            values["secret_key"] = Path(secret_file).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigError(f"WATCHLIST_SECRET_KEY_FILE: {error}") from error
    values.update(overrides)
    if "secret_key" not in values:
        raise ConfigError("secret_key: must be set (WATCHLIST_SECRET_KEY or WATCHLIST_SECRET_KEY_FILE)")

    typed: dict[str, Any] = {}
    for name, raw in values.items():
        kind = hints[name]
        typed[name] = _coerce(name, raw, kind) if kind in (bool, int, float, str) else str(raw)
    return Settings(**typed)
