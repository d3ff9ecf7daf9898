"""What every question type promises: a valid answer is accepted, a required blank is refused with
the GOV.UK message, an optional blank is no answer, a stored answer posts back as itself, and the
answer is shown escaped and exported as a plain string."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from forms_engine.components import REGISTRY
from forms_engine.definitions.model import CONTENT_TYPES, QUESTION_TYPES

from . import answer_of, component, handler_of, message_of, page_with


@dataclass(frozen=True)
class Case:
    type: str
    posted: dict[str, list[str]]
    stored: Any
    shown: str
    exported: str
    required: str
    fields: dict[str, Any] | None = None

    def component(self, **extra: Any) -> dict[str, Any]:
        return component(self.type, shortTitle="Your answer", **(self.fields or {}), **extra)


def address(line1: str, town: str, postcode: str) -> dict[str, list[str]]:
    return {
        "answer-line1": [line1],
        "answer-line2": [""],
        "answer-town": [town],
        "answer-county": [""],
        "answer-postcode": [postcode],
    }


CASES = [
    Case("TextField", {"answer": [" Jo "]}, "Jo", "Jo", "Jo", "Enter your answer"),
    Case("MultilineTextField", {"answer": ["a\r\nb"]}, "a\nb", "a<br>b", "a\nb", "Enter your answer"),
    Case("NumberField", {"answer": ["1,234"]}, 1234, "1234", "1234", "Enter your answer"),
    Case(
        "EmailAddressField",
        {"answer": ["jo@example.com"]},
        "jo@example.com",
        "jo@example.com",
        "jo@example.com",
        "Enter your answer",
    ),
    Case(
        "TelephoneNumberField",
        {"answer": ["01632 960 001"]},
        "01632 960 001",
        "01632 960 001",
        "01632 960 001",
        "Enter your answer",
    ),
    Case(
        "NationalInsuranceNumberField",
        {"answer": ["ab 12 34 56 c"]},
        "AB123456C",
        "AB 12 34 56 C",
        "AB 12 34 56 C",
        "Enter a National Insurance number",
    ),
    Case(
        "DatePartsField",
        {"answer-day": ["1"], "answer-month": ["feb"], "answer-year": ["2020"]},
        "2020-02-01",
        "1 February 2020",
        "2020-02-01",
        "Enter your answer",
    ),
    Case(
        "MonthYearField",
        {"answer-month": ["2"], "answer-year": ["2020"]},
        "2020-02",
        "February 2020",
        "2020-02",
        "Enter your answer",
    ),
    Case("YesNoField", {"answer": ["yes"]}, True, "Yes", "Yes", "Select your answer"),
    Case("RadiosField", {"answer": ["red"]}, "red", "Red", "Red", "Select your answer"),
    Case("SelectField", {"answer": ["blue"]}, "blue", "Blue", "Blue", "Select your answer"),
    Case(
        "CheckboxesField",
        {"answer": ["blue", "red"]},
        ["red", "blue"],
        "Red<br>Blue",
        "Red; Blue",
        "Select your answer",
    ),
    Case(
        "UkAddressField",
        address("1 High St", "York", "yo17hh"),
        {"line1": "1 High St", "line2": "", "town": "York", "county": "", "postcode": "YO1 7HH"},
        "1 High St<br>York<br>YO1 7HH",
        "1 High St, York, YO1 7HH",
        "Enter address line 1, typically the building and street",
    ),
    Case(
        "DeclarationField",
        {"answer": ["confirmed"]},
        True,
        "I understand and agree",
        "Yes",
        "Confirm you understand and agree with the declaration",
    ),
]
FILE_RECORD = {"id": "f1", "filename": "survey <1>.pdf", "size": 2048, "content_type": "application/pdf"}
CASES.append(
    Case(
        "FileUploadField",
        {"answer": [json.dumps([FILE_RECORD])]},
        [FILE_RECORD],
        "survey &lt;1&gt;.pdf",
        "survey <1>.pdf",
        "Select your answer",
        fields={"options": {"accept": ["pdf"]}},
    )
)
IDS = [case.type for case in CASES]


def test_the_cases_cover_every_question_type() -> None:
    assert {case.type for case in CASES} == QUESTION_TYPES


def test_every_registered_type_is_a_question_or_content_type() -> None:
    assert set(REGISTRY) == QUESTION_TYPES | CONTENT_TYPES
    for type_name, handler in REGISTRY.items():
        assert handler.is_question == (type_name in QUESTION_TYPES), type_name


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_valid_answer_is_accepted_and_normalised(case: Case) -> None:
    assert answer_of(page_with(case.component()), case.posted) == case.stored


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_required_question_left_blank_gets_the_govuk_message(case: Case) -> None:
    assert message_of(page_with(case.component()), {}) == case.required


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_required_question_posted_with_empty_fields_gets_the_govuk_message(case: Case) -> None:
    empty = {name: [""] for name in case.posted}
    assert message_of(page_with(case.component()), empty) == case.required


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_custom_required_message_replaces_the_default(case: Case) -> None:
    page = page_with(case.component(errors={"required": "Tell us {label}"}))
    expected = "Tell us your answer"
    if case.type == "UkAddressField":
        # An address has a message per part; `required` is not one of them.
        expected = case.required
    assert message_of(page, {}) == expected


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_an_optional_question_left_blank_is_accepted_as_no_answer(case: Case) -> None:
    page = page_with(case.component(optional=True))
    assert answer_of(page, {}) is None
    assert answer_of(page, {name: [""] for name in case.posted}) is None


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_stored_answer_posts_back_as_the_same_answer(case: Case) -> None:
    page = page_with(case.component())
    handler = handler_of(page)
    assert answer_of(page, handler.formdata(case.stored)) == case.stored
    assert set(handler.formdata(case.stored)) <= set(handler.field_names)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_no_answer_posts_back_as_no_data(case: Case) -> None:
    assert handler_of(page_with(case.component())).formdata(None) == {}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_an_answer_is_shown_as_html_and_exported_as_text(case: Case) -> None:
    handler = handler_of(page_with(case.component()))
    assert str(handler.display(case.stored)) == case.shown
    assert handler.export(case.stored) == case.exported
    assert isinstance(handler.export(case.stored), str)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_no_answer_is_shown_as_not_answered_and_exported_empty(case: Case) -> None:
    handler = handler_of(page_with(case.component()))
    assert str(handler.display(None)) == "Not answered"
    assert handler.export(None) == ""


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_example_answer_is_valid(case: Case) -> None:
    page = page_with(case.component())
    assert page.validate(page.example()).is_valid


@pytest.mark.parametrize(
    "type_", ["TextField", "MultilineTextField", "EmailAddressField", "TelephoneNumberField"]
)
def test_a_typed_answer_is_shown_escaped(type_: str) -> None:
    handler = handler_of(page_with(component(type_)))
    shown = str(handler.display('<script>alert("x")</script>'))
    assert "<script>" not in shown
    assert "&lt;script&gt;" in shown


@pytest.mark.parametrize("type_", ["RadiosField", "SelectField", "CheckboxesField"])
def test_a_choice_is_shown_by_its_item_text_escaped(type_: str) -> None:
    handler = handler_of(page_with(component(type_, list="animals")))
    answer = ["otters"] if type_ == "CheckboxesField" else "otters"
    assert str(handler.display(answer)) == "Otters &amp; &lt;voles&gt;"
    assert handler.export(answer) == "Otters & <voles>"


@pytest.mark.parametrize("type_", sorted(CONTENT_TYPES))
def test_content_components_take_no_answer(type_: str) -> None:
    content = {"id": "guidance", "type": type_, "name": "guidance", "content": "Guidance"}
    if type_ == "Details":
        content["title"] = "Help"
    page = page_with(content, component("TextField", optional=True))
    assert [h.name for h in page.questions] == ["answer"]
    assert page.validate({"guidance": ["posted anyway"]}).answers == {"answer": None}
    assert page.example() == {"answer": ["Example answer"]}
