"""Birth dates in the formats people write them, and how two of them agree."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matchers.dates import PartialDate, compare_dates, parse_birth_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1975-03-12", PartialDate(1975, 3, 12)),
        ("12.03.1975", PartialDate(1975, 3, 12)),
        ("12/03/1975", PartialDate(1975, 3, 12)),
        ("12-03-1975", PartialDate(1975, 3, 12)),
        ("03/25/1975", PartialDate(1975, 3, 25)),  # only a month-first reading makes sense
        ("1975", PartialDate(1975)),
        ("00.00.1975", PartialDate(1975)),
        ("1975-00-00", PartialDate(1975)),
        ("03.1975", PartialDate(1975, 3)),
        ("1975-03", PartialDate(1975, 3)),
        ("12 March 1975", PartialDate(1975, 3, 12)),
        ("12 березня 1975", PartialDate(1975, 3, 12)),
        ("12 марта 1975", PartialDate(1975, 3, 12)),
        (" 1975-03-12T00:00:00 ", PartialDate(1975, 3, 12)),
    ],
)
def test_parse_birth_date_reads_common_formats(text: str, expected: PartialDate) -> None:
    assert parse_birth_date(text) == expected


@pytest.mark.parametrize("text", ["", "unknown", "31.02.1975", "13/13/1975", "0000", "12.03.75.1", None])
def test_parse_birth_date_returns_none_for_what_is_not_a_date(text: str | None) -> None:
    assert parse_birth_date(text) is None


def test_partial_dates_print_at_their_precision() -> None:
    assert [str(parse_birth_date(text)) for text in ("1975", "03.1975", "12.03.1975")] == [
        "1975",
        "1975-03",
        "1975-03-12",
    ]


@pytest.mark.parametrize(
    ("query", "candidate", "verdict"),
    [
        ("12.03.1975", "1975-03-12", "exact"),
        ("1975", "1975-03-12", "partial"),
        ("03.1975", "1975-03-12", "partial"),
        ("03.12.1975", "1975-03-12", "swapped"),
        ("13.03.1975", "1975-03-12", "typo"),  # a day off by one
        ("31.12.1974", "1975-01-01", "typo"),  # a day off by one across the new year
        ("12.03.1976", "1975-03-12", "typo"),  # one mistyped digit
        ("25.07.1995", "1975-03-12", "conflict"),  # a namesake twenty years younger
        ("1985", "1975-03-12", "conflict"),  # year-only, another year
        ("1976", "1975", "conflict"),
        ("20.09.1975", "1975-03-12", "conflict"),
        (None, "1975-03-12", "unknown"),
        ("12.03.1975", None, "unknown"),
    ],
)
def test_compare_dates(query: str | None, candidate: str | None, verdict: str) -> None:
    assert compare_dates(parse_birth_date(query), parse_birth_date(candidate)).verdict == verdict


@given(
    st.text(alphabet=st.sampled_from(list("0123456789./- TMarchберезня")), max_size=14) | st.text(max_size=20)
)
def test_parse_birth_date_never_raises(text: str) -> None:
    parsed = parse_birth_date(text)
    assert parsed is None or 1800 <= parsed.year <= 2100
