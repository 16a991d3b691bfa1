"""The watchlist pages for editors: search, a person's detail with his history, add, edit, close, import.

Editors and admins change the watchlist; enforcement officers and auditors may search it and read a person;
screeners never see it (they only get screening answers). Every rule about what a valid person is lives in
`watchlist.persons` (`parse_person`) and `watchlist.imports`: these views turn form fields into the mapping
those operations read, and the operations' errors back into messages next to the form fields.
"""

from __future__ import annotations

import base64
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.wrappers import Response

from watchlist import i18n
from watchlist.access import Principal, allow, current_principal
from watchlist.app import settings_of
from watchlist.audit import record_event
from watchlist.db import get_session
from watchlist.exc import Conflict, FieldError, NotAuthenticated, ValidationFailed
from watchlist.imports import SUFFIXES, import_person_file, read_person_file
from watchlist.models import ConvictedPerson, DatePrecision, PersonStatus, Role
from watchlist.persons import (
    CONVICTION_FIELDS,
    add_person,
    close_person,
    get_person,
    list_persons,
    parse_person,
    person_input,
    update_person,
)
from watchlist.web import navigation, web

READERS = (Role.EDITOR, Role.OFFICER, Role.AUDITOR, Role.ADMIN)
WRITERS = (Role.EDITOR, Role.ADMIN)
PER_PAGE = 50
# an import with thousands of bad rows still lists them all in its reject file; the page shows the first ones
MAX_ERRORS_SHOWN = 1000
# the text fields of the person form, in the order of the form
TEXT_FIELDS = (
    "external_id",
    "full_name",
    "birth_date",
    "birth_place",
    "citizenship",
    "notes",
    "close_reason",
)
NAME_LIST_FIELDS = ("aliases", "document_names")
CONVICTION_TEXT_FIELDS = tuple(name for name in CONVICTION_FIELDS if name != "in_absentia")
_CONVICTION_FIELD = re.compile(r"convictions-(\d+)-(\w+)")

