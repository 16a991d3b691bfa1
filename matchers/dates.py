"""Birth dates as people write them, at the precision they are known, and how two of them agree."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from matchers.frozen import Rebuild, rebuilt

Verdict = Literal["exact", "partial", "swapped", "typo", "unknown", "conflict"]

_MONTHS = {
    # en, uk (nominative and genitive), ru (genitive), de, fr: enough for dates typed in words
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12, "січ": 1, "лют": 2, "бер": 3, "кві": 4, "тра": 5, "чер": 6, "лип": 7, "сер": 8,
    "вер": 9, "жов": 10, "лис": 11, "гру": 12, "янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "май": 5,
    "июн": 6, "июл": 7, "авг": 8, "сен": 9, "окт": 10, "ноя": 11, "дек": 12, "mär": 3, "mai": 5, "okt": 10,
    "dez": 12, "janv": 1, "févr": 2, "avr": 4, "juin": 6, "juil": 7, "août": 8, "déc": 12,
}  # fmt: skip
_ISO = re.compile(r"(\d{4})(?:[-./](\d{1,2})(?:[-./](\d{1,2}))?)?(?:[T ].*)?")
_DAY_FIRST = re.compile(r"(\d{1,2})[-./\s](\d{1,2})[-./\s](\d{4}|\d{2})")
_MONTH_YEAR = re.compile(r"(\d{1,2})[-./](\d{4})")
_WORDS = re.compile(r"(?:(\d{1,2})\s+)?([^\W\d_]{3,})\.?\s+(\d{4})")
_WORDS_MONTH_FIRST = re.compile(r"([^\W\d_]{3,})\.?\s+(\d{1,2}),?\s+(\d{4})")


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A birth date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    def __reduce__(self) -> Rebuild:
        return rebuilt(self)

    def __str__(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def precision(self) -> Literal["year", "month", "day"]:
        """Return how precisely the date is known."""
        return "year" if self.month is None else "month" if self.day is None else "day"


def _build(year: int, month: int | None, day: int | None) -> PartialDate | None:
    if not 1800 <= year <= 2100:
        return None
    month = month or None  # 00 stands for "unknown" in registries ("00.00.1975")
    day = day or None
    if month is None:
        return PartialDate(year)
    if not 1 <= month <= 12:
        return None
    if day is None:
        return PartialDate(year, month)
    try:
        date(year, month, day)
    except ValueError:
        return None
    return PartialDate(year, month, day)


def _month_number(word: str) -> int | None:
    word = word.casefold()
    for length in (4, 3):
        month = _MONTHS.get(word[:length])
        if month is not None:
            return month
    return None


def _expand_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        # two-digit years in birth dates: a person is at most ~100 years old
        year += 2000 if year <= date.today().year % 100 else 1900
    return year


def parse_birth_date(text: str | None) -> PartialDate | None:
    """Parse a birth date in any common format; return None when the text is not a date. Never raises.

    Accepts "1975-03-12", "12.03.1975", "12/03/1975", "1975", "00.00.1975", "03.1975", "12 March 1975".
    """
    if not text or not isinstance(text, str):
        return None
    text = text.strip()
    if match := _ISO.fullmatch(text):
        year, month, day = match.groups()
        return _build(int(year), int(month) if month else None, int(day) if day else None)
    if match := _DAY_FIRST.fullmatch(text):
        first, second, year_text = (int(match.group(1)), int(match.group(2)), match.group(3))
        year = _expand_year(year_text)
        if second > 12 >= first:
            # "03/25/1975": only a month-first reading makes sense
            first, second = second, first
        return _build(year, second, first)
    if match := _MONTH_YEAR.fullmatch(text):
        return _build(int(match.group(2)), int(match.group(1)), None)
    if match := _WORDS.fullmatch(text):
        month_number = _month_number(match.group(2))
        if month_number is not None:
            day = int(match.group(1)) if match.group(1) else None
            return _build(int(match.group(3)), month_number, day)
    if match := _WORDS_MONTH_FIRST.fullmatch(text):
        month_number = _month_number(match.group(1))
        if month_number is not None:
            return _build(int(match.group(3)), month_number, int(match.group(2)))
    return None


@dataclass(frozen=True, slots=True)
class DateComparison:
    """How two birth dates agree, and what that does to a name score."""

    verdict: Verdict
    years_apart: int | None  # for a conflict, how many years apart the two dates are

    def __reduce__(self) -> Rebuild:
        return rebuilt(self)

    @property
    def conflict_by_years(self) -> bool:
        """Tell whether the dates disagree on the year (a namesake, not a typo)."""
        return self.verdict == "conflict" and bool(self.years_apart)


def _as_date(value: PartialDate) -> date:
    return date(value.year, value.month or 1, value.day or 1)


def _digits(value: PartialDate) -> str:
    return f"{value.day or 0:02d}{value.month or 0:02d}{value.year:04d}"


def compare_dates(query: PartialDate | None, candidate: PartialDate | None) -> DateComparison:
    """Compare two birth dates: exact, partial agreement, day/month swapped, one-digit typo, or conflict."""
    if query is None or candidate is None:
        return DateComparison("unknown", None)
    years_apart = abs(query.year - candidate.year)
    both_full = query.day is not None and candidate.day is not None
    if query == candidate:
        return DateComparison("exact" if both_full else "partial", 0)
    if both_full:
        assert query.month is not None and candidate.month is not None and query.day is not None
        assert candidate.day is not None
        if query.year == candidate.year and (query.day, query.month) == (candidate.month, candidate.day):
            return DateComparison("swapped", 0)
        if years_apart > 1 and query.month != candidate.month and query.day != candidate.day:
            # a namesake's: more than one digit differs, and more than a day lies between (the usual case)
            return DateComparison("conflict", years_apart)
        differing = sum(a != b for a, b in zip(_digits(query), _digits(candidate), strict=True))
        days_apart = abs((_as_date(query) - _as_date(candidate)).days)
        # one mistyped digit anywhere, or a day off by one (31.12.1953 for 01.01.1954), is a slip; a namesake
        # twenty years away on a day of his own differs in more than one digit
        if differing == 1 or days_apart == 1:
            return DateComparison("typo", years_apart)
        return DateComparison("conflict", years_apart)
    if years_apart:
        # one side known only to the year or month: a different year is a different person
        return DateComparison("conflict", years_apart)
    if query.month is not None and candidate.month is not None and query.month != candidate.month:
        return DateComparison("conflict", 0)
    return DateComparison("partial", 0)
