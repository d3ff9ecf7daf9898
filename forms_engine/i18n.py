"""The engine's own text in other languages: a pure `translate(message, language)` over the message
catalogues in `forms_engine/translations/<lang>/LC_MESSAGES/messages.po`, and dates in each language.

No Flask here: components translate with it directly, and the runner gives the same catalogues to
flask-babel for templates. The .po files are read at start (there is no compiled .mo to forget to
rebuild); `make translations` refreshes them from the source.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import get_month_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

#: Languages the engine speaks, with each one's name in itself (as a language switcher shows it).
LANGUAGES = {"en": "English", "cy": "Cymraeg"}
DEFAULT_LANGUAGE = "en"
#: CLDR locales used for dates: British English, and Welsh.
LOCALES = {"en": "en_GB", "cy": "cy_GB"}
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
#: Keywords that mark text for the catalogue, besides gettext's own (`_`, `gettext`, ...).
EXTRA_KEYWORDS = {"N_": None, "translate": (1,)}
#: Times shown to people (a receipt's "Submitted") are UK times, whatever the server's time zone.
SERVICE_TIME_ZONE = ZoneInfo("Europe/London")


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it yet (it is translated where used)."""
    return message


def catalogue_path(language: str) -> Path:
    return TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> NullTranslations:
    """The catalogue for `language`, built from its .po file once; English and unknown languages
    give the message itself. Fuzzy (unreviewed) entries are not used."""
    path = catalogue_path(language)
    if language == DEFAULT_LANGUAGE or not path.is_file():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translate(message: str, language: str) -> str:
    """`message` (an English msgid) in `language`, or as it is when there is no translation.
    Placeholders such as `{label}` are left for the caller to fill in after translating."""
    return translations(language).gettext(message)


def format_date(value: date, language: str) -> str:
    """GOV.UK style: '5 January 2024', '5 Ionawr 2024'."""
    return babel_format_date(value, "d MMMM y", locale=LOCALES.get(language, LOCALES[DEFAULT_LANGUAGE]))


def format_month_year(value: date, language: str) -> str:
    """'January 2024', 'Ionawr 2024'."""
    return babel_format_date(value, "MMMM y", locale=LOCALES.get(language, LOCALES[DEFAULT_LANGUAGE]))


def format_time(moment: datetime, language: str) -> str:
    """GOV.UK style: '9am', '2:30pm', 'midday', 'midnight' ('2:30yp' in Welsh)."""
    if moment.minute == 0 and moment.hour == 0:
        return translate("midnight", language)
    if moment.minute == 0 and moment.hour == 12:
        return translate("midday", language)
    hour = moment.hour % 12 or 12
    clock = f"{hour}:{moment.minute:02d}" if moment.minute else str(hour)
    return clock + (translate("am", language) if moment.hour < 12 else translate("pm", language))


def format_date_time(moment: datetime, language: str) -> str:
    """A moment as UK date and time: '5 January 2024 at 2:30pm'. A naive datetime is taken as UTC."""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(SERVICE_TIME_ZONE)
    return translate("{date} at {time}", language).format(
        date=format_date(local.date(), language), time=format_time(local, language)
    )


@cache
def month_numbers() -> dict[str, int]:
    """Month names and abbreviations in every language the engine speaks, lower case -> 1..12, so
    'March', 'mar', 'Mawrth' and 'Maw' are all understood whatever the page's language."""
    names: dict[str, int] = {}
    for locale in LOCALES.values():
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, locale=locale).items():
                names[name.lower().rstrip(".")] = number
    names.setdefault("sep", 9)
    names.setdefault("sept", 9)
    return names


_PLACEHOLDER = re.compile(r"\{[A-Za-z_]+\}|%\([A-Za-z_]+\)s|%\{[A-Za-z_]+\}")


def placeholders(text: str) -> set[str]:
    """The `{name}`, `%(name)s` and `%{name}` placeholders in a message (a translation must keep them)."""
    return set(_PLACEHOLDER.findall(text))


def plural_categories(language: str) -> tuple[str, ...]:
    """CLDR plural categories of a language ('zero', 'one', ... 'other'), as GOV.UK Frontend's
    JavaScript asks for them."""
    tags = Locale.parse(LOCALES.get(language, language)).plural_form.tags
    return tuple(c for c in ("zero", "one", "two", "few", "many", "other") if c in tags or c == "other")


def localise(text: Any, language: str) -> str:
    """Definition text (model.Text) in `language`; any other value as a string."""
    in_language = getattr(text, "in_language", None)
    return in_language(language) if in_language is not None else str(text)
