"""Small pure features ``(query, candidate) -> (score, detail)`` and the declared weights combining them."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from matchers.dates import DateComparison, PartialDate, compare_dates
from matchers.names import NamePart, ParsedName, Role, given_name_groups, patronymic_stem

# How much each part of the candidate's name counts; parts of the same role share the role's weight
# (a double surname's two words count 0.25 each).
ROLE_WEIGHTS: dict[Role, float] = {"surname": 0.5, "given": 0.3, "patronymic": 0.2, "initial": 0.3}
# An initial that fits the word it abbreviates is good evidence, but not as good as the word.
INITIAL_SIMILARITY = 0.9
# Forms of one surname (or given name) family for the other sex are different people (Кабашний/Кабашна).
OTHER_SEX_SIMILARITY = 0.3
# A candidate's given name the query does not have: unknown, neither agreement nor conflict.
MISSING_GIVEN_SIMILARITY = 0.4
# A patronymic only one side has is normal (passports in Latin script leave it out): it barely counts.
MISSING_PATRONYMIC_WEIGHT = 0.05
# A query word the candidate has no counterpart for is evidence against.
EXTRA_QUERY_WORD_WEIGHT = 0.15
EXTRA_QUERY_INITIAL_WEIGHT = 0.05
# Birth-date effects on the name score
DATE_BONUS = {"exact": 0.04, "partial": 0.02, "swapped": 0.0, "typo": -0.02, "unknown": 0.0}
SAME_YEAR_CONFLICT_PENALTY = 0.12
# dates a few years apart: at most a "review"; far apart: a namesake, scaled out of the results
NEAR_YEARS_CONFLICT_CAP = 0.80
FAR_YEARS = 5
FAR_YEARS_FACTOR = 0.6

# endings that turn the masculine form of a surname, given name or patronymic into the feminine one
_SEX_ENDINGS: tuple[tuple[str, str], ...] = (
    ("", "a"),  # Иванов/Иванова, Pavlov/Pavlova, Aleksandr/Aleksandra, Kacharov/Kacharova
    ("i", "a"),  # Кабашний/Кабашна, -ський/-ська, -ский/-ская in Latin "-ska"
    ("i", "aia"),  # Кабашный/Кабашная, -ский/-ская
    ("ovich", "ovna"),
    ("evich", "evna"),
    ("ovich", "ivna"),
    ("ich", "ichna"),
)
_STEM_ENDINGS = ("", "i", "o", "a", "ii")


@dataclass(frozen=True, slots=True)
class PartComparison:
    """How one part of the query compares with one part of the candidate's name."""

    role: Role
    query: str | None
    candidate: str | None
    similarity: float
    weight: float


def other_sex_forms(first: str, second: str) -> bool:
    """Tell whether two skeletons are the masculine and feminine forms of one name ("kabashni"/"kabashna")."""
    for masculine, feminine in _SEX_ENDINGS:
        for male, female in ((first, second), (second, first)):
            if male.endswith(masculine) and female.endswith(feminine):
                stem = male[: len(male) - len(masculine)] if masculine else male
                if len(stem) >= 2 and female == stem + feminine:
                    return True
    return False


def _patronymic_groups(word_skeleton: str) -> frozenset[str]:
    stem = patronymic_stem(word_skeleton)
    if stem is None:
        return frozenset()
    for ending in _STEM_ENDINGS:
        groups = given_name_groups(stem + ending)
        if groups:
            return groups
    groups = given_name_groups(stem[:-1])
    return groups


def word_similarity(query: NamePart, candidate: NamePart) -> float:
    """Return how alike two name words are in [0, 1]: same given name, initial, sex forms, or spelling."""
    if query.is_initial or candidate.is_initial:
        if query.is_initial and candidate.is_initial:
            return 1.0 if query.skeleton[:1] == candidate.skeleton[:1] else 0.0
        initial, word = (query, candidate) if query.is_initial else (candidate, query)
        return INITIAL_SIMILARITY if initial.skeleton[:1] in word.initials else 0.0
    if query.skeleton == candidate.skeleton:
        return 1.0
    if query.groups & candidate.groups:
        return 1.0
    if other_sex_forms(query.skeleton, candidate.skeleton):
        return OTHER_SEX_SIMILARITY
    if query.role == "patronymic" or candidate.role == "patronymic":
        query_groups = _patronymic_groups(query.skeleton)
        if query_groups and query_groups & _patronymic_groups(candidate.skeleton):
            return 1.0
    return Levenshtein.normalized_similarity(query.skeleton, candidate.skeleton)


