"""Welsh: the engine's text through the message catalogue, the language switcher and `?lang=cy`,
a bilingual journey end to end over HTTP, Welsh errors and dates, and warnings for missing
translations."""

# ruff: noqa: RUF001 - Welsh text is written with the typographic apostrophe (U+2019), as GOV.UK does.

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from click.testing import CliRunner
from flask import Flask

from forms_engine import i18n
from forms_engine.cli import main
from forms_engine.components import messages
from forms_engine.config import ROOT
from forms_engine.definitions.loader import definition_warnings, validate_definition_data
from forms_engine.extensions import db
from forms_engine.i18n import format_date, format_month_year, translate
from forms_engine.journey import journey_for

from .components import component, definition_with, handler_of, page_with
from .conftest import make_app
from .helpers import BrowserClient, Page, definitions, location

POULTRY = "register-poultry-fewer-than-50-birds"
POULTRY_FILE = ROOT / "form_definitions" / f"{POULTRY}.json"
WELSH_MONTHS = "Ionawr|Chwefror|Mawrth|Ebrill|Mai|Mehefin|Gorffennaf|Awst|Medi|Hydref|Tachwedd|Rhagfyr"
WELSH_DATE = re.compile(rf"^\d{{1,2}} ({WELSH_MONTHS}) \d{{4}}$")


# -- the catalogue and translate() ------------------------------------------------------------------


