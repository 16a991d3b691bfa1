"""The ways one name turns up in other records: transliteration systems, name orders, initials, typos and
look-alike letters. Official systems come from PyPI libraries (translitua for Ukrainian, iuliia for Russian);
the German and Polish renderings of Russian names, which neither covers, are hand tables here.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import iuliia  # type: ignore[import-untyped]
import translitua

from bench.ukrainian_forms import NameParts, capitalise

Renderer = Callable[[str], str]

_VOWELS = set("аеёиоуыэюя")


def _translitua(table: type[translitua.TransliterationTable]) -> Renderer:
    return lambda text: str(translitua.translit(text, table))


def _iuliia(schema: iuliia.Schema) -> Renderer:
    return lambda text: str(schema.translate(text))


# Russian -> German (Duden practice: Wladimirowitsch, Tschernyschewski)
_GERMAN = {
    "а": "a", "б": "b", "в": "w", "г": "g", "д": "d", "ж": "sch", "з": "s", "и": "i", "й": "i", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "т": "t", "у": "u", "ф": "f", "х": "ch",
    "ц": "z", "ч": "tsch", "ш": "sch", "щ": "schtsch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "ju",
    "я": "ja",
}  # fmt: skip
# Russian -> Polish (Polish press practice: Władimirowicz, Siergiej, Łukaszenko)
_POLISH = {
    "а": "a", "б": "b", "в": "w", "г": "g", "д": "d", "ж": "ż", "з": "z", "й": "j", "к": "k", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "ch", "ц": "c",
    "ч": "cz", "ш": "sz", "щ": "szcz", "ъ": "", "ы": "y", "ь": "", "э": "e",
}  # fmt: skip
_POLISH_HARD = set("жцшщч")
_POLISH_SOFTENING = set("еёиьюя")


def _german_word(word: str) -> str:
    for ending, german in (("ский", "ski"), ("цкий", "zki"), ("ий", "i"), ("ый", "y")):
        if word.endswith(ending) and len(word) > len(ending) + 1:
            return _german_word(word[: -len(ending)]) + german
    out: list[str] = []
    for index, ch in enumerate(word):
        before = word[index - 1] if index else ""
        after = word[index + 1] if index + 1 < len(word) else ""
        starts = index == 0 or before in _VOWELS or before in "ьъ"
        if ch == "е":
            out.append("je" if starts else "e")
        elif ch == "ё":
            out.append("jo" if starts else "o" if before in "жчшщ" else "jo")
        elif ch == "с":
            out.append("ss" if before in _VOWELS and after in _VOWELS else "s")
        else:
            out.append(_GERMAN.get(ch, ch))
    return "".join(out)


def _polish_word(word: str) -> str:
    for ending, polish in (("ский", "ski"), ("цкий", "cki"), ("ий", "ij"), ("ый", "y")):
        if word.endswith(ending) and len(word) > len(ending) + 1:
            return _polish_word(word[: -len(ending)]) + polish
    out: list[str] = []
    for index, ch in enumerate(word):
        before = word[index - 1] if index else ""
        after = word[index + 1] if index + 1 < len(word) else ""
        starts = index == 0 or before in _VOWELS or before in "ьъ"
        if ch == "л":
            out.append("l" if after in _POLISH_SOFTENING else "ł")
        elif ch in "еёюя":
            vowel = {"е": "e", "ё": "o", "ю": "u", "я": "a"}[ch]
            if starts:
                out.append("j" + vowel)
            elif before in _POLISH_HARD or before == "л":
                out.append(vowel)
            else:
                out.append("i" + vowel)
        elif ch == "и":
            out.append("y" if before in "жцш" else "i")
        else:
            out.append(_POLISH.get(ch, ch))
    return "".join(out)


def _by_word(render_word: Callable[[str], str]) -> Renderer:
    def render(text: str) -> str:
        return " ".join(
            "-".join(capitalise(render_word(part.lower())) for part in word.split("-"))
            for word in text.split()
        )

    return render


# (key, script of the source form, renderer); "uk" systems render the Ukrainian form, "ru" the Russian one
UKRAINIAN_SYSTEMS: dict[str, Renderer] = {
    "uk_kmu2010": _translitua(translitua.UkrainianKMU),
    # the only 2004 passport table translitua has: the alternative some passports used in 2004-2007 (c for к)
    "uk_passport2004_alt": _translitua(translitua.UkrainianPassport2004Alt),
    "uk_passport2007": _translitua(translitua.UkrainianPassport2007),
    "uk_bgn_pcgn": _translitua(translitua.UkrainianBGN),
    "uk_iso9": _translitua(translitua.UkrainianISO9),
    "uk_ala_lc": _translitua(translitua.UkrainianALALC),
    "uk_scientific": _translitua(translitua.UkrainianWWS),
    "uk_german": _translitua(translitua.UkrainianGerman),
    "uk_french": _translitua(translitua.UkrainianFrench),
}
RUSSIAN_SYSTEMS: dict[str, Renderer] = {
    "ru_icao9303": _iuliia(iuliia.ICAO_DOC_9303),
    "ru_gost779a_iso9": _iuliia(iuliia.GOST_779),
    "ru_gost779b": _iuliia(iuliia.GOST_779_ALT),
    "ru_bgn_pcgn": _iuliia(iuliia.BGN_PCGN),
    "ru_iso9_1968": _iuliia(iuliia.ISO_9_1968),
    "ru_ala_lc": _iuliia(iuliia.ALA_LC),
    "ru_scientific": _iuliia(iuliia.SCIENTIFIC),
    "ru_french": _iuliia(iuliia.MVD_310_FR),
    "ru_english": _iuliia(iuliia.WIKIPEDIA),
    "ru_german": _by_word(_german_word),
    "ru_polish": _by_word(_polish_word),
}
# the renderings an incoming list most often carries, for variants that are about something else
COMMON_SYSTEMS = ("uk_kmu2010", "uk_passport2007", "ru_icao9303", "ru_bgn_pcgn", "ru_english")


def render_parts(parts: NameParts, render: Renderer) -> NameParts:
    """Render each part of a name with one transliteration system."""
    return NameParts(render(parts.surname), render(parts.given), render(parts.patronymic))


def render_system(uk: NameParts, ru: NameParts, system: str) -> NameParts:
    """Render a person's name under a system key of UKRAINIAN_SYSTEMS or RUSSIAN_SYSTEMS."""
    if system in UKRAINIAN_SYSTEMS:
        return render_parts(uk, UKRAINIAN_SYSTEMS[system])
    return render_parts(ru, RUSSIAN_SYSTEMS[system])


