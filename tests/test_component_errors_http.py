"""Error paths of every question page of every example form, through the app: an empty post shows
the GOV.UK error summary with working links and keeps what was typed; an invalid value gets its
component's message; a page of optional questions accepts an empty post."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from forms_engine import form_registry
from forms_engine.components import ComponentHandler, messages
from forms_engine.config import ROOT
from forms_engine.definitions.loader import load_definition
from forms_engine.definitions.model import FormDefinition
from forms_engine.extensions import db
from forms_engine.journey import journey_for
from forms_engine.journey.core import CompiledPage
from tests.conftest import make_app
from tests.helpers import BrowserClient, Page, example_path, location, walk_to_check_answers

FormData = dict[str, list[str]]
EXAMPLES = [load_definition(path) for path in sorted((ROOT / "form_definitions").glob("*.json"))]


def question_pages(required_only: bool = False) -> Iterator[Any]:
    """Question pages on the path the example answers take (conditional pages off that path hold
    component types the other pages cover)."""
    for definition in EXAMPLES:
        on_path = {step.page.id for step in example_path(definition)}
        for page in definition.pages:
            if page.id not in on_path:
                continue
            # A required upload keeps the files the walk sent: a blank post cannot make it fail.
            wanted = [
                c
                for c in page.components
                if c.is_question and not (required_only and (c.optional or c.type == "FileUploadField"))
            ]
            if wanted:
                yield pytest.param(definition.slug, page.slug, id=f"{definition.slug}/{page.slug}")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("database")
    app = make_app(f"sqlite:///{folder / 'test.sqlite'}")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def walked(app: Flask) -> dict[str, BrowserClient]:
    """Per form, a browser that has answered every page, so any page can be posted to.

    Shared by this module's tests: they post only errors (which are not saved), example answers or
    blanks to optional questions, all of which leave every page complete."""
    clients = {}
    for definition in form_registry(app).forms.values():
        client = BrowserClient(app)
        walk_to_check_answers(client, definition)
        clients[definition.slug] = client
    return clients


def compiled(app: Flask, slug: str, page_slug: str) -> tuple[FormDefinition, CompiledPage]:
    definition = form_registry(app).get(slug)
    assert definition is not None
    page = journey_for(definition).page(page_slug)
    assert page is not None
    return definition, page


def post(client: BrowserClient, slug: str, page_slug: str, data: FormData) -> Page:
    url = f"/{slug}/{page_slug}"
    assert client.get(url).status == 200
    return client.post(url, data=data)


def blank_of(handler: ComponentHandler) -> FormData:
    return {name: [""] for name in handler.field_names}


def assert_values_kept(page: Page, formdata: FormData) -> None:
    """Every value posted is shown again: typed into its input, or its item checked or selected."""
    for name, values in formdata.items():
        elements = page.soup.select(f'main [name="{name}"]')
        assert elements, f"no field {name}"
        first = elements[0]
        if first.name == "input" and first.get("type") in ("radio", "checkbox"):
            chosen = [e["value"] for e in elements if e.has_attr("checked")]
            assert chosen == [v for v in values if v], name
        elif first.name == "select":
            chosen = [o["value"] for o in first.select("option") if o.has_attr("selected")]
            assert chosen == [v for v in values if v], name
        elif first.name == "textarea":
            assert first.get_text().strip("\n") == values[0], name
        else:
            assert first.get("value", "") == values[0], name


def assert_error_page(page: Page) -> None:
    assert page.status == 200
    assert page.title.startswith("Error: ")
    summary = page.error_summary()
    assert summary
    for href, message in summary:
        assert href.startswith("#")
        assert page.soup.find(id=href[1:]) is not None, f"{href} links to nothing"
        assert message in page.error_messages()


# -- empty posts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("slug", "page_slug"), list(question_pages()))
def test_an_empty_post_shows_the_errors_or_is_accepted_when_all_questions_are_optional(
    app: Flask, walked: dict[str, BrowserClient], slug: str, page_slug: str
) -> None:
    _, page = compiled(app, slug, page_slug)
    # A required upload keeps the files the walk sent, so Continue without new files is accepted.
    required = [h for h in page.questions if not h.component.optional and not h.takes_files]
    response = post(walked[slug], slug, page_slug, {})
    if not required:
        assert response.status == 302
        assert location(response) != f"/{slug}/{page_slug}"
        return
    assert_error_page(response)
    linked = {href[1:] for href, _ in response.error_summary()}
    assert {h.target_id for h in required} <= linked
    assert response.soup.select(".govuk-form-group--error")
    assert len(response.soup.select(".govuk-error-summary")) == 1


@pytest.mark.parametrize(("slug", "page_slug"), list(question_pages(required_only=True)))
def test_answers_typed_on_a_page_with_an_error_are_kept(
    app: Flask, walked: dict[str, BrowserClient], slug: str, page_slug: str
) -> None:
    _, page = compiled(app, slug, page_slug)
    required = [h for h in page.questions if not h.component.optional and not h.takes_files]
    formdata = {**page.example(), **blank_of(required[-1])}
    response = post(walked[slug], slug, page_slug, formdata)
    assert_error_page(response)
    assert response.error_summary()[0][0] == f"#{required[-1].target_id}"
    kept = {name: values for name, values in formdata.items() if name not in required[-1].field_names}
    assert_values_kept(response, kept)


# -- invalid values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invalid:
    """Form data a component must reject, and the message (kind, GOV.UK default) it gives."""

    description: str
    formdata: FormData
    kind: str
    template: str
    values: dict[str, Any]
    kept: bool = True

    def message(self, handler: ComponentHandler) -> str:
        return handler.error_message(self.kind, self.template, **self.values)


def _one(handler: ComponentHandler, value: str) -> FormData:
    return {handler.name: [value]}


def _number_invalid(handler: ComponentHandler) -> list[Invalid]:
    options = handler.component.options
    found = [Invalid("not a number", _one(handler, "lots"), "format", messages.NUMBER_NOT_NUMBER, {})]
    if options.get("decimals", 0) == 0:
        found.append(Invalid("not whole", _one(handler, "2.5"), "format", messages.NUMBER_NOT_WHOLE, {}))
    low, high = options.get("min"), options.get("max")
    if low is not None and high is not None:
        found.append(
            Invalid(
                "too big",
                _one(handler, str(high + 1)),
                "range",
                messages.NUMBER_BETWEEN,
                {"min": f"{low:,}", "max": f"{high:,}"},
            )
        )
    return found


def _date_invalid(handler: ComponentHandler) -> list[Invalid]:
    name = handler.name
    if handler.component.type == "MonthYearField":
        not_real = {f"{name}-month": ["13"], f"{name}-year": ["2023"]}
        no_month = {f"{name}-month": [""], f"{name}-year": ["2023"]}
    else:
        not_real = {f"{name}-day": ["31"], f"{name}-month": ["2"], f"{name}-year": ["2023"]}
        no_month = {f"{name}-day": ["1"], f"{name}-month": [""], f"{name}-year": ["2023"]}
    two_digit_year = {**not_real, f"{name}-month": ["1"], f"{name}-year": ["23"]}
    return [
        Invalid("not a real date", not_real, "format", messages.DATE_NOT_REAL, {}),
        Invalid("no month", no_month, "required", messages.DATE_MISSING_PARTS, {"parts": "month"}),
        Invalid("2-digit year", two_digit_year, "format", messages.DATE_YEAR_DIGITS, {}),
    ]


def _text_invalid(handler: ComponentHandler) -> list[Invalid]:
    options = handler.component.options
    found = []
    if "regex" in options:
        found.append(Invalid("wrong format", _one(handler, "!!"), "format", messages.BAD_FORMAT, {}))
    if "maxLength" in options:
        count = options["maxLength"]
        found.append(
            Invalid(
                "too long", _one(handler, "x" * (count + 1)), "maxLength", messages.TOO_LONG, {"count": count}
            )
        )
    return found


def _multiline_invalid(handler: ComponentHandler) -> list[Invalid]:
    options = handler.component.options
    if "maxWords" in options:
        count = options["maxWords"]
        return [
            Invalid(
                "too many words",
                _one(handler, "word " * count + "over"),
                "maxWords",
                messages.TOO_MANY_WORDS,
                {"count": count},
            )
        ]
    if "maxLength" in options:
        count = options["maxLength"]
        return [
            Invalid(
                "too long", _one(handler, "x" * (count + 1)), "maxLength", messages.TOO_LONG, {"count": count}
            )
        ]
    return []


def _address_invalid(handler: ComponentHandler) -> list[Invalid]:
    data = handler.example()
    data[f"{handler.name}-postcode"] = ["NOT A POSTCODE"]
    return [Invalid("bad postcode", data, "format", messages.POSTCODE_FORMAT, {})]


def _choice_invalid(handler: ComponentHandler) -> list[Invalid]:
    return [
        Invalid(
            "not in the list",
            _one(handler, "not-in-the-list"),
            "format",
            messages.CHOICE_INVALID,
            {},
            kept=False,
        )
    ]


INVALID: dict[str, Callable[[ComponentHandler], list[Invalid]]] = {
    "EmailAddressField": lambda h: [
        Invalid("bad email", _one(h, "name.example.com"), "format", messages.EMAIL_FORMAT, {})
    ],
    "TelephoneNumberField": lambda h: [
        Invalid("bad telephone", _one(h, "call me"), "format", messages.PHONE_FORMAT, {})
    ],
    "NationalInsuranceNumberField": lambda h: [
        Invalid("bad NI number", _one(h, "12345"), "format", messages.NINO_FORMAT, {})
    ],
    "NumberField": _number_invalid,
    "DatePartsField": _date_invalid,
    "MonthYearField": _date_invalid,
    "TextField": _text_invalid,
    "MultilineTextField": _multiline_invalid,
    "UkAddressField": _address_invalid,
    "RadiosField": _choice_invalid,
    "SelectField": _choice_invalid,
    "YesNoField": _choice_invalid,
    "CheckboxesField": _choice_invalid,
    "DeclarationField": lambda h: [],
    # Files of the wrong type, too large, too many, empty or infected: tests/test_uploads.py.
    "FileUploadField": lambda h: [],
}


def invalid_cases() -> Iterator[Any]:
    for definition in EXAMPLES:
        journey = journey_for(definition)
        on_path = {step.page.id for step in example_path(definition)}
        for page in journey.pages:
            if page.page.id not in on_path:
                continue
            for handler in page.questions:
                for invalid in INVALID[handler.component.type](handler):
                    yield pytest.param(
                        definition.slug,
                        page.page.slug,
                        handler.name,
                        invalid.description,
                        id=f"{definition.slug}/{page.page.slug}/{handler.name}/{invalid.description}",
                    )


def test_every_question_type_in_the_examples_has_invalid_values_to_try() -> None:
    types = {c.type for d in EXAMPLES for _, c in d.questions()}
    assert types <= set(INVALID)


@pytest.mark.parametrize(("slug", "page_slug", "name", "description"), list(invalid_cases()))
def test_an_invalid_value_gets_its_components_message_and_is_kept(
    app: Flask,
    walked: dict[str, BrowserClient],
    slug: str,
    page_slug: str,
    name: str,
    description: str,
) -> None:
    _, page = compiled(app, slug, page_slug)
    handler = next(h for h in page.questions if h.name == name)
    invalid = next(i for i in INVALID[handler.component.type](handler) if i.description == description)
    formdata = {**page.example(), **invalid.formdata}
    response = post(walked[slug], slug, page_slug, formdata)
    assert_error_page(response)
    expected = invalid.message(handler)
    assert [message for _, message in response.error_summary()] == [expected]
    assert expected in response.error_messages()
    assert_values_kept(
        response, formdata if invalid.kept else page.example() | {name: [] for name in handler.field_names}
    )


def test_a_custom_message_from_the_definition_is_the_one_shown(
    app: Flask, walked: dict[str, BrowserClient]
) -> None:
    response = post(
        walked["register-poultry-fewer-than-50-birds"],
        "register-poultry-fewer-than-50-birds",
        "number-of-birds",
        {"numberOfBirds": ["50"]},
    )
    assert response.error_summary() == [
        (
            "#numberOfBirds",
            "Enter a number between 1 and 49. If you keep 50 or more birds, you must register on the "
            "Great Britain Poultry Register instead",
        )
    ]
