"""Small pure features ``(query, candidate) -> (score, detail)`` and the declared weights combining them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from matchers.dates import DateComparison, PartialDate, compare_dates
from matchers.frozen import Rebuild, rebuilt
from matchers.names import (
    NamePart,
    ParsedName,
    Role,
    given_name_forms,
    patronymic_given_groups,
    possible_father_groups,
)
from matchers.transliterate import loose_skeleton

# How much each part of the candidate's name counts; parts of the same role share the role's weight
# (a double surname's two words count half each).
ROLE_WEIGHTS: dict[Role, float] = {"surname": 0.45, "given": 0.3, "patronymic": 0.25, "initial": 0.3}
# An initial that fits the word it abbreviates is good evidence, but not as good as the word.
INITIAL_SIMILARITY = 0.9
# Forms of one surname (or given name) family for the other sex are different people (Кабашний/Кабашна).
OTHER_SEX_SIMILARITY = 0.3
# Two different known given names, however alike in spelling.
DIFFERENT_GIVEN_NAMES_SIMILARITY = 0.6
# One mistyped, missing, extra or swapped letter; two in a long word.
ONE_SLIP_SIMILARITY = 0.92
TWO_SLIPS_SIMILARITY = 0.78
# what a spelling beyond two slips is worth at most
_BELOW_TWO_SLIPS = TWO_SLIPS_SIMILARITY - 0.05
# Spelling similarity below this is more likely another name than a typo: each point below it costs
# PARTIAL_PENALTY points (0.85 -> 0.80, 0.75 -> 0.60, 0.6 -> 0.30), so two different patronymics or
# surnames do not add up to an alert on the strength of shared letters, yet a badly mangled surname with
# the right given name and patronymic is still shown for review.
CLEAR_SIMILARITY = 0.9
PARTIAL_PENALTY = 1.0
# Letters that spellings confuse (ч/х/ш as "ch", ц/к as "c", Belarusian а for о) agree, but less surely.
LOOSE_FACTOR = 0.94
# Aligning parts of different roles (the query's surname with the candidate's patronymic) is a guess.
ROLE_COMPATIBILITY: dict[frozenset[Role], float] = {
    frozenset({"initial", "given"}): 1.0,
    frozenset({"initial", "patronymic"}): 1.0,
    frozenset({"initial", "surname"}): 0.5,
    frozenset({"given", "surname"}): 0.85,
    frozenset({"patronymic", "surname"}): 0.6,
    frozenset({"patronymic", "given"}): 0.6,
}
# the same, looked up by the pair of roles in either order (a dict lookup in the hottest loop)
_COMPATIBILITY: dict[tuple[Role, Role], float] = {
    (first, second): value
    for roles, value in ROLE_COMPATIBILITY.items()
    for first in roles
    for second in roles
    if first != second
}
# A candidate's given name the query does not have: unknown, neither agreement nor conflict.
MISSING_GIVEN_SIMILARITY = 0.4
# A patronymic only one side has is normal (passports in Latin script leave it out): it barely counts.
MISSING_PATRONYMIC_WEIGHT = 0.05
# A query word the candidate has no counterpart for is evidence against.
EXTRA_QUERY_WORD_WEIGHT = 0.15
EXTRA_QUERY_INITIAL_WEIGHT = 0.05
# Birth-date effects on the name score
DATE_BONUS = {"exact": 0.04, "partial": 0.02, "swapped": 0.0, "typo": -0.02, "unknown": 0.0}
YEAR_TYPO_EFFECT = -0.05
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
    ("avich", "avna"),
    ("ich", "ichna"),
)


@dataclass(frozen=True, slots=True)
class PartComparison:
    """How one part of the query compares with one part of the candidate's name."""

    role: Role
    query: str | None
    candidate: str | None
    similarity: float  # how alike the two words are
    value: float  # the evidence it gives, after the role check and the penalty for a partial likeness
    weight: float

    def __reduce__(self) -> Rebuild:
        return rebuilt(self)


