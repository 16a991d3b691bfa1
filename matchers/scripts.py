"""Which alphabet a text is written in, and folding of look-alike letters between Latin and Cyrillic."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters that look the same in Latin and Cyrillic. Typists (and OCR) slip the wrong one into a word:
# a Latin "o" in "Гнилицький", a Cyrillic "а" in "Kabashnyi". Case matters: lower-case "m" has no twin.
_LATIN_TO_CYRILLIC = {
    "A": "А", "a": "а", "B": "В", "C": "С", "c": "с", "E": "Е", "e": "е", "H": "Н", "I": "І", "i": "і",
    "K": "К", "k": "к", "M": "М", "O": "О", "o": "о", "P": "Р", "p": "р", "T": "Т", "X": "Х", "x": "х",
    "Y": "У", "y": "у", "Ï": "Ї", "ï": "ї",
}  # fmt: skip
_CYRILLIC_TO_LATIN = {cyrillic: latin for latin, cyrillic in _LATIN_TO_CYRILLIC.items()}


@lru_cache(maxsize=4096)
def char_script(char: str) -> str:
    """Return the ISO 15924 code of one letter ("Latn", "Cyrl", "Grek", …), or "Zyyy" for a non-letter."""
    if not char.isalpha():
        return "Zyyy"
    name = unicodedata.name(char, "")
    if name.startswith("LATIN"):
        return "Latn"
    if name.startswith("CYRILLIC"):
        return "Cyrl"
    if name.startswith("GREEK"):
        return "Grek"
    if name.startswith(("ARABIC",)):
        return "Arab"
    if name.startswith("GEORGIAN"):
        return "Geor"
    if name.startswith("ARMENIAN"):
        return "Armn"
    if name.startswith("HEBREW"):
        return "Hebr"
    return "Other"


def detect_script(text: str) -> str:
    """Return the script of the letters in ``text``: "Cyrl", "Latn", "Grek", …, "Mixed", or "Zyyy" if none."""
    scripts = {char_script(char) for char in text} - {"Zyyy"}
    if not scripts:
        return "Zyyy"
    if len(scripts) > 1:
        return "Mixed"
    return scripts.pop()


_ANY_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_ANY_CYRILLIC = re.compile(r"[\u0400-\u052f]")


def has_both_scripts(text: str) -> bool:
    """Tell whether a text has Latin and Cyrillic letters (a quick test before looking word by word)."""
    return not text.isascii() and bool(_ANY_LATIN.search(text)) and bool(_ANY_CYRILLIC.search(text))


def _dominant_script(word: str) -> str | None:
    if not has_both_scripts(word):
        return None
    latin = cyrillic = latin_only = cyrillic_only = 0
    for char in word:
        script = char_script(char)
        if script == "Latn":
            latin += 1
            latin_only += char not in _LATIN_TO_CYRILLIC
        elif script == "Cyrl":
            cyrillic += 1
            cyrillic_only += char not in _CYRILLIC_TO_LATIN
    if not latin or not cyrillic:
        return None
    # a letter that exists in only one alphabet is the strongest evidence of what the word was meant to be
    if latin_only != cyrillic_only:
        return "Latn" if latin_only > cyrillic_only else "Cyrl"
    if latin != cyrillic:
        return "Latn" if latin > cyrillic else "Cyrl"
    return "Cyrl"


def is_mixed_word(word: str) -> bool:
    """Tell whether one word mixes Latin and Cyrillic letters."""
    return _dominant_script(word) is not None


def _lookalike_only(word: str) -> str | None:
    # the alphabet a word is written in when every letter of it has a twin in the other one, else None;
    # an initial ("A." before "Петров") is too short to tell a slip from a Latin initial
    if sum(char.isalpha() for char in word) < 2:
        return None
    scripts = {char_script(char) for char in word if char.isalpha()}
    if scripts == {"Latn"} and all(char in _LATIN_TO_CYRILLIC for char in word if char.isalpha()):
        return "Latn"
    if scripts == {"Cyrl"} and all(char in _CYRILLIC_TO_LATIN for char in word if char.isalpha()):
        return "Cyrl"
    return None


def lookalike_words(words: list[str]) -> list[int]:
    """Return the positions of the words typed wholly in look-alikes of the alphabet the other words use.

    "Анна Борисовна COPOKA": the surname is Latin letter by letter, but only Cyrillic makes a name of it.
    A word with a letter that has no twin ("Petrov") is a word of its own alphabet and is left alone.
    """
    lookalike = [_lookalike_only(word) for word in words]
    others = {detect_script(word) for word, script in zip(words, lookalike, strict=True) if script is None}
    others.discard("Zyyy")
    if len(others) != 1:
        return []
    (script,) = others
    if script not in {"Latn", "Cyrl"}:
        return []
    return [position for position, own in enumerate(lookalike) if own is not None and own != script]


def fold_lookalike_word(word: str) -> str:
    """Write a word made only of look-alike letters in the other alphabet ("COPOKA" -> "СОРОКА")."""
    table = _LATIN_TO_CYRILLIC if _lookalike_only(word) == "Latn" else _CYRILLIC_TO_LATIN
    return "".join(table.get(char, char) for char in word)


def fold_homoglyphs(word: str) -> str:
    """Replace look-alike letters of the minority alphabet in a mixed word with the dominant one's twins."""
    dominant = _dominant_script(word)
    if dominant is None:
        return word
    table = _LATIN_TO_CYRILLIC if dominant == "Cyrl" else _CYRILLIC_TO_LATIN
    return "".join(table.get(char, char) for char in word)