def used_messages() -> dict[str, list[str]]:
    """Every message id the source marks for translation (as `make translations` extracts them):
    msgid -> where it is used."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(ROOT / "babel.cfg"))
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "pgettext": ((1, "c"), 2),
        **i18n.EXTRA_KEYWORDS,
    }
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def welsh_catalogue() -> dict[str, str]:
    from babel.messages.pofile import read_po

    with i18n.catalogue_path("cy").open("rb") as po:
        catalog = read_po(po, locale="cy")
    return {m.id: m.string for m in catalog if m.id and isinstance(m.id, str) and not m.fuzzy}


def test_every_message_the_engine_uses_has_a_welsh_translation() -> None:
    used = used_messages()
    assert len(used) > 80, "the extraction found too little: is babel.cfg right?"
    catalogue = welsh_catalogue()
    missing = {msgid: where for msgid, where in used.items() if not catalogue.get(msgid)}
    assert not missing, (
        "untranslated (run `make translations`, then translate the new entries in "
        f"forms_engine/translations/cy/LC_MESSAGES/messages.po): {json.dumps(missing, indent=1)}"
    )


def test_welsh_translations_keep_every_placeholder_of_their_message() -> None:
    # {Label} and {label} are the same value (capitalised or not): a sentence may start elsewhere.
    def names(text: str) -> set[str]:
        return {p.lower() for p in i18n.placeholders(text)}

    wrong = {msgid: text for msgid, text in welsh_catalogue().items() if text and names(msgid) != names(text)}
    assert not wrong, wrong


@pytest.mark.parametrize(
    ("message", "language", "expected"),
    [
        ("There is a problem", "cy", "Mae problem wedi codi"),
        ("Back", "cy", "Yn ôl"),
        ("Continue", "cy", "Parhau"),
        ("Change", "cy", "Newid"),
        ("(optional)", "cy", "(dewisol)"),
        ("Day", "cy", "Diwrnod"),
        ("Month", "cy", "Mis"),
        ("Year", "cy", "Blwyddyn"),
        ("Check your answers before sending your form", "cy", "Gwirio eich atebion cyn anfon eich ffurflen"),
        ("Enter {label}", "cy", "Rhowch {label}"),
        ("There is a problem", "en", "There is a problem"),
        ("A message nobody has translated", "cy", "A message nobody has translated"),
        ("Back", "fr", "Back"),
    ],
)
def test_translate_gives_the_catalogue_text_or_the_message_itself(
    message: str, language: str, expected: str
) -> None:
    assert translate(message, language) == expected


def test_placeholders_are_filled_in_after_translating() -> None:
    assert translate(messages.REQUIRED, "cy").format(label="eich enw") == "Rhowch eich enw"


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (date(2024, 1, 5), "cy", "5 Ionawr 2024"),
        (date(2024, 1, 5), "en", "5 January 2024"),
        (date(2023, 9, 30), "cy", "30 Medi 2023"),
        (date(2023, 9, 30), "en", "30 September 2023"),
    ],
)
def test_dates_are_formatted_in_the_language(value: date, language: str, expected: str) -> None:
    assert format_date(value, language) == expected


def test_months_and_years_are_formatted_in_the_language() -> None:
    assert format_month_year(date(2022, 3, 1), "cy") == "Mawrth 2022"
    assert format_month_year(date(2022, 3, 1), "en") == "March 2022"


def test_welsh_month_names_are_accepted_in_a_date_whatever_the_page_language() -> None:
    page = page_with(component("DatePartsField"))
    result = page.validate({"answer-day": ["5"], "answer-month": ["Ionawr"], "answer-year": ["2024"]})
    assert result.answers == {"answer": "2024-01-05"}
    result = page.validate({"answer-day": ["5"], "answer-month": ["Maw"], "answer-year": ["2024"]})
    assert result.answers == {"answer": "2024-03-05"}


# -- components in Welsh ----------------------------------------------------------------------------


def bilingual_component(type_: str, **fields: Any) -> dict[str, Any]:
    return component(
        type_,
        title={"en": "Your date of birth", "cy": "Eich dyddiad geni"},
        shortTitle={"en": "Date of birth", "cy": "Eich dyddiad geni"},
        **fields,
    )


@pytest.mark.parametrize(
    ("type_", "fields", "formdata", "expected"),
    [
        ("TextField", {}, {"answer": [""]}, "Rhowch eich dyddiad geni"),
        (
            "TextField",
            {"options": {"maxLength": 3}},
            {"answer": ["abcd"]},
            "Ni all eich dyddiad geni fod yn fwy na 3 nod",
        ),
        ("NumberField", {}, {"answer": ["many"]}, "Rhowch rif ar gyfer eich dyddiad geni"),
        (
            "NumberField",
            {"options": {"min": 1, "max": 49}},
            {"answer": ["50"]},
            "Rhowch rif rhwng 1 a 49 ar gyfer eich dyddiad geni",
        ),
        ("EmailAddressField", {}, {"answer": ["nope"]}, messages.EMAIL_FORMAT),
        ("RadiosField", {}, {}, "Dewiswch eich dyddiad geni"),
        (
            "DatePartsField",
            {},
            {"answer-day": ["5"], "answer-month": [""], "answer-year": [""]},
            "Mae angen mis a blwyddyn ar gyfer eich dyddiad geni",
        ),
        (
            "DatePartsField",
            {},
            {"answer-day": ["31"], "answer-month": ["2"], "answer-year": ["2023"]},
            "Rhowch ddyddiad go iawn ar gyfer eich dyddiad geni",
        ),
        (
            "DatePartsField",
            {"options": {"earliest": "2020-01-05"}},
            {"answer-day": ["4"], "answer-month": ["1"], "answer-year": ["2020"]},
            "Ni all eich dyddiad geni fod cyn 5 Ionawr 2020",
        ),
    ],
)
def test_component_errors_are_in_welsh_with_the_welsh_label(
    type_: str, fields: dict[str, Any], formdata: dict[str, list[str]], expected: str
) -> None:
    page = page_with(bilingual_component(type_, **fields))
    result = page.validate(formdata, language="cy")
    expected = translate(expected, "cy")
    assert result.errors["answer"].message == expected
    # The same data in English is still English.
    assert page.validate(formdata).errors["answer"].message != expected


def test_a_designers_welsh_error_message_is_used_on_welsh_pages() -> None:
    page = page_with(
        bilingual_component("TextField", errors={"required": {"en": "Enter it", "cy": "Rhowch ef"}})
    )
    assert page.validate({"answer": [""]}, language="cy").errors["answer"].message == "Rhowch ef"
    assert page.validate({"answer": [""]}).errors["answer"].message == "Enter it"


def test_answers_are_displayed_in_welsh() -> None:
    definition = definition_with(
        bilingual_component("DatePartsField", name="born"),
        component("YesNoField", name="agreed"),
        component("MonthYearField", name="started"),
        component("TextField", name="nickname", optional=True),
        component("NumberField", name="birds", options={"suffix": {"en": "birds", "cy": "o adar"}}),
    )
    page = journey_for(definition).pages[0]
    assert handler_of(page, "born").display("2024-01-05", "cy") == "5 Ionawr 2024"
    assert handler_of(page, "agreed").display(True, "cy") == "Ie"
    assert handler_of(page, "agreed").display(False, "cy") == "Na"
    assert handler_of(page, "started").display("2022-03", "cy") == "Mawrth 2022"
    assert handler_of(page, "nickname").display(None, "cy") == "Heb ei ateb"
    assert handler_of(page, "birds").display(12, "cy") == "12 o adar"
    assert handler_of(page, "birds").display(12, "en") == "12 birds"


# -- the journey over HTTP --------------------------------------------------------------------------

#: A small bilingual form with a full date, so check answers shows one ("5 Ionawr 2024").
DATED: dict[str, Any] = {
    "schemaVersion": 1,
    "slug": "welsh-dated",
    "title": {"en": "Tell us a date", "cy": "Rhowch ddyddiad i ni"},
    "languages": ["en", "cy"],
    "paperForm": {"reference": "WD1", "title": "Date form", "organisation": "Defra"},
    "service": {
        "contact": {"name": {"en": "Test team", "cy": "Tîm prawf"}, "email": "team@example.gov.uk"},
        "privacyNoticeUrl": "https://example.gov.uk/privacy",
        "whatHappensNext": {"en": "We will contact you.", "cy": "Byddwn yn cysylltu â chi."},
    },
    "startPage": {"content": {"en": "A form with a date.", "cy": "Ffurflen gyda dyddiad."}},
    "pages": [
        {
            "id": "when",
            "path": "/when",
            "title": {"en": "When did it happen?", "cy": "Pryd ddigwyddodd e?"},
            "components": [
                {
                    "id": "whenField",
                    "type": "DatePartsField",
                    "name": "when",
                    "title": {"en": "When did it happen?", "cy": "Pryd ddigwyddodd e?"},
                    "shortTitle": {"en": "Date it happened", "cy": "Dyddiad y digwyddiad"},
                    "options": {"latest": "today"},
                }
            ],
        }
    ],
}


@pytest.fixture
def dated_app(tmp_path: Path) -> Iterator[Flask]:
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "welsh-dated.json").write_text(json.dumps(DATED), encoding="utf-8")
    for name in (f"{POULTRY}.json", "register-land-rural-payments.json"):
        (folder / name).write_text((ROOT / "form_definitions" / name).read_text(encoding="utf-8"))
    assert validate_definition_data(DATED) == []
    app = make_app(f"sqlite:///{tmp_path / 'welsh.sqlite'}", FORM_DEFINITIONS_DIR=folder)
    yield app
    with app.app_context():
        db.engine.dispose()


def switcher(page: Page) -> Any:
    return page.soup.select_one("nav.app-language-switcher")


def assert_welsh_page_with_switcher(page: Page, path: str) -> None:
    """<html lang="cy">, and the switcher: Cymraeg as current text, English a link to this page."""
    assert page.status == 200, (path, page.status)
    assert page.soup.html["lang"] == "cy", path
    nav = switcher(page)
    assert nav is not None, f"no language switcher on {path}"
    current = nav.select_one("[aria-current=true]")
    assert current is not None and current.name != "a" and current.get_text(strip=True) == "Cymraeg"
    links = nav.select("a")
    assert [a.get_text(strip=True) for a in links] == ["English"], path
    english = links[0]
    assert english["lang"] == "en" and english["hreflang"] == "en"
    href = urlsplit(english["href"])
    assert href.path == urlsplit(path).path
    assert parse_qs(href.query)["lang"] == ["en"]
    assert page.soup.select_one(".govuk-footer").get_text(" ", strip=True).count("Hawlfraint y Goron") == 1


def test_a_welsh_journey_end_to_end(client: BrowserClient) -> None:
    """?lang=cy on the start page, then every page in Welsh without asking again: questions, errors,
    check answers with the date in Welsh, and the confirmation."""
    definition = next(d for d in definitions(client.app) if d.slug == POULTRY)
    journey = journey_for(definition)
    start = client.get(f"/{POULTRY}/?lang=cy")
    assert_welsh_page_with_switcher(start, f"/{POULTRY}/")
    assert start.h1 == definition.title.in_language("cy")
    assert start.soup.select_one("main form button").get_text(strip=True) == "Dechrau nawr"
    assert "Cyn i chi ddechrau" in start.soup.get_text()

    response = client.post(f"/{POULTRY}/start")
    first = True
    visited = []
    while not location(response).endswith("/check-answers"):
        path = location(response)
        assert "lang=" not in path
        visited.append(path)
        compiled = journey.page(path.rsplit("/", 1)[1])
        assert compiled is not None
        page = client.get(path)
        assert_welsh_page_with_switcher(page, path)
        assert page.soup.select_one("main form button").get_text(strip=True) == "Parhau"
        assert page.soup.select_one(".govuk-back-link").get_text(strip=True) == "Yn ôl"
        heading = compiled.heading_handler
        expected_title = heading.title("cy") if heading is not None else compiled.page.title.in_language("cy")
        assert page.title.startswith(expected_title), (page.title, expected_title)
        if first:
            errors = client.post(path, data={})
            assert errors.status == 200
            assert errors.soup.html["lang"] == "cy"
            assert errors.title.startswith("Gwall: ")
            assert errors.soup.select_one(".govuk-error-summary__title").get_text(strip=True) == (
                "Mae problem wedi codi"
            )
            assert errors.error_summary() == [("#keeperName", "Rhowch eich enw llawn")]
            assert errors.soup.select_one(".govuk-error-message .govuk-visually-hidden").get_text(
                strip=True
            ) == ("Gwall:")
            first = False
        data = compiled.example()
        if compiled.page.id == "start-date":
            data = {"startedKeeping-month": ["1"], "startedKeeping-year": ["2024"]}
            wrong = client.post(path, data={"startedKeeping-month": ["13"], "startedKeeping-year": ["2024"]})
            assert wrong.error_summary() == [
                ("#startedKeeping-month", "Rhowch ddyddiad go iawn ar gyfer dyddiad dechrau cadw adar")
            ]
            labels = [label.get_text(strip=True) for label in wrong.soup.select(".govuk-date-input label")]
            assert labels == ["Mis", "Blwyddyn"]
        if compiled.page.id == "bird-numbers":
            data = {"numberOfBirds": ["12"]}
        response = client.post(path, data=data)
        assert response.status == 302, (path, response.error_summary())
    assert visited == [f"/{POULTRY}/{p.page.slug}" for p in journey.pages]

    check = client.get(location(response))
    assert_welsh_page_with_switcher(check, f"/{POULTRY}/check-answers")
    assert check.h1 == "Gwirio eich atebion cyn anfon eich ffurflen"
    rows = {
        row.select_one(".govuk-summary-list__key").get_text(strip=True): row.select_one(
            ".govuk-summary-list__value"
        ).get_text(" ", strip=True)
        for row in check.soup.select(".govuk-summary-list__row")
    }
    assert rows["Dyddiad dechrau cadw adar"] == "Ionawr 2024"
    assert rows["Nifer yr adar"] == "12 o adar"
    assert {
        a.get_text(" ", strip=True).split(" ")[0] for a in check.soup.select(".govuk-summary-list__actions a")
    } == {"Newid"}
    assert [h.get_text(strip=True) for h in check.soup.select("main h2.govuk-heading-m")][:2] == [
        "Amdanoch chi",
        "Ble rydych yn cadw eich adar",
    ]
    assert check.soup.select_one("main form button").get_text(strip=True) == "Cofrestru"

    sent = client.post(f"/{POULTRY}/check-answers")
    confirmation = client.follow(sent)
    assert_welsh_page_with_switcher(confirmation, f"/{POULTRY}/confirmation")
    assert (
        confirmation.soup.select_one(".govuk-panel__title").get_text(strip=True) == "Ffurflen wedi’i hanfon"
    )
    assert "Eich cyfeirnod" in confirmation.soup.select_one(".govuk-panel__body").get_text()
    assert "Beth sy’n digwydd nesaf" in confirmation.soup.get_text()
    assert "Tîm Cofrestru Cwsmeriaid APHA" in confirmation.soup.get_text()


def test_check_answers_shows_a_full_date_in_welsh(dated_app: Flask) -> None:
    client = BrowserClient(dated_app)
    client.get("/welsh-dated/?lang=cy")
    client.post("/welsh-dated/start")
    future = client.post("/welsh-dated/when", data={"when-day": "5", "when-month": "1", "when-year": "2999"})
    assert future.error_messages() == ["Gwall: Ni all dyddiad y digwyddiad fod yn y dyfodol"]
    response = client.post(
        "/welsh-dated/when", data={"when-day": "5", "when-month": "1", "when-year": "2024"}
    )
    check = client.follow(response)
    value = check.soup.select_one(".govuk-summary-list__value").get_text(strip=True)
    assert value == "5 Ionawr 2024"
    assert WELSH_DATE.match(value)
    assert check.soup.select_one("main form button").get_text(strip=True) == "Anfon y ffurflen"


def test_the_switcher_is_on_every_page_and_switching_back_to_english_sticks(client: BrowserClient) -> None:
    english = client.get(f"/{POULTRY}/")
    assert english.soup.html["lang"] == "en"
    nav = switcher(english)
    assert nav is not None
    assert nav.select_one("[aria-current=true]").get_text(strip=True) == "English"
    cymraeg = nav.select_one("a")
    assert (cymraeg.get_text(strip=True), cymraeg["lang"], cymraeg["hreflang"]) == ("Cymraeg", "cy", "cy")

    welsh = client.get(cymraeg["href"])
    assert welsh.soup.html["lang"] == "cy"
    response = client.post(f"/{POULTRY}/start")
    question = client.get(location(response))
    assert question.soup.html["lang"] == "cy"
    back_to_english = client.get(switcher(question).select_one("a")["href"])
    assert back_to_english.soup.html["lang"] == "en"
    assert back_to_english.soup.select_one("main form button").get_text(strip=True) == "Continue"
    # ... and stays English on the next page asked for.
    assert client.get(f"/{POULTRY}/").soup.html["lang"] == "en"


def test_the_switcher_keeps_the_pages_other_query_parameters(client: BrowserClient) -> None:
    definition = next(d for d in definitions(client.app) if d.slug == POULTRY)
    client.get(f"/{POULTRY}/")
    client.post(f"/{POULTRY}/start")
    page = client.get(f"/{POULTRY}/{definition.pages[0].slug}?return=check")
    href = urlsplit(switcher(page).select_one("a")["href"])
    assert parse_qs(href.query) == {"return": ["check"], "lang": ["cy"]}


def test_a_form_without_welsh_stays_english_and_has_no_switcher(client: BrowserClient) -> None:
    slug = "register-land-rural-payments"
    page = client.get(f"/{slug}/?lang=cy")
    assert page.status == 200
    assert page.soup.html["lang"] == "en"
    assert switcher(page) is None
    assert page.soup.select_one("main form button").get_text(strip=True) == "Start now"


def test_the_list_of_forms_is_in_english_whatever_the_language_chosen(client: BrowserClient) -> None:
    client.get(f"/{POULTRY}/?lang=cy")
    index = client.get("/?lang=cy")
    assert index.soup.html["lang"] == "en"
    assert switcher(index) is None
    assert index.h1 == "Forms"


def test_error_pages_follow_the_language_chosen(client: BrowserClient) -> None:
    client.get(f"/{POULTRY}/?lang=cy")
    missing = client.get("/no-such-form/")
    assert missing.status == 404
    assert missing.soup.html["lang"] == "cy"
    assert missing.h1 == "Heb ddod o hyd i’r dudalen"
    assert switcher(missing) is not None
    english = client.get("/no-such-form/?lang=en")
    assert english.h1 == "Page not found"


def test_an_expired_form_in_welsh_gets_a_welsh_csrf_error_page(client: BrowserClient) -> None:
    client.get(f"/{POULTRY}/?lang=cy")
    page = client.post(f"/{POULTRY}/start", csrf=False)
    assert page.status == 400
    assert page.soup.html["lang"] == "cy"
    assert page.h1 == "Mae’n ddrwg gennym, mae problem gyda’r gwasanaeth"


# -- warnings for missing translations --------------------------------------------------------------


def poultry() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(POULTRY_FILE.read_text(encoding="utf-8"))
    return data


def test_the_bilingual_example_declares_welsh_and_misses_no_translation() -> None:
    data = poultry()
    assert data["languages"] == ["en", "cy"]
    assert validate_definition_data(data) == []
    assert definition_warnings(data) == []


def test_every_text_missing_its_welsh_is_reported_at_its_path() -> None:
    data = poultry()
    data["pages"][0]["components"][0]["hint"] = data["pages"][0]["components"][0]["hint"]["en"]
    del data["lists"][1]["items"][2]["text"]["cy"]
    data["pages"][7]["components"][0]["options"]["suffix"] = "birds"
    data["pages"][2]["components"][0]["errors"]["required"] = "Enter your telephone number"
    assert validate_definition_data(data) == []
    warnings = definition_warnings(data)
    assert {w.path for w in warnings} == {
        "$.pages[0].components[0].hint",
        "$.lists[1].items[2].text",
        "$.pages[7].components[0].options.suffix",
        "$.pages[2].components[0].errors.required",
    }
    assert all("Welsh ('cy')" in w.message for w in warnings)


def test_a_form_that_does_not_declare_welsh_gets_no_translation_warnings() -> None:
    for path in sorted((ROOT / "form_definitions").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "cy" not in data.get("languages", ["en"]):
            assert definition_warnings(data) == [], path.name
    english_only = copy.deepcopy(poultry())
    english_only["languages"] = ["en"]
    assert definition_warnings(english_only) == []


def test_validate_prints_translation_warnings_without_failing(tmp_path: Path) -> None:
    data = poultry()
    data["title"] = data["title"]["en"]
    path = tmp_path / "half-welsh.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{path}: valid - ")
    assert lines[1:] == [f"warning: {path}: $.title: no Welsh ('cy') translation: the form declares Welsh"]


def test_validate_prints_no_warnings_for_the_examples() -> None:
    result = CliRunner().invoke(
        main, ["validate", *map(str, sorted((ROOT / "form_definitions").glob("*.json")))]
    )
    assert result.exit_code == 0, result.output
    assert not [line for line in result.output.splitlines() if line.startswith("warning:")]