MESSAGES: dict[str, dict[str, str]] = {
    "uk": {
        "nav.persons": "Реєстр",
        "nav.persons_new": "Додати особу",
        "nav.persons_import": "Імпорт файлу",
        "nav.persons.description": "Пошук у реєстрі засуджених, картки осіб та історія змін.",
        "nav.persons_new.description": "Внести до реєстру нову засуджену особу.",
        "nav.persons_import.description": (
            "Завантажити файл осіб (CSV, JSON, JSONL, XLSX) з перевіркою кожного рядка."
        ),
        "persons.search.title": "Пошук у реєстрі",
        "persons.search.q": "Ім'я або його частина (будь-яким письмом)",
        "persons.search.status": "Статус",
        "persons.search.any_status": "будь-який",
        "persons.search.submit": "Шукати",
        "persons.search.found": "Знайдено {count} особу|Знайдено {count} особи|Знайдено {count} осіб",
        "persons.search.none": "Нікого не знайдено.",
        "persons.search.page": "Сторінка {page} з {pages}",
        "persons.search.previous": "Попередня",
        "persons.search.next": "Наступна",
        "persons.search.add": "Додати особу",
        "persons.search.import": "Імпортувати файл",
        "persons.column.name": "Ім'я",
        "persons.column.other_names": "Інші імена",
        "persons.column.birth_date": "Дата народження",
        "persons.column.status": "Статус",
        "persons.column.external_id": "Ідентифікатор",
        "persons.detail.names": "Імена",
        "persons.detail.name_kind": "Вид",
        "persons.detail.script": "Письмо",
        "persons.detail.facts": "Відомості",
        "persons.detail.convictions": "Вироки",
        "persons.detail.no_convictions": "Вироків не внесено.",
        "persons.detail.history": "Історія змін",
        "persons.detail.when": "Коли (UTC)",
        "persons.detail.who": "Хто",
        "persons.detail.action": "Дія",
        "persons.detail.what": "Що змінено",
        "persons.detail.closed_at": "Закрито",
        "persons.detail.created_at": "Внесено",
        "persons.detail.unknown": "невідомо",
        "persons.detail.edit": "Змінити",
        "persons.detail.close": "Закрити запис",
        "persons.detail.back": "До пошуку",
        "persons.kind.primary": "як у вироку",
        "persons.kind.alias": "інше ім'я",
        "persons.kind.document": "написання в документі",
        "persons.precision.day": "точна дата",
        "persons.precision.month": "відомі рік і місяць",
        "persons.precision.year": "відомий лише рік",
        "persons.action.created": "внесено",
        "persons.action.updated": "змінено",
        "persons.action.closed": "закрито",
        "persons.action.reopened": "відновлено",
        "persons.action.imported": "імпортовано",
        "persons.status.wanted": "розшукується",
        "persons.status.located": "місцеперебування встановлено",
        "persons.status.detained": "затримано",
        "persons.status.serving": "відбуває покарання",
        "persons.status.closed": "закрито",
        "persons.yes": "так",
        "persons.no": "ні",
        "field.external_id": "Ідентифікатор",
        "field.full_name": "Повне ім'я",
        "field.aliases": "Інші імена",
        "field.document_names": "Написання в документах",
        "field.birth_date": "Дата народження",
        "field.birth_place": "Місце народження",
        "field.citizenship": "Громадянство",
        "field.status": "Статус",
        "field.notes": "Примітки",
        "field.close_reason": "Підстава закриття",
        "field.convictions": "Вироки",
        "field.case_number": "Номер справи",
        "field.court": "Суд",
        "field.article": "Стаття",
        "field.sentence": "Покарання",
        "field.verdict_date": "Дата вироку",
        "field.in_absentia": "Заочно",
        "field.appeal_status": "Стан оскарження",
        "field.reason": "Підстава закриття",
        "field.file": "Файл",
        "field.birth_date_precision": "Точність дати народження",
        "hint.external_id": (
            "Ідентифікатор запису, за яким імпорти знаходять особу (наприклад, номер справи)."
        ),
        "hint.full_name": "Як у вироку.",
        "hint.aliases": "По одному в рядку, будь-яким письмом.",
        "hint.document_names": "Написання латиницею з паспорта чи інших документів, по одному в рядку.",
        "hint.birth_date": "РРРР-ММ-ДД, РРРР-ММ або лише РРРР.",
        "hint.verdict_date": "РРРР-ММ-ДД.",
        "hint.close_reason": "Лише для статусу «закрито».",
        "persons.form.new_title": "Нова особа",
        "persons.form.edit_title": "Зміна запису: {name}",
        "persons.form.conviction": "Вирок {number}",
        "persons.form.more_convictions": "Ще один вирок",
        "persons.form.save": "Зберегти",
        "persons.form.cancel": "Скасувати",
        "persons.form.invalid": "Дані не пройшли перевірку: виправте позначені поля.",
        "persons.form.stale": (
            "Поки форма була відкрита, запис змінив хтось інший, тож ваші зміни не збережено. "
            "Перегляньте запис та історію змін; повторне збереження цієї форми перезапише його."
        ),
        "persons.form.external_id_fixed": "Ідентифікатор не змінюється: за ним особу знаходять імпорти.",
        "persons.saved": "Запис збережено.",
        "persons.unchanged": "Нічого не змінено.",
        "persons.closed": "Запис закрито. Особа залишається в реєстрі та в історії.",
        "persons.already_closed": "Цей запис уже закрито.",
        "persons.close.title": "Закриття запису: {name}",
        "persons.close.explain": (
            "Закритий запис не видаляється: він лишається в реєстрі та в історії змін, "
            "але більше не дає збігів під час перевірок."
        ),
        "persons.close.submit": "Закрити запис",
        "persons.import.title": "Імпорт файлу осіб",
        "persons.import.explain": (
            "Файл CSV, JSON, JSONL або XLSX зі стовпцями external_id, full_name, aliases, birth_date, "
            "birth_place, citizenship, case_number, court, article, sentence, verdict_date, status, notes. "
            "Особи з наявним external_id оновлюються."
        ),
        "persons.import.file": "Файл",
        "persons.import.skip_invalid": (
            "Імпортувати правильні рядки, а неправильні віддати окремим файлом (без цього жоден рядок "
            "не записується, якщо хоч один містить помилку)"
        ),
        "persons.import.submit": "Імпортувати",
        "persons.import.no_file": "Оберіть файл.",
        "persons.import.refused": "Файл не імпортовано: нічого не записано. Помилки:",
        "persons.import.done": (
            "Імпорт завершено: нових {created}, оновлених {updated}, без змін {unchanged}, "
            "відхилених рядків {rejected}."
        ),
        "persons.import.rejected": "Відхилені рядки (не імпортовано):",
        "persons.import.download_rejects": "Завантажити файл відхилених рядків",
        "persons.import.more_errors": "…і ще {count} помилок; усі вони є у файлі відхилених рядків.",
        "persons.import.more_errors_refused": "…і ще {count} помилок.",
        "persons.error.file": "Файл",
        "persons.error.row": "Рядок",
        "persons.error.field": "Поле",
        "persons.error.message": "Помилка",
        "persons.error.required": "обов'язкове поле",
        "persons.error.too_long": "довше за {limit} символів",
        "persons.error.no_letters": "{value} — не ім'я: у ньому немає літер",
        "persons.error.birth_date_format": "{value} — не дата у вигляді РРРР-ММ-ДД, РРРР-ММ або РРРР",
        "persons.error.not_real_date": "{value} — такої дати не існує",
        "persons.error.too_early": "раніше за {year} рік",
        "persons.error.future": "дата в майбутньому",
        "persons.error.full_date_format": "{value} — не дата у вигляді РРРР-ММ-ДД",
        "persons.error.not_a_flag": "{value} — не «так» і не «ні»",
        "persons.error.one_of": "має бути одне з: {choices}",
        "persons.error.range": "має бути від {low} до {high}",
        "persons.error.close_reason": "закриття запису потребує підстави",
        "persons.error.control": "містить керівні символи або пошкоджений Юнікод",
        "persons.error.too_many_names": "більше ніж {count} імен",
        "persons.error.too_many_convictions": "більше ніж {count} вироків",
        "persons.error.unknown_column": "невідомий стовпець (див. опис файлу осіб)",
        "persons.error.missing_column": "бракує стовпця",
        "persons.error.extra_cells": "клітинок на {count} більше, ніж стовпців у заголовку",
        "persons.error.duplicate": "{value} є також у рядку {rows}",
        "persons.error.unnamed_column": "стовпець без назви в заголовку",
        "persons.error.twice": "стовпець двічі в заголовку",
        "persons.error.not_object": "має бути об'єктом JSON",
        "persons.error.bad_json": "не є правильним JSON: {detail}",
        "persons.error.unknown_field": "невідоме поле",
        "persons.error.not_text": "має бути текстом",
        "persons.error.empty_file": "порожній файл: немає рядка заголовка",
        "persons.error.file_type": "невідомий тип файлу {suffix}: підтримуються {choices}",
        "persons.error.too_large": "файл має {size} байтів, більше за дозволені {limit}",
        "persons.error.exists": "особа з таким ідентифікатором уже є в реєстрі",
    },
    "en": {
        "nav.persons": "Watchlist",
        "nav.persons_new": "Add a person",
        "nav.persons_import": "Import a file",
        "nav.persons.description": "Search the register of convicted persons, their records and history.",
        "nav.persons_new.description": "Enter a newly convicted person in the register.",
        "nav.persons_import.description": (
            "Upload a persons file (CSV, JSON, JSONL, XLSX), every row checked."
        ),
        "persons.search.title": "Search the watchlist",
        "persons.search.q": "Name or part of it (any script)",
        "persons.search.status": "Status",
        "persons.search.any_status": "any",
        "persons.search.submit": "Search",
        "persons.search.found": "{count} person found|{count} persons found",
        "persons.search.none": "Nobody found.",
        "persons.search.page": "Page {page} of {pages}",
        "persons.search.previous": "Previous",
        "persons.search.next": "Next",
        "persons.search.add": "Add a person",
        "persons.search.import": "Import a file",
        "persons.column.name": "Name",
        "persons.column.other_names": "Other names",
        "persons.column.birth_date": "Date of birth",
        "persons.column.status": "Status",
        "persons.column.external_id": "Identifier",
        "persons.detail.names": "Names",
        "persons.detail.name_kind": "Kind",
        "persons.detail.script": "Script",
        "persons.detail.facts": "Details",
        "persons.detail.convictions": "Convictions",
        "persons.detail.no_convictions": "No convictions entered.",
        "persons.detail.history": "History of changes",
        "persons.detail.when": "When (UTC)",
        "persons.detail.who": "Who",
        "persons.detail.action": "Action",
        "persons.detail.what": "What changed",
        "persons.detail.closed_at": "Closed",
        "persons.detail.created_at": "Entered",
        "persons.detail.unknown": "unknown",
        "persons.detail.edit": "Edit",
        "persons.detail.close": "Close the record",
        "persons.detail.back": "Back to the search",
        "persons.kind.primary": "as in the verdict",
        "persons.kind.alias": "other name",
        "persons.kind.document": "spelling in a document",
        "persons.precision.day": "exact date",
        "persons.precision.month": "year and month known",
        "persons.precision.year": "year only",
        "persons.action.created": "created",
        "persons.action.updated": "updated",
        "persons.action.closed": "closed",
        "persons.action.reopened": "reopened",
        "persons.action.imported": "imported",
        "persons.status.wanted": "wanted",
        "persons.status.located": "located",
        "persons.status.detained": "detained",
        "persons.status.serving": "serving the sentence",
        "persons.status.closed": "closed",
        "persons.yes": "yes",
        "persons.no": "no",
        "field.external_id": "Identifier",
        "field.full_name": "Full name",
        "field.aliases": "Other names",
        "field.document_names": "Spellings in documents",
        "field.birth_date": "Date of birth",
        "field.birth_place": "Place of birth",
        "field.citizenship": "Citizenship",
        "field.status": "Status",
        "field.notes": "Notes",
        "field.close_reason": "Reason for closing",
        "field.convictions": "Convictions",
        "field.case_number": "Case number",
        "field.court": "Court",
        "field.article": "Article",
        "field.sentence": "Sentence",
        "field.verdict_date": "Verdict date",
        "field.in_absentia": "In absentia",
        "field.appeal_status": "Appeal status",
        "field.reason": "Reason for closing",
        "field.file": "File",
        "field.birth_date_precision": "Precision of the date of birth",
        "hint.external_id": "The identifier imports find the person by (for example, the case number).",
        "hint.full_name": "As in the verdict.",
        "hint.aliases": "One a line, in any script.",
        "hint.document_names": "Latin spellings from a passport or other documents, one a line.",
        "hint.birth_date": "YYYY-MM-DD, YYYY-MM or just YYYY.",
        "hint.verdict_date": "YYYY-MM-DD.",
        "hint.close_reason": "Only for the status closed.",
        "persons.form.new_title": "New person",
        "persons.form.edit_title": "Edit the record: {name}",
        "persons.form.conviction": "Conviction {number}",
        "persons.form.more_convictions": "One more conviction",
        "persons.form.save": "Save",
        "persons.form.cancel": "Cancel",
        "persons.form.invalid": "The data did not pass validation: correct the fields marked.",
        "persons.form.stale": (
            "Someone else changed this record while the form was open, so your changes were not saved. "
            "Look at the record and its history; saving this form again will overwrite it."
        ),
        "persons.form.external_id_fixed": "The identifier cannot change: imports find the person by it.",
        "persons.saved": "The record has been saved.",
        "persons.unchanged": "Nothing changed.",
        "persons.closed": "The record has been closed. The person stays in the register and its history.",
        "persons.already_closed": "This record is closed already.",
        "persons.close.title": "Close the record: {name}",
        "persons.close.explain": (
            "A closed record is never deleted: it stays in the register and in the history of changes, "
            "but no longer matches when people are screened."
        ),
        "persons.close.submit": "Close the record",
        "persons.import.title": "Import a persons file",
        "persons.import.explain": (
            "A CSV, JSON, JSONL or XLSX file with the columns external_id, full_name, aliases, birth_date, "
            "birth_place, citizenship, case_number, court, article, sentence, verdict_date, status, notes. "
            "Persons whose external_id exists are updated."
        ),
        "persons.import.file": "File",
        "persons.import.skip_invalid": (
            "Import the valid rows and hand back the invalid ones as a file (without this, nothing is "
            "written when any row has an error)"
        ),
        "persons.import.submit": "Import",
        "persons.import.no_file": "Choose a file.",
        "persons.import.refused": "The file was not imported: nothing was written. The errors:",
        "persons.import.done": (
            "Import finished: {created} new, {updated} updated, {unchanged} unchanged, "
            "{rejected} rows rejected."
        ),
        "persons.import.rejected": "Rejected rows (not imported):",
        "persons.import.download_rejects": "Download the file of rejected rows",
        "persons.import.more_errors": "…and {count} more errors; the file of rejected rows has them all.",
        "persons.import.more_errors_refused": "…and {count} more errors.",
        "persons.error.file": "File",
        "persons.error.row": "Row",
        "persons.error.field": "Field",
        "persons.error.message": "Error",
        "persons.error.required": "is required",
        "persons.error.too_long": "is longer than {limit} characters",
        "persons.error.no_letters": "{value} is not a name: it has no letters",
        "persons.error.birth_date_format": "{value} is not YYYY-MM-DD, YYYY-MM or YYYY",
        "persons.error.not_real_date": "{value} is not a real date",
        "persons.error.too_early": "is before {year}",
        "persons.error.future": "is in the future",
        "persons.error.full_date_format": "{value} is not a date YYYY-MM-DD",
        "persons.error.not_a_flag": "{value} is not yes or no",
        "persons.error.one_of": "must be one of {choices}",
        "persons.error.range": "must be {low} to {high}",
        "persons.error.close_reason": "closing a record needs a reason",
        "persons.error.control": "contains control characters or broken Unicode",
        "persons.error.too_many_names": "more than {count} names",
        "persons.error.too_many_convictions": "more than {count} convictions",
        "persons.error.unknown_column": "unknown column (see the persons file description)",
        "persons.error.missing_column": "missing column",
        "persons.error.extra_cells": "has {count} more cells than the header has columns",
        "persons.error.duplicate": "{value} is also on row {rows}",
        "persons.error.unnamed_column": "has no name in the header",
        "persons.error.twice": "appears twice in the header",
        "persons.error.not_object": "must be a JSON object",
        "persons.error.bad_json": "is not valid JSON: {detail}",
        "persons.error.unknown_field": "unknown field",
        "persons.error.not_text": "must be text",
        "persons.error.empty_file": "is empty: no header row",
        "persons.error.file_type": "unknown file type {suffix}: use {choices}",
        "persons.error.too_large": "the file is {size} bytes, more than the {limit} allowed",
        "persons.error.exists": "a person with this identifier is in the register already",
    },
}

