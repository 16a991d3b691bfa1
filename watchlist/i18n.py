"""The interface languages: Ukrainian (the default) and English, from a message catalogue of our own.

Two languages and some dozens of short texts do not need gettext's machinery (.po files, a compile step,
a Flask extension): a catalogue in code is checked by the tests for keys missing in either language, and
each feature adds its own messages with `catalogue_of(app).add(…)` in its `init_app`. Ukrainian plural
forms (one / few / many) are handled by `plural`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, session

LANGUAGES = ("uk", "en")
DEFAULT_LANGUAGE = "uk"
# the name of each language in itself, for the switch
LANGUAGE_NAMES = {"uk": "Українська", "en": "English"}
# the session key the chosen language is kept under
SESSION_KEY = "lang"

# the messages of the shell: login, navigation, home page, error pages
SHELL_MESSAGES: dict[str, dict[str, str]] = {
    "uk": {
        "app.name": "Реєстр засуджених заочно",
        "nav.home": "Головна",
        "nav.logout": "Вийти",
        "nav.language": "Мова",
        "nav.signed_in_as": "{name} ({role})",
        "login.title": "Вхід",
        "login.username": "Ім'я користувача",
        "login.password": "Пароль",
        "login.submit": "Увійти",
        "login.failed": "Неправильне ім'я користувача або пароль.",
        "login.logged_out": "Ви вийшли з системи.",
        "login.required": "Увійдіть, щоб продовжити.",
        "home.title": "Головна",
        "home.greeting": "Ви увійшли як {name} ({username}).",
        "home.role": "Ваша роль: {role}.",
        "home.duties": "Що ви можете робити",
        "home.pages": "Ваші сторінки",
        "home.api": "Запити API, дозволені вашій ролі",
        "home.api_hint": "Запити API потребують токена в заголовку Authorization: Bearer …",
        "home.tokens": "Ваші токени API",
        "home.no_tokens": "У вас немає токенів API.",
        "home.token_count": "{count} активний токен|{count} активні токени|{count} активних токенів",
        "token.name": "Назва",
        "token.prefix": "Початок",
        "token.role": "Роль",
        "token.expires_at": "Діє до",
        "token.state": "Стан",
        "token.state.active": "діє",
        "token.state.revoked": "відкликано",
        "token.state.expired": "прострочено",
        "token.state.user disabled": "користувача вимкнено",
        "token.state.exceeds role": "більше, ніж роль користувача",
        "role.screener": "перевіряльник",
        "role.officer": "офіцер виконання",
        "role.editor": "редактор реєстру",
        "role.auditor": "аудитор",
        "role.admin": "адміністратор",
        "duties.screener": "Перевіряти одну особу або список осіб за реєстром засуджених.",
        "duties.officer": "Отримувати сповіщення про збіги, порівнювати записи, підтверджувати чи відхиляти.",
        "duties.editor": "Вести реєстр засуджених: додавати, змінювати, закривати записи, імпортувати файли.",
        "duties.auditor": "Переглядати журнал аудиту: хто, коли і кого шукав і що було показано.",
        "duties.admin": "Керувати користувачами, токенами та налаштуваннями служби.",
        "error.title": "Помилка {status}",
        "error.back": "На головну",
        "error.400": (
            "Запит не вдалося обробити. Форма застаріла або надійшла не з цього сайту: "
            "оновіть сторінку й спробуйте ще раз."
        ),
        "error.403": "У вас немає доступу до цієї сторінки.",
        "error.404": "Такої сторінки немає.",
        "error.405": "Цей метод запиту тут не підтримується.",
        "error.413": "Файл або запит завеликий.",
        "error.422": "Дані не пройшли перевірку.",
        "error.500": "Сталася внутрішня помилка. Її записано; спробуйте пізніше.",
        "error.503": "Служба тимчасово недоступна; спробуйте пізніше.",
        "error.other": "Запит не вдалося виконати.",
    },
    "en": {
        "app.name": "Register of persons convicted in absentia",
        "nav.home": "Home",
        "nav.logout": "Log out",
        "nav.language": "Language",
        "nav.signed_in_as": "{name} ({role})",
        "login.title": "Sign in",
        "login.username": "User name",
        "login.password": "Password",
        "login.submit": "Sign in",
        "login.failed": "Wrong user name or password.",
        "login.logged_out": "You have logged out.",
        "login.required": "Sign in to continue.",
        "home.title": "Home",
        "home.greeting": "You are signed in as {name} ({username}).",
        "home.role": "Your role: {role}.",
        "home.duties": "What you may do",
        "home.pages": "Your pages",
        "home.api": "API calls your role may make",
        "home.api_hint": "API calls need a token in the header Authorization: Bearer …",
        "home.tokens": "Your API tokens",
        "home.no_tokens": "You have no API tokens.",
        "home.token_count": "{count} active token|{count} active tokens",
        "token.name": "Name",
        "token.prefix": "Starts with",
        "token.role": "Role",
        "token.expires_at": "Valid until",
        "token.state": "State",
        "token.state.active": "active",
        "token.state.revoked": "revoked",
        "token.state.expired": "expired",
        "token.state.user disabled": "user disabled",
        "token.state.exceeds role": "more than the user's role",
        "role.screener": "screener",
        "role.officer": "enforcement officer",
        "role.editor": "watchlist editor",
        "role.auditor": "auditor",
        "role.admin": "administrator",
        "duties.screener": "Screen one person or a list against the register of convicted persons.",
        "duties.officer": "Receive alerts about matches, compare both records, confirm or dismiss them.",
        "duties.editor": "Maintain the register: add, edit and close persons, import files.",
        "duties.auditor": "Read the audit log: who searched whom, when, and what was shown.",
        "duties.admin": "Manage users, tokens and the settings of the service.",
        "error.title": "Error {status}",
        "error.back": "Back to the home page",
        "error.400": (
            "The request could not be processed. The form is out of date or did not come from this site: "
            "reload the page and try again."
        ),
        "error.403": "You may not open this page.",
        "error.404": "There is no such page.",
        "error.405": "This request method is not supported here.",
        "error.413": "The file or request is too large.",
        "error.422": "The data did not pass validation.",
        "error.500": "Something went wrong on our side. It has been logged; please try again later.",
        "error.503": "The service is unavailable for a moment; please try again later.",
        "error.other": "The request could not be completed.",
    },
}


class Catalogue:
    """Messages by language and key; a key exists in every language or in none."""

    def __init__(self) -> None:
        self.messages: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}

    def add(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        """Add a feature's messages; every language must have the same keys, and no key may exist already."""
        keys = {language: set(messages.get(language, {})) for language in LANGUAGES}
        if set(messages) - set(LANGUAGES):
            raise ValueError(f"unknown languages: {sorted(set(messages) - set(LANGUAGES))}")
        reference = keys[DEFAULT_LANGUAGE]
        for language, those in keys.items():
            if those != reference:
                raise ValueError(
                    f"{language}: keys differ from {DEFAULT_LANGUAGE}: {sorted(those ^ reference)}"
                )
        taken = reference & set(self.messages[DEFAULT_LANGUAGE])
        if taken:
            raise ValueError(f"messages defined twice: {sorted(taken)}")
        for language in LANGUAGES:
            self.messages[language].update(messages[language])

    def translate(self, language: str, key: str, **params: Any) -> str:
        """The message `key` in `language`, with `{name}` placeholders filled; an unknown key is a bug."""
        return self.messages[language][key].format(**params)

    def plural(self, language: str, key: str, count: int, **params: Any) -> str:
        """The form of message `key` for `count` (forms separated by `|`: uk one|few|many, en one|other)."""
        forms = self.messages[language][key].split("|")
        return forms[_plural_index(language, count)].format(count=count, **params)


