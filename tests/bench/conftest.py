"""Made-up persons for the evaluation's tests (the real data never enter a test)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bench.real_set import RealPerson, to_real_person
from bench.synthetic_watchlist import make_watchlist


def person_record(cyrillic: str, latin: list[str], **extra: Any) -> dict[str, Any]:
    """A record shaped like the data file's, for a made-up person."""
    names = [{"name": cyrillic, "script": "Cyrl", "lang": "ru", "kind": "primary"}]
    names += [{"name": name, "script": "Latn", "lang": "en", "kind": "alias"} for name in latin]
    return {"names": names, "birth_dates": ["1975-03-12"], **extra}


@pytest.fixture(name="person_record")
def person_record_fixture() -> Callable[..., dict[str, Any]]:
    """Return the record builder, for tests that shape records of their own."""
    return person_record


@pytest.fixture
def made_up_persons() -> Callable[[int], list[RealPerson]]:
    """Return a factory of made-up persons with a Russian and a Latin name each."""

    def make(count: int) -> list[RealPerson]:
        persons = []
        for number, synthetic in enumerate(make_watchlist(count, seed=3)):
            person = to_real_person(number, person_record(synthetic.names[1], [synthetic.names[2]]))
            assert person is not None
            persons.append(person)
        return persons

    return make
