"""The screening pages for border and POW officials: screen one person, or upload a list and screen it.

A list is screened a chunk per request (see `watchlist.list_screening`): the results page posts to
`/screen/lists/<id>/next` until every row is done, showing progress as it goes, and any web worker can
answer each of those requests because the list's state is in the database.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from watchlist import i18n
from watchlist.access import Principal, allow, current_principal
from watchlist.audit import audit
from watchlist.db import get_session
from watchlist.exc import FieldError, ValidationFailed
from watchlist.imports import SUFFIXES
from watchlist.list_screening import (
    EXPORT_COLUMNS,
    LIST_FIELDS,
    LIST_MAX_BYTES,
    LIST_MAX_ROWS,
    ROW_FILTERS,
    Caller,
    apply_mapping,
    best_match,
    count_rows,
    export_rows,
    get_list_screening,
    get_row,
    list_rows,
    read_list,
    recent_list_screenings,
    row_outcome,
    screen_next_chunk,
    write_csv,
    write_xlsx,
)
from watchlist.models import Role
from watchlist.models.list_screenings import ListScreening, ListState
from watchlist.screening import incoming_record, instruction, screen_records, screening_service
from watchlist.web import navigation

screen_pages = Blueprint("screen", __name__)

# who may screen: everyone who works a case; auditors read the log of screenings, they do not screen
SCREENING_ROLES = (Role.SCREENER, Role.OFFICER, Role.EDITOR, Role.ADMIN)
# the results table shows this many rows at most; the download has them all
TABLE_LIMIT = 500
# the room an upload's form has above the file's limit, for the CSRF field and the multipart framing
UPLOAD_FORM_ROOM = 64 * 1024
# rows of the file shown under the mapping form, so the uploader sees what each column holds
SAMPLE_ROWS = 5


def _principal() -> Principal:
    principal = current_principal()
    assert principal is not None  # the access policy lets only signed-in users through
    return principal


def _caller() -> Caller:
    principal = _principal()
    return Caller(
        username=principal.username,
        role=principal.role,
        via=principal.via,
        remote_addr=request.remote_addr,
        language=i18n.current_language(),
    )


# --- problems in the user's language ---------------------------------------------------------------------

# the validators speak English to the API; the pages say the same in the user's language
_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"empty \(give full_name"), "problem.empty_name"),
    (re.compile(r"is longer than (?P<limit>\d+) characters"), "problem.too_long"),
    (re.compile(r"must be text"), "problem.not_text"),
    (re.compile(r"has (?P<count>\d+) more cells than the header"), "problem.extra_cells"),
    (re.compile(r"is not valid JSON"), "problem.not_json"),
    (re.compile(r"is not an object"), "problem.not_object"),
    (re.compile(r"has more than (?P<limit>\d+) rows"), "problem.too_many_rows"),
    (re.compile(r"has no rows to screen|is empty: no header row"), "problem.no_rows"),
    (re.compile(r"unknown file type"), "problem.file_type"),
    (re.compile(r"choose the column of the full name"), "problem.no_name_column"),
    (re.compile(r"the column '(?P<column>.+)' is chosen for more than one field"), "problem.column_twice"),
    (re.compile(r"the file has no column '(?P<column>.+)'"), "problem.no_such_column"),
    (re.compile(r"choose a file"), "problem.no_file"),
    (re.compile(r"is not a readable XLSX workbook"), "problem.bad_xlsx"),
    (re.compile(r"appears twice in the header"), "problem.header_twice"),
    (re.compile(r"has no name in the header"), "problem.header_unnamed"),
    (re.compile(r"is neither UTF-8|is not valid text|is not readable CSV"), "problem.bad_text"),
    (re.compile(r"bytes, more than the"), "problem.too_large"),
)


def problem_text(message: str) -> str:
    """A validation message in the user's language (as given when it is not one of ours)."""
    for pattern, key in _PROBLEMS:
        found = pattern.search(message)
        if found:
            return i18n.gettext(key, **found.groupdict())
    return message


def field_label(name: str) -> str:
    """The name of an input field in the user's language."""
    key = f"lists.field.{name}"
    messages = i18n.catalogue_of(current_app).messages[i18n.current_language()]
    return messages[key] if key in messages else name