def surname_given_patronymic(parts: NameParts) -> str:
    """Kabashnyi Oleksandr Volodymyrovych."""
    return f"{parts.surname} {parts.given} {parts.patronymic}"


def given_patronymic_surname(parts: NameParts) -> str:
    """Oleksandr Volodymyrovych Kabashnyi."""
    return f"{parts.given} {parts.patronymic} {parts.surname}"


def surname_comma_given(parts: NameParts) -> str:
    """KABASHNYI, Oleksandr Volodymyrovych (the comma form of court and police lists)."""
    return f"{parts.surname.upper()}, {parts.given} {parts.patronymic}"


def all_caps(parts: NameParts) -> str:
    """KABASHNYI OLEKSANDR VOLODYMYROVYCH."""
    return surname_given_patronymic(parts).upper()


def initials(parts: NameParts) -> str:
    """O. V. Kabashnyi."""
    return f"{parts.given[:1]}. {parts.patronymic[:1]}. {parts.surname}"


def without_patronymic(parts: NameParts, rng: random.Random) -> str:
    """Oleksandr Kabashnyi or Kabashnyi Oleksandr."""
    return rng.choice((f"{parts.given} {parts.surname}", f"{parts.surname} {parts.given}"))


def _alphabet(word: str) -> str:
    cyrillic = any("а" <= ch.lower() <= "я" or ch.lower() in "іїєґё" for ch in word)
    return "абвгдеєжзиіїйклмнопрстуфхцчшщьюя" if cyrillic else "abcdefghijklmnopqrstuvwxyz"


def typo(word: str, rng: random.Random) -> str:
    """Return the word with one character substituted, dropped, doubled or swapped (never the first)."""
    letters = _alphabet(word)
    for _ in range(20):
        position = rng.randrange(1, len(word)) if len(word) > 1 else 0
        operation = rng.choice(("substitute", "delete", "insert", "transpose"))
        if operation == "substitute":
            candidate = word[:position] + rng.choice(letters) + word[position + 1 :]
        elif operation == "delete" and len(word) > 3:
            candidate = word[:position] + word[position + 1 :]
        elif operation == "insert":
            candidate = word[:position] + rng.choice(letters) + word[position:]
        elif operation == "transpose" and position + 1 < len(word):
            candidate = word[:position] + word[position + 1] + word[position] + word[position + 2 :]
        else:
            continue
        if candidate.lower() != word.lower():
            return candidate
    return word + rng.choice(letters)


# Latin letters that look like Cyrillic ones, as typed by mistake on a mixed keyboard layout
_LATIN_LOOKALIKES = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "І": "I",
}  # fmt: skip


def latin_lookalike(word: str, rng: random.Random) -> str:
    """Return a Cyrillic word with one letter replaced by its Latin look-alike (or the word unchanged)."""
    positions = [index for index, ch in enumerate(word) if ch in _LATIN_LOOKALIKES]
    if not positions:
        return word
    index = rng.choice(positions)
    return word[:index] + _LATIN_LOOKALIKES[word[index]] + word[index + 1 :]
