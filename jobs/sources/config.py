"""Sources declared in `config/sources.toml`: what each list is, where it comes from, how to read it.

The file is read and checked when a command or the scheduler starts; every error names the source and the
key. Secrets never appear in the file: a header that carries one names the environment variable that
holds it (`secret_headers`), and its value is read only when the source is fetched.
"""

from __future__ import annotations

import codecs
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args
from urllib.parse import urlsplit

# APScheduler 3.x ships no type information
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

from watchlist.exc import ConfigError

Kind = Literal["pow", "border", "extradition"]
Format = Literal["csv", "json", "jsonl", "xml", "xlsx"]

DEFAULT_SOURCES_FILE = Path("config") / "sources.toml"
SOURCES_FILE_VARIABLE = "WATCHLIST_SOURCES_FILE"
# the record fields a source's columns (or XML paths) may be mapped to
RECORD_FIELDS = (
    "record_id",
    "full_name",
    "surname",
    "given_name",
    "patronymic",
    "birth_date",
    "nationality",
    "document_number",
)
# header names whose values are credentials: they must come from the environment, never the file
SECRET_HEADER_WORDS = ("authorization", "cookie", "token", "key", "secret", "password", "auth")


@dataclass(frozen=True)
class FetchLimits:
    """How long and how much one fetch may take, and how hard it retries."""

    connect_timeout: float = 10.0
    # the longest silence between two packets
    read_timeout: float = 60.0
    # the whole fetch, retries included: a server trickling a byte at a time cannot hold it longer
    deadline: float = 600.0
    max_bytes: int = 200 * 1024 * 1024
    # attempts after the first, on 5xx / 429 / a dropped connection
    retries: int = 3
    backoff: float = 2.0
    # a Retry-After longer than this is not waited for: the fetch fails and the next run tries again
    max_retry_after: float = 120.0
    max_redirects: int = 5


