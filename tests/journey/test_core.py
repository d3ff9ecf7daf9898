"""The journey core is pure: navigation over (definition, answers), tested without Flask."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from forms_engine.definitions.loader import validate_definition_data
from forms_engine.definitions.model import FormDefinition, build_definition
from forms_engine.journey import Journey

BASE: dict[str, Any] = {
    "schemaVersion": 1,
    "slug": "test-form",
    "title": "Test form",
    "paperForm": {"reference": "T1", "title": "Test paper form", "organisation": "APHA"},
    "service": {
        "contact": {"name": "Test team", "email": "team@example.gov.uk"},
        "privacyNoticeUrl": "https://example.gov.uk/privacy",
        "whatHappensNext": "We will contact you.",
    },
    "startPage": {"content": "Use this form to test."},
    "sections": [{"id": "you", "title": "About you"}, {"id": "animals", "title": "Animals"}],
    "lists": [
        {
            "id": "species",
            "items": [{"text": "Cattle", "value": "cattle"}, {"text": "Sheep", "value": "sheep"}],
        }
    ],
    "pages": [
        {
            "id": "name",
            "path": "/name",
            "title": "Name",
            "section": "you",
            "components": [
                {"id": "c1", "type": "TextField", "name": "fullName", "title": "What is your name?"}
            ],
        },
        {
            "id": "phone",
            "path": "/phone",
            "title": "Phone",
            "section": "you",
            "components": [
                {
                    "id": "c2",
                    "type": "TelephoneNumberField",
                    "name": "phone",
                    "title": "What is your phone number?",
                    "optional": True,
                }
            ],
        },
        {
            "id": "guide",
            "path": "/guidance",
            "title": "About animals",
            "section": "animals",
            "components": [{"id": "c3", "type": "Markdown", "name": "guide", "content": "Read this."}],
        },
        {
            "id": "species",
            "path": "/species",
            "title": "Species",
            "section": "animals",
            "components": [
                {
                    "id": "c4",
                    "type": "RadiosField",
                    "name": "species",
                    "title": "Which species?",
                    "list": "species",
                }
            ],
        },
    ],
}


def make_definition(data: dict[str, Any] | None = None) -> FormDefinition:
    data = copy.deepcopy(data or BASE)
    assert validate_definition_data(data) == []
    return build_definition(data)


@pytest.fixture
def journey() -> Journey:
    return Journey(make_definition())


def slugs(pages: list[Any]) -> list[str]:
    return [p.page.slug for p in pages]


def test_the_path_holds_every_page_in_order(journey: Journey) -> None:
    assert slugs(journey.pages_on_path({})) == ["name", "phone", "guidance", "species"]


def test_next_page_follows_the_order_and_ends_at_check_answers(journey: Journey) -> None:
    name, phone, guidance, species = journey.pages
    assert journey.next_page(name, {}) is phone
    assert journey.next_page(guidance, {}) is species
    assert journey.next_page(species, {}) is None


def test_previous_page_is_none_on_the_first_page(journey: Journey) -> None:
    name, phone, *_ = journey.pages
    assert journey.previous_page(name, {}) is None
    assert journey.previous_page(phone, {}) is name


def test_first_incomplete_page_is_the_first_page_of_a_new_journey(journey: Journey) -> None:
    assert journey.first_incomplete_page({}) is journey.pages[0]


def test_an_optional_question_left_blank_counts_as_answered_once_passed(journey: Journey) -> None:
    answers = {"fullName": "Ann", "phone": None}
    assert journey.first_incomplete_page(answers) is journey.pages[3]


def test_an_optional_question_never_reached_is_not_complete(journey: Journey) -> None:
    assert journey.first_incomplete_page({"fullName": "Ann"}) is journey.pages[1]


def test_every_page_complete_means_no_incomplete_page(journey: Journey) -> None:
    answers = {"fullName": "Ann", "phone": None, "species": "sheep"}
    assert journey.first_incomplete_page(answers) is None
    assert journey.submission_errors(answers) == {}


def test_a_stored_answer_that_no_longer_validates_makes_its_page_incomplete(
    journey: Journey,
) -> None:
    answers = {"fullName": "Ann", "phone": None, "species": "goats"}
    assert journey.first_incomplete_page(answers) is journey.pages[3]
    assert list(journey.submission_errors(answers)) == ["species"]


def test_a_user_cannot_skip_ahead_to_a_later_page(journey: Journey) -> None:
    species = journey.pages[3]
    assert not journey.can_visit(species, {})
    assert not journey.can_visit(species, {"fullName": "Ann"})
    assert journey.can_visit(species, {"fullName": "Ann", "phone": None})


def test_earlier_pages_can_always_be_revisited(journey: Journey) -> None:
    assert journey.can_visit(journey.pages[0], {"fullName": "Ann", "phone": None})


def test_answers_on_path_drop_answers_to_questions_not_in_the_form(journey: Journey) -> None:
    answers = {"fullName": "Ann", "phone": None, "species": "cattle", "stale": "x"}
    assert journey.answers_on_path(answers) == {
        "fullName": "Ann",
        "phone": None,
        "species": "cattle",
    }


def test_check_answers_rows_are_grouped_by_section_with_display_values(journey: Journey) -> None:
    answers = {"fullName": "<b>Ann</b>", "phone": None, "species": "cattle"}
    sections = journey.check_answer_sections(answers)
    assert [s.title for s in sections] == ["About you", "Animals"]
    rows = [(r.key, str(r.value)) for s in sections for r in s.rows]
    assert rows == [
        ("What is your name?", "&lt;b&gt;Ann&lt;/b&gt;"),
        ("What is your phone number?", "Not answered"),
        ("Which species?", "Cattle"),
    ]


def test_page_formdata_round_trips_through_validation(journey: Journey) -> None:
    species = journey.pages[3]
    result = species.validate(species.formdata({"species": "sheep"}))
    assert result.is_valid
    assert result.answers == {"species": "sheep"}


def test_every_page_example_is_valid(journey: Journey) -> None:
    for page in journey.pages:
        assert page.validate(page.example()).is_valid, page.page.id


def test_single_question_pages_use_the_question_as_heading(journey: Journey) -> None:
    assert journey.pages[0].heading_handler is not None
    assert journey.pages[2].heading_handler is None
