"""Each component renders its GOV.UK markup through a running app: label or fieldset and legend, the
question as the page heading on single-question pages, hints, "(optional)", errors, and values filled
in (escaped) and chosen items checked or selected.

Uses the test definition tests/data/all-components.json, which has a page for every question type.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask

from forms_engine import form_registry
from forms_engine.definitions.model import FormDefinition
from forms_engine.extensions import db
from tests.conftest import make_app
from tests.helpers import BrowserClient, Page, walk_to_check_answers

DATA = Path(__file__).parent.parent / "data"
FORM = "/all-components"
SCRIPT = '"><script>alert(1)</script>'


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("definitions")
    shutil.copy(DATA / "all-components.json", folder)
    app = make_app(f"sqlite:///{folder / 'test.sqlite'}", FORM_DEFINITIONS_DIR=folder)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def definition(app: Flask) -> FormDefinition:
    found = form_registry(app).get("all-components")
    assert found is not None, form_registry(app).unavailable
    return found


@pytest.fixture(scope="module")
def client(app: Flask, definition: FormDefinition) -> BrowserClient:
    """A browser that has answered every page with its example answer, so any page can be shown.

    Shared by the module's tests (a walk costs a second): a test may post to a page, but only
    answers that keep every page complete, and it never relies on another test's answers."""
    client = BrowserClient(app)
    walk_to_check_answers(client, definition)
    return client


def main_of(page: Page) -> Tag:
    main = page.soup.find("main")
    assert isinstance(main, Tag), page.response.data[:500]
    return main


def only(soup: Tag | BeautifulSoup, selector: str) -> Tag:
    found = soup.select(selector)
    assert len(found) == 1, f"{selector}: {len(found)} found"
    return found[0]


def described_by(element: Tag) -> list[str]:
    return str(element.get("aria-describedby", "")).split()


# -- headings and labels --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "field_id", "heading"),
    [
        ("full-name", "fullName", "What is your full name?"),
        ("nickname", "nickname", "What is your nickname? (optional)"),
        ("story", "story", "Tell us your story"),
        ("count", "count", "How many badgers?"),
        ("email", "email", "What is your email address?"),
        ("phone", "phone", "What is your telephone number?"),
        ("nino", "nino", "What is your National Insurance number?"),
        ("county", "county", "Which colour is your car?"),
    ],
)
def test_a_single_question_with_a_label_has_the_label_as_the_page_heading(
    client: BrowserClient, slug: str, field_id: str, heading: str
) -> None:
    page = client.get(f"{FORM}/{slug}")
    assert page.status == 200
    main = main_of(page)
    h1 = only(main, "h1")
    assert "govuk-label-wrapper" in h1["class"]
    label = only(h1, "label.govuk-label.govuk-label--l")
    assert label["for"] == field_id
    assert label.get_text(" ", strip=True) == heading
    assert main.find(id=field_id) is not None
    assert not main.select("fieldset")
    assert page.title.startswith(heading.removesuffix(" (optional)"))


@pytest.mark.parametrize(
    ("slug", "heading", "role"),
    [
        ("date-of-birth", "What is your date of birth?", "group"),
        ("started", "When did you start?", "group"),
        ("likes", "Do you like badgers?", None),
        ("colour", "What is your favourite colour?", None),
        ("animals", "Which animals have you seen?", None),
        ("address", "What is your address?", None),
        ("declaration", "Declaration", None),
    ],
)
def test_a_single_question_with_a_fieldset_has_the_legend_as_the_page_heading(
    client: BrowserClient, slug: str, heading: str, role: str | None
) -> None:
    main = main_of(client.get(f"{FORM}/{slug}"))
    fieldset = only(main, "fieldset.govuk-fieldset")
    assert fieldset.get("role") == role
    legend = only(fieldset, "legend.govuk-fieldset__legend.govuk-fieldset__legend--l")
    h1 = only(legend, "h1.govuk-fieldset__heading")
    assert h1.get_text(" ", strip=True) == heading
    assert len(main.select("h1")) == 1
    assert not main.select("label.govuk-label--l")