@dataclass(frozen=True)
class HttpTransport:
    url: str
    # plain headers (Accept, …), written in the file
    headers: Mapping[str, str] = field(default_factory=dict)
    # header name -> the environment variable holding its value
    secret_headers: Mapping[str, str] = field(default_factory=dict)
    # hosts besides the URL's own that redirects may lead to
    allowed_hosts: tuple[str, ...] = ()
    # a CA bundle to verify the server against instead of the system's (TLS is always verified)
    ca_bundle: str | None = None

    @property
    def hosts(self) -> frozenset[str]:
        host = urlsplit(self.url).hostname or ""
        return frozenset({host.lower(), *(name.lower() for name in self.allowed_hosts)})

    def secret_values(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The secret headers with their values from the environment; ConfigError names a missing one."""
        environ = os.environ if environ is None else environ
        values: dict[str, str] = {}
        for header, variable in self.secret_headers.items():
            value = environ.get(variable)
            if not value:
                raise ConfigError(f"header {header}: environment variable {variable} is not set")
            values[header] = value
        return values


@dataclass(frozen=True)
class FolderTransport:
    path: Path


@dataclass(frozen=True)
class Source:
    """One incoming list."""

    name: str
    kind: Kind
    format: Format
    transport: HttpTransport | FolderTransport
    # record field -> source column (tables) or path below the record element (XML; `@attr` for attributes)
    mapping: Mapping[str, str] = field(default_factory=dict)
    # `auto` (UTF-8, UTF-16 with BOM, else cp1251) or a Python codec name
    encoding: str = "auto"
    # cron text, five fields, UTC
    schedule: str | None = None
    # XML only: the path from the root to each record element
    record_path: str | None = None
    # a delivery with more than this share fewer rows than the last accepted one is quarantined whole
    max_shrink: float = 0.5
    limits: FetchLimits = field(default_factory=FetchLimits)
    # `delivery = "full"` (the default): each delivery is the whole list, so a record it no longer carries
    # is marked absent; `delivery = "changes"`: each brings only new and changed records
    full_deliveries: bool = True

    def trigger(self) -> CronTrigger | None:
        """The schedule as an APScheduler trigger (UTC)."""
        return CronTrigger.from_crontab(self.schedule, timezone="UTC") if self.schedule else None


@dataclass(frozen=True)
class SourcesConfig:
    sources: Mapping[str, Source]
    path: Path | None = None
    # tests only: fetch plain http:// from 127.0.0.1 / localhost / ::1; never set in a deployment
    allow_plain_http_loopback: bool = False

    def get(self, name: str) -> Source:
        """The named source, or ConfigError listing the declared ones."""
        try:
            return self.sources[name]
        except KeyError:
            known = ", ".join(sorted(self.sources)) or "none"
            where = f" in {self.path}" if self.path else ""
            raise ConfigError(f"unknown source {name!r}{where} (declared: {known})") from None


class _Table:
    """A TOML table being read: every key taken is noted, and keys left over are reported as unknown."""

    def __init__(self, where: str, data: Any) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: must be a table")
        self.where = where
        self.data = dict(data)
        self.taken: set[str] = set()

    def get(
        self, key: str, kind: type | tuple[type, ...], default: Any = None, required: bool = False
    ) -> Any:
        self.taken.add(key)
        if key not in self.data:
            if required:
                raise ConfigError(f"{self.where}: {key} is required")
            return default
        value = self.data[key]
        if kind in (float, (float,)) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and kind is not bool:
            raise ConfigError(f"{self.where}.{key}: must be {_kind_name(kind)}, not a boolean")
        if not isinstance(value, kind):
            raise ConfigError(f"{self.where}.{key}: must be {_kind_name(kind)}, not {type(value).__name__}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.get(key, str, default, required=default is None)
        if value not in choices:
            raise ConfigError(f"{self.where}.{key}: must be one of {', '.join(choices)}, not {value!r}")
        return str(value)

    def strings(self, key: str) -> dict[str, str]:
        table = self.get(key, dict, {})
        for name, value in table.items():
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{self.where}.{key}.{name}: must be a non-empty string")
        return dict(table)

    def check_all_taken(self) -> None:
        unknown = sorted(set(self.data) - self.taken)
        if unknown:
            raise ConfigError(f"{self.where}: unknown keys: {', '.join(unknown)}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", dict: "a table"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(item, item.__name__) for item in kinds)


def _limits(table: _Table, base: FetchLimits) -> FetchLimits:
    values: dict[str, Any] = {}
    for name, default in vars(base).items():
        kind: type = int if isinstance(default, int) else float
        value = table.get(name, kind, default)
        if value < 0 or (value == 0 and name not in ("retries", "max_redirects")):
            raise ConfigError(f"{table.where}.{name}: must be positive, not {value}")
        values[name] = value
    return FetchLimits(**values)


def _http(where: str, data: Any, loopback_http: bool) -> HttpTransport:
    table = _Table(where, data)
    url = table.get("url", str, required=True)
    parts = urlsplit(url)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback and loopback_http):
        raise ConfigError(f"{where}.url: must be an https:// URL, not {url!r}")
    if not parts.hostname:
        raise ConfigError(f"{where}.url: has no host: {url!r}")
    if parts.username or parts.password:
        raise ConfigError(f"{where}.url: must not carry credentials; use secret_headers")
    headers = table.strings("headers")
    for header in headers:
        if any(word in header.lower() for word in SECRET_HEADER_WORDS):
            raise ConfigError(
                f"{where}.headers.{header}: looks like a credential; name the environment variable that "
                f"holds it under secret_headers instead"
            )
    secret_headers = table.strings("secret_headers")
    for header, variable in secret_headers.items():
        if not variable.replace("_", "").isalnum() or not variable.isupper():
            raise ConfigError(
                f"{where}.secret_headers.{header}: must name an environment variable (like POW_API_TOKEN), "
                f"never hold the secret itself"
            )
    hosts = table.get("allowed_hosts", list, [])
    if not all(isinstance(host, str) and host for host in hosts):
        raise ConfigError(f"{where}.allowed_hosts: must be a list of host names")
    ca_bundle = table.get("ca_bundle", str)
    table.check_all_taken()
    return HttpTransport(url, headers, secret_headers, tuple(hosts), ca_bundle)


def _source(name: str, data: Any, defaults: FetchLimits, loopback_http: bool) -> Source:
    where = f"sources.{name}"
    table = _Table(where, data)
    kind = table.choice("kind", get_args(Kind))
    format_ = table.choice("format", get_args(Format))
    http = table.get("http", dict)
    folder = table.get("folder", str)
    if (http is None) == (folder is None):
        raise ConfigError(f"{where}: give exactly one transport: an [{where}.http] table or folder = …")
    transport: HttpTransport | FolderTransport = (
        _http(f"{where}.http", http, loopback_http) if http is not None else FolderTransport(Path(folder))
    )
    mapping = table.strings("mapping")
    for record_field in mapping:
        if record_field not in RECORD_FIELDS:
            raise ConfigError(
                f"{where}.mapping.{record_field}: not a record field (use {', '.join(RECORD_FIELDS)})"
            )
    encoding = table.get("encoding", str, "auto")
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(f"{where}.encoding: unknown encoding {encoding!r}") from None
    schedule = table.get("schedule", str)
    if schedule is not None:
        try:
            CronTrigger.from_crontab(schedule, timezone="UTC")
        except ValueError as error:
            raise ConfigError(f"{where}.schedule: invalid cron {schedule!r}: {error}") from None
    record_path = table.get("record_path", str)
    if format_ == "xml" and not record_path:
        raise ConfigError(f"{where}.record_path: required for XML (the path to each record element)")
    if format_ != "xml" and record_path:
        raise ConfigError(f"{where}.record_path: only for XML sources")
    max_shrink = table.get("max_shrink", float, 0.5)
    if not 0 < max_shrink <= 1:
        raise ConfigError(f"{where}.max_shrink: must be more than 0 and at most 1, not {max_shrink}")
    limits = _limits(_Table(f"{where}.limits", table.get("limits", dict, {})), defaults)
    delivery = table.choice("delivery", ("full", "changes"), "full")
    table.check_all_taken()
    return Source(
        name,
        cast(Kind, kind),
        cast(Format, format_),
        transport,
        mapping,
        encoding,
        schedule,
        record_path,
        max_shrink,
        limits,
        delivery == "full",
    )


def parse_sources(text: str, path: Path | None = None) -> SourcesConfig:
    """Read and check a sources file's text."""
    where = str(path) if path else "sources"
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: {error}") from error
    top = _Table(where, document)
    fetch = _Table("fetch", top.get("fetch", dict, {}))
    loopback_http = fetch.get("allow_plain_http_loopback", bool, False)
    defaults = _limits(_Table("fetch.limits", fetch.get("limits", dict, {})), FetchLimits())
    fetch.check_all_taken()
    sources: dict[str, Source] = {}
    for name, data in top.get("sources", dict, {}).items():
        if not name.replace("_", "").replace("-", "").isalnum() or len(name) > 64:
            raise ConfigError(f"sources.{name}: a name is letters, digits, - and _, at most 64 characters")
        sources[name] = _source(name, data, defaults, loopback_http)
    top.check_all_taken()
    return SourcesConfig(sources, path, loopback_http)


def load_sources(path: Path | None = None, environ: Mapping[str, str] | None = None) -> SourcesConfig:
    """Read the sources file: `path`, else `$WATCHLIST_SOURCES_FILE`, else `config/sources.toml`; no
    file at the default place means no sources."""
    environ = os.environ if environ is None else environ
    explicit = path or (Path(environ[SOURCES_FILE_VARIABLE]) if environ.get(SOURCES_FILE_VARIABLE) else None)
    target = explicit or DEFAULT_SOURCES_FILE
    if not target.exists():
        if explicit is not None:
            raise ConfigError(f"{target}: sources file not found")
        return SourcesConfig({}, None)
    return parse_sources(target.read_text(encoding="utf-8"), target)
