"""Unicode hygiene for names: one spelling for the same keystrokes, whatever keyboard or copy-paste did."""

from __future__ import annotations

import re
import unicodedata

from matchers.scripts import (
    fold_homoglyphs,
    fold_lookalike_word,
    has_both_scripts,
    is_mixed_word,
    lookalike_words,
)

_APOSTROPHES = dict.fromkeys(map(ord, "’‘ʼʹʻ`´′＇‛ˈ"), "'")
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−﹘﹣－"), "-")
_WORD = re.compile(r"[^\s,;]+")


def _format_characters() -> re.Pattern[str]:
    # category Cf: zero-width spaces and joiners, bidi marks and embeddings, the soft hyphen, BOM; the few
    # outside the Basic Multilingual Plane are tags and musical or shorthand format controls
    codepoints = [code for code in range(0x10000) if unicodedata.category(chr(code)) == "Cf"]
    codepoints += [0x110BD, 0x110CD, *range(0x1BCA0, 0x1BCA4), *range(0x1D173, 0x1D17B), 0xE0001]
    codepoints += range(0xE0020, 0xE0080)
    return re.compile("[" + "".join(re.escape(chr(code)) for code in codepoints) + "]")


_FORMAT_CHARACTERS = _format_characters()


def _strip_format_characters(text: str) -> str:
    return text if text.isascii() else _FORMAT_CHARACTERS.sub("", text)


def _hygiene(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _strip_format_characters(text).translate(_APOSTROPHES).translate(_DASHES)
    return " ".join(text.split())


def mixed_script_words(text: str) -> list[str]:
    """Return the words of ``text`` that mix Latin and Cyrillic letters (before folding), in order, and the
    words typed wholly in look-alikes of the other words' alphabet ("COPOKA" in a Cyrillic name)."""
    words = _WORD.findall(_hygiene(text))
    lookalike = set(lookalike_words(words)) if has_both_scripts(text) else set()
    return [word for position, word in enumerate(words) if is_mixed_word(word) or position in lookalike]


def fold_lookalike_words(text: str) -> str:
    """Rewrite the words of a name typed wholly in look-alikes of the other words' alphabet, case kept."""
    if not has_both_scripts(text):
        return text
    words = _WORD.findall(text)
    positions = set(lookalike_words(words))
    if not positions:
        return text
    count = iter(range(len(words)))
    return _WORD.sub(
        lambda match: fold_lookalike_word(match.group()) if next(count) in positions else match.group(), text
    )


def normalize_name(text: str) -> str:
    """Return ``text`` cleaned for comparison: NFKC, casefolded, invisibles stripped, look-alikes folded.

    Apostrophe and dash variants become ``'`` and ``-``, ``ё`` becomes ``е``, whitespace is collapsed. Letters
    are not transliterated. Normalising twice changes nothing.
    """
    normal = _normalize_once(text)
    # look-alikes are judged on letters that casefolding and ё -> е then change ("AЁ" has no Latin twin,
    # its "ае" has): fold again while both alphabets are left, until nothing changes (one more pass does)
    for _ in range(_MAX_PASSES):
        if not has_both_scripts(normal):
            break
        again = _normalize_once(normal)
        if again == normal:
            break
        normal = again
    return normal


_MAX_PASSES = 3


def _normalize_once(text: str) -> str:
    text = _hygiene(text)
    both_scripts = has_both_scripts(text)
    if both_scripts:
        text = _WORD.sub(lambda match: fold_homoglyphs(match.group()), text)
        text = fold_lookalike_words(text)
    text = unicodedata.normalize("NFKC", text.casefold()).replace("ё", "е")
    if both_scripts:
        # casefolding can make new look-alikes ("M" -> "m" has no Cyrillic twin), so fold once more
        text = _WORD.sub(lambda match: fold_homoglyphs(match.group()), text)
    return " ".join(text.split())
