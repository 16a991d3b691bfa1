"""One canonical Latin skeleton for a name word, whatever alphabet and transliteration system wrote it.

The skeleton is deliberately lossy: it keeps what the systems met in practice agree on and merges what they
render differently. Ukrainian KMU 2010 ("Hnylytskyi"), ICAO 9303 ("GNILITSKII"), BGN/PCGN ("Gnilitskiy"),
GOST 7.79, ISO 9 ("Gnilickij"), ALA-LC, scientific, German ("Gnilizkij", "Schtschukin"), French ("Oulianov"),
Polish ("Szczukin", "Władimirowicz"), Dutch, Swedish and Czech spellings and the Cyrillic originals
(uk, ru, be) all land on the same string, so that the fuzzy comparison afterwards only has to absorb typos:

* г/ґ/h/g -> g (Ukrainian and Belarusian г is h, Russian г is g), х/kh -> x (one letter, so that "Alheev"
  for Альхеев is one edit away);
* и/ы/і/ї/й and y/i/j -> i, doubled letters collapse (so -ий/-ый/-yi/-yy/-ij/-iy/-y end the same way);
* е/є/э/ё and e/ye/ie/je/yo/io/jo -> e; у and u/ou -> u; в/ў and v/w/ŭ -> v, Belarusian -au/-ou -> -ov;
* ц and ts/tz/c (and German z before k) -> ts; ч and ch/tsch/tch/cz/č/Swedish tj -> ch; ш and
  sh/sch/sz/š/sj -> sh; щ and shch/schtsch/szcz/šč/ŝ/sjtj -> shch; ж and zh/ž/ż/zj -> zh; x -> ks; ь, ъ and
  apostrophes vanish; Czech -ová -> -a after -ov/-ev/-in, -o after -enk (Bondarenková is Бондаренко),
  dropped elsewhere (Kovalčuková is Ковальчук).

Where systems disagree on what a Latin letter means ("ch" is ч in English, х in Czech and German, ш in
French), :func:`loose_skeleton` merges the letters and :func:`alternative_skeletons` gives the other
readings; the scoring lets those agree at a discount.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from matchers.scripts import char_script

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "ie", "э": "e", "ж": "zh",
    "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "ы": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ў": "v", "ф": "f", "х": "x", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ь": "", "ю": "iu", "я": "ia", "ё": "e", "ј": "i",
    "ћ": "ch", "ђ": "dzh", "џ": "dzh", "ѓ": "g", "ќ": "k", "љ": "l", "њ": "n", "ѕ": "dz",
}  # fmt: skip

# Latin letters with diacritics whose meaning in Slavic transliteration differs from "the base letter"
_LATIN_SPECIAL = {
    "č": "ch", "ć": "ch", "š": "sh", "ś": "sh", "ž": "zh", "ż": "zh", "ź": "zh", "ŝ": "shch", "ł": "l",
    "ŭ": "v", "ĭ": "i", "ǐ": "i", "ß": "ss", "æ": "e", "œ": "e", "ø": "e", "đ": "d", "ħ": "h", "ı": "i",
    "ü": "u", "ö": "e", "ä": "e", "å": "o", "â": "ia", "û": "iu",
}  # fmt: skip
# (ISO 9 and GOST 7.79 A write я as â and ю as û: Klânûškin is Клянюшкин)

_GREEK = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "t", "ι": "i", "κ": "k",
    "λ": "l", "μ": "m", "ν": "n", "ξ": "ks", "ο": "o", "π": "p", "ρ": "r", "σ": "s", "ς": "s", "τ": "t",
    "υ": "i", "φ": "f", "χ": "x", "ψ": "ps", "ω": "o",
}  # fmt: skip

# Latin digraphs, longest first; the replacement is the skeleton spelling of the sound
_LATIN_RULES: tuple[tuple[str, str], ...] = (
    ("sjtj", "shch"), ("schtsch", "shch"), ("shtsh", "shch"), ("chtch", "shch"), ("szcz", "shch"),
    ("shch", "shch"), ("sztsch", "shch"), ("šč", "shch"), ("dsch", "dzh"), ("tsch", "ch"), ("tsj", "ch"),
    ("tsh", "ch"), ("sch", "sh"), ("tch", "ch"), ("dzh", "dzh"), ("sh", "sh"), ("zh", "zh"), ("zj", "zh"),
    ("kh", "x"), ("ch", "ch"), ("cz", "ch"), ("cs", "ch"), ("sz", "sh"), ("ssj", "si"), ("sj", "sh"),
    ("dj", "dzh"), ("ts", "ts"), ("tz", "ts"), ("ph", "f"), ("ou", "u"), ("c", "ts"), ("w", "v"), ("x", "ks"),
    ("q", "k"), ("h", "g"), ("y", "i"), ("j", "i"),
)  # fmt: skip
# German -zki/-zkij/-zkaja is Slavic -цкий/-цкая; elsewhere z is з (Березкин, Remezkova)
_GERMAN_TSK = re.compile(r"zk(?=(?:ij|i|y|a|aja)$)")
# Swedish -vitj (-вич) and tj before a consonant is ч; before a vowel tj is т+я/ю/е (Antjufejev, Tjapkin)
_SWEDISH_TJ = re.compile(r"tj(?![aeiouy])")
# English -ck at the end of a word is k (Yunus-Beck); inside a word it is ц+к (Zubickij)
_FINAL_CK = re.compile(r"ck$")
# Belarusian -ау/-оў (Шведаў, Гладкоў, "Shvedau") is the -ов of the Russian and Ukrainian form
_BELARUSIAN_OV = re.compile(r"(?<=[^aeiouy])[ao]u$|[ao]u(?=sk(?:i|a|ij|y)$)")
# Belarusian -еў (Arkadzyeu) is -ев, -аўна/-еўна (Aliaksandrauna) is -овна/-евна
_BELARUSIAN_EV = re.compile(r"eu$")
_BELARUSIAN_VNA = re.compile(r"(?<=[ae])una$")
# Czech and Slovak add -ová to the man's surname: Obuchovová is Обухова, Pachodavová is Паходава, but
# Kovalčuková is Ковальчук, a surname Russian and Ukrainian leave the same for a woman
_CZECH_FEMININE = re.compile(r"(?<=ov|ev|av|in|yn)ová$")
# ... and in place of the -o of a Ukrainian -енко surname (Гончаренко: Hančarenková, Bondarenková)
_CZECH_FEMININE_ENKO = re.compile(r"(?<=nk)ová$")
_CZECH_FEMININE_UNDECLINED = re.compile(r"ová$")
# Slovak and Czech soft consonants before a back vowel are Cyrillic ля, ня, тя, дя, лю (Kaľada is Коляда)
_SOFT_CONSONANT = re.compile(r"([ľňťď])(?=[aouáóú])")
_LATIN_PATTERN = re.compile("|".join(re.escape(source) for source, _ in _LATIN_RULES))
_LATIN_REPLACEMENT = dict(_LATIN_RULES)


_REPEATS = re.compile(r"(.)\1+")


def _squeeze(text: str) -> str:
    # doubled letters are one (Anna/Ana, Kabashnyy/Kabashny, -ий/-ii/-iy after i/y/j -> i)
    return _REPEATS.sub(_first_letter, text)


def _first_letter(match: re.Match[str]) -> str:
    return match.group(1)


_NOT_LETTER = re.compile(r"[^a-z]")


@lru_cache(maxsize=4096)
def _fold_latin_letter(char: str) -> str:
    special = _LATIN_SPECIAL.get(char)
    if special is not None:
        return special
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base


def _latin_run(run: str) -> str:
    if not run.isascii():
        run = _CZECH_FEMININE_ENKO.sub("o", _CZECH_FEMININE.sub("a", run))
        run = _CZECH_FEMININE_UNDECLINED.sub("", run)
        run = _SOFT_CONSONANT.sub(r"\1j", run)
    folded = run if run.isascii() else "".join(_fold_latin_letter(char) for char in run)
    folded = _BELARUSIAN_OV.sub("ov", _GERMAN_TSK.sub("tsk", _FINAL_CK.sub("k", folded)))
    folded = _BELARUSIAN_VNA.sub("vna", _BELARUSIAN_EV.sub("ev", folded))
    folded = _SWEDISH_TJ.sub("ch", folded)
    return _LATIN_PATTERN.sub(lambda match: _LATIN_REPLACEMENT[match.group()], folded)


@lru_cache(maxsize=50_000)
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
    text = _squeeze(_NOT_LETTER.sub("", "".join(out)))
    # iotated e is written e, ye, ie or je, and ё is e, yo, io or jo; after i/j/y -> i they read "ie", "io"
    text = text.replace("ie", "e").replace("io", "e")
    # Belarusian -аў (Шведаў, Shvedau) is the Russian and Ukrainian -ов
    if text.endswith("av") and len(text) > 4:
        text = text[:-2] + "ov"
    return _squeeze(text)


# Letters the skeleton keeps apart but real spellings still confuse: "ch" is ч in English, х in Czech, Polish
# and German, ш in French (Chilov); "c" is ц in Slavic systems, к in the 2004 passports and Romance
# languages (Olecsandr, Cadencov); "x" is кс in English, х in the scientific and GOST B systems (Proxorov);
# "j" is й, or ж in French (Ryjenkov); Belarusian akanye writes unstressed о as а, ў after a vowel as u,
# дзеканне writes д as дз (Аркадзьеў), цеканне т as ц before a soft vowel (Шаціла for Шатило), and яканне
# unstressed е as я (Дзядкова for Дедкова).
_BELARUSIAN_TS = re.compile(r"ts(?=[ie])")
_LOOSE = re.compile(r"shch|ch|sh|x|ks|zh|ts|dz|o|(?<=[ae])u(?=[^aeiou]|$)")
_LOOSE_REPLACEMENT = {
    "shch": "x", "ch": "x", "sh": "x", "x": "x", "ks": "x", "zh": "i", "ts": "k", "dz": "d", "o": "a",
    "u": "v",
}  # fmt: skip


@lru_cache(maxsize=50_000)
def loose_skeleton(word_skeleton: str) -> str:
    """Return a coarser form of a skeleton that merges letters spellings confuse (ч/х/ш, ц/к, о/а)."""
    loose = _BELARUSIAN_TS.sub("t", word_skeleton)
    loose = _squeeze(_LOOSE.sub(lambda match: _LOOSE_REPLACEMENT[match.group()], loose))
    # ж read as й (French "Ryjenkov") can make a new "ie"
    return _squeeze(loose.replace("ie", "e").replace("ia", "e"))


# Latin spellings that one system reads one way and another system the other way; the skeleton takes the
# commoner reading, these give the other: Swedish tj before a vowel is ч (Tjernjak), German z is ц (Zarjew,
# Zybko), GOST 7.79 B writes ц as cz (Czarev), Romance languages and the 2004 passports write к as c,
# English writes дж as j (Jafarov) and т+ш as "tsh" like ч (Akhmetshin), Greek-style spellings ф as th
# (Athanasov), Swedish щ as sjtj and sometimes sjt (Pasjtenko); Swedish sj before a vowel is also с+я
# (Sjarhej for Сяргей), Belarusian ў inside a word is u (Dubrouka for Дуброўка, not French ou = у), and
# ISO 9, GOST 7.79 A and the scientific system write х as h (Mahorihin), which Ukrainian spellings use for г.
_ALTERNATIVE_READINGS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"tj(?=[aeiouy])"), "č"),
    (re.compile(r"^j(?=[aeiouy])"), "dž"),
    (re.compile(r"tsh"), "t-sh"),
    (re.compile(r"th"), "f"),
    (re.compile(r"sjt(?!j)"), "šč"),
    (re.compile(r"(?<![aeiouy])sj(?=[aeiouy])"), "s-j"),
    (re.compile(r"(?<=[ao])u(?=[^aeiouy])"), "v"),
    (re.compile(r"(?<![cdsz])z(?!h)"), "c"),
    (re.compile(r"cz"), "c"),
    (re.compile(r"c(?![hz])"), "k"),
    (re.compile(r"(?<![cksz])h"), "kh"),
)


@lru_cache(maxsize=50_000)
def alternative_skeletons(word: str) -> tuple[str, ...]:
    """Return the skeletons of the other readings of a Latin word's ambiguous letters (none for Cyrillic)."""
    if not any(char_script(char) == "Latn" for char in word):
        return ()
    primary = skeleton(word)
    found: list[str] = []
    for pattern, replacement in _ALTERNATIVE_READINGS:
        if pattern.search(word):
            other = skeleton(pattern.sub(replacement, word))
            if other != primary and other not in found:
                found.append(other)
    return tuple(found)