# The operations speak English (the API and CLI show their messages as they are); the pages show them in the
# user's language. Each pattern matches one message of `watchlist.persons` or `watchlist.imports` in full; a
# message no pattern knows is shown as the operation wrote it rather than hidden.
_ERROR_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"is required", "persons.error.required"),
        (r"is longer than (?P<limit>\d+) characters", "persons.error.too_long"),
        (r"(?P<value>.+) is not a name: it has no letters", "persons.error.no_letters"),
        (r"(?P<value>.+) is not YYYY-MM-DD, YYYY-MM or YYYY", "persons.error.birth_date_format"),
        (r"(?P<value>.+) is not a real date", "persons.error.not_real_date"),
        (r"is before (?P<year>\d+)", "persons.error.too_early"),
        (r"is in the future", "persons.error.future"),
        (r"(?P<value>.+) is not a date YYYY-MM-DD", "persons.error.full_date_format"),
        (r"(?P<value>.+) is not true or false", "persons.error.not_a_flag"),
        (r"must be one of (?P<choices>.+)", "persons.error.one_of"),
        (r"must be (?P<low>\d+) to (?P<high>\d+)", "persons.error.range"),
        (r"closing a person needs a reason", "persons.error.close_reason"),
        (r"contains control characters or broken Unicode", "persons.error.control"),
        (r"more than (?P<count>\d+) names", "persons.error.too_many_names"),
        (r"more than (?P<count>\d+) convictions", "persons.error.too_many_convictions"),
        (r"unknown column \(see the persons file in DESIGN\.md\)", "persons.error.unknown_column"),
        (r"missing column", "persons.error.missing_column"),
        (r"has (?P<count>\d+) more cells than the header has columns", "persons.error.extra_cells"),
        (r"(?P<value>.+) is also on row (?P<rows>.+)", "persons.error.duplicate"),
        (r"has no name in the header", "persons.error.unnamed_column"),
        (r"appears twice in the header", "persons.error.twice"),
        (r"must be a JSON object", "persons.error.not_object"),
        (r"is not valid JSON: (?P<detail>.+)", "persons.error.bad_json"),
        (r"unknown field", "persons.error.unknown_field"),
        (r"must be text", "persons.error.not_text"),
        (r"is empty: no header row", "persons.error.empty_file"),
        (r"unknown file type (?P<suffix>\S+): use (?P<choices>.+)", "persons.error.file_type"),
        (r"is (?P<size>\d+) bytes, more than the (?P<limit>\d+) allowed.*", "persons.error.too_large"),
    )
)