def test_a_page_of_several_questions_has_its_own_heading_and_medium_labels(
    client: BrowserClient,
) -> None:
    main = main_of(client.get(f"{FORM}/several"))
    h1 = only(main, "h1")
    assert h1.get_text(strip=True) == "About your site"
    assert "govuk-heading-l" in h1["class"]
    labels = {label["for"]: label.get_text(" ", strip=True) for label in main.select("label.govuk-label--m")}
    assert labels == {
        "siteName": "Site name",
        "siteNotes": "Notes (optional)",
        "siteColour": "Site colour (optional)",
    }
    legends = [legend.get_text(" ", strip=True) for legend in main.select("legend.govuk-fieldset__legend--m")]
    assert legends == ["Is the site open?", "Animals on site", "Date visited"]
    assert not main.select("legend h1, label h1, h1 label")


def test_only_optional_questions_say_optional(client: BrowserClient) -> None:
    main = main_of(client.get(f"{FORM}/several"))
    texts = [tag.get_text(" ", strip=True) for tag in main.select("label.govuk-label--m, legend")]
    optional = [text for text in texts if text.endswith("(optional)")]
    assert optional == ["Notes (optional)", "Site colour (optional)"]


def test_a_section_title_is_shown_as_a_caption(client: BrowserClient) -> None:
    main = main_of(client.get(f"{FORM}/full-name"))
    assert only(main, ".govuk-caption-l").get_text(strip=True) == "About you"


# -- hints ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "hint_id", "described"),
    [
        ("full-name", "fullName-hint", "input#fullName"),
        ("date-of-birth", "dob-hint", "fieldset"),
        ("animals", "animals-hint", "fieldset"),
        ("address", "address-hint", "fieldset"),
    ],
)
def test_a_hint_has_an_id_the_question_is_described_by(
    client: BrowserClient, slug: str, hint_id: str, described: str
) -> None:
    main = main_of(client.get(f"{FORM}/{slug}"))
    hint = only(main, f"#{hint_id}")
    assert "govuk-hint" in hint["class"]
    assert hint_id in described_by(only(main, described))


def test_a_list_items_hint_is_shown_under_it(client: BrowserClient) -> None:
    main = main_of(client.get(f"{FORM}/colour"))
    red = only(main, "input[value=red]")
    hint = only(main, f"#{described_by(red)[0]}")
    assert hint.get_text(strip=True) == "Like a post box"


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "target", "message"),
    [
        ("full-name", "fullName", "Enter full name"),
        ("story", "story", "Enter story"),
        ("count", "count", "Enter number of badgers"),
        ("email", "email", "Enter email address"),
        ("phone", "phone", "Enter telephone number"),
        ("date-of-birth", "dob-day", "Enter date of birth"),
        ("started", "started-month", "Enter start date"),
        ("likes", "likesBadgers", "Select likes badgers"),
        ("colour", "colour", "Select favourite colour"),
        ("animals", "animals", "Select animals seen"),
        ("county", "county", "Select car colour"),
        ("address", "address-line1", "Enter address line 1, typically the building and street"),
        ("nino", "nino", "Enter a National Insurance number"),
        ("declaration", "declaration", "Confirm you understand and agree with the declaration"),
    ],
)
def test_a_question_in_error_shows_the_govuk_error_pattern(
    client: BrowserClient, slug: str, target: str, message: str
) -> None:
    client.get(f"{FORM}/{slug}")
    page = client.post(f"{FORM}/{slug}", data={})
    assert page.status == 200
    assert page.title.startswith("Error: ")
    assert page.error_summary()[0] == (f"#{target}", message)
    main = main_of(page)
    # The outermost group: an address's inputs have groups of their own inside it.
    group = main.select(".govuk-form-group--error")[0]
    error = group.select(".govuk-error-message")[0]
    prefix = only(error, ".govuk-visually-hidden")
    assert prefix.get_text(strip=True) == "Error:"
    assert error.get_text(" ", strip=True) == f"Error: {message}"
    # Screen readers hear the message with the question: the fieldset, or the input itself.
    describing = [*group.select("fieldset"), only(main, f"#{target}")]
    assert any(error["id"] in described_by(element) for element in describing)