def _plural_index(language: str, count: int) -> int:
    if language == "uk":
        # CLDR: 1, 21, 31 … one; 2–4, 22–24 … few; everything else many
        if count % 10 == 1 and count % 100 != 11:
            return 0
        if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
            return 1
        return 2
    return 0 if count == 1 else 1


def catalogue_of(app: Flask) -> Catalogue:
    """The message catalogue of `app`."""
    catalogue: Catalogue = app.extensions["watchlist.i18n"]
    return catalogue


def current_language() -> str:
    """The language of the current request: the user's choice kept in the session, else Ukrainian."""
    language = session.get(SESSION_KEY)
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def gettext(key: str, **params: Any) -> str:
    """The message `key` in the language of the current request."""
    return catalogue_of(current_app).translate(current_language(), key, **params)


def ngettext(key: str, count: int, **params: Any) -> str:
    """The plural form of message `key` for `count`, in the language of the current request."""
    return catalogue_of(current_app).plural(current_language(), key, count, **params)


def init_app(app: Flask) -> None:
    catalogue = Catalogue()
    catalogue.add(SHELL_MESSAGES)
    app.extensions["watchlist.i18n"] = catalogue
    app.jinja_env.globals.update(_=gettext, ngettext=ngettext, LANGUAGE_NAMES=LANGUAGE_NAMES)
    app.context_processor(lambda: {"lang": current_language()})
