"""Pure name and birth-date matching: normalise, transliterate, parse, score, explain, index."""

from matchers.dates import PartialDate, parse_birth_date
from matchers.explain import Explanation
from matchers.index import Match, MatchIndex, PersonEntry, Thresholds
from matchers.normalize import normalize_name
from matchers.scripts import detect_script

__all__ = [
    "Explanation",
    "Match",
    "MatchIndex",
    "PartialDate",
    "PersonEntry",
    "Thresholds",
    "detect_script",
    "normalize_name",
    "parse_birth_date",
]
