"""One canonical Latin skeleton for a name word, whatever alphabet and transliteration system wrote it.

The skeleton is deliberately lossy: it keeps what the systems met in practice agree on and merges what they
render differently. Ukrainian KMU 2010 ("Hnylytskyi"), ICAO 9303 ("GNILITSKII"), BGN/PCGN ("Gnilitskiy"),
GOST 7.79, ISO 9 ("Gnilickij"), ALA-LC, scientific, German ("Gnilizkij", "Schtschukin"), French ("Oulianov"),
Polish ("Szczukin", "Władimirowicz"), Dutch, Swedish and Czech spellings and the Cyrillic originals
(uk, ru, be) all land on the same string, so that the fuzzy comparison afterwards only has to absorb typos:

* г/ґ/h/g -> g (Ukrainian and Belarusian г is h, Russian г is g), х/kh -> kh;
* и/ы/і/ї/й and y/i/j -> i, doubled letters collapse (so -ий/-ый/-yi/-yy/-ij/-iy/-y end the same way);
* е/є/э and e/ye/ie/je -> e; у/ў and u/ou/oe -> u; в and v/w -> v;
* ц and ts/tz/c (and German z before k) -> ts; ч and ch/tsch/tch/cz/č/tj -> ch; ш and sh/sch/sz/š/sj -> sh;
  щ and shch/schtsch/szcz/šč/ŝ -> shch; ж and zh/ž/ż -> zh; x -> ks; ь, ъ and apostrophes vanish.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from matchers.scripts import char_script

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "ie", "э": "e", "ж": "zh",
    "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "ы": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ў": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ь": "", "ю": "iu", "я": "ia", "ё": "e", "ј": "i",
    "ћ": "ch", "ђ": "dzh", "џ": "dzh", "ѓ": "g", "ќ": "k", "љ": "l", "њ": "n", "ѕ": "dz",
}  # fmt: skip

# Latin letters with diacritics whose meaning in Slavic transliteration differs from "the base letter"
_LATIN_SPECIAL = {
    "č": "ch", "ć": "ch", "š": "sh", "ś": "sh", "ž": "zh", "ż": "zh", "ź": "zh", "ŝ": "shch", "ł": "l",
    "ŭ": "u", "ĭ": "i", "ǐ": "i", "ß": "ss", "æ": "e", "œ": "e", "ø": "e", "đ": "d", "ħ": "h", "ı": "i",
    "ü": "u", "ö": "e", "ä": "e", "å": "o",
}  # fmt: skip

_GREEK = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "t", "ι": "i", "κ": "k",
    "λ": "l", "μ": "m", "ν": "n", "ξ": "ks", "ο": "o", "π": "p", "ρ": "r", "σ": "s", "ς": "s", "τ": "t",
    "υ": "i", "φ": "f", "χ": "kh", "ψ": "ps", "ω": "o",
}  # fmt: skip

# Latin digraphs, longest first; the replacement is the skeleton spelling of the sound
_LATIN_RULES: tuple[tuple[str, str], ...] = (
    ("schtsch", "shch"), ("shtsh", "shch"), ("chtch", "shch"), ("szcz", "shch"), ("shch", "shch"),
    ("sztsch", "shch"), ("šč", "shch"), ("tsch", "ch"), ("tsj", "ch"), ("sch", "sh"), ("tch", "ch"),
    ("zk", "tsk"), ("sh", "sh"), ("zh", "zh"), ("kh", "kh"), ("ch", "ch"), ("cz", "ch"), ("cs", "ch"),
    ("sz", "sh"), ("sj", "sh"), ("tj", "ch"), ("ts", "ts"), ("tz", "ts"), ("ck", "k"), ("ph", "f"),
    ("ou", "u"), ("oe", "u"), ("c", "ts"), ("w", "v"), ("x", "ks"), ("q", "k"), ("h", "g"), ("y", "i"),
    ("j", "i"),
)  # fmt: skip
_LATIN_PATTERN = re.compile("|".join(re.escape(source) for source, _ in _LATIN_RULES))
_LATIN_REPLACEMENT = dict(_LATIN_RULES)
_REPEATS = re.compile(r"(.)\1+")
_NOT_LETTER = re.compile(r"[^a-z]")


def _fold_latin_letter(char: str) -> str:
    special = _LATIN_SPECIAL.get(char)
    if special is not None:
        return special
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base


def _latin_run(run: str) -> str:
    folded = "".join(_fold_latin_letter(char) for char in run)
    return _LATIN_PATTERN.sub(lambda match: _LATIN_REPLACEMENT[match.group()], folded)


@lru_cache(maxsize=200_000)
def skeleton(word: str) -> str:
    """Return the canonical Latin skeleton of one normalised name word ("гнилицький" -> "gnilitski")."""
    out: list[str] = []
    latin: list[str] = []
    for char in word:
        script = char_script(char)
        if script == "Latn":
            latin.append(char)
            continue
        if latin:
            out.append(_latin_run("".join(latin)))
            latin.clear()
        if script == "Cyrl":
            out.append(_CYRILLIC.get(char, ""))
        elif script == "Grek":
            base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
            out.append(_GREEK.get(base, ""))
    if latin:
        out.append(_latin_run("".join(latin)))
    text = _NOT_LETTER.sub("", "".join(out))
    # iotated e is written e, ye, ie or je; after i/j/y -> i all of them read "ie"
    text = text.replace("ie", "e")
    return _REPEATS.sub(r"\1", text)