def _weighed_as(part: NamePart) -> Role:
    # an initial stands for a given name or a patronymic; without knowing which, it weighs as a given name
    return "given" if part.role == "initial" else part.role


def _role_of(query: NamePart, candidate: NamePart) -> Role:
    if candidate.role != "initial":
        return candidate.role
    if query.role != "initial":
        return query.role
    return "given"


def compare_names(query: ParsedName, candidate: ParsedName) -> tuple[float, list[PartComparison]]:
    """Align the parts of two names whatever their order and return the name score with each part's share."""
    q_parts, c_parts = query.parts, candidate.parts
    pairs = sorted(
        ((word_similarity(q, c), qi, ci) for qi, q in enumerate(q_parts) for ci, c in enumerate(c_parts)),
        key=lambda item: (-item[0], item[1], item[2]),
    )
    matched_q: dict[int, tuple[int, float]] = {}
    matched_c: set[int] = set()
    for similarity, qi, ci in pairs:
        if similarity <= 0.0 or qi in matched_q or ci in matched_c:
            continue
        matched_q[qi] = (ci, similarity)
        matched_c.add(ci)

    role_counts: dict[Role, int] = {}
    for c in c_parts:
        role_counts[_weighed_as(c)] = role_counts.get(_weighed_as(c), 0) + 1
    comparisons: list[PartComparison] = []
    surname_matched = False
    for qi, (ci, similarity) in sorted(matched_q.items(), key=lambda item: item[1][0]):
        q, c = q_parts[qi], c_parts[ci]
        weight = ROLE_WEIGHTS[_weighed_as(c)] / role_counts[_weighed_as(c)]
        comparisons.append(PartComparison(_role_of(q, c), q.text, c.text, similarity, weight))
        surname_matched |= c.role == "surname" and similarity >= 0.8
    candidate_has_patronymic = any(c.role == "patronymic" for c in c_parts)
    for ci, c in enumerate(c_parts):
        if ci in matched_c:
            continue
        role = _weighed_as(c)
        share = ROLE_WEIGHTS[role] / role_counts[role]
        if role == "patronymic":
            comparisons.append(PartComparison(role, None, c.text, 0.0, MISSING_PATRONYMIC_WEIGHT))
        elif role == "given":
            comparisons.append(PartComparison(role, None, c.text, MISSING_GIVEN_SIMILARITY, share))
        else:
            # the other half of a double surname ("Петров-Водкин" queried as "Petrov") is half-known
            comparisons.append(PartComparison(role, None, c.text, 0.5 if surname_matched else 0.0, share))
    for qi, q in enumerate(q_parts):
        if qi in matched_q:
            continue
        if q.is_initial:
            comparisons.append(PartComparison("initial", q.text, None, 0.0, EXTRA_QUERY_INITIAL_WEIGHT))
        elif q.role == "patronymic" and not candidate_has_patronymic:
            comparisons.append(PartComparison(q.role, q.text, None, 0.0, MISSING_PATRONYMIC_WEIGHT))
        else:
            comparisons.append(PartComparison(q.role, q.text, None, 0.0, EXTRA_QUERY_WORD_WEIGHT))
    total_weight = sum(item.weight for item in comparisons)
    if total_weight <= 0:
        return 0.0, comparisons
    return sum(item.weight * item.similarity for item in comparisons) / total_weight, comparisons


@dataclass(frozen=True, slots=True)
class DateEffect:
    """What the birth dates did to the score."""

    comparison: DateComparison
    effect: float  # the change to the score, negative for a penalty


def apply_birth_dates(
    name_score: float, query: PartialDate | None, candidate: PartialDate | None
) -> tuple[float, DateEffect]:
    """Adjust a name score by how the birth dates agree; a conflict by years pulls it below any alert."""
    comparison = compare_dates(query, candidate)
    if comparison.verdict != "conflict":
        score = name_score + DATE_BONUS[comparison.verdict]
    elif not comparison.years_apart:
        score = name_score - SAME_YEAR_CONFLICT_PENALTY
    elif comparison.years_apart < FAR_YEARS:
        score = min(name_score, NEAR_YEARS_CONFLICT_CAP)
    else:
        score = name_score * FAR_YEARS_FACTOR
    score = min(1.0, max(0.0, score))
    return score, DateEffect(comparison, score - min(1.0, name_score))