def error_message(error: FieldError) -> str:
    """The message of an operation's field error in the language of the current request."""
    for pattern, key in _ERROR_PATTERNS:
        found = pattern.fullmatch(error.message)
        if found:
            return i18n.gettext(key, **found.groupdict())
    return error.message


def field_label(name: str) -> str:
    """The form label of a person field (`convictions[0].court` is labelled as `court`), else the name."""
    key = "field." + name.rsplit(".", 1)[-1].split("[")[0]
    if key in i18n.catalogue_of(current_app).messages[i18n.current_language()]:
        return i18n.gettext(key)
    return name


def _principal() -> Principal:
    principal = current_principal()
    if principal is None:  # the access policy lets no anonymous caller reach these views
        raise NotAuthenticated("authentication required")
    return principal


def _audit(action: str, subject: Mapping[str, Any], outcome: Mapping[str, Any]) -> None:
    """Write the audit row of a consultation by the caller of this request, in its transaction."""
    principal = _principal()
    record_event(
        get_session(),
        action,
        actor=principal.username,
        via=principal.via,
        role=principal.role,
        remote_addr=request.remote_addr,
        subject=subject,
        outcome=outcome,
    )


def _can_edit() -> bool:
    principal = current_principal()
    return principal is not None and principal.role in WRITERS