def test_an_input_in_error_has_the_error_class(client: BrowserClient) -> None:
    client.get(f"{FORM}/email")
    main = main_of(client.post(f"{FORM}/email", data={"email": "not an email"}))
    assert "govuk-input--error" in only(main, "input#email")["class"]


@pytest.mark.parametrize(
    ("posted", "highlighted"),
    [
        ({}, {"dob-day", "dob-month", "dob-year"}),
        ({"dob-day": "1", "dob-year": "2000"}, {"dob-month"}),
        ({"dob-day": "1", "dob-month": "1", "dob-year": "23"}, {"dob-year"}),
        ({"dob-day": "31", "dob-month": "2", "dob-year": "2023"}, {"dob-day"}),
    ],
)
def test_only_the_date_parts_in_error_are_highlighted(
    client: BrowserClient, posted: dict[str, str], highlighted: set[str]
) -> None:
    client.get(f"{FORM}/date-of-birth")
    main = main_of(client.post(f"{FORM}/date-of-birth", data=posted))
    marked = {i["id"] for i in main.select("input.govuk-input--error")}
    assert marked == highlighted


def test_each_part_of_an_address_in_error_has_its_own_message(client: BrowserClient) -> None:
    client.get(f"{FORM}/address")
    page = client.post(f"{FORM}/address", data={"address-line2": "Flat 2", "address-postcode": "nope"})
    assert page.error_summary() == [
        ("#address-line1", "Enter address line 1, typically the building and street"),
        ("#address-town", "Enter town or city"),
        ("#address-postcode", "Enter a full UK postcode, like AA3 1AB"),
    ]
    main = main_of(page)
    assert only(main, "#address-line1-error").get_text(" ", strip=True) == (
        "Error: Enter address line 1, typically the building and street"
    )
    assert only(main, "#address-postcode-error").get_text(" ", strip=True) == (
        "Error: Enter a full UK postcode, like AA3 1AB"
    )
    assert "address-postcode-error" in described_by(only(main, "#address-postcode"))
    assert "govuk-form-group--error" in only(main, "fieldset").parent["class"]
    assert only(main, "#address-line2")["value"] == "Flat 2"
    assert only(main, "#address-postcode")["value"] == "nope"


# -- values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("slug", "field"), [("nickname", "nickname"), ("story", "story")])
def test_a_saved_answer_is_filled_in_escaped(client: BrowserClient, slug: str, field: str) -> None:
    client.get(f"{FORM}/{slug}")
    assert client.post(f"{FORM}/{slug}", data={field: SCRIPT}).status == 302
    main = main_of(client.get(f"{FORM}/{slug}"))
    element = only(main, f"#{field}")
    shown = element["value"] if element.name == "input" else element.get_text()
    assert shown == SCRIPT
    assert not main.select("script")


@pytest.mark.parametrize(
    ("slug", "posted"),
    [
        ("full-name", {"fullName": SCRIPT + "x" * 20}),
        ("count", {"count": SCRIPT}),
        ("email", {"email": SCRIPT}),
        ("phone", {"phone": SCRIPT}),
        ("nino", {"nino": SCRIPT}),
        ("date-of-birth", {"dob-day": SCRIPT, "dob-month": SCRIPT, "dob-year": SCRIPT}),
        ("started", {"started-month": SCRIPT, "started-year": SCRIPT}),
        (
            "address",
            {
                "address-line1": SCRIPT,
                "address-line2": SCRIPT,
                "address-town": SCRIPT,
                "address-county": SCRIPT,
                "address-postcode": SCRIPT,
            },
        ),
        ("several", {"siteName": SCRIPT, "siteNotes": SCRIPT, "siteDate-day": SCRIPT}),
    ],
)
def test_a_rejected_answer_is_filled_in_again_escaped(
    client: BrowserClient, slug: str, posted: dict[str, str]
) -> None:
    client.get(f"{FORM}/{slug}")
    page = client.post(f"{FORM}/{slug}", data=posted)
    assert page.status == 200 and page.error_summary()
    main = main_of(page)
    for name, value in posted.items():
        element = only(main, f"[name={name}]")
        shown = element["value"] if element.name == "input" else element.get_text()
        assert shown == value, name
    assert not main.select("script")
    assert not main.select("[onclick], [onerror]")


