"""Spelling patterns met in real sanctions and PEP lists (Belarusian, Czech, Slovak, Swedish and English
renderings of Russian names; a Cyrillic name typed with Latin look-alikes), each with a fictitious example."""

from __future__ import annotations

import pytest

from matchers import MatchIndex, PersonEntry, Thresholds
from matchers.names import parse_name
from matchers.normalize import mixed_script_words, normalize_name
from matchers.scoring import OTHER_SEX_SIMILARITY, word_similarity
from matchers.transliterate import skeleton

THRESHOLDS = Thresholds(alert=0.86, review=0.70)


def _decision(stored: str, query: str, stored_date: str | None = None, query_date: str | None = None) -> str:
    index = MatchIndex.build([PersonEntry(1, (stored,), stored_date)], THRESHOLDS)
    matches = [match for match in index.screen(query, query_date) if match.person_id == 1]
    return matches[0].decision if matches else "none"


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        # Belarusian akanye (unstressed о as а), ў written u, -ич as -іч, дзеканне, Belarusian given names
        ("Лукашенко Александр Григорьевич", "Aliaksandr Ryhoravich LUKASHENKA"),
        ("Лукашенко Александр Григорьевич", "Лукашэнка Аляксандр Рыгоравіч"),
        # цеканне: Russian т before a soft vowel is Belarusian ц (Котило -> Каціла)
        ("Сергей Викторович КОТИЛО", "Siarhei Viktaravich KATSILA"),
        ("Сергей Викторович КОТИЛО", "Сяргей Віктаравіч КАЦІЛА"),
        # яканне: unstressed е after a consonant is я (Веденкова -> Вядзенкова), with дзеканне on top
        ("Наталья Ивановна ВЕДЕНКОВА", "Natallia Ivanauna VIADZENKOVA"),
        # Swedish writes Belarusian ся as sja (Сяргей: Sjarhej); ў inside a word is u (Дуброўка: Dubrouka)
        ("Сергей Федорович КОВАЛЬ", "Sjarhej KOVAL"),
        ("Виктор Александрович ДУБРОВКИН", "Viktar Aliaksandravich DUBROUKIN"),
        # Slovak soft ľ before a vowel is ля (Коляда -> Kaľada)
        ("Олег Иванович КОЛЯДА", "Aleh Ivanavič KAĽADA"),
        # Swedish щ is sjtj (Пащук -> Pasjtjuk), also written sjt
        ("Олег Иванович ПАЩУК", "Oleg Ivanovitj PASJTJUK"),
        ("Олег Иванович ПАЩУК", "Oleg Ivanovitj PASJTUK"),
        # т and ш written together read as the English "tsh" (Бахметшин -> Bakhmetshin)
        ("Бахметшин Ринат Ильдарович", "Bakhmetshin Rinat Ildarovich"),
        # English j is дж (Джабаров -> Jabarov)
        ("Джабаров Рустам Алиевич", "Jabarov Rustam Alievich"),
        # Greek-style th is ф (Афанасенко -> Athanasenko)
        ("Афанасенко Игорь Петрович", "Athanasenko Igor Petrovich"),
        # Джордж is the Russian spelling of George
        ("Табидзе Джордж Ильич", "Tabidze George Ilyich"),
        # Czech and Slovak add -ová to a woman's surname that Russian leaves as it is (Ковальчук)
        ("Галина Петровна КОВАЛЬЧУК", "Halina Kovalčuková"),
        ("Галина Петровна КОВАЛЬЧУК", "Galina Kovaľčuková"),
        # ... and to the man's form of a surname Russian declines (Обухов -> Обухова, Czech Obuchovová)
        ("Анна Ивановна ОБУХОВА", "Anna Obuchovová"),
        # ... and to a Ukrainian -енко surname in place of its -o (Гончаренко -> Hančarenková)
        ("Светлана Ивановна ГОНЧАРЕНКО", "Sviatlana Hancharenková"),
        ("Светлана Ивановна ГОНЧАРЕНКО", "Svjatlana Hančarenková"),
        # a woman's name (her patronymic says so) with the man's form of her surname is a clerk's slip
        ("Кабашова Ирина Петровна", "Kabashov Irina Petrovna"),
        ("Журбина Олена Вікторівна", "Zhurbin Olena Viktorivna"),
        # ISO 9 and GOST 7.79 A write я as â and ю as û (Клянюшкин -> Klânûškin)
        ("Клянюшкин Остап Русланович", "Klânûškin Ostap Ruslanovič"),
        ("Брюлянов Тарас Васильевич", "Brûlânov Taras Vasilʹevič"),
        # ... and х as h, which Ukrainian spellings use for г (Махорихин -> Mahorihin)
        ("Махорихин Тарас Борисович", "Mahorihin Taras Borisovič"),
        ("Хихорев Остап Валерьевич", "Hihorev Ostap Valerʹevič"),
        # a Cyrillic name whose surname was typed entirely with Latin look-alike letters
        ("Анна Борисовна COPOKA", "Anna Borisovna SOROKA"),
    ],
)
def test_real_spelling_patterns_alert(stored: str, query: str) -> None:
    assert _decision(stored, query) == "alert"


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        # the man's surname is read as the woman's only when the same name says she is a woman: a brother
        # and a sister, a husband and a wife stay two people
        ("Кабашов Игорь Петрович", "Kabashov Irina Petrovna"),
        ("Кабашова Ирина Петровна", "Kabashov Igor Petrovich"),
        ("Кабашов Петр Иванович", "Kabashova Irina Petrovna"),
    ],
)
def test_a_man_and_a_woman_of_one_family_are_not_one_person(stored: str, query: str) -> None:
    assert _decision(stored, query) != "alert"


