"""Generate the fictitious demo persons and the sample incoming lists (`python -m watchlist.demo.generate`).

The output is committed, so the demo is the same on every machine; run this again only to change the demo.
Every person here is invented. The surnames were checked against the evaluation data of real persons
(../shared/data), and `tests/watchlist/test_demo.py` checks it again whenever that data is present.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SEED = 438
PERSON_COUNT = 300
HERE = Path(__file__).parent
FICTITIOUS_FILE = HERE / "fictitious_persons.csv"
INCOMING = HERE / "incoming"
NOTE = "Fictitious person generated for the demo (seed 438); not a real individual."

# (Ukrainian, Russian) forms of invented surnames, none of which occurs in the real-person data
SURNAMES = (
    ("Гнилицький", "Гнилицкий"),
    ("Бражинський", "Бражинский"),
    ("Гарбузенко", "Гарбузенко"),
    ("Довгополюк", "Долгополюк"),
    ("Жмайло", "Жмайло"),
    ("Загнибіда", "Загнибеда"),
    ("Кандибура", "Кандыбура"),
    ("Лопатюк", "Лопатюк"),
    ("Нечипорук", "Нечипорук"),
    ("Оврамчук", "Аврамчук"),
    ("Ремезюк", "Ремезюк"),
    ("Тхоржевський", "Тхоржевский"),
    ("Убийвовк", "Убейволк"),
    ("Цвіркун", "Цвиркун"),
    ("Чепурко", "Чепурко"),
    ("Шкарупа", "Шкарупа"),
    ("Щербань", "Щербань"),
    ("Юрчишин", "Юрчишин"),
    ("Білокінь", "Белоконь"),
    ("Вертипорох", "Вертипорох"),
    ("Голобородько", "Голобородько"),
    ("Дзюбенко", "Дзюбенко"),
    ("Задорожній", "Задорожный"),
    ("Лихошерст", "Лихошерст"),
    ("Марчишин", "Марчишин"),
    ("Невмержицький", "Невмержицкий"),
    ("Остапчук", "Остапчук"),
    ("Підкова", "Подкова"),
    ("Рябошапка", "Рябошапка"),
    ("Тупиченко", "Тупиченко"),
    ("Улітко", "Улитко"),
    ("Хмелик", "Хмелик"),
    ("Чорновол", "Черновол"),
    ("Шевчишин", "Шевчишин"),
    ("Яцура", "Яцура"),
    ("Гуцалюк", "Гуцалюк"),
    ("Кривошия", "Кривошея"),
    ("Ковтуненко", "Ковтуненко"),
    ("Мазурок", "Мазурок"),
    ("Ничипоренко", "Ничипоренко"),
    ("Островерх", "Островерх"),
    ("Пилипчук", "Пилипчук"),
    ("Трохименко", "Трофименко"),
    ("Федорців", "Федорцов"),
    ("Шабатура", "Шабатура"),
    ("Ящишин", "Ящишин"),
    ("Бурлака", "Бурлака"),
    ("Вернигора", "Вернигора"),
    ("Дідух", "Дедух"),
    ("Перебийніс", "Перебейнос"),
    ("Штепа", "Штепа"),
    ("Ґудзь", "Гудзь"),
    ("Ґалаґан", "Галаган"),
    ("Їжак", "Ежак"),
    ("Кущ", "Кущ"),
    ("Мостовий", "Мостовой"),
    ("Нагірняк", "Нагорняк"),
    ("Онищук", "Онищук"),
    ("Присяжнюк", "Присяжнюк"),
    ("Стецюк", "Стецюк"),
    ("Вівчар", "Овчар"),
    ("Гаврилюк", "Гаврилюк"),
    ("Денисюк", "Денисюк"),
    ("Жежерун", "Жежерун"),
    ("Іщук", "Ищук"),
    ("Калинюк", "Калинюк"),
    ("Лозинський", "Лозинский"),
    ("Ребрик", "Ребрик"),
    ("Тимошук", "Тимошук"),
    ("Цюпа", "Цюпа"),
    ("Ясинчук", "Ясинчук"),
    ("Верещак", "Верещак"),
    ("Дорошук", "Дорошук"),
    ("Журба", "Журба"),
    ("Кирпа", "Кирпа"),
    ("Литвинчук", "Литвинчук"),
    ("Очеретько", "Очеретько"),
    ("Слюсар", "Слесарь"),
    ("Тростянець", "Тростянец"),
    ("Чміль", "Шмель"),
    ("Швайка", "Швайка"),
    ("Гайдамаха", "Гайдамаха"),
    ("Кобилянський", "Кобылянский"),
    ("Лелека", "Лелека"),
    ("Малюга", "Малюга"),
    ("Неїжмак", "Неижмак"),
    ("Рогатюк", "Рогатюк"),
    ("Хвостенко", "Хвостенко"),
    ("Цимбал", "Цымбал"),
)
# the last ones are kept out of the watchlist: incoming lists use them for people who are on no list
SURNAMES_OFF_LIST = 12

GIVEN_NAMES = (
    ("Олександр", "Александр"), ("Дмитро", "Дмитрий"), ("Сергій", "Сергей"), ("Андрій", "Андрей"),
    ("Олег", "Олег"), ("Віктор", "Виктор"), ("Микола", "Николай"), ("Іван", "Иван"), ("Петро", "Пётр"),
    ("Василь", "Василий"), ("Юрій", "Юрий"), ("Володимир", "Владимир"), ("Михайло", "Михаил"),
    ("Євген", "Евгений"), ("Олексій", "Алексей"), ("Богдан", "Богдан"), ("Павло", "Павел"),
    ("Григорій", "Григорий"), ("Ігор", "Игорь"), ("Анатолій", "Анатолий"), ("Віталій", "Виталий"),
    ("Костянтин", "Константин"), ("Максим", "Максим"), ("Роман", "Роман"), ("Тарас", "Тарас"),
    ("Артем", "Артём"), ("Денис", "Денис"), ("Руслан", "Руслан"), ("Валерій", "Валерий"),
    ("Геннадій", "Геннадий"),
)  # fmt: skip
PATRONYMICS = (
    ("Олександрович", "Александрович"), ("Дмитрович", "Дмитриевич"), ("Сергійович", "Сергеевич"),
    ("Андрійович", "Андреевич"), ("Олегович", "Олегович"), ("Вікторович", "Викторович"),
    ("Миколайович", "Николаевич"), ("Іванович", "Иванович"), ("Петрович", "Петрович"),
    ("Васильович", "Васильевич"), ("Юрійович", "Юрьевич"), ("Володимирович", "Владимирович"),
    ("Михайлович", "Михайлович"), ("Євгенович", "Евгеньевич"), ("Олексійович", "Алексеевич"),
    ("Павлович", "Павлович"), ("Григорович", "Григорьевич"), ("Ігорович", "Игоревич"),
    ("Анатолійович", "Анатольевич"), ("Валерійович", "Валерьевич"),
)  # fmt: skip
BIRTH_PLACES = (
    "Сімферополь", "Феодосія", "Керч", "Ялта", "Алушта", "Євпаторія", "Джанкой", "Севастополь",
    "Бахчисарай", "Судак", "Армянськ", "Красноперекопськ",
)  # fmt: skip
COURTS = (
    "Darnytskyi District Court of Kyiv",
    "Shevchenkivskyi District Court of Kyiv",
    "Pecherskyi District Court of Kyiv",
    "Kherson City Court of Kherson Region",
    "Mykolaiv Central District Court",
)
ARTICLES = ("Part 1 of Art. 438", "Part 1 of Art. 438", "Part 1 of Art. 438", "Part 5 of Art. 111-1")
STATUSES = (("wanted", 80), ("located", 7), ("detained", 6), ("serving", 4), ("closed", 3))
PERSON_COLUMNS = (
    "external_id", "full_name", "aliases", "document_names", "birth_date", "birth_place", "citizenship",
    "case_number", "court", "article", "sentence", "verdict_date", "status", "close_reason", "notes",
)  # fmt: skip


# --- transliteration, enough to give each person the Latin spellings he would carry ------------------------

_KMU_2010 = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh", "з": "z",
    "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "'": "",
}  # fmt: skip
# at the start of a word these letters are written with a y (Resolution 55 of the Cabinet, 2010)
_KMU_2010_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_ICAO_RU = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y",
    "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip
_BGN_RU = {**_ICAO_RU, "ё": "ë", "й": "y", "ъ": "", "ю": "yu", "я": "ya", "ь": "'"}
_GERMAN_RU = {
    **_ICAO_RU, "в": "w", "ж": "sch", "з": "s", "й": "j", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch",
    "щ": "schtsch", "ы": "y", "ю": "ju", "я": "ja", "е": "e", "ё": "jo",
}  # fmt: skip


def _word(word: str, table: dict[str, str], initial: dict[str, str] | None = None) -> str:
    lower = word.lower()
    out = []
    for position, char in enumerate(lower):
        if position == 0 and initial and char in initial:
            out.append(initial[char])
        elif char == "г" and table is _KMU_2010 and position > 0 and lower[position - 1] == "з":
            out.append("gh")  # зг is zgh, so it is not read as zh
        else:
            out.append(table.get(char, char))
    latin = "".join(out)
    return latin[:1].upper() + latin[1:]


def kmu_2010(text: str) -> str:
    """Ukrainian Cyrillic in the national transliteration of 2010 (passports since 2010)."""
    return " ".join(_word(word, _KMU_2010, _KMU_2010_INITIAL) for word in text.split())


def icao_ru(text: str) -> str:
    """Russian Cyrillic as a Russian passport of 2014 on writes it (ICAO 9303)."""
    return " ".join(_word(word, _ICAO_RU) for word in text.split())


def bgn_ru(text: str) -> str:
    """Russian Cyrillic in BGN/PCGN, as English-language lists often have it."""
    return " ".join(_word(word, _BGN_RU) for word in text.split())


def german_ru(text: str) -> str:
    """Russian Cyrillic as a German record renders it."""
    return " ".join(_word(word, _GERMAN_RU) for word in text.split())


# --- the persons ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPerson:
    external_id: str
    surname: tuple[str, str]
    given: tuple[str, str]
    patronymic: tuple[str, str]
    birth_date: date | None
    birth_text: str
    row: dict[str, str]

    def uk(self) -> str:
        return f"{self.surname[0]} {self.given[0]} {self.patronymic[0]}"

    def ru(self) -> str:
        return f"{self.surname[1]} {self.given[1]} {self.patronymic[1]}"


def _weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    return rng.choices([value for value, _ in choices], weights=[weight for _, weight in choices])[0]


def _random_date(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def make_persons(rng: random.Random) -> list[DemoPerson]:
    """The fictitious watchlist: Ukrainian names, Russian and Latin aliases, birth dates at each precision."""
    on_list = SURNAMES[:-SURNAMES_OFF_LIST]
    persons: list[DemoPerson] = []
    seen: set[tuple[str, str, str]] = set()
    while len(persons) < PERSON_COUNT:
        number = len(persons) + 1
        if number % 60 == 0:
            # a namesake born some twenty years after an earlier person: he must not be taken for him
            elder = persons[rng.randrange(len(persons))]
            surname, given, patronymic = elder.surname, elder.given, rng.choice(PATRONYMICS)
            born = (elder.birth_date or date(1965, 6, 1)) + timedelta(days=365 * 20 + rng.randrange(300))
            precision = "day"
        else:
            surname, given, patronymic = rng.choice(on_list), rng.choice(GIVEN_NAMES), rng.choice(PATRONYMICS)
            if (surname[0], given[0], patronymic[0]) in seen:
                continue
            born = _random_date(rng, date(1955, 1, 1), date(1995, 12, 31))
            precision = _weighted(rng, (("day", 55), ("month", 15), ("year", 15), ("none", 15)))
        seen.add((surname[0], given[0], patronymic[0]))
        birth_text = {
            "day": born.isoformat(),
            "month": born.isoformat()[:7],
            "year": born.isoformat()[:4],
            "none": "",
        }[precision]
        uk = f"{surname[0]} {given[0]} {patronymic[0]}"
        ru = f"{surname[1]} {given[1]} {patronymic[1]}"
        status = _weighted(rng, STATUSES)
        verdict = _random_date(rng, date(2022, 6, 1), date(2025, 10, 31))
        external_id = f"DEMO-F-{number:04d}"
        row = {
            "external_id": external_id,
            "full_name": uk,
            "aliases": "; ".join([ru, kmu_2010(f"{surname[0]} {given[0]}")]),
            "document_names": icao_ru(f"{surname[1]} {given[1]}").upper(),
            "birth_date": birth_text,
            "birth_place": rng.choice(BIRTH_PLACES),
            "citizenship": "UA",
            "case_number": f"FICT-{verdict.year}-{number:04d}",
            "court": rng.choice(COURTS),
            "article": rng.choice(ARTICLES),
            "sentence": f"{rng.choice((7, 8, 9, 10, 11, 12))} years",
            "verdict_date": verdict.isoformat(),
            "status": status,
            "close_reason": "Fictitious: the sentence was served" if status == "closed" else "",
            "notes": NOTE,
        }
        persons.append(
            DemoPerson(
                external_id,
                surname,
                given,
                patronymic,
                born if precision != "none" else None,
                birth_text,
                row,
            )
        )
    return persons


# --- the incoming lists -----------------------------------------------------------------------------------


def _typo(word: str, rng: random.Random) -> str:
    position = rng.randrange(1, len(word) - 2)
    return word[:position] + word[position + 1] + word[position] + word[position + 2 :]


def _homoglyph(word: str) -> str:
    # a Latin letter typed inside a Cyrillic word, as happens with mixed keyboard layouts
    for cyrillic, latin in (("о", "o"), ("а", "a"), ("е", "e"), ("і", "i"), ("с", "c")):
        if cyrillic in word[1:]:
            index = word.index(cyrillic, 1)
            return word[:index] + latin + word[index + 1 :]
    return word


def _document_number(rng: random.Random) -> str:
    return f"{rng.choice('ABEKMHOPCTX')}{rng.choice('ABEKMHOPCTX')}{rng.randrange(10**6, 10**7)}"


def make_incoming(rng: random.Random, persons: list[DemoPerson]) -> dict[str, list[dict[str, str]]]:
    """Small incoming lists: spelling variants of demo persons, namesakes, and people on no list."""
    dated = [p for p in persons if p.birth_date is not None and len(p.birth_text) == 10]
    chosen = rng.sample(dated, 24)
    off_list = SURNAMES[-SURNAMES_OFF_LIST:]
    expected: list[dict[str, str]] = []
    lists: dict[str, list[dict[str, str]]] = {"pow_registry": [], "border_log": [], "extradition_list": []}

    def add(list_name: str, row: dict[str, str], person: DemoPerson | None, variant: str) -> None:
        lists[list_name].append(row)
        expected.append(
            {
                "file": f"{list_name}.csv",
                "record_id": row["record_id"],
                "external_id": person.external_id if person else "",
                "variant": variant,
            }
        )

    for index, person in enumerate(chosen[:10], start=1):
        assert person.birth_date is not None
        born = person.birth_date
        surname, given, patronymic = person.surname, person.given, person.patronymic
        initials = f"{kmu_2010(given[0])[0]}. {kmu_2010(patronymic[0])[0]}. {kmu_2010(surname[0])}"
        variants = [
            ("russian form", person.ru(), born.strftime("%d.%m.%Y")),
            ("passport Latin, year only", icao_ru(f"{surname[1]} {given[1]}").upper(), str(born.year)),
            ("typo in surname", f"{_typo(surname[0], rng)} {given[0]} {patronymic[0]}", born.isoformat()),
            (
                "Latin letter inside Cyrillic",
                f"{_homoglyph(surname[0])} {given[0]}",
                born.strftime("%d.%m.%Y"),
            ),
            ("initials", initials, born.strftime("%d/%m/%Y")),
        ]
        variant, name, birth = variants[index % len(variants)]
        row = {
            "record_id": f"POW-{index:03d}",
            "full_name": name,
            "birth_date": birth,
            "nationality": "RU",
            "document_number": _document_number(rng),
            "camp": f"Camp {rng.randrange(1, 9)}",
        }
        add("pow_registry", row, person, variant)
    namesake = chosen[10]
    assert namesake.birth_date is not None
    add(
        "pow_registry",
        {
            "record_id": "POW-011",
            "full_name": namesake.uk(),
            "birth_date": str(namesake.birth_date.year + 21),
            "nationality": "RU",
            "document_number": _document_number(rng),
            "camp": "Camp 2",
        },
        None,
        "namesake born 21 years later: no alert",
    )

    for index, person in enumerate(chosen[11:18], start=1):
        assert person.birth_date is not None
        born = person.birth_date
        if index % 3 == 0 and born.day <= 12:
            birth, variant = born.strftime("%m.%d.%Y"), "day and month swapped"
        elif index % 3 == 1:
            birth, variant = (born + timedelta(days=1)).isoformat(), "birth date one day off"
        else:
            birth, variant = born.strftime("%d.%m.%Y"), "russian form, split name"
        row = {
            "record_id": f"BRD-{index:03d}",
            "surname": person.surname[1],
            "given_name": person.given[1],
            "patronymic": person.patronymic[1],
            "birth_date": birth,
            "nationality": "RU",
            "document_number": _document_number(rng),
            "crossing_point": rng.choice(("Chonhar", "Kalanchak", "Chaplynka")),
        }
        add("border_log", row, person, variant)

    for index, person in enumerate(chosen[18:24], start=1):
        assert person.birth_date is not None
        born = person.birth_date
        if index % 2:
            name, variant = (
                bgn_ru(f"{person.given[1]} {person.patronymic[1]} {person.surname[1]}"),
                "BGN/PCGN",
            )
        else:
            name, variant = (
                f"{german_ru(person.surname[1])}, {german_ru(person.given[1])}",
                "German rendering",
            )
        row = {
            "record_id": f"EXT-{index:03d}",
            "full_name": name,
            "birth_date": born.strftime("%d %b %Y"),
            "nationality": "Russian Federation",
            "document_number": _document_number(rng),
            "requesting_country": rng.choice(("DE", "PL", "CZ")),
        }
        add("extradition_list", row, person, variant)

    # people on no list, so a screening of the whole file also has plain no-hits
    for list_name, prefix in (("pow_registry", "POW"), ("border_log", "BRD"), ("extradition_list", "EXT")):
        for offset in range(4):
            surname, given, patronymic = (
                rng.choice(off_list),
                rng.choice(GIVEN_NAMES),
                rng.choice(PATRONYMICS),
            )
            born = _random_date(rng, date(1960, 1, 1), date(2000, 12, 31))
            template = lists[list_name][0]
            row = {key: "" for key in template}
            row["record_id"] = f"{prefix}-{len(lists[list_name]) + 1:03d}"
            if "surname" in row:
                row.update(surname=surname[1], given_name=given[1], patronymic=patronymic[1])
                row["crossing_point"] = "Chonhar"
            else:
                row["full_name"] = f"{surname[1]} {given[1]} {patronymic[1]}"
                if list_name == "extradition_list":
                    row["full_name"] = bgn_ru(f"{given[1]} {surname[1]}")
                    row["requesting_country"] = "PL"
                else:
                    row["camp"] = f"Camp {offset + 1}"
            row["birth_date"] = born.strftime("%d.%m.%Y")
            row["nationality"] = "RU"
            row["document_number"] = _document_number(rng)
            add(list_name, row, None, "on no list")
    lists["expected_matches"] = expected
    return lists


def _write(path: Path, columns: Sequence[str], rows: Sequence[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    """Write the fictitious persons file and the incoming lists next to this module."""
    rng = random.Random(SEED)
    persons = make_persons(rng)
    _write(FICTITIOUS_FILE, PERSON_COLUMNS, [person.row for person in persons])
    INCOMING.mkdir(exist_ok=True)
    for name, rows in make_incoming(rng, persons).items():
        _write(INCOMING / f"{name}.csv", list(rows[0]), rows)
    print(f"wrote {len(persons)} persons to {FICTITIOUS_FILE} and the incoming lists to {INCOMING}")


if __name__ == "__main__":
    main()
