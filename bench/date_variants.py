"""Birth dates as incoming lists write them, and the ways they go wrong: formats, swaps, typos, years."""

from __future__ import annotations

import datetime as dt
import random


def iso(day: dt.date) -> str:
    """1975-03-12."""
    return day.isoformat()


def dotted(day: dt.date) -> str:
    """12.03.1975 (the usual Ukrainian and Russian form)."""
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def slashed(day: dt.date) -> str:
    """12/03/1975 (day first, as European lists write it)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def year_only(day: dt.date) -> str:
    """1975."""
    return f"{day.year:04d}"


def zero_day_month(day: dt.date) -> str:
    """00.00.1975 (registries that know only the year)."""
    return f"00.00.{day.year:04d}"


def day_month_swapped(day: dt.date) -> dt.date | None:
    """The date with day and month exchanged (03.12 for 12.03), or None when that is no other valid date."""
    if day.day > 12 or day.day == day.month:
        return None
    return day.replace(day=day.month, month=day.day)


def off_by_one_day(day: dt.date, rng: random.Random) -> dt.date:
    """The day before or after."""
    return day + dt.timedelta(days=rng.choice((-1, 1)))


def digit_typo(day: dt.date, rng: random.Random) -> dt.date:
    """The date with one digit of its dd.mm.yyyy form mistyped (a valid date, and not a day/month swap)."""
    text = dotted(day)
    positions = [index for index, ch in enumerate(text) if ch.isdigit()]
    swapped = day_month_swapped(day)
    for _ in range(100):
        index = rng.choice(positions)
        digit = rng.choice([d for d in "0123456789" if d != text[index]])
        candidate = text[:index] + digit + text[index + 1 :]
        try:
            typed = dt.datetime.strptime(candidate, "%d.%m.%Y").date()
        except ValueError:
            continue
        if typed != swapped and 1900 <= typed.year <= 2030:
            return typed
    return day.replace(year=day.year + 1 if day.year % 10 != 9 else day.year - 1)


def _digits_apart(a: int, b: int) -> int:
    return sum(x != y for x, y in zip(f"{a:04d}", f"{b:04d}", strict=True))


def random_day_of(year: int, rng: random.Random) -> dt.date:
    """A random day of a year."""
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))


def namesake_birth_date(day: dt.date, rng: random.Random) -> dt.date:
    """A namesake's birth date: twenty years earlier or later, on a day of its own."""
    year = day.year + 20 if day.year + 20 <= 2008 else day.year - 20
    return random_day_of(year, rng)


def other_year(year: int, rng: random.Random) -> int:
    """A birth year 5 to 15 years away, differing in at least two digits (no one-digit typo explains it)."""
    for _ in range(100):
        candidate = year + rng.choice((-1, 1)) * rng.randint(5, 15)
        if _digits_apart(year, candidate) >= 2 and 1900 <= candidate <= 2008:
            return candidate
    return year - 11