@lru_cache(maxsize=100_000)
def other_sex_forms(first: str, second: str) -> bool:
    """Tell whether two skeletons are the masculine and feminine forms of one name ("kabashni"/"kabashna")."""
    if first[:2] != second[:2] or abs(len(first) - len(second)) > 2:
        return False
    for masculine, feminine in _SEX_ENDINGS:
        for male, female in ((first, second), (second, first)):
            if male.endswith(masculine) and female.endswith(feminine):
                stem = male[: len(male) - len(masculine)] if masculine else male
                if len(stem) >= 2 and female == stem + feminine:
                    return True
    return False


def word_similarity(query: NamePart, candidate: NamePart) -> float:
    """Return how alike two name words are in [0, 1]: same given name, initial, sex forms, or spelling."""
    if query.is_initial or candidate.is_initial:
        if query.is_initial and candidate.is_initial:
            return 1.0 if query.skeleton[:1] == candidate.skeleton[:1] else 0.0
        initial, word = (query, candidate) if query.is_initial else (candidate, query)
        return INITIAL_SIMILARITY if initial.skeleton[:1] in word.initials else 0.0
    if query.skeleton == candidate.skeleton or query.groups & candidate.groups:
        return 1.0
    different_fathers = False
    if query.role == "patronymic" or candidate.role == "patronymic":
        query_groups = patronymic_given_groups(query.skeleton)
        if query_groups and query_groups & patronymic_given_groups(candidate.skeleton):
            return 1.0
        # Геннадьевич and Аркадьевич: the sons of two different known names, however alike the letters
        query_fathers = possible_father_groups(query.skeleton)
        candidate_fathers = possible_father_groups(candidate.skeleton)
        different_fathers = bool(
            query_fathers and candidate_fathers and not query_fathers & candidate_fathers
        )
    similarity = spelling_similarity(query.skeleton, candidate.skeleton, query.loose, candidate.loose)
    if similarity == OTHER_SEX_SIMILARITY and (
        other_sex_forms(query.skeleton, candidate.skeleton)
        or _other_sex_loosely(query.skeleton, candidate.skeleton, query.loose, candidate.loose)
    ):
        # the feminine form of the name is another person, whatever other reading a letter allows
        return similarity
    if similarity < ONE_SLIP_SIMILARITY and (query.alternatives or candidate.alternatives):
        similarity = max(similarity, _alternative_similarity(query, candidate))
    if different_fathers or (query.groups and candidate.groups):
        # two known given names that are not forms of one name are two names, however close the spelling
        # (Марина and Мария, Олена and Олеся)
        return min(similarity, DIFFERENT_GIVEN_NAMES_SIMILARITY)
    # a mistyped given name is compared with every form of the name ("Oleksnadr" with "Oleksandr", not
    # only with the stored "Александр"); slips rarely hit the first letter, which keeps this cheap
    if similarity >= ONE_SLIP_SIMILARITY:
        return similarity
    if candidate.groups and query.skeleton[:1] in candidate.initials:
        similarity = max(similarity, given_name_similarity(query.skeleton, query.loose, candidate.groups))
    elif query.groups and candidate.skeleton[:1] in query.initials:
        similarity = max(similarity, given_name_similarity(candidate.skeleton, candidate.loose, query.groups))
    return similarity


def _alternative_similarity(
    query: NamePart, candidate: NamePart, alike: Callable[[str, str, str, str], float] | None = None
) -> float:
    # the other reading of an ambiguous Latin letter ("Zarjew" read with German z = ц) agrees like a
    # confusable letter: at a discount, and never on top of two slips; `alike` compares two skeletons
    # with their loose forms (spelling_similarity, or the bound's cap of it)
    alike = alike or spelling_similarity
    best = 0.0
    for first in (query.skeleton, *query.alternatives):
        for second in (candidate.skeleton, *candidate.alternatives):
            if first is query.skeleton and second is candidate.skeleton:
                continue
            best = max(
                best,
                min(alike(first, second, loose_skeleton(first), loose_skeleton(second)), ONE_SLIP_SIMILARITY),
            )
    return LOOSE_FACTOR * best