def describe_problems(problems: Sequence[Mapping[str, Any]]) -> str:
    """Problems of one row as one line: `field: what is wrong; …`."""
    return "; ".join(f"{field_label(p['field'])}: {problem_text(p['message'])}" for p in problems)


def _problems(details: Sequence[FieldError]) -> list[dict[str, Any]]:
    return [
        {"field": field_label(e.field), "message": problem_text(e.message), "row": e.row, "file": e.file}
        for e in details
    ]


# --- one person ------------------------------------------------------------------------------------------


@screen_pages.route("/screen", methods=["GET", "POST"])
@allow(*SCREENING_ROLES)
def person() -> str | tuple[str, int]:
    """The form to screen one person, and the result under it once screened.

    A screening is a POST: it writes the audit row, and a name typed at a checkpoint stays out of URLs,
    browser history and access logs.
    """
    form = {
        key: request.form.get(key, "") for key in ("name", "birth_date", "nationality", "document_number")
    }
    if request.method == "GET":
        return render_template("screen_person.html", form=form, result=None, problems=[])
    try:
        record = incoming_record(form)
    except ValidationFailed as error:
        page = render_template(
            "screen_person.html", form=form, result=None, problems=_problems(error.details)
        )
        return page, 422
    principal = _principal()
    session = get_session()
    (result,) = screen_records(
        session,
        screening_service(current_app),
        [record],
        action="screen",
        actor=principal.username,
        via=principal.via,
        role=principal.role.value,
        remote_addr=request.remote_addr,
        language=i18n.current_language(),
    )
    session.commit()
    return render_template("screen_person.html", form=form, result=result, problems=[])


# --- lists -----------------------------------------------------------------------------------------------


def _upload_name(filename: str) -> str:
    # the name as the user knows it (Cyrillic kept), without any path or control character
    name = PurePath(filename.replace("\\", "/")).name
    name = "".join(char for char in name if ord(char) >= 32 and char != "/")[-200:]
    return name if name not in ("", ".", "..") else "upload"


def _lists_page(problems: list[dict[str, Any]], status: int = 200) -> tuple[str, int]:
    recent = recent_list_screenings(get_session(), _principal().username)
    page = render_template(
        "screen_lists.html",
        recent=recent,
        problems=problems,
        max_rows=LIST_MAX_ROWS,
        max_megabytes=LIST_MAX_BYTES // (1024 * 1024),
        accept=",".join(sorted(SUFFIXES)),
    )
    return page, status


@screen_pages.get("/screen/lists")
@allow(*SCREENING_ROLES)
def lists() -> tuple[str, int]:
    """The upload form and the caller's recent lists."""
    return _lists_page([])