def test_swedish_and_dutch_zj_is_zh() -> None:
    assert skeleton(normalize_name("Pirozjkov")) == skeleton(normalize_name("Пирожков"))
    assert skeleton(normalize_name("Serozjenko")) == skeleton(normalize_name("Сероженко"))


def test_a_czech_feminine_surname_is_the_woman_never_the_man() -> None:
    # Czech writes Обухова as Obuchovová: the feminine of Обухов, whichever way "ch" is read
    woman = parse_name("Obuchovová").parts[0]
    assert word_similarity(woman, parse_name("Обухов").parts[0]) == OTHER_SEX_SIMILARITY
    assert word_similarity(woman, parse_name("Обухова").parts[0]) >= 0.9
    # a surname Russian does not decline is the same word for her and for him: the given name decides
    assert word_similarity(parse_name("Kovalčuková").parts[0], parse_name("Ковальчук").parts[0]) == 1.0
    assert _decision("Обухов Андрей Иванович", "Anna Obuchovová") == "none"


def test_patronymics_of_two_different_fathers_do_not_add_up_to_an_alert() -> None:
    # Геннадьевич and Аркадьевич share letters, but Геннадий and Аркадий are two known given names
    assert _decision("Александр Аркадьевич КРАВЕЦ", "Aleksandr Gennad'yevich Kravets") == "review"
    assert _decision("Олександр Аркадійович Кравець", "Oleksandr Hennadiiovych Kravets") == "review"


def test_a_word_of_latin_look_alikes_in_a_cyrillic_name_is_read_as_cyrillic() -> None:
    assert normalize_name("Анна Борисовна COPOKA") == "анна борисовна сорока"
    assert normalize_name("Anna Borisovna СОРОКА") == "anna borisovna copoka"
    assert mixed_script_words("Анна Борисовна COPOKA") == ["COPOKA"]
    # a Latin word with a letter Cyrillic has no twin of is a Latin word, not a slip
    assert normalize_name("Олег Petrov") == "олег petrov"
    assert normalize_name(normalize_name("Анна Борисовна COPOKA")) == "анна борисовна сорока"


def test_belarusian_readings_do_not_merge_a_namesake_with_another_birth_date() -> None:
    assert _decision(
        "Сергей Викторович КОТИЛО", "Siarhei Viktaravich KATSILA", "1970-05-01", "1990-08-14"
    ) == ("none")