def _edit_similarity(first: str, second: str) -> float:
    # a slip of one letter (or two swapped) is a typo in any word of four letters or more; two slips need a
    # longer word; beyond that the share of letters in common decides
    distance = OSA.distance(first, second)
    if distance == 0:
        return 1.0
    longest = max(len(first), len(second))
    if distance == 1 and longest >= 4:
        return ONE_SLIP_SIMILARITY
    if distance == 2 and longest >= 8:
        return TWO_SLIPS_SIMILARITY
    # OSA's normalized similarity, from the distance at hand rather than a second call
    return min(1.0 - distance / longest, _BELOW_TWO_SLIPS)


def _other_sex_loosely(first: str, second: str, first_loose: str, second_loose: str) -> bool:
    # Czech "Obuchovová" is Обухова, the feminine of Обухов, whichever way "ch" reads; the loose forms merge
    # о and а, so only a word that really ends in -a is taken for the feminine (Михайло is not "Mixail"+a)
    return first.endswith("a") != second.endswith("a") and other_sex_forms(first_loose, second_loose)


@lru_cache(maxsize=200_000)
def spelling_similarity(first: str, second: str, first_loose: str, second_loose: str) -> float:
    """Return how alike two skeletons are, letting confusable letters agree at a discount."""
    if other_sex_forms(first, second) or _other_sex_loosely(first, second, first_loose, second_loose):
        return OTHER_SEX_SIMILARITY
    strict = _edit_similarity(first, second)
    if strict >= ONE_SLIP_SIMILARITY or (first_loose == first and second_loose == second):
        return strict
    if first_loose == second_loose:
        return max(strict, LOOSE_FACTOR)
    # a confusable letter and a slip on top of it: no better than two slips
    return max(strict, LOOSE_FACTOR * min(_edit_similarity(first_loose, second_loose), TWO_SLIPS_SIMILARITY))


@lru_cache(maxsize=200_000)
def given_name_similarity(word: str, word_loose: str, groups: frozenset[str]) -> float:
    """Return how alike a word is to the closest form of the given names in ``groups`` (typos in names)."""
    best = 0.0
    for group in groups:
        for form in given_name_forms(group):
            best = max(best, spelling_similarity(word, form, word_loose, loose_skeleton(form)))
    return best


def _weighed_as(part: NamePart) -> Role:
    # an initial stands for a given name or a patronymic; without knowing which, it weighs as a given name
    return "given" if part.role == "initial" else part.role


def _role_of(query: NamePart, candidate: NamePart) -> Role:
    if candidate.role != "initial":
        return candidate.role
    if query.role != "initial":
        return query.role
    return "given"


def evidence(query: NamePart, candidate: NamePart, similarity: float) -> float:
    """Return what a word similarity is worth: partial likeness is penalised, role mismatches discounted."""
    if similarity < CLEAR_SIMILARITY:
        similarity = max(0.0, similarity - PARTIAL_PENALTY * (CLEAR_SIMILARITY - similarity))
    if query.role == candidate.role:
        return similarity
    return similarity * _COMPATIBILITY[query.role, candidate.role]


@lru_cache(maxsize=200_000)
def _compare_words(query: NamePart, candidate: NamePart) -> tuple[float, float]:
    similarity = word_similarity(query, candidate)
    return similarity, evidence(query, candidate, similarity)


@lru_cache(maxsize=1024)
def _shares(roles: tuple[Role, ...]) -> tuple[float, ...]:
    # each part's weight: its role's weight shared among the candidate's parts of that role
    weighed = ["given" if role == "initial" else role for role in roles]
    return tuple(ROLE_WEIGHTS[role] / weighed.count(role) for role in weighed)