@pytest.mark.parametrize(
    ("slug", "name", "chosen"),
    [
        ("likes", "likesBadgers", ["no"]),
        ("colour", "colour", ["green"]),
        ("animals", "animals", ["bats", "newts"]),
    ],
)
def test_saved_choices_are_checked(client: BrowserClient, slug: str, name: str, chosen: list[str]) -> None:
    client.get(f"{FORM}/{slug}")
    assert client.post(f"{FORM}/{slug}", data={name: chosen}).status == 302
    main = main_of(client.get(f"{FORM}/{slug}"))
    checked = [i["value"] for i in main.select(f"input[name={name}]") if i.has_attr("checked")]
    assert checked == chosen


def test_a_saved_select_option_is_selected(client: BrowserClient) -> None:
    client.get(f"{FORM}/county")
    assert client.post(f"{FORM}/county", data={"county": "blue"}).status == 302
    main = main_of(client.get(f"{FORM}/county"))
    selected = [o["value"] for o in main.select("select#county option") if o.has_attr("selected")]
    assert selected == ["blue"]
    assert only(main, "select#county option[value='']").get_text() == ""


def test_choices_stay_chosen_when_the_page_is_shown_again_with_errors(
    client: BrowserClient,
) -> None:
    client.get(f"{FORM}/several")
    page = client.post(
        f"{FORM}/several",
        data={
            "siteName": "",
            "siteOpen": "no",
            "siteAnimals": ["badgers", "newts"],
            "siteColour": "green",
            "siteDate-day": "1",
        },
    )
    assert [href for href, _ in page.error_summary()] == ["#siteName", "#siteDate-month"]
    main = main_of(page)
    assert [i["value"] for i in main.select("input[name=siteOpen][checked]")] == ["no"]
    assert [i["value"] for i in main.select("input[name=siteAnimals][checked]")] == ["badgers", "newts"]
    assert [o["value"] for o in main.select("select#siteColour option[selected]")] == ["green"]
    assert only(main, "#siteDate-day")["value"] == "1"


def test_list_item_text_is_escaped(client: BrowserClient) -> None:
    main = main_of(client.get(f"{FORM}/colour"))
    label = only(main, "label[for=colour-3]")
    assert label.get_text(strip=True) == "Blue <b>bold</b>"
    assert not label.select("b")


def test_a_number_shows_its_suffix_and_a_numeric_keyboard(client: BrowserClient) -> None:
    main = main_of(client.get(f"{FORM}/count"))
    number = only(main, "input#count")
    assert number["inputmode"] == "numeric"
    assert number["spellcheck"] == "false"
    assert only(main, ".govuk-input__suffix").get_text(strip=True) == "badgers"


def test_long_text_with_a_word_limit_uses_the_character_count(client: BrowserClient) -> None:
    main = main_of(client.get(f"{FORM}/story"))
    count = only(main, ".govuk-character-count")
    assert count["data-maxwords"] == "5"
    assert count.select("textarea#story")


def test_an_email_field_asks_for_an_email_keyboard_and_autocomplete(client: BrowserClient) -> None:
    email = only(main_of(client.get(f"{FORM}/email")), "input#email")
    assert (email["type"], email["autocomplete"], email["spellcheck"]) == ("email", "email", "false")


def test_the_declaration_shows_its_text_as_the_hint(client: BrowserClient) -> None:
    main = main_of(client.get(f"{FORM}/declaration"))
    hint = only(main, "#declaration-hint")
    assert hint.get_text(" ", strip=True) == "I confirm the information is correct ."
    assert hint.select("strong")
    box = only(main, "input[name=declaration]")
    assert (box["type"], box["value"]) == ("checkbox", "confirmed")
