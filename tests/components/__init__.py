"""Component tests: build a one-page definition from a few component dicts and validate form data
against it, with no Flask app (components and the journey core are pure)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date
from typing import Any

from forms_engine.components import ComponentHandler, FieldError
from forms_engine.definitions.loader import validate_definition_data
from forms_engine.definitions.model import FormDefinition, build_definition
from forms_engine.journey import journey_for
from forms_engine.journey.core import CompiledPage

FormData = Mapping[str, list[str]]

BASE: dict[str, Any] = {
    "schemaVersion": 1,
    "slug": "component-test",
    "title": "Component test",
    "paperForm": {"reference": "CT1", "title": "Component test form", "organisation": "Defra"},
    "service": {
        "contact": {"name": "Test team", "email": "team@example.gov.uk"},
        "privacyNoticeUrl": "https://example.gov.uk/privacy",
        "whatHappensNext": "We will contact you.",
    },
    "startPage": {"content": "A form for testing components."},
    "lists": [
        {
            "id": "colours",
            "items": [
                {"text": "Red", "value": "red", "hint": "Like a post box"},
                {"text": "Green", "value": "green"},
                {"text": "Blue", "value": "blue"},
            ],
        },
        {
            "id": "animals",
            "items": [
                {"text": "Badgers", "value": "badgers"},
                {"text": "Bats", "value": "bats"},
                {"text": "Great crested newts", "value": "newts"},
                {"text": "Otters & <voles>", "value": "otters"},
            ],
        },
    ],
}


def component(type_: str, name: str = "answer", **fields: Any) -> dict[str, Any]:
    """A component dict with a title, so every question type passes the schema."""
    data: dict[str, Any] = {"id": name.lower(), "type": type_, "name": name, "title": "Question"}
    if type_ in ("RadiosField", "CheckboxesField", "SelectField"):
        data["list"] = "colours"
    if type_ == "DeclarationField":
        data["content"] = "I confirm my answers are correct."
    data.update(fields)
    return data


def definition_with(*components: dict[str, Any]) -> FormDefinition:
    """A valid definition with one page holding `components`."""
    data = copy.deepcopy(BASE)
    data["pages"] = [
        {"id": "page", "path": "/question", "title": "Question page", "components": list(components)}
    ]
    problems = validate_definition_data(data)
    assert not problems, [str(p) for p in problems]
    return build_definition(data)


def page_with(*components: dict[str, Any]) -> CompiledPage:
    return journey_for(definition_with(*components)).pages[0]


def handler_of(page: CompiledPage, name: str = "answer") -> ComponentHandler:
    return next(h for h in page.questions if h.name == name)


def error_of(page: CompiledPage, formdata: FormData, name: str = "answer") -> FieldError:
    """The error for `name`; fails when the data was accepted."""
    result = page.validate(formdata)
    assert name in result.errors, f"expected an error, got answers {result.answers}"
    return result.errors[name]


def message_of(page: CompiledPage, formdata: FormData, name: str = "answer") -> str:
    return error_of(page, formdata, name).message


def answer_of(page: CompiledPage, formdata: FormData, name: str = "answer") -> Any:
    """The normalised answer for `name`; fails when the data was rejected."""
    result = page.validate(formdata)
    assert not result.errors, {k: e.message for k, e in result.errors.items()}
    return result.answers[name]


def validate_on(
    page: CompiledPage, formdata: FormData, today: date, name: str = "answer"
) -> FieldError | None:
    """Validate one date component as if today were `today` (bounds relative to today)."""
    handler = handler_of(page, name)
    return handler.validate(page.form(formdata), today=today)  # type: ignore[call-arg]