# one aligned or unaligned part: (role, query word, candidate word, similarity, value, weight)
_Part = tuple[Role, str | None, str | None, float, float, float]


def _align(query: ParsedName, candidate: ParsedName) -> tuple[float, list[_Part]]:
    q_parts, c_parts = query.parts, candidate.parts
    pairs = []
    for qi, q in enumerate(q_parts):
        for ci, c in enumerate(c_parts):
            similarity, value = _compare_words(q, c)
            if value > 0.0:
                pairs.append((-value, qi, ci, similarity))
    # greedy: the most alike pair first, ties in reading order
    pairs.sort()
    matched_q: dict[int, int] = {}
    matched_c: set[int] = set()
    shares = _shares(candidate.roles)
    aligned: list[_Part] = []
    surname_matched = False
    for negative_value, qi, ci, similarity in pairs:
        if qi in matched_q or ci in matched_c:
            continue
        matched_q[qi] = ci
        matched_c.add(ci)
        q, c = q_parts[qi], c_parts[ci]
        aligned.append((_role_of(q, c), q.text, c.text, similarity, -negative_value, shares[ci]))
        surname_matched = surname_matched or (c.role == "surname" and -negative_value >= 0.8)
    if len(matched_c) < len(c_parts):
        for ci, c in enumerate(c_parts):
            if ci in matched_c:
                continue
            role = _weighed_as(c)
            if role == "patronymic":
                aligned.append((role, None, c.text, 0.0, 0.0, MISSING_PATRONYMIC_WEIGHT))
            elif role == "given":
                aligned.append((role, None, c.text, 0.0, MISSING_GIVEN_SIMILARITY, shares[ci]))
            else:
                # the other half of a double surname ("Петров-Водкин" queried as "Petrov") is half-known
                aligned.append((role, None, c.text, 0.0, 0.5 if surname_matched else 0.0, shares[ci]))
    if len(matched_q) < len(q_parts):
        candidate_has_patronymic = "patronymic" in candidate.roles
        for qi, q in enumerate(q_parts):
            if qi in matched_q:
                continue
            if q.is_initial:
                aligned.append(("initial", q.text, None, 0.0, 0.0, EXTRA_QUERY_INITIAL_WEIGHT))
            elif q.role == "patronymic" and not candidate_has_patronymic:
                aligned.append((q.role, q.text, None, 0.0, 0.0, MISSING_PATRONYMIC_WEIGHT))
            else:
                aligned.append((q.role, q.text, None, 0.0, 0.0, EXTRA_QUERY_WORD_WEIGHT))
    total_weight = 0.0
    total = 0.0
    for part in aligned:
        total_weight += part[5]
        total += part[5] * part[4]
    return (total / total_weight if total_weight > 0 else 0.0), aligned


def name_score(query: ParsedName, candidate: ParsedName) -> float:
    """Return the name score of two names, parts aligned whatever their order (no explanation)."""
    return _align(query, candidate)[0]


def name_score_bound(query: ParsedName, candidate: ParsedName) -> float:
    """Return a bound that `name_score` never exceeds, from the candidate's surname words alone.

    Every other word is taken to agree fully with its whole weight, and the query's extra words to weigh
    nothing; a surname word is worth its best evidence against any query word (or a cap of it), or, left
    unaligned, the half it gets beside a well-aligned other surname word. Values are at most 1, so none of
    this can lower the ratio `_align` computes. Most candidates a query shares only a given name and
    patronymic with are set aside here on a third of the word comparisons, and most of those are only
    capped from edit distances (`_evidence_cap`), a few times cheaper than the comparison itself.
    """
    c_parts = candidate.parts
    shares = _shares(candidate.roles)
    # each part's value (this runs for most candidates: plain loops, no generators)
    best: list[float] = []
    surname_matched = False
    for c in c_parts:
        if c.role != "surname":
            best.append(1.0)
            continue
        value = 0.0
        for q in query.parts:
            cap = _evidence_cap(q, c)
            if cap > value:
                value = cap
        best.append(value)
        surname_matched = surname_matched or value >= 0.8
    total = 0.0
    weight = 0.0
    for c, value, share in zip(c_parts, best, shares, strict=True):
        if surname_matched and c.role == "surname" and value < 0.5:
            value = 0.5
        total += share * value
        weight += share
    return total / weight if weight > 0 else 0.0