# --- search -----------------------------------------------------------------------------------------------


def _page_number(raw: str | None) -> int:
    # a hand-edited or stale page number lands on the first page instead of an error page
    return int(raw) if raw and raw.isdigit() and 0 < int(raw) < 10**6 else 1


@web.get("/persons")
@allow(*READERS)
def persons_search() -> tuple[str, int]:
    """Search the watchlist by a part of any name, in any script, and by status, a page at a time.

    A search is a consultation too (who looked for whom, and which persons the page showed): it writes an
    audit row, and the page is not shown if that row cannot be written.
    """
    q = request.args.get("q", "")
    raw_status = request.args.get("status", "")
    status = PersonStatus(raw_status) if raw_status in {s.value for s in PersonStatus} else None
    page = _page_number(request.args.get("page"))
    errors: dict[str, list[str]] = {}
    session = get_session()
    try:
        result = list_persons(session, page, PER_PAGE, status, q)
    except ValidationFailed as failure:
        for error in failure.details:
            errors.setdefault(error.field, []).append(error_message(error))
        result = None
    if result is not None:
        _audit(
            "person_search",
            subject={"q": q, "status": status.value if status else None, "page": page},
            outcome={"total": result.total, "persons_disclosed": [person.id for person in result.items]},
        )
    pages = max(1, -(-result.total // PER_PAGE)) if result else 1
    body = render_template(
        "persons_search.html",
        q=q,
        status=status.value if status else "",
        statuses=[s.value for s in PersonStatus],
        result=result,
        pages=pages,
        errors=errors,
        can_edit=_can_edit(),
    )
    session.commit()
    return body, 422 if errors else 200


# --- detail -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeLine:
    """One field of one change as the history table shows it."""

    field: str
    before: str
    after: str


def _value_text(value: Any, field: str = "") -> str:
    """A value of field `field` in a change row as one line of text."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return i18n.gettext("persons.yes" if value else "persons.no")
    if isinstance(value, list):
        return "; ".join(_value_text(item) for item in value)
    if isinstance(value, dict):
        # a conviction: its filled-in details in the order of the form
        parts = []
        for name in CONVICTION_FIELDS:
            item = value.get(name)
            if name == "in_absentia":
                if item is False:
                    parts.append(i18n.gettext("field.in_absentia") + ": " + i18n.gettext("persons.no"))
            elif item not in (None, ""):
                parts.append(str(item))
        return ", ".join(parts) or "—"
    if field == "status" and isinstance(value, str) and value in {s.value for s in PersonStatus}:
        return i18n.gettext(f"persons.status.{value}")
    return str(value)


def change_lines(changes: Mapping[str, Any]) -> list[ChangeLine]:
    """The fields of one change row, labelled in the user's language, with before and after as text."""
    lines = []
    for name, pair in changes.items():
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        lines.append(ChangeLine(field_label(name), _value_text(before, name), _value_text(after, name)))
    return lines


def _action_label(action: str) -> str:
    key = f"persons.action.{action}"
    known = key in i18n.catalogue_of(current_app).messages[i18n.current_language()]
    return i18n.gettext(key) if known else action


@web.get("/persons/<int:person_id>")
@allow(*READERS)
def persons_detail(person_id: int) -> str:
    """A person's record: every name with its kind and script, birth date, convictions, status, history.

    Reading a record is a consultation: the audit log gets a row in the same transaction, and the page is
    not shown if that row cannot be written.
    """
    session = get_session()
    person = get_person(session, person_id)
    _audit(
        "person_view",
        subject={"person_id": person.id, "external_id": person.external_id},
        outcome={"persons_disclosed": [person.id]},
    )
    history = [
        (change, _action_label(change.action), change_lines(change.changes))
        for change in reversed(person.changes)
    ]
    page = render_template(
        "persons_detail.html",
        person=person,
        history=history,
        can_edit=_can_edit(),
        DatePrecision=DatePrecision,
    )
    session.commit()
    return page


# --- add and edit -----------------------------------------------------------------------------------------


@dataclass
class PersonForm:
    """What the person form shows: the values as typed, the convictions, and the messages next to fields."""

    values: dict[str, str]
    convictions: list[dict[str, str]]
    errors: dict[str, list[str]]
    # the record's last change when the editor opened the form (see `persons_edit`)
    revision: str = ""

    def error_list(self) -> list[str]:
        return [message for messages in self.errors.values() for message in messages]


def record_revision(person: ConvictedPerson) -> str:
    """A token that changes whenever the person does: the id of his latest change row."""
    return str(max((change.id for change in person.changes), default=0))


def _blank_conviction() -> dict[str, str]:
    return {**{name: "" for name in CONVICTION_TEXT_FIELDS}, "in_absentia": "yes"}


def _form_of(person_mapping: Mapping[str, Any]) -> PersonForm:
    """The form filled in from a person as `PersonInput.to_mapping` gives it."""
    values = {name: person_mapping.get(name) or "" for name in TEXT_FIELDS}
    values["status"] = person_mapping.get("status") or PersonStatus.WANTED.value
    for name in NAME_LIST_FIELDS:
        values[name] = "\n".join(person_mapping.get(name) or [])
    convictions = [
        {
            **{name: conviction.get(name) or "" for name in CONVICTION_TEXT_FIELDS},
            "in_absentia": "yes" if conviction.get("in_absentia", True) else "no",
        }
        for conviction in person_mapping.get("convictions") or []
    ]
    return PersonForm(values, convictions, {})


def _read_form(form: MultiDict[str, str], external_id: str | None) -> tuple[PersonForm, dict[str, Any]]:
    """The form as submitted, and the person mapping `parse_person` reads from it.

    Conviction groups left blank are dropped, and the others renumbered, so that an error of
    `convictions[1]` names the second group the re-rendered form shows.
    """
    values = {name: form.get(name, "") for name in (*TEXT_FIELDS, *NAME_LIST_FIELDS, "status")}
    if external_id is not None:
        values["external_id"] = external_id
    groups: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        found = _CONVICTION_FIELD.fullmatch(key)
        if found and found.group(2) in CONVICTION_FIELDS and int(found.group(1)) < 1000:
            groups.setdefault(int(found.group(1)), _blank_conviction())[found.group(2)] = value
    convictions = [
        group
        for _index, group in sorted(groups.items())
        if any(group[name].strip() for name in CONVICTION_TEXT_FIELDS)
    ]
    mapping: dict[str, Any] = {name: values[name] for name in TEXT_FIELDS}
    mapping["status"] = values["status"]
    for name in NAME_LIST_FIELDS:
        mapping[name] = [line for line in values[name].splitlines() if line.strip()]
    mapping["convictions"] = [dict(group) for group in convictions]
    return PersonForm(values, convictions, {}), mapping


def _with_errors(form: PersonForm, errors: Sequence[FieldError]) -> PersonForm:
    for error in errors:
        form.errors.setdefault(error.field, []).append(error_message(error))
    return form


def _render_form(form: PersonForm, person: ConvictedPerson | None, status: int = 200) -> tuple[str, int]:
    # one empty group to enter a further conviction in (the "one more" button asks for another)
    form.convictions.append(_blank_conviction())
    return render_template(
        "persons_form.html",
        form=form,
        person=person,
        statuses=[s.value for s in PersonStatus],
        conviction_fields=CONVICTION_TEXT_FIELDS,
        text_fields=TEXT_FIELDS,
    ), status


@web.route("/persons/new", methods=["GET", "POST"])
@allow(*WRITERS)
def persons_new() -> Response | tuple[str, int]:
    """The form to add a person: names, aliases, document spellings, birth date, convictions, status."""
    if request.method == "GET":
        return _render_form(_form_of({}), None)
    form, mapping = _read_form(request.form, None)
    if request.form.get("more"):
        return _render_form(form, None)
    parsed = parse_person(mapping)
    if isinstance(parsed, list):
        return _render_form(_with_errors(form, parsed), None, 422)
    session = get_session()
    try:
        person = add_person(session, parsed, _principal().username)
    except Conflict:
        session.rollback()
        form.errors["external_id"] = [i18n.gettext("persons.error.exists")]
        return _render_form(form, None, 409)
    session.commit()
    flash("persons.saved")
    return redirect(url_for("web.persons_detail", person_id=person.id))


@web.route("/persons/<int:person_id>/edit", methods=["GET", "POST"])
@allow(*WRITERS)
def persons_edit(person_id: int) -> Response | tuple[str, int]:
    """The form to change a person; the identifier stays, everything else may change."""
    session = get_session()
    person = get_person(session, person_id)
    if request.method == "GET":
        form = _form_of(person_input(person).to_mapping())
        form.revision = record_revision(person)
        return _render_form(form, person)
    form, mapping = _read_form(request.form, person.external_id)
    form.revision = request.form.get("revision", "")
    if request.form.get("more"):
        return _render_form(form, person)
    parsed = parse_person(mapping)
    if isinstance(parsed, list):
        return _render_form(_with_errors(form, parsed), person, 422)
    # Two editors with the same record open: the second save must not silently undo the first. The form
    # carries the record's last change; when the record moved on, the editor is told and may save again.
    if form.revision != record_revision(person):
        form.errors["revision"] = [i18n.gettext("persons.form.stale")]
        form.revision = record_revision(person)
        return _render_form(form, person, 409)
    changed = update_person(session, person, parsed, _principal().username)
    session.commit()
    flash("persons.saved" if changed else "persons.unchanged")
    return redirect(url_for("web.persons_detail", person_id=person.id))


@web.route("/persons/<int:person_id>/close", methods=["GET", "POST"])
@allow(*WRITERS)
def persons_close(person_id: int) -> Response | tuple[str, int]:
    """Close a person's record with a reason; the record stays, in the register and in its history."""
    session = get_session()
    person = get_person(session, person_id)
    if person.status is PersonStatus.CLOSED:
        flash("persons.already_closed")
        return redirect(url_for("web.persons_detail", person_id=person.id))
    if request.method == "GET":
        return render_template("persons_close.html", person=person, reason="", errors={}), 200
    reason = request.form.get("reason", "")
    try:
        close_person(session, person, reason, _principal().username)
    except ValidationFailed as failure:
        session.rollback()
        errors: dict[str, list[str]] = {}
        for error in failure.details:
            errors.setdefault(error.field, []).append(error_message(error))
        return render_template("persons_close.html", person=person, reason=reason, errors=errors), 422
    session.commit()
    flash("persons.closed")
    return redirect(url_for("web.persons_detail", person_id=person.id))


# --- import -----------------------------------------------------------------------------------------------


def upload_name(upload: FileStorage) -> str:
    """The uploaded file's own name, made safe to create in a directory of ours.

    Werkzeug's `secure_filename` would drop every Cyrillic letter (`список.csv` becomes `csv`), and the name
    is what each error row shows the editor, so only what could leave the directory is taken out.
    """
    raw = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in raw if char.isprintable()).strip().lstrip(".")
    return name[-200:] or "upload"


@dataclass(frozen=True)
class ImportOutcome:
    """What the import page shows after an upload."""

    errors: list[FieldError]
    refused: bool
    counts: dict[str, int] | None = None
    reject_name: str | None = None
    reject_href: str | None = None


def _import(upload: FileStorage, skip_invalid: bool) -> ImportOutcome:
    session = get_session()
    with tempfile.TemporaryDirectory(prefix="watchlist-import-") as directory:
        path = Path(directory) / upload_name(upload)
        upload.save(path)
        try:
            person_file = read_person_file(path, settings_of(current_app).imports_max_file_bytes)
            reject_file = Path(directory) / (path.name + ".rejected.csv")
            report = import_person_file(
                session, person_file, _principal().username, skip_invalid, reject_file
            )
        except ValidationFailed as failure:
            session.rollback()
            return ImportOutcome(failure.details, refused=True)
        session.commit()
        counts = {
            "created": report.summary.created,
            "updated": report.summary.updated,
            "unchanged": report.summary.unchanged,
            "rejected": report.rejected,
        }
        if report.reject_file is None:
            return ImportOutcome([], refused=False, counts=counts)
        # The reject file goes back inside the page as a data: link: the next request may reach another
        # worker or host, and no file of persons' data is left behind on a server to be cleaned up later.
        encoded = base64.b64encode(report.reject_file.read_bytes()).decode("ascii")
        return ImportOutcome(
            person_file.errors,
            refused=False,
            counts=counts,
            reject_name=report.reject_file.name,
            reject_href=f"data:text/csv;charset=utf-8;base64,{encoded}",
        )


@web.route("/persons/import", methods=["GET", "POST"])
@allow(*WRITERS)
def persons_import() -> tuple[str, int]:
    """Upload a persons file: every row checked, every error shown as file, row, field and message."""
    suffixes = ", ".join(sorted(SUFFIXES))
    if request.method == "GET":
        return render_template("persons_import.html", outcome=None, errors={}, suffixes=suffixes), 200
    upload = request.files.get("file")
    skip_invalid = request.form.get("skip_invalid") == "yes"
    if upload is None or not upload.filename:
        errors = {"file": [i18n.gettext("persons.import.no_file")]}
        return render_template(
            "persons_import.html", outcome=None, errors=errors, suffixes=suffixes, skip_invalid=skip_invalid
        ), 422
    outcome = _import(upload, skip_invalid)
    return render_template(
        "persons_import.html",
        outcome=outcome,
        errors={},
        suffixes=suffixes,
        skip_invalid=skip_invalid,
        shown=outcome.errors[:MAX_ERRORS_SHOWN],
        hidden=max(0, len(outcome.errors) - MAX_ERRORS_SHOWN),
    ), 422 if outcome.refused else 200


def init_app(app: Flask) -> None:
    """Add the pages' texts to the catalogue and their entries to the menu."""
    i18n.catalogue_of(app).add(MESSAGES)
    navigation.add_nav_item(app, "web.persons_search", "nav.persons", "nav.persons.description")
    navigation.add_nav_item(app, "web.persons_new", "nav.persons_new", "nav.persons_new.description")
    navigation.add_nav_item(app, "web.persons_import", "nav.persons_import", "nav.persons_import.description")
    app.jinja_env.globals.update(persons_error_message=error_message)
