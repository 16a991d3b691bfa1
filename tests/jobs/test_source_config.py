"""The sources file: the shipped example loads, and every mistake is named by source and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.sources.config import FolderTransport, HttpTransport, load_sources, parse_sources
from watchlist.exc import ConfigError

EXAMPLE = Path(__file__).parents[2] / "config" / "sources.example.toml"

MINIMAL = """
[sources.pow]
kind = "pow"
format = "csv"
[sources.pow.http]
url = "https://registry.example.org/pow.csv"
"""


def test_the_shipped_example_declares_an_https_source_a_drop_folder_and_an_xml_source() -> None:
    config = load_sources(EXAMPLE, environ={})
    assert set(config.sources) == {"pow_registry", "border_log", "extradition_de"}
    pow_registry = config.get("pow_registry")
    assert isinstance(pow_registry.transport, HttpTransport)
    assert pow_registry.transport.hosts == {"registry.example.org", "cdn.registry.example.org"}
    assert pow_registry.transport.secret_headers == {"Authorization": "WATCHLIST_POW_REGISTRY_AUTHORIZATION"}
    assert isinstance(config.get("border_log").transport, FolderTransport)
    extradition = config.get("extradition_de")
    assert extradition.record_path == "person"
    assert extradition.mapping["document_number"] == "passport/@number"
    assert str(extradition.trigger()).startswith("cron[")
    assert config.allow_plain_http_loopback is False


def test_the_file_named_by_the_environment_is_read(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    assert list(load_sources(environ={"WATCHLIST_SOURCES_FILE": str(path)}).sources) == ["pow"]


def test_a_named_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="sources file not found"):
        load_sources(environ={"WATCHLIST_SOURCES_FILE": str(tmp_path / "missing.toml")})


def test_secret_header_values_come_from_the_environment_only() -> None:
    config = parse_sources(
        MINIMAL.replace('url = "', 'secret_headers = { Authorization = "POW_TOKEN" }\nurl = "')
    )
    transport = config.get("pow").transport
    assert isinstance(transport, HttpTransport)
    assert transport.secret_values({"POW_TOKEN": "Bearer s3cret"}) == {"Authorization": "Bearer s3cret"}
    with pytest.raises(ConfigError, match="environment variable POW_TOKEN is not set"):
        transport.secret_values({})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "pow"', 'kind = "prison"'), r"sources\.pow\.kind: must be one of pow, border, extradition"),
        (('format = "csv"', 'format = "pdf"'), r"sources\.pow\.format: must be one of"),
        (("https://", "http://"), r"sources\.pow\.http\.url: must be an https:// URL"),
        (("https://", "https://user:pw@"), r"sources\.pow\.http\.url: must not carry credentials"),
        (('kind = "pow"', 'kind = "pow"\nschedule = "61 2 * * *"'), r"sources\.pow\.schedule: invalid cron"),
        (('kind = "pow"', 'kind = "pow"\nencoding = "klingon"'), r"sources\.pow\.encoding: unknown encoding"),
        (('kind = "pow"', 'kind = "pow"\nmax_shrink = 2'), r"sources\.pow\.max_shrink: must be more than 0"),
        (('kind = "pow"', 'kind = "pow"\ncolour = "red"'), r"sources\.pow: unknown keys: colour"),
        (('kind = "pow"', 'kind = "pow"\ndelivery = "some"'), r"sources\.pow\.delivery: must be one of full"),
        (('kind = "pow"', 'kind = "pow"\nrecord_path = "x"'), r"sources\.pow\.record_path: only for XML"),
        (('format = "csv"', 'format = "xml"'), r"sources\.pow\.record_path: required for XML"),
        (
            ('kind = "pow"', 'kind = "pow"\nfolder = "/srv/drop"'),
            r"sources\.pow: give exactly one transport",
        ),
        (
            ('kind = "pow"', 'kind = "pow"\nmapping = { name = "fio" }'),
            r"sources\.pow\.mapping\.name: not a record field",
        ),
        (
            ('url = "', 'headers = { Authorization = "Bearer abc" }\nurl = "'),
            r"sources\.pow\.http\.headers\.Authorization: looks like a credential",
        ),
        (
            ('url = "', 'secret_headers = { Authorization = "Bearer abc" }\nurl = "'),
            r"sources\.pow\.http\.secret_headers\.Authorization: must name an environment variable",
        ),
        (
            ('pow.csv"', 'pow.csv"\n[sources.pow.limits]\ndeadline = -1'),
            r"sources\.pow\.limits\.deadline: must be positive",
        ),
        (
            ('kind = "pow"', 'kind = "pow"\nmax_shrink = "half"'),
            r"sources\.pow\.max_shrink: must be a number",
        ),
    ],
)
def test_a_mistake_is_named_by_source_and_key(change: tuple[str, str], message: str) -> None:
    old, new = change
    with pytest.raises(ConfigError, match=message):
        parse_sources(MINIMAL.replace(old, new, 1))


def test_plain_http_to_the_loopback_needs_the_explicit_test_setting() -> None:
    text = MINIMAL.replace("https://registry.example.org", "http://127.0.0.1:8000")
    with pytest.raises(ConfigError, match="must be an https:// URL"):
        parse_sources(text)
    allowed = parse_sources("[fetch]\nallow_plain_http_loopback = true\n" + text)
    assert allowed.allow_plain_http_loopback
    # the setting opens the loopback interface only
    with pytest.raises(ConfigError, match="must be an https:// URL"):
        parse_sources("[fetch]\nallow_plain_http_loopback = true\n" + MINIMAL.replace("https://", "http://"))


def test_an_unknown_source_lists_the_declared_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown source 'border' .*declared: pow"):
        parse_sources(MINIMAL).get("border")


def test_a_source_delivers_full_lists_unless_it_says_it_delivers_changes() -> None:
    assert parse_sources(MINIMAL).get("pow").full_deliveries is True
    changes = parse_sources(MINIMAL.replace('kind = "pow"', 'kind = "pow"\ndelivery = "changes"', 1))
    assert changes.get("pow").full_deliveries is False