def _spelling_cap(first: str, second: str, first_loose: str, second_loose: str) -> float:
    # at least spelling_similarity: the strict distance, the loose one at its discount, or a sex form's
    strict = _edit_similarity(first, second)
    if first_loose == second_loose:
        return max(strict, LOOSE_FACTOR)
    loose = _edit_similarity(first_loose, second_loose)
    return max(strict, LOOSE_FACTOR * min(loose, TWO_SLIPS_SIMILARITY), OTHER_SEX_SIMILARITY)


def _evidence_cap(query: NamePart, surname: NamePart) -> float:
    """Return at least what `_compare_words` gives a query word against a candidate's surname word, from
    edit distances alone; the few pairs a given name or a father's name can lift are compared exactly."""
    if query.is_initial:
        similarity = INITIAL_SIMILARITY if query.skeleton[:1] in surname.initials else 0.0
        return evidence(query, surname, similarity)
    if (
        surname.groups
        or (surname.patronymic_like and query.role == "patronymic")
        or (query.groups and surname.skeleton[:1] in query.initials)
    ):
        return _compare_words(query, surname)[1]
    similarity = _spelling_cap(query.skeleton, surname.skeleton, query.loose, surname.loose)
    if query.alternatives or surname.alternatives:
        # another reading of an ambiguous letter, at a discount
        similarity = max(similarity, _alternative_similarity(query, surname, _spelling_cap))
    return evidence(query, surname, similarity)


def compare_names(query: ParsedName, candidate: ParsedName) -> tuple[float, list[PartComparison]]:
    """Align the parts of two names whatever their order and return the name score with each part's share."""
    score, aligned = _align(query, candidate)
    parts = [PartComparison(*part) for part in aligned]
    # in the candidate's reading order, then what the query has and the candidate lacks
    order = {text: position for position, text in enumerate(part.text for part in candidate.parts)}
    parts.sort(key=lambda part: order.get(part.candidate, len(order)) if part.candidate else len(order))
    return score, parts


@dataclass(frozen=True, slots=True)
class DateEffect:
    """What the birth dates did to the score."""

    comparison: DateComparison
    effect: float  # the change to the score, negative for a penalty

    def __reduce__(self) -> Rebuild:
        return rebuilt(self)


def apply_birth_dates(
    name_score: float, query: PartialDate | None, candidate: PartialDate | None
) -> tuple[float, DateEffect]:
    """Adjust a name score by how the birth dates agree; a conflict by years pulls it below any alert."""
    comparison = compare_dates(query, candidate)
    if comparison.verdict == "typo" and comparison.years_apart:
        # a slip in the year's last digit costs a little; one in the decade (1975/1995) is also what a
        # namesake twenty years younger born on the same day looks like, so it is shown, never alerted
        score = name_score + YEAR_TYPO_EFFECT
        if comparison.years_apart >= 10:
            score = min(score, NEAR_YEARS_CONFLICT_CAP)
    elif comparison.verdict != "conflict":
        score = name_score + DATE_BONUS[comparison.verdict]
    elif not comparison.years_apart:
        score = name_score - SAME_YEAR_CONFLICT_PENALTY
    elif comparison.years_apart < FAR_YEARS:
        score = min(name_score, NEAR_YEARS_CONFLICT_CAP)
    else:
        score = name_score * FAR_YEARS_FACTOR
    score = min(1.0, max(0.0, score))
    return score, DateEffect(comparison, score - min(1.0, name_score))