@screen_pages.url_value_preprocessor
def _limit_uploads(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    # a list is far smaller than a persons file (the app's limit). This runs before the access check
    # reads the form for its CSRF field, so a larger upload is refused (413) before its body is read.
    if endpoint == "screen.upload":
        request.max_content_length = LIST_MAX_BYTES + UPLOAD_FORM_ROOM


@screen_pages.post("/screen/lists")
@allow(*SCREENING_ROLES)
def upload() -> Response | tuple[str, int]:
    """Store an uploaded list and go on to its mapping step or its screening."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _lists_page(_problems([FieldError("file", "choose a file")]), 422)
    name = _upload_name(upload.filename)
    session = get_session()
    with tempfile.TemporaryDirectory(prefix="watchlist-list-") as folder:
        path = Path(folder) / name
        upload.save(path)
        try:
            screening = read_list(session, path, name, _principal().username)
        except ValidationFailed as error:
            session.rollback()
            return _lists_page(_problems(error.details), 422)
    session.commit()
    return redirect(url_for("screen.list_page", screening_id=screening.id), code=303)


def _mine(screening_id: int) -> ListScreening:
    principal = _principal()
    return get_list_screening(get_session(), screening_id, principal.username, principal.role)


def _sample(screening: ListScreening) -> list[dict[str, Any]]:
    rows = list_rows(get_session(), screening, limit=SAMPLE_ROWS)
    return [row.cells for row in rows]


@screen_pages.get("/screen/lists/<int:screening_id>")
@allow(*SCREENING_ROLES)
def list_page(screening_id: int) -> str:
    """A list: its mapping step, its progress while it is screened, or its results with filters."""
    screening = _mine(screening_id)
    if screening.state is ListState.MAPPING:
        return render_template(
            "screen_list_mapping.html",
            screening=screening,
            mapping=screening.mapping,
            fields=LIST_FIELDS,
            sample=_sample(screening),
            problems=[],
        )
    outcome = request.args.get("decision", "")
    text = request.args.get("q", "")
    chosen = outcome if outcome in ROW_FILTERS else None
    if text.strip():
        rows = list_rows(get_session(), screening, chosen, text)
        shown = len(rows)
    else:
        rows = list_rows(get_session(), screening, chosen, limit=TABLE_LIMIT)
        shown = count_rows(get_session(), screening, chosen)
    return render_template(
        "screen_list.html",
        screening=screening,
        rows=rows[:TABLE_LIMIT],
        shown=shown,
        limit=TABLE_LIMIT,
        outcome=outcome,
        text=text,
        filters=ROW_FILTERS,
        row_outcome=row_outcome,
        best_match=best_match,
        describe_problems=describe_problems,
    )


@screen_pages.post("/screen/lists/<int:screening_id>/mapping")
@allow(*SCREENING_ROLES)
def mapping(screening_id: int) -> Response | tuple[str, int]:
    """Take the uploader's choice of which column is which, and start screening."""
    screening = _mine(screening_id)
    if screening.state is not ListState.MAPPING:
        return redirect(url_for("screen.list_page", screening_id=screening.id), code=303)
    chosen = {target: request.form.get(target, "") for target in LIST_FIELDS}
    session = get_session()
    try:
        apply_mapping(session, screening, chosen)
    except ValidationFailed as error:
        session.rollback()
        screening = _mine(screening_id)
        page = render_template(
            "screen_list_mapping.html",
            screening=screening,
            mapping={target: source for target, source in chosen.items() if source},
            fields=LIST_FIELDS,
            sample=_sample(screening),
            problems=_problems(error.details),
        )
        return page, 422
    session.commit()
    return redirect(url_for("screen.list_page", screening_id=screening.id), code=303)


def _progress(screening: ListScreening) -> dict[str, Any]:
    return {
        "state": screening.state.value,
        "total_rows": screening.total_rows,
        "done_rows": screening.screened_rows + screening.invalid_rows,
        "text": i18n.gettext(
            "lists.progress",
            done=screening.screened_rows + screening.invalid_rows,
            total=screening.total_rows,
        ),
    }


@screen_pages.post("/screen/lists/<int:screening_id>/next")
@allow(*SCREENING_ROLES)
def next_chunk(screening_id: int) -> Response:
    """Screen the list's next chunk; the page's script gets the progress as JSON, a plain form the page."""
    screening = _mine(screening_id)
    session = get_session()
    screen_next_chunk(session, screening_service(current_app), screening, _caller())
    session.commit()
    if request.accept_mimetypes.best == "application/json":
        return jsonify(_progress(screening))
    return redirect(url_for("screen.list_page", screening_id=screening.id), code=303)


@screen_pages.get("/screen/lists/<int:screening_id>/rows/<int:position>")
@allow(*SCREENING_ROLES)
def row_page(screening_id: int, position: int) -> str:
    """One row of a list with its full result: every candidate, why, convictions, what to do."""
    screening = _mine(screening_id)
    row = get_row(get_session(), screening, position)
    result = dict(row.result) if row.result else None
    if result is not None and result["decision"] != "no_hit":
        result["instruction"] = instruction(screening_service(current_app).settings, i18n.current_language())
    return render_template(
        "screen_list_row.html",
        screening=screening,
        row=row,
        result=result,
        describe_problems=describe_problems,
    )


_DOWNLOADS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@screen_pages.get("/screen/lists/<int:screening_id>/results.<fmt>")
@allow(*SCREENING_ROLES)
def download(screening_id: int, fmt: str) -> Response:
    """Every row of the list with its result, as CSV or XLSX, cells safe to open in a spreadsheet."""
    if fmt not in _DOWNLOADS:
        abort(404)
    screening = _mine(screening_id)
    headers = [i18n.gettext(f"export.{column}") for column in EXPORT_COLUMNS]
    lines = export_rows(
        list_rows(get_session(), screening),
        screening.mapping,
        lambda key: i18n.gettext(key),
        describe_problems,
        instruction(screening_service(current_app).settings, i18n.current_language()),
    )
    audit(
        get_session(),
        "list_screening.export",
        subject={"list_screening_id": screening.id, "format": fmt},
        outcome={"rows": len(lines), "hits": screening.hits, "possible_hits": screening.possible_hits},
    )
    get_session().commit()
    if fmt == "csv":
        body = write_csv(headers, lines)
    else:
        body = write_xlsx(headers, lines, i18n.gettext("lists.sheet"))
    stem = PurePath(screening.file_name).stem or "list"
    response = Response(body, content_type=_DOWNLOADS[fmt])
    response.headers.set("Content-Disposition", "attachment", filename=f"{stem}-results.{fmt}")
    return response


def percent(value: float) -> str:
    """A similarity or score as a percentage, for the explanation in words."""
    return f"{round(value * 100)} %"


def init_app(app: Flask) -> None:
    """Register the screening pages, their menu entries and their texts."""
    i18n.catalogue_of(app).add(SCREENING_MESSAGES)
    app.register_blueprint(screen_pages)
    navigation.add_nav_item(app, "screen.person", "nav.screen_person", "nav.screen_person.description")
    navigation.add_nav_item(app, "screen.lists", "nav.screen_lists", "nav.screen_lists.description")
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.globals["matching_thresholds"] = lambda: (
        screening_service(current_app).settings.matching_alert_threshold,
        screening_service(current_app).settings.matching_review_threshold,
    )


# --- texts ----------------------------------------------------------------------------------------------

SCREENING_MESSAGES: dict[str, dict[str, str]] = {
    "uk": {
        "nav.screen_person": "Перевірити особу",
        "nav.screen_person.description": "одну особу за іменем і датою народження",
        "nav.screen_lists": "Перевірити список",
        "nav.screen_lists.description": "файл CSV або XLSX із сотнями осіб",
        "screen.title": "Перевірка особи",
        "screen.intro": (
            "Введіть ім'я будь-якою мовою та абеткою (кирилицею чи латиницею, у будь-якому порядку) "
            "і дату народження в будь-якому форматі."
        ),
        "screen.field.name": "Ім'я (прізвище, ім'я, по батькові)",
        "screen.field.birth_date": "Дата народження",
        "screen.field.birth_date.hint": "наприклад 1975-03-12, 12.03.1975 або лише рік 1975",
        "screen.field.nationality": "Громадянство",
        "screen.field.document_number": "Номер документа",
        "screen.submit": "Перевірити",
        "screen.invalid": "Перевірку не виконано: виправте поля, зазначені нижче.",
        "screen.result": "Результат перевірки",
        "screen.query": "Запит: «{name}»",
        "screen.query_birth": "дата народження {date}",
        "screen.decision.hit": "ЗБІГ",
        "screen.decision.possible_hit": "МОЖЛИВИЙ ЗБІГ",
        "screen.decision.no_hit": "ЗБІГУ НЕМАЄ",
        "screen.decision.invalid": "не перевірено",
        "screen.decision.pending": "ще не перевірено",
        "screen.decision_text.hit": "Особа збігається з особою з реєстру засуджених заочно.",
        "screen.decision_text.possible_hit": (
            "Особа схожа на особу з реєстру. Порівняйте дані нижче, перш ніж діяти."
        ),
        "screen.decision_text.no_hit": "У реєстрі засуджених немає нікого, хто збігався б із цією особою.",
        "screen.instruction": "Що робити",
        "screen.candidates": "{count} кандидат|{count} кандидати|{count} кандидатів",
        "screen.candidate.alert": "збіг",
        "screen.candidate.review": "потрібна перевірка",
        "screen.score": "оцінка {score}",
        "screen.person.names": "Імена особи (ім'я, що збіглося, виділено)",
        "screen.person.birth_date": "Дата народження",
        "screen.person.status": "Статус",
        "screen.person.external_id": "Номер у реєстрі",
        "screen.name_kind.primary": "як у вироку",
        "screen.name_kind.alias": "інша форма",
        "screen.name_kind.document": "з документа",
        "screen.status.wanted": "у розшуку",
        "screen.status.located": "місцеперебування встановлено",
        "screen.status.detained": "затримано",
        "screen.status.serving": "відбуває покарання",
        "screen.status.closed": "справу закрито",
        "screen.convictions": "Вироки",
        "screen.no_convictions": "Вироків не внесено.",
        "screen.conviction.court": "Суд",
        "screen.conviction.case_number": "Номер справи",
        "screen.conviction.article": "Стаття",
        "screen.conviction.sentence": "Покарання",
        "screen.conviction.verdict_date": "Дата вироку",
        "screen.conviction.in_absentia": "Заочно",
        "screen.yes": "так",
        "screen.no": "ні",
        "screen.why": "Чому",
        "screen.why.name": "Запит «{query}» збігся з іменем особи «{name}».",
        "screen.why.canonical": "Порівнювалися латинські записи «{query}» і «{candidate}».",
        "screen.why.part": "{part}: «{query}» і «{candidate}» — подібність {similarity}",
        "screen.why.birth_date": "Дата народження: у запиті {query}, в особи {candidate} — {verdict}.",
        "screen.why.unknown": "невідома",
        "screen.why.score": (
            "Оцінка імені {name_score} — зважене середнє: {terms}. Вплив дати {effect}. Разом {score}."
        ),
        "screen.why.term": "{part} {value} (вага {weight})",
        "screen.why.thresholds": "Поріг збігу {alert}, поріг ручної перевірки {review}.",
        "screen.why.mixed_script": "У запиті є слова зі змішаних абеток (можлива підміна літер): {words}.",
        "screen.part.surname": "прізвище",
        "screen.part.given": "ім'я",
        "screen.part.patronymic": "по батькові",
        "screen.part.initial": "ініціал",
        "screen.verdict.exact": "та сама дата",
        "screen.verdict.partial": "збігається в тому, що відомо",
        "screen.verdict.swapped": "день і місяць переставлено",
        "screen.verdict.typo": "різниця в одну цифру (ймовірна описка)",
        "screen.verdict.unknown": "немає з чим порівняти",
        "screen.verdict.conflict": "не збігається",
        "lists.title": "Перевірка списку",
        "lists.intro": (
            "Завантажте файл CSV або XLSX зі стовпцями record_id, full_name (або surname, given_name, "
            "patronymic), birth_date, nationality, document_number. Якщо заголовки інші, ви вкажете, "
            "який стовпець що містить. Не більше {rows} записів і {megabytes} МБ."
        ),
        "lists.file": "Файл зі списком",
        "lists.upload": "Завантажити",
        "lists.refused": "Файл не прийнято:",
        "lists.recent": "Ваші останні списки",
        "lists.none": "Ви ще не завантажували списків.",
        "lists.col.file": "Файл",
        "lists.col.created_at": "Завантажено (UTC)",
        "lists.col.state": "Стан",
        "lists.col.rows": "Рядків",
        "lists.col.hits": "Збігів",
        "lists.state.mapping": "чекає на зіставлення стовпців",
        "lists.state.screening": "перевіряється",
        "lists.state.done": "перевірено",
        "lists.mapping.title": "Який стовпець що містить",
        "lists.mapping.intro": (
            "Заголовки файлу «{file}» відрізняються від стандартних. Виберіть для кожного поля стовпець "
            "файлу. Потрібне ім'я: повне або його частини. Інші стовпці збережуться як додаткові дані."
        ),
        "lists.mapping.field": "Поле",
        "lists.mapping.column": "Стовпець файлу",
        "lists.mapping.none": "— немає —",
        "lists.mapping.submit": "Перевірити з таким зіставленням",
        "lists.mapping.refused": "Зіставлення не підходить:",
        "lists.mapping.sample": "Перші рядки файлу",
        "lists.field.record_id": "Ідентифікатор запису",
        "lists.field.full_name": "Повне ім'я",
        "lists.field.name": "Ім'я",
        "lists.field.surname": "Прізвище",
        "lists.field.given_name": "Ім'я (власне)",
        "lists.field.patronymic": "По батькові",
        "lists.field.birth_date": "Дата народження",
        "lists.field.nationality": "Громадянство",
        "lists.field.document_number": "Номер документа",
        "lists.field.row": "Рядок",
        "lists.field.file": "Файл",
        "lists.field.line": "Рядок",
        "lists.progress": "Перевірено {done} з {total} рядків",
        "lists.progress.continue": "Продовжити перевірку",
        "lists.progress.failed": "Перевірку перервано. Натисніть «Продовжити перевірку», щоб продовжити.",
        "lists.summary": (
            "Файл «{file}»: рядків {total}; збігів {hits}, можливих збігів {possible}, "
            "без збігу {none}, не вдалося перевірити {invalid}."
        ),
        "lists.invalid_rows": (
            "Рядки, які не вдалося перевірити, показано з причиною (фільтр «не перевірено»)."
        ),
        "lists.filter.decision": "Результат",
        "lists.filter.all": "усі",
        "lists.filter.text": "Пошук",
        "lists.filter.apply": "Показати",
        "lists.shown": "Показано {shown} з {total} рядків.",
        "lists.more": "Показано перші {limit}; звузьте фільтр або завантажте файл із результатами.",
        "lists.col.row": "Рядок",
        "lists.col.record_id": "Запис",
        "lists.col.name": "Ім'я",
        "lists.col.birth_date": "Дата народження",
        "lists.col.decision": "Результат",
        "lists.col.score": "Оцінка",
        "lists.col.person": "Особа з реєстру",
        "lists.col.reason": "Причина",
        "lists.details": "докладно",
        "lists.download.csv": "Завантажити CSV",
        "lists.download.xlsx": "Завантажити XLSX",
        "lists.row.title": "Рядок {row} файлу «{file}»",
        "lists.back": "До результатів списку",
        "lists.sheet": "Результати",
        "export.row": "Рядок",
        "export.record_id": "Запис",
        "export.name": "Ім'я",
        "export.birth_date": "Дата народження",
        "export.decision": "Результат",
        "export.score": "Оцінка",
        "export.external_id": "Номер у реєстрі",
        "export.person_name": "Особа з реєстру",
        "export.matched_name": "Ім'я, що збіглося",
        "export.person_birth_date": "Дата народження особи",
        "export.status": "Статус",
        "export.convictions": "Вироки",
        "export.candidates": "Кандидатів",
        "export.instruction": "Що робити",
        "export.errors": "Чому не перевірено",
        "problem.empty_name": "немає імені (потрібне повне ім'я або прізвище чи ім'я)",
        "problem.too_long": "довше за {limit} символів",
        "problem.not_text": "має бути текстом",
        "problem.extra_cells": "клітинок на {count} більше, ніж стовпців у заголовку",
        "problem.not_json": "це не JSON",
        "problem.not_object": "це не об'єкт JSON",
        "problem.too_many_rows": "понад {limit} рядків; розділіть список на менші",
        "problem.no_rows": "немає рядків для перевірки",
        "problem.no_file": "виберіть файл",
        "problem.file_type": "непідтримуваний тип файлу; потрібен CSV або XLSX",
        "problem.no_name_column": "виберіть стовпець повного імені або частин імені",
        "problem.column_twice": "стовпець «{column}» вибрано для кількох полів",
        "problem.no_such_column": "у файлі немає стовпця «{column}»",
        "problem.bad_xlsx": "це не книга XLSX, яку можна прочитати",
        "problem.header_twice": "стовпець повторюється в заголовку",
        "problem.header_unnamed": "стовпець без назви в заголовку",
        "problem.bad_text": "текст файлу не вдається прочитати (потрібне кодування UTF-8 або Windows-1251)",
        "problem.too_large": "файл завеликий",
    },
    "en": {
        "nav.screen_person": "Screen a person",
        "nav.screen_person.description": "one person by name and birth date",
        "nav.screen_lists": "Screen a list",
        "nav.screen_lists.description": "a CSV or XLSX file of hundreds of persons",
        "screen.title": "Screen a person",
        "screen.intro": (
            "Enter the name in any language and script (Cyrillic or Latin, parts in any order) "
            "and the birth date in any format."
        ),
        "screen.field.name": "Name (surname, given name, patronymic)",
        "screen.field.birth_date": "Birth date",
        "screen.field.birth_date.hint": "for example 1975-03-12, 12.03.1975 or only the year 1975",
        "screen.field.nationality": "Nationality",
        "screen.field.document_number": "Document number",
        "screen.submit": "Screen",
        "screen.invalid": "Not screened: correct the fields named below.",
        "screen.result": "Screening result",
        "screen.query": "Query: «{name}»",
        "screen.query_birth": "born {date}",
        "screen.decision.hit": "HIT",
        "screen.decision.possible_hit": "POSSIBLE HIT",
        "screen.decision.no_hit": "NO HIT",
        "screen.decision.invalid": "not screened",
        "screen.decision.pending": "not screened yet",
        "screen.decision_text.hit": (
            "This person matches a person on the register of persons convicted in absentia."
        ),
        "screen.decision_text.possible_hit": (
            "This person resembles a person on the register. Compare the details below before acting."
        ),
        "screen.decision_text.no_hit": "No one on the register of convicted persons matches this person.",
        "screen.instruction": "What to do",
        "screen.candidates": "{count} candidate|{count} candidates",
        "screen.candidate.alert": "match",
        "screen.candidate.review": "needs review",
        "screen.score": "score {score}",
        "screen.person.names": "The person's names (the one that matched is highlighted)",
        "screen.person.birth_date": "Birth date",
        "screen.person.status": "Status",
        "screen.person.external_id": "Register number",
        "screen.name_kind.primary": "as in the verdict",
        "screen.name_kind.alias": "other form",
        "screen.name_kind.document": "from a document",
        "screen.status.wanted": "wanted",
        "screen.status.located": "located",
        "screen.status.detained": "detained",
        "screen.status.serving": "serving the sentence",
        "screen.status.closed": "case closed",
        "screen.convictions": "Convictions",
        "screen.no_convictions": "No convictions recorded.",
        "screen.conviction.court": "Court",
        "screen.conviction.case_number": "Case number",
        "screen.conviction.article": "Article",
        "screen.conviction.sentence": "Sentence",
        "screen.conviction.verdict_date": "Verdict date",
        "screen.conviction.in_absentia": "In absentia",
        "screen.yes": "yes",
        "screen.no": "no",
        "screen.why": "Why",
        "screen.why.name": "The query «{query}» matched the person's name «{name}».",
        "screen.why.canonical": "Compared as the Latin spellings «{query}» and «{candidate}».",
        "screen.why.part": "{part}: «{query}» and «{candidate}» — similarity {similarity}",
        "screen.why.birth_date": "Birth date: {query} in the query, {candidate} on the register — {verdict}.",
        "screen.why.unknown": "unknown",
        "screen.why.score": (
            "Name score {name_score}, the weighted mean of: {terms}. "
            "Birth-date effect {effect}. Total {score}."
        ),
        "screen.why.term": "{part} {value} (weight {weight})",
        "screen.why.thresholds": "Alert threshold {alert}, review threshold {review}.",
        "screen.why.mixed_script": (
            "The query has words in mixed scripts (letters possibly swapped): {words}."
        ),
        "screen.part.surname": "surname",
        "screen.part.given": "given name",
        "screen.part.patronymic": "patronymic",
        "screen.part.initial": "initial",
        "screen.verdict.exact": "the same date",
        "screen.verdict.partial": "agrees as far as known",
        "screen.verdict.swapped": "day and month swapped",
        "screen.verdict.typo": "one digit apart (probably a typo)",
        "screen.verdict.unknown": "nothing to compare",
        "screen.verdict.conflict": "does not agree",
        "lists.title": "Screen a list",
        "lists.intro": (
            "Upload a CSV or XLSX file with the columns record_id, full_name (or surname, given_name, "
            "patronymic), birth_date, nationality, document_number. If the headers differ you will say "
            "which column holds what. At most {rows} records and {megabytes} MB."
        ),
        "lists.file": "List file",
        "lists.upload": "Upload",
        "lists.refused": "The file was not accepted:",
        "lists.recent": "Your recent lists",
        "lists.none": "You have not uploaded a list yet.",
        "lists.col.file": "File",
        "lists.col.created_at": "Uploaded (UTC)",
        "lists.col.state": "State",
        "lists.col.rows": "Rows",
        "lists.col.hits": "Hits",
        "lists.state.mapping": "waiting for the column mapping",
        "lists.state.screening": "being screened",
        "lists.state.done": "screened",
        "lists.mapping.title": "Which column holds what",
        "lists.mapping.intro": (
            "The headers of «{file}» differ from the standard ones. Choose the file's column for each field. "
            "A name is needed: the full name or its parts. Other columns are kept as extra data."
        ),
        "lists.mapping.field": "Field",
        "lists.mapping.column": "Column of the file",
        "lists.mapping.none": "— none —",
        "lists.mapping.submit": "Screen with this mapping",
        "lists.mapping.refused": "The mapping cannot be used:",
        "lists.mapping.sample": "The first rows of the file",
        "lists.field.record_id": "Record id",
        "lists.field.full_name": "Full name",
        "lists.field.name": "Name",
        "lists.field.surname": "Surname",
        "lists.field.given_name": "Given name",
        "lists.field.patronymic": "Patronymic",
        "lists.field.birth_date": "Birth date",
        "lists.field.nationality": "Nationality",
        "lists.field.document_number": "Document number",
        "lists.field.row": "Row",
        "lists.field.file": "File",
        "lists.field.line": "Line",
        "lists.progress": "{done} of {total} rows screened",
        "lists.progress.continue": "Continue screening",
        "lists.progress.failed": "Screening was interrupted. Press “Continue screening” to carry on.",
        "lists.summary": (
            "File «{file}»: {total} rows; {hits} hits, {possible} possible hits, {none} without a hit, "
            "{invalid} could not be screened."
        ),
        "lists.invalid_rows": (
            "Rows that could not be screened are shown with the reason (filter “not screened”)."
        ),
        "lists.filter.decision": "Result",
        "lists.filter.all": "all",
        "lists.filter.text": "Search",
        "lists.filter.apply": "Show",
        "lists.shown": "Showing {shown} of {total} rows.",
        "lists.more": "Showing the first {limit}; narrow the filter or download the results file.",
        "lists.col.row": "Row",
        "lists.col.record_id": "Record",
        "lists.col.name": "Name",
        "lists.col.birth_date": "Birth date",
        "lists.col.decision": "Result",
        "lists.col.score": "Score",
        "lists.col.person": "Person on the register",
        "lists.col.reason": "Reason",
        "lists.details": "details",
        "lists.download.csv": "Download CSV",
        "lists.download.xlsx": "Download XLSX",
        "lists.row.title": "Row {row} of «{file}»",
        "lists.back": "Back to the list's results",
        "lists.sheet": "Results",
        "export.row": "Row",
        "export.record_id": "Record",
        "export.name": "Name",
        "export.birth_date": "Birth date",
        "export.decision": "Result",
        "export.score": "Score",
        "export.external_id": "Register number",
        "export.person_name": "Person on the register",
        "export.matched_name": "Matched name",
        "export.person_birth_date": "Person's birth date",
        "export.status": "Status",
        "export.convictions": "Convictions",
        "export.candidates": "Candidates",
        "export.instruction": "What to do",
        "export.errors": "Why not screened",
        "problem.empty_name": "no name (give the full name, or the surname or given name)",
        "problem.too_long": "longer than {limit} characters",
        "problem.not_text": "must be text",
        "problem.extra_cells": "{count} more cells than the header has columns",
        "problem.not_json": "not JSON",
        "problem.not_object": "not a JSON object",
        "problem.too_many_rows": "more than {limit} rows; split the list into smaller ones",
        "problem.no_rows": "no rows to screen",
        "problem.no_file": "choose a file",
        "problem.file_type": "unsupported file type; use CSV or XLSX",
        "problem.no_name_column": "choose the column of the full name or of the name parts",
        "problem.column_twice": "the column «{column}» is chosen for more than one field",
        "problem.no_such_column": "the file has no column «{column}»",
        "problem.bad_xlsx": "not an XLSX workbook that can be read",
        "problem.header_twice": "the column appears twice in the header",
        "problem.header_unnamed": "a column without a name in the header",
        "problem.bad_text": "the file's text cannot be read (use UTF-8 or Windows-1251)",
        "problem.too_large": "the file is too large",
    },
}
