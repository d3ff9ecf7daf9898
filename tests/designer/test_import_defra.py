"""`forms-engine import defra`: Defra Forms definitions (engine V1 and V2, JSON and YAML) drafted as
native definitions with a report.

Every sample in ../shared/defra-forms/ imports without errors, validates, renders every page over HTTP
and is sent from start to confirmation; hand-made snippets pin down the conversion of conditions
(V1 `next` links, V2 coordinators, relative dates, nested references), the report and the command.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask

from forms_engine import form_registry
from forms_engine.cli import main
from forms_engine.definitions.loader import validate_definition_data
from forms_engine.definitions.model import FormDefinition
from forms_engine.designer.importers import defra
from forms_engine.designer.importers.defra import (
    PLACEHOLDER_CONTACT_EMAIL,
    PLACEHOLDER_CONTACT_NAME,
    PLACEHOLDER_ORGANISATION,
    PLACEHOLDER_PRIVACY_URL,
    PLACEHOLDER_REFERENCE,
    PLACEHOLDER_START,
    PLACEHOLDER_WHAT_HAPPENS_NEXT,
    DefraImportError,
    convert_defra,
    defra_command,
    load_defra_file,
)
from forms_engine.extensions import db
from forms_engine.journey import journey_for

from ..conftest import make_app
from ..helpers import EXAMPLE_PDF, BrowserClient, Page, location, submit, walk_to_check_answers
from .defra_samples import (
    SAMPLES,
    Walk,
    covering_walks,
    import_sample,
    import_samples,
    page_data,
    sample_files,
    sample_params,
)

# -- hand-made Defra definitions -------------------------------------------------------------------

SUMMARY = {"path": "/summary", "controller": "SummaryPageController", "title": "Summary"}


def question(name: str, kind: str = "YesNoField", **extra: Any) -> dict[str, Any]:
    return {"type": kind, "name": name, "title": f"Question {name}", "options": {}, **extra}


def page(
    path: str, *components: dict[str, Any], next_: list[dict[str, Any]] | None = None, **extra: Any
) -> dict:
    data: dict[str, Any] = {"path": path, "title": f"Page {path}", "components": list(components), **extra}
    if next_ is not None:
        data["next"] = next_
    return data


def v1_condition(name: str, field: str, kind: str, operator: str, value: Any) -> dict[str, Any]:
    value_data = (
        value if isinstance(value, dict) else {"type": "Value", "value": value, "display": str(value)}
    )
    return {
        "name": name,
        "displayName": name,
        "value": {
            "name": name,
            "conditions": [
                {
                    "field": {"name": field, "type": kind, "display": field},
                    "operator": operator,
                    "value": value_data,
                }
            ],
        },
    }


def v1_form(*pages: dict[str, Any], conditions: list[dict] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Hand-made form",
        "startPage": pages[0]["path"],
        "pages": [*pages, SUMMARY],
        "conditions": conditions or [],
        "lists": extra.pop("lists", []),
        "sections": extra.pop("sections", []),
        **extra,
    }


LETTERS = {
    "name": "letters",
    "title": "Letters",
    "type": "string",
    "items": [{"text": "A", "value": "a"}, {"text": "B", "value": "b"}, {"text": "C", "value": "c"}],
}


def convert(data: dict[str, Any], name: str = "hand-made.json") -> tuple[dict[str, Any], list[str]]:
    """The native definition (checked valid) and the report as lines."""
    result = convert_defra(data, name)
    assert validate_definition_data(result.definition) == []
    return result.definition, [str(f) for f in result.report]


def page_conditions(definition: dict[str, Any]) -> dict[str, Any]:
    return {p["path"]: p.get("condition") for p in definition["pages"]}


def named(definition: dict[str, Any]) -> dict[str, Any]:
    return {c["id"]: c["condition"] for c in definition.get("conditions", [])}


# -- V1 next links ---------------------------------------------------------------------------------


def test_a_v1_conditional_link_and_the_default_link_become_page_conditions() -> None:
    data = v1_form(
        page(
            "/married",
            question("married"),
            next_=[{"path": "/wedding"}, {"path": "/summary", "condition": "isMarried"}],
        ),
        page("/wedding", question("when", "DatePartsField"), next_=[{"path": "/summary"}]),
        conditions=[v1_condition("isMarried", "married", "YesNoField", "is", "true")],
    )
    definition, _ = convert(data)
    assert page_conditions(definition) == {"/married": None, "/wedding": {"not": {"ref": "isMarried"}}}
    assert named(definition) == {"isMarried": {"component": "married", "op": "is", "value": True}}


def test_a_page_reached_by_several_links_gets_an_any_and_the_first_matching_link_wins() -> None:
    data = v1_form(
        page(
            "/letter",
            question("letter", "RadiosField", list="letters"),
            next_=[
                {"path": "/about-a", "condition": "isA"},
                {"path": "/about-b", "condition": "isB"},
                {"path": "/other"},
            ],
        ),
        page("/about-a", question("detailsA", "TextField"), next_=[{"path": "/both"}]),
        page("/about-b", question("detailsB", "TextField"), next_=[{"path": "/both"}]),
        page("/both", question("more", "TextField"), next_=[{"path": "/summary"}]),
        page("/other", question("other", "TextField"), next_=[{"path": "/summary"}]),
        conditions=[
            v1_condition("isA", "letter", "RadiosField", "is", "a"),
            v1_condition("isB", "letter", "RadiosField", "is", "b"),
        ],
        lists=[LETTERS],
    )
    definition, _ = convert(data)
    assert page_conditions(definition) == {
        "/letter": None,
        "/about-a": {"ref": "isA"},
        # Defra takes the first link whose condition holds: B only when A does not.
        "/about-b": {"all": [{"not": {"ref": "isA"}}, {"ref": "isB"}]},
        "/both": {"any": [{"ref": "isA"}, {"ref": "isB"}]},
        "/other": {"all": [{"not": {"ref": "isA"}}, {"not": {"ref": "isB"}}]},
    }


def test_a_page_every_branch_comes_back_to_has_no_condition() -> None:
    data = v1_form(
        page("/first", question("first"), next_=[{"path": "/branch", "condition": "yes"}, {"path": "/join"}]),
        page("/branch", question("branch", "TextField"), next_=[{"path": "/join"}]),
        page("/join", question("join", "TextField"), next_=[{"path": "/summary"}]),
        conditions=[v1_condition("yes", "first", "YesNoField", "is", "true")],
    )
    definition, _ = convert(data)
    assert page_conditions(definition) == {"/first": None, "/branch": {"ref": "yes"}, "/join": None}


def test_pages_are_put_in_the_order_the_links_go_whatever_their_order_in_the_file() -> None:
    data = v1_form(
        page("/one", question("one", "TextField"), next_=[{"path": "/two"}]),
        page("/three", question("three", "TextField"), next_=[{"path": "/summary"}]),
        page("/two", question("two", "TextField"), next_=[{"path": "/three"}]),
    )
    definition, _ = convert(data)
    assert [p["path"] for p in definition["pages"]] == ["/one", "/two", "/three"]


def test_a_content_page_without_links_is_an_exit_page_and_a_question_page_without_links_leads_on() -> None:
    data = v1_form(
        page(
            "/eligible",
            question("eligible"),
            next_=[{"path": "/ineligible", "condition": "no"}, {"path": "/name"}],
        ),
        page("/ineligible", {"type": "Html", "name": "sorry", "content": "<p>Sorry</p>"}, next_=[]),
        page("/name", question("fullName", "TextField")),
        conditions=[v1_condition("no", "eligible", "YesNoField", "is", "false")],
    )
    definition, report = convert(data)
    exit_page = definition["pages"][1]
    assert (exit_page["path"], exit_page.get("exit"), exit_page["condition"]) == (
        "/ineligible",
        True,
        {"ref": "no"},
    )
    assert definition["pages"][2]["condition"] == {"not": {"ref": "no"}}
    assert any(line.startswith("$.pages[2]: warning: no links onward") for line in report)


def test_links_back_unreachable_pages_and_links_to_missing_pages_are_reported() -> None:
    data = v1_form(
        page("/one", question("one", "TextField"), next_=[{"path": "/two"}]),
        page(
            "/two",
            question("two", "TextField"),
            next_=[{"path": "/one", "condition": "loop"}, {"path": "/nowhere"}, {"path": "/summary"}],
        ),
        page("/orphan", question("orphan", "TextField"), next_=[{"path": "/summary"}]),
        conditions=[v1_condition("loop", "two", "TextField", "is", "again")],
    )
    definition, report = convert(data)
    assert [p["path"] for p in definition["pages"]] == ["/one", "/two"]
    assert "$.pages[1].next: warning: the link back to '/one' is not carried over" in "\n".join(report)
    assert any(line.startswith("$.pages[1].next[1]: warning: no page '/nowhere'") for line in report)
    assert "$.pages[2]: warning: the page cannot be reached from the start page: not carried over" in report


# -- condition values and operators ------------------------------------------------------------------


def test_v1_coordinators_group_the_ands_before_the_ors_and_groups_and_references_nest() -> None:
    condition = {
        "name": "mixed",
        "displayName": "mixed",
        "value": {
            "name": "mixed",
            "conditions": [
                {
                    "field": {"name": "a", "type": "YesNoField", "display": "a"},
                    "operator": "is",
                    "value": {"type": "Value", "value": "true"},
                },
                {
                    "coordinator": "and",
                    "field": {"name": "b", "type": "YesNoField", "display": "b"},
                    "operator": "is",
                    "value": {"type": "Value", "value": "false"},
                },
                {"coordinator": "or", "conditionName": "cIsYes", "conditionDisplayName": "c is yes"},
                {
                    "coordinator": "and",
                    "conditions": [
                        {
                            "field": {"name": "a", "type": "YesNoField", "display": "a"},
                            "operator": "is not",
                            "value": {"type": "Value", "value": "true"},
                        },
                        {
                            "coordinator": "or",
                            "field": {"name": "b", "type": "YesNoField", "display": "b"},
                            "operator": "is",
                            "value": {"type": "Value", "value": "true"},
                        },
                    ],
                },
            ],
        },
    }
    data = v1_form(
        page(
            "/questions",
            question("a"),
            question("b"),
            question("c"),
            next_=[{"path": "/more", "condition": "mixed"}, {"path": "/summary"}],
        ),
        page("/more", question("more", "TextField"), next_=[{"path": "/summary"}]),
        conditions=[condition, v1_condition("cIsYes", "c", "YesNoField", "is", "yes")],
    )
    definition, _ = convert(data)
    assert named(definition)["mixed"] == {
        "any": [
            {
                "all": [
                    {"component": "a", "op": "is", "value": True},
                    {"component": "b", "op": "is", "value": False},
                ]
            },
            {
                "all": [
                    {"ref": "cIsYes"},
                    {
                        "any": [
                            {"component": "a", "op": "isNot", "value": True},
                            {"component": "b", "op": "is", "value": True},
                        ]
                    },
                ]
            },
        ]
    }
    assert page_conditions(definition)["/more"] == {"ref": "mixed"}


@pytest.mark.parametrize(
    ("kind", "operator", "value", "expected"),
    [
        ("TextField", "is", "Bob", {"op": "is", "value": "Bob"}),
        ("TextField", "is not", "Bob", {"op": "isNot", "value": "Bob"}),
        ("TextField", "is longer than", "3", {"op": "lengthGreaterThan", "value": 3}),
        ("TextField", "is shorter than", "3", {"op": "lengthLessThan", "value": 3}),
        ("TextField", "has length", "3", {"op": "lengthIs", "value": 3}),
        ("NumberField", "is more than", "10", {"op": "greaterThan", "value": 10}),
        ("NumberField", "is at least", "2.5", {"op": "greaterThanOrEqual", "value": 2.5}),
        ("NumberField", "is at most", "10", {"op": "lessThanOrEqual", "value": 10}),
        ("NumberField", "is less than", "10", {"op": "lessThan", "value": 10}),
        ("DatePartsField", "is before", "2024-03-01", {"op": "before", "value": "2024-03-01"}),
        ("DatePartsField", "is after", "2024-3-1", {"op": "after", "value": "2024-03-01"}),
        ("RadiosField", "is", "b", {"op": "is", "value": "b"}),
        ("RadiosField", "is", "C", {"op": "is", "value": "c"}),  # matched by the item's text
        ("RadiosField", "is not", "a", {"op": "isNot", "value": "a"}),
        ("CheckboxesField", "contains", "b", {"op": "contains", "value": "b"}),
    ],
)
def test_each_defra_operator_becomes_its_native_comparison(
    kind: str, operator: str, value: str, expected: dict[str, Any]
) -> None:
    extra = {"list": "letters"} if kind in ("RadiosField", "CheckboxesField") else {}
    data = v1_form(
        page(
            "/ask",
            question("answer", kind, **extra),
            next_=[{"path": "/then", "condition": "check"}, {"path": "/summary"}],
        ),
        page("/then", question("then", "TextField"), next_=[{"path": "/summary"}]),
        conditions=[v1_condition("check", "answer", kind, operator, value)],
        lists=[LETTERS],
    )
    definition, _ = convert(data)
    assert named(definition)["check"] == {"component": "answer", **expected}


def test_does_not_contain_and_number_comparisons_on_a_list_become_what_the_native_language_can_say() -> None:
    numbers = {
        "name": "count",
        "type": "number",
        "items": [{"text": str(n), "value": n} for n in (1, 2, 3, 4)],
    }
    data = v1_form(
        page(
            "/ask",
            question("count", "SelectField", list="count"),
            question("letters", "CheckboxesField", list="letters"),
            next_=[{"path": "/then", "condition": "many"}, {"path": "/summary"}],
        ),
        page(
            "/then",
            question("then", "TextField"),
            next_=[{"path": "/also", "condition": "noB"}, {"path": "/summary"}],
        ),
        page("/also", question("also", "TextField"), next_=[{"path": "/summary"}]),
        conditions=[
            v1_condition("many", "count", "SelectField", "is more than", "2"),
            v1_condition("noB", "letters", "CheckboxesField", "does not contain", "b"),
        ],
        lists=[numbers, LETTERS],
    )
    definition, _ = convert(data)
    assert named(definition) == {
        "many": {"component": "count", "op": "anyOf", "value": ["3", "4"]},
        "noB": {"not": {"component": "letters", "op": "contains", "value": "b"}},
    }


RELATIVE_CASES = [
    ("is at least", "in the past", {"op": "onOrBefore", "value": "-3d"}),
    ("is at least", "in the future", {"op": "onOrAfter", "value": "+3d"}),
    ("is at most", "in the past", {"op": "onOrAfter", "value": "-3d"}),
    ("is at most", "in the future", {"op": "onOrBefore", "value": "+3d"}),
    ("is less than", "in the past", {"op": "after", "value": "-3d"}),
    ("is less than", "in the future", {"op": "before", "value": "+3d"}),
    ("is more than", "in the past", {"op": "before", "value": "-3d"}),
    ("is more than", "in the future", {"op": "after", "value": "+3d"}),
]


@pytest.mark.parametrize(("operator", "direction", "expected"), RELATIVE_CASES)
def test_a_v1_relative_date_becomes_a_native_relative_date(
    operator: str, direction: str, expected: dict
) -> None:
    value = {"type": "RelativeDate", "period": "3", "unit": "days", "direction": direction}
    data = v1_form(
        page(
            "/when",
            question("when", "DatePartsField"),
            next_=[{"path": "/then", "condition": "recent"}, {"path": "/summary"}],
        ),
        page("/then", question("then", "TextField"), next_=[{"path": "/summary"}]),
        conditions=[v1_condition("recent", "when", "DatePartsField", operator, value)],
    )
    definition, _ = convert(data)
    assert named(definition)["recent"] == {"component": "when", **expected}


# -- engine V2 -------------------------------------------------------------------------------------


def v2_form(conditions: list[dict[str, Any]], *condition_of_pages: str | None) -> dict[str, Any]:
    components = [
        {"id": "c-name", "type": "TextField", "name": "userName", "title": "Name", "options": {}},
        {"id": "c-adult", "type": "YesNoField", "name": "adult", "title": "Adult?", "options": {}},
        {"id": "c-born", "type": "DatePartsField", "name": "born", "title": "Born", "options": {}},
        {
            "id": "c-pet",
            "type": "RadiosField",
            "name": "pet",
            "title": "Pet",
            "list": "l-pets",
            "options": {},
        },
    ]
    pages = [
        {"id": "p-about", "path": "/about", "title": "About you", "components": components, "next": []},
        {
            "id": "p-one",
            "path": "/one",
            "title": "One",
            "components": [question("one", "TextField")],
            "next": [],
        },
        {
            "id": "p-two",
            "path": "/two",
            "title": "Two",
            "components": [question("two", "TextField")],
            "next": [],
        },
    ]
    for target, reference in zip(pages[1:], condition_of_pages, strict=False):
        if reference:
            target["condition"] = reference
    pets = {
        "id": "l-pets",
        "name": "pets",
        "title": "Pets",
        "type": "string",
        "items": [
            {"id": "i-cat", "text": "Cat", "value": "cat"},
            {"id": "i-dog", "text": "Dog", "value": "dog"},
        ],
    }
    return {
        "name": "V2 form",
        "engine": "V2",
        "schema": 2,
        "pages": [
            *pages,
            {"id": "p-summary", "path": "/summary", "title": "", "controller": "SummaryPageController"},
        ],
        "conditions": conditions,
        "lists": [pets],
        "sections": [],
    }


def item(component: str, operator: str, value: Any, kind: str = "StringValue", **extra: Any) -> dict:
    return {
        "id": f"i-{component}-{operator}",
        "componentId": component,
        "operator": operator,
        "value": value,
        "type": kind,
        **extra,
    }


def test_v2_page_conditions_with_and_or_coordinators_and_nested_references() -> None:
    conditions = [
        {"id": "k-bob", "displayName": "is Bob", "items": [item("c-name", "is", "Bob")]},
        {"id": "k-adult", "displayName": "is adult", "items": [item("c-adult", "is", True, "BooleanValue")]},
        {
            "id": "k-both",
            "displayName": "Bob AND adult",
            "coordinator": "and",
            "items": [{"id": "r1", "conditionId": "k-bob"}, {"id": "r2", "conditionId": "k-adult"}],
        },
        {
            "id": "k-either",
            "displayName": "both or a dog",
            "coordinator": "or",
            "items": [
                {"id": "r3", "conditionId": "k-both"},
                item("c-pet", "is", {"listId": "l-pets", "itemId": "i-dog"}, "ListItemRef"),
            ],
        },
    ]
    definition, _ = convert(v2_form(conditions, "k-both", "k-either"))
    assert page_conditions(definition) == {
        "/about": None,
        "/one": {"ref": "bobANDAdult"},
        "/two": {"ref": "bothOrADog"},
    }
    assert named(definition) == {
        "isBob": {"component": "userName", "op": "is", "value": "Bob"},
        "isAdult": {"component": "adult", "op": "is", "value": True},
        "bobANDAdult": {"all": [{"ref": "isBob"}, {"ref": "isAdult"}]},
        "bothOrADog": {"any": [{"ref": "bobANDAdult"}, {"component": "pet", "op": "is", "value": "dog"}]},
    }


def test_a_v2_terminal_page_is_an_exit_page_holding_content_only() -> None:
    conditions = [
        {"id": "k-minor", "displayName": "minor", "items": [item("c-adult", "is", False, "BooleanValue")]}
    ]
    data = v2_form(conditions, "k-minor")
    terminal = data["pages"][1]
    terminal.update(controller="TerminalPageController", title="You cannot use this service")
    terminal["components"].insert(
        0, {"type": "Markdown", "name": "why", "content": "You must be 18 or over."}
    )
    definition, report = convert(data)
    exit_page = definition["pages"][1]
    assert exit_page["exit"] is True and exit_page["condition"] == {"ref": "minor"}
    assert [c["name"] for c in exit_page["components"]] == ["why"]
    assert "$.pages[1]: warning: the questions of an end page are not carried over: one" in report
    data["pages"][1].pop("condition")
    definition, report = convert(data)
    assert [p["path"] for p in definition["pages"]] == ["/about", "/one"]
    assert "$.pages[2]: warning: never reached: the page '/one' before it ends the journey" in report


@pytest.mark.parametrize(("operator", "direction", "expected"), RELATIVE_CASES)
def test_a_v2_relative_date_becomes_a_native_relative_date(
    operator: str, direction: str, expected: dict
) -> None:
    relative = item("c-born", operator, {"period": 3, "unit": "days", "direction": direction}, "RelativeDate")
    definition, _ = convert(v2_form([{"id": "k-rel", "displayName": "recent", "items": [relative]}], "k-rel"))
    assert named(definition)["recent"] == {"component": "born", **expected}


@pytest.mark.parametrize(
    ("period", "unit", "direction", "bound"),
    [
        (0, "days", "in the past", "today"),
        (2, "months", "in the future", "+2m"),
        (18, "years", "in the past", "-18y"),
    ],
)
def test_relative_dates_count_days_months_and_years_from_today(
    period: int, unit: str, direction: str, bound: str
) -> None:
    relative = item(
        "c-born", "is at least", {"period": period, "unit": unit, "direction": direction}, "RelativeDate"
    )
    definition, _ = convert(v2_form([{"id": "k-rel", "displayName": "rel", "items": [relative]}], "k-rel"))
    assert named(definition)["rel"]["value"] == bound


def test_a_condition_that_cannot_be_converted_is_reported_and_leaves_the_page_unconditional() -> None:
    conditions = [
        {"id": "k-odd", "displayName": "odd", "items": [item("c-adult", "is longer than", 3, "NumberValue")]}
    ]
    definition, report = convert(v2_form(conditions, "k-odd"))
    assert page_conditions(definition)["/one"] is None
    assert (
        "$.conditions[0]: warning: the condition 'odd' is not carried over: the operator "
        "'is longer than' is not supported on a YesNoField" in report
    )
    assert any(
        line.startswith("$.pages[1].condition: warning: the page's condition is not carried over")
        for line in report
    )


# -- components, lists, repeats, files, Welsh ------------------------------------------------------------


def test_components_keep_their_options_and_unknown_types_are_reported() -> None:
    data = v1_form(
        page(
            "/all",
            question(
                "name",
                "TextField",
                schema={"min": 2, "max": 70},
                options={"required": False, "autocomplete": "name"},
            ),
            question("notes", "MultilineTextField", schema={"max": 500}, options={"rows": 8}),
            question(
                "count", "NumberField", schema={"min": 1, "max": 9, "precision": 2}, options={"prefix": "£"}
            ),
            question("since", "DatePartsField", options={"maxDaysInPast": 30, "maxDaysInFuture": 0}),
            question("some", "CheckboxesField", list="letters", schema={"min": 2, "max": 3}),
            question("where", "GeospatialField"),
            question(
                "code",
                "TextField",
                schema={"regex": "^[A-Z]{2}[0-9]{3}$"},
                options={"customValidationMessage": "Enter a code like AB123"},
            ),
            next_=[{"path": "/summary"}],
        ),
        lists=[LETTERS],
    )
    definition, report = convert(data)
    components = {c["name"]: c for c in definition["pages"][0]["components"]}
    assert components["name"]["optional"] is True
    assert components["name"]["options"] == {"autocomplete": "name", "minLength": 2, "maxLength": 70}
    assert components["notes"]["options"] == {"maxLength": 500, "rows": 8}
    assert components["count"]["options"] == {"min": 1, "max": 9, "decimals": 2, "prefix": "£"}
    assert components["since"]["options"] == {"earliest": "-30d", "latest": "today"}
    assert components["some"]["options"] == {"minSelected": 2, "maxSelected": 3}
    assert components["code"]["options"] == {"regex": "^[A-Z]{2}[0-9]{3}$", "example": "AA000"}
    assert components["code"]["errors"] == {
        "required": "Enter a code like AB123",
        "format": "Enter a code like AB123",  # Defra's one custom message replaces each of its messages
    }
    assert "where" not in components
    assert (
        "$.pages[0].components[5]: warning: the component type 'GeospatialField' has no native "
        "equivalent: 'where' is not carried over" in report
    )


def test_the_report_lists_every_placeholder_the_designer_must_fill_in() -> None:
    definition, report = convert(v1_form(page("/one", question("one"), next_=[{"path": "/summary"}])))
    assert definition["paperForm"] == {
        "reference": PLACEHOLDER_REFERENCE,
        "title": "Hand-made form",
        "organisation": PLACEHOLDER_ORGANISATION,
    }
    assert definition["service"] == {
        "contact": {"name": PLACEHOLDER_CONTACT_NAME, "email": PLACEHOLDER_CONTACT_EMAIL},
        "privacyNoticeUrl": PLACEHOLDER_PRIVACY_URL,
        "whatHappensNext": PLACEHOLDER_WHAT_HAPPENS_NEXT,
    }
    assert definition["startPage"] == {"content": PLACEHOLDER_START}
    placeholders = [line for line in report if line.startswith("$: warning: placeholder: ")]
    named_fields = [re.match(r"\$: warning: placeholder: ([\w.]+)", line)[1] for line in placeholders]  # type: ignore[index]
    assert named_fields == [
        "paperForm.reference",
        "paperForm.organisation",
        "service.contact.name",
        "service.contact.email",
        "service.privacyNoticeUrl",
        "service.whatHappensNext",
        "startPage.content",
    ]


def test_everything_not_carried_over_is_reported_at_its_source_path() -> None:
    data = v1_form(
        page(
            "/one",
            question("one", options={"optionalText": False}),
            next_=[{"path": "/summary"}],
            controller="./pages/custom.js",
            events={"onLoad": {"type": "http", "options": {"url": "https://example.gov.uk/hook"}}},
        ),
        outputs=[
            {"name": "email", "type": "email", "outputConfiguration": {"emailAddress": "team@example.gov.uk"}}
        ],
        feedback={"feedbackForm": False, "url": "https://example.gov.uk/feedback"},
        phaseBanner={"phase": "beta"},
        fees=[],
    )
    _, report = convert(data)
    for expected in (
        "$.outputs: warning: the form's 'outputs'",
        "$.feedback: warning: the form's 'feedback'",
        "$.phaseBanner: warning: the form's 'phaseBanner'",
        "$.pages[0].controller: warning: the custom page controller './pages/custom.js' is not carried over",
        "$.pages[0].events: warning: page 'events'",
        "$.pages[0].components[0].options.optionalText: info: the native journey always marks optional",
    ):
        assert any(line.startswith(expected) for line in report), (expected, report)


def test_repeat_and_file_upload_pages_become_a_native_repeat_and_upload() -> None:
    data = v1_form(
        page(
            "/pets",
            question("petName", "TextField"),
            controller="RepeatPageController",
            repeat={"options": {"name": "pets", "title": "Pet"}, "schema": {"min": 1, "max": 5}},
            next_=[{"path": "/files"}],
        ),
        page(
            "/files",
            question(
                "evidence",
                "FileUploadField",
                options={"accept": "application/pdf,image/png,application/msword"},
                schema={"min": 2, "max": 4},
            ),
            controller="FileUploadPageController",
            next_=[{"path": "/summary"}],
        ),
    )
    definition, report = convert(data)
    assert definition["repeats"] == [
        {"id": "pets", "title": "Pet", "itemName": "pet", "min": 1, "max": 5, "pages": ["pets"]}
    ]
    upload = definition["pages"][1]["components"][0]
    assert upload["options"] == {"accept": ["pdf", "png"], "maxFiles": 4, "minFiles": 2}
    assert any("application/msword" in line for line in report)


def test_welsh_translations_become_texts_in_both_languages() -> None:
    data = {
        **v2_form([]),
        "metadata": {
            "translations": {
                "cy": {"form.title": "Ffurflen", "pages.p-one.title": "Un", "components.c-name.title": "Enw"}
            }
        },
    }
    definition, _ = convert(data)
    assert definition["languages"] == ["en", "cy"]
    assert definition["title"] == {"en": "V2 form", "cy": "Ffurflen"}
    assert definition["pages"][1]["title"] == {"en": "One", "cy": "Un"}
    assert definition["pages"][0]["components"][0]["title"] == {"en": "Name", "cy": "Enw"}


def test_the_declaration_and_the_confirmation_page_become_check_answers_and_what_happens_next() -> None:
    status = {
        "path": "/status",
        "title": "Sent",
        "controller": "StatusPageController",
        "components": [{"type": "Markdown", "name": "next", "content": "We will reply within 10 days."}],
    }
    data = v1_form(
        page("/one", question("one"), next_=[{"path": "/summary"}]),
        declaration='<p class="govuk-body">All your answers are <strong>true</strong>.</p>',
    )
    data["pages"].append(status)
    definition, _ = convert(data)
    assert definition["checkAnswers"] == {"declaration": "All your answers are **true**."}
    assert definition["service"]["whatHappensNext"] == "We will reply within 10 days."


def test_not_a_defra_definition_cannot_be_imported() -> None:
    with pytest.raises(DefraImportError, match="no pages with a path"):
        convert_defra({"title": "something else"}, "x.json")
    with pytest.raises(DefraImportError, match="top level is not an object"):
        convert_defra([1, 2], "x.json")  # type: ignore[arg-type]
    native = json.loads(next((Path(__file__).parents[2] / "form_definitions").glob("*.json")).read_text())
    with pytest.raises(DefraImportError, match="already a native form definition"):
        convert_defra(native, "x.json")


def test_yaml_and_json_files_of_the_same_definition_import_alike(tmp_path: Path) -> None:
    data = v1_form(page("/one", question("one"), next_=[{"path": "/summary"}]))
    (tmp_path / "form.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    (tmp_path / "form.json").write_text(json.dumps(data), encoding="utf-8")
    from_yaml = convert_defra(load_defra_file(tmp_path / "form.yaml"), "form.yaml")
    from_json = convert_defra(load_defra_file(tmp_path / "form.json"), "form.json")
    assert from_yaml.definition == from_json.definition
    assert from_yaml.definition["slug"] == "form"


# -- the command -----------------------------------------------------------------------------------


def hand_made_file(folder: Path, name: str = "hand-made.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(v1_form(page("/one", question("one"), next_=[{"path": "/summary"}]))))
    return path


def run(*args: str) -> Any:
    return CliRunner().invoke(defra_command, [str(a) for a in args])


def test_one_file_prints_its_definition_on_stdout_and_the_report_on_stderr(tmp_path: Path) -> None:
    result = run(hand_made_file(tmp_path))
    assert result.exit_code == 0, result.output
    definition = json.loads(result.stdout)
    assert definition["slug"] == "hand-made" and validate_definition_data(definition) == []
    lines = result.stderr.splitlines()
    assert re.fullmatch(
        r".*hand-made\.json: imported as 'hand-made' \(1 pages\) -> stdout: \d+ warning\(s\), \d+ note\(s\)",
        lines[0],
    )
    assert all(re.fullmatch(r"\$[^:]*: (warning|info): .+", line) for line in lines[1:]), lines


def test_the_output_folder_gets_one_file_per_slug_and_is_not_overwritten_without_force(
    tmp_path: Path,
) -> None:
    source, output = hand_made_file(tmp_path), tmp_path / "out"
    first = run(source, "--output-dir", output)
    assert first.exit_code == 0 and first.stderr == ""
    assert "$: warning: placeholder: paperForm.reference" in first.stdout
    assert validate_definition_data(json.loads((output / "hand-made.json").read_text())) == []
    again = run(source, "--output-dir", output)
    assert again.exit_code == 1
    assert f"error: {output / 'hand-made.json'} exists: use --force to overwrite it" in again.stderr
    assert run(source, "--output-dir", output, "--force").exit_code == 0


def test_files_that_cannot_be_imported_exit_1_with_a_clear_message_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"pages": [')
    (tmp_path / "other.json").write_text('{"hello": "world"}')
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00")
    result = run(
        tmp_path / "missing.json",
        tmp_path / "broken.json",
        tmp_path / "other.json",
        tmp_path / "binary.json",
        hand_made_file(tmp_path),
        "--output-dir",
        tmp_path / "out",
    )
    assert result.exit_code == 1
    assert "missing.json: error: cannot read the file: No such file or directory" in result.stderr
    assert "broken.json: error: invalid JSON at line 1 column 12" in result.stderr
    assert "other.json: error: not a Defra Forms definition: it has no pages with a path" in result.stderr
    assert "binary.json: error: not UTF-8 text" in result.stderr
    assert "Traceback" not in result.output
    assert (tmp_path / "out" / "hand-made.json").is_file()  # the good file is still imported


def test_several_files_need_an_output_folder(tmp_path: Path) -> None:
    result = run(hand_made_file(tmp_path), hand_made_file(tmp_path, "second.json"))
    assert result.exit_code == 2
    assert "give --output-dir to import several files" in result.output


def test_a_yaml_file_imports_through_the_command(tmp_path: Path) -> None:
    path = tmp_path / "from-yaml.yml"
    path.write_text(yaml.safe_dump(v1_form(page("/one", question("one"), next_=[{"path": "/summary"}]))))
    result = run(path)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["slug"] == "from-yaml"


def test_an_invalid_definition_from_the_converter_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = defra.convert_defra

    def broken(data: Any, name: str) -> defra.ImportResult:
        result = real(data, name)
        result.definition["pages"][0]["path"] = "/check-answers"
        return result

    monkeypatch.setattr(defra, "convert_defra", broken)
    result = run(hand_made_file(tmp_path))
    assert result.exit_code == 1
    assert "error: the importer made a definition that is not valid" in result.stderr
    assert "$.pages[0].path: '/check-answers' is used by the engine" in result.stderr


def test_the_command_is_forms_engine_import_defra(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["import", "defra", str(hand_made_file(tmp_path)), "--output-dir", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "hand-made.json").is_file()


# -- every sample ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", sample_params())
def test_each_sample_imports_without_errors_and_validates(sample: Path) -> None:
    result = import_sample(sample)
    assert result.findings("error") == []
    assert validate_definition_data(result.definition) == []
    placeholders = [f for f in result.report if f.message.startswith("placeholder: ")]
    assert len(placeholders) >= 5, "the report tells the designer which placeholders to fill in"
    assert all(re.fullmatch(r"\$(\.[A-Za-z]\w*(\[\d+\])*)*", f.path) for f in result.report), result.report


@pytest.fixture(scope="module")
def samples_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, dict[str, str]]]:
    """The app serving every imported sample (from a folder of its own)."""
    if not sample_files():
        pytest.skip(f"no sample Defra Forms definitions at {SAMPLES}")
    folder = tmp_path_factory.mktemp("defra-imports")
    slugs = import_samples(folder / "definitions")
    app = make_app(f"sqlite:///{folder / 'test.sqlite'}", FORM_DEFINITIONS_DIR=folder / "definitions")
    yield app, slugs
    with app.app_context():
        db.engine.dispose()


def post_data(compiled: Any, overrides: dict[str, list[str]]) -> dict[str, Any]:
    """A page's answers for a walk, with small PDFs attached for each upload that needs files."""
    data: dict[str, Any] = page_data(compiled, overrides)
    for handler in compiled.questions:
        if handler.takes_files and handler.name in data:
            count = len(json.loads(data[handler.name][0]))
            data[handler.name] = [(io.BytesIO(EXAMPLE_PDF), f"example-{i + 1}.pdf") for i in range(count)]
    return data


def walk_over_http(client: BrowserClient, definition: FormDefinition, walk: Walk) -> tuple[list[str], Page]:
    """Go through the form as a browser would with the walk's answers: the pages shown (each
    answered 200) and the last page (check answers, or an exit page)."""
    journey = journey_for(definition)
    slug = definition.slug
    assert client.get(f"/{slug}/").status == 200
    response = client.post(f"/{slug}/start")
    shown: list[str] = []
    items: dict[str, int] = {}
    for _ in range(4 * len(definition.pages) + 10):
        target = location(response)
        shown_page = client.get(target)
        if shown_page.status == 302:
            response = shown_page
            continue
        assert shown_page.status == 200, (target, shown_page.status)
        if target.endswith("/check-answers"):
            return shown, shown_page
        parts = target.split("?")[0].split("/")
        if parts[2] == "repeat":
            if f"repeat/{parts[3]}" not in shown:
                shown.append(f"repeat/{parts[3]}")
            section = journey.repeats[parts[3]]
            more = items.get(parts[3], 0) < max(section.repeat.min_items, 1)
            response = client.post(target, data={"addAnother": "yes" if more else "no"})
        else:
            compiled = journey.page(parts[2])
            assert compiled is not None, target
            if compiled.page.slug not in shown:
                shown.append(compiled.page.slug)
            if compiled.page.exit:
                assert shown_page.soup.select("main button") == [], "an exit page has no Continue"
                return shown, shown_page
            if parts[-1].isdigit():
                section_id = journey.section_of[compiled.page.slug].repeat.id
                items[section_id] = max(items.get(section_id, 0), int(parts[-1]))
            response = client.post(target, data=post_data(compiled, walk.overrides))
        assert response.status == 302, (target, response.error_summary())
    raise AssertionError(f"{slug}: the walk did not end")


@pytest.mark.parametrize("sample", sample_params())
def test_each_sample_renders_every_page_and_is_sent_from_start_to_confirmation(
    sample: Path, samples_app: tuple[Flask, dict[str, str]]
) -> None:
    """Walks with different answers between them show every page; each that reaches check
    answers sends the form and gets the confirmation panel with a reference."""
    app, slugs = samples_app
    definition = form_registry(app).get(slugs[sample.name])
    assert definition is not None, f"{sample.name} did not load: {form_registry(app).unavailable}"
    walks = covering_walks(definition)
    assert walks and walks[0].complete, f"no walk reaches check answers: {walks}"
    shown: set[str] = set()
    for walk in walks:
        client = BrowserClient(app)
        pages, last = walk_over_http(client, definition, walk)
        assert pages == list(walk.pages), "the app takes the path the journey core worked out"
        shown |= set(pages)
        if walk.complete:
            assert last.h1 == "Check your answers before sending your form"
            confirmation = submit(client, definition)
            assert confirmation.status == 200
            panel = confirmation.soup.select_one(".govuk-panel")
            assert panel is not None
            assert re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", panel.get_text())
    assert {p.page.slug for p in journey_for(definition).pages} <= shown


@pytest.mark.parametrize("sample", sample_params())
def test_the_standard_walker_sends_each_sample_answered_with_the_examples(
    sample: Path, samples_app: tuple[Flask, dict[str, str]]
) -> None:
    """tests/helpers.py's walker answers every page with its example and gives a repeat one item.
    A repeat that needs more (repeat.json: at least 2 pizzas) stops it at the repeat's summary with
    GOV.UK's message; such samples are sent by the walks of the test above, which add the items."""
    app, slugs = samples_app
    definition = form_registry(app).get(slugs[sample.name])
    assert definition is not None
    client = BrowserClient(app)
    if any(r.min_items > 1 for r in definition.repeats.values()):
        with pytest.raises(AssertionError, match="You must add at least 2"):
            walk_to_check_answers(client, definition)
        return
    assert walk_to_check_answers(client, definition).status == 200
    confirmation = submit(client, definition)
    assert confirmation.status == 200 and confirmation.soup.select_one(".govuk-panel") is not None


# -- what the samples hold ---------------------------------------------------------------------------


def sample(name: str) -> dict[str, Any]:
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"the sample {path} is not there")
    return import_sample(path).definition


def test_the_v1_samples_next_links_and_conditions_are_carried_over() -> None:
    definition = sample("conditions-basic.json")
    assert page_conditions(definition) == {
        "/first-page": None,
        "/second-page": {"not": {"ref": "isPreviouslyMarried"}},
    }
    complex_form = sample("test.json")
    exit_page = next(p for p in complex_form["pages"] if p["path"] == "/no-uk-passport")
    assert exit_page["exit"] is True and exit_page["condition"] == {"ref": "doesntHaveUKPassport"}
    assert named(complex_form)["moreThanTwoApplicants"] == {
        "component": "numberOfApplicants",
        "op": "anyOf",
        "value": ["3", "4"],
    }


def test_the_samples_repeat_upload_welsh_and_yaml_are_carried_over() -> None:
    assert sample("repeat.json")["repeats"] == [
        {"id": "pizza", "title": "Pizza", "itemName": "pizza", "min": 2, "max": 3, "pages": ["pizza-order"]}
    ]
    upload = sample("file-upload.json")["pages"][0]["components"][1]
    assert (
        upload["optional"] is True
        and upload["options"]["minFiles"] == 2
        and upload["options"]["maxFiles"] == 4
    )
    welsh = sample("fields-required-translated.json")
    assert welsh["languages"] == ["en", "cy"] and welsh["title"] == {
        "en": "Fields required",
        "cy": "Welsh fields required",
    }
    unicorn = sample("register-as-a-unicorn-breeder.yaml")
    assert [p["path"] for p in unicorn["pages"]][:3] == [
        "/whats-your-name",
        "/whats-your-email-address",
        "/whats-your-phone-number",
    ]
    assert (
        unicorn["checkAnswers"]["declaration"]
        == "All the answers you have provided are true to the best of your knowledge."
    )


def test_near_misses_in_a_sample_are_matched_and_reported() -> None:
    path = SAMPLES / "report-a-terrorist.json"
    if not path.is_file():
        pytest.skip(f"the sample {path} is not there")
    report = [str(f) for f in import_sample(path).report]
    assert (
        "$.pages[0].components[2].list: warning: no list 'HTbt4V': taken to be 'HTbtEV', the closest "
        "name: check it" in report
    )
    assert any(
        line.startswith("$.conditions[1].value.conditions[0].field: warning: no question 'PMXq1s.LU6RMD'")
        for line in report
    )


def test_a_missing_sample_folder_skips_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from . import defra_samples

    monkeypatch.setattr(defra_samples, "SAMPLES", tmp_path / "absent")
    params = defra_samples.sample_params()
    assert len(params) == 1 and params[0].id == "no-samples"
    (mark,) = params[0].marks
    assert "../shared/defra-forms" in mark.kwargs["reason"]


def test_service_details_in_the_metadata_are_used_instead_of_placeholders() -> None:
    data = v1_form(page("/one", question("one"), next_=[{"path": "/summary"}]))
    data["metadata"] = {
        "slug": "apply-for-a-thing",
        "organisation": "Animal and Plant Health Agency \u2013 APHA",
        "contact": {
            "phone": "0300 200 301",
            "email": {"address": "help@apha.example.gov.uk", "responseTime": "We aim to reply in 5 days"},
            "online": {"url": "https://www.gov.uk/contact-apha", "text": "Contact APHA"},
        },
        "privacyNoticeUrl": "https://www.gov.uk/apha-privacy",
        "submissionGuidance": "We will email you within 5 working days.",
    }
    definition, report = convert(data)
    assert definition["slug"] == "apply-for-a-thing"
    assert definition["paperForm"]["organisation"] == "APHA"
    assert definition["service"] == {
        "contact": {
            "name": PLACEHOLDER_CONTACT_NAME,
            "email": "help@apha.example.gov.uk",
            "phone": "0300 200 301",
            "url": "https://www.gov.uk/contact-apha",
        },
        "privacyNoticeUrl": "https://www.gov.uk/apha-privacy",
        "whatHappensNext": "We will email you within 5 working days.",
    }
    placeholders = [line for line in report if "placeholder:" in line]
    assert [line.split("placeholder: ")[1].split(" ")[0] for line in placeholders] == [
        "paperForm.reference",
        "service.contact.name:",
        "startPage.content:",
    ]
    assert [line for line in report if line.startswith("$.metadata")] == [
        "$.metadata.contact.email.responseTime: warning: contact detail 'responseTime' "
        '("We aim to reply in 5 days") is not carried over: the native contact details have no response '
        "time: add it to the hours",
        "$.metadata.contact.online.text: warning: contact detail 'text' (\"Contact APHA\") is not carried "
        "over: the native contact link is shown with its address",
        "$.metadata.submissionGuidance: info: carried over as the form's 'what happens next'",
    ]


def test_parts_of_the_wrong_type_are_reported_and_the_rest_imported() -> None:
    data = v1_form(
        page("/one", question("one", options="required"), next_=[{"path": "/two"}]),
        page(
            "/two",
            {"type": ["TextField"], "name": "two", "title": "Two"},
            question("three", "TextField", schema=[1]),
        ),
        sections="none",
        lists={"not": "a list"},
    )
    data["pages"][1]["next"] = 7
    data["conditions"] = 3
    definition, report = convert(data)
    assert [p["path"] for p in definition["pages"]] == ["/one", "/two"]
    for expected in (
        '$.sections: warning: not a list ("none"): ignored',
        '$.lists: warning: not a list ({"not": "a list"}): ignored',
        "$.conditions: warning: not a list (3): ignored",
        '$.pages[0].components[0].options: warning: not an object ("required"): ignored',
        "$.pages[1].components[1].schema: warning: not an object ([1]): ignored",
        "$.pages[1].next: warning: 'next' is not a list: ignored",
    ):
        assert expected in report, (expected, report)
    assert any(line.startswith("$.pages[1].components[0]: warning: the component type") for line in report)


def test_a_definition_none_of_whose_pages_can_be_reached_cannot_be_imported() -> None:
    data = v1_form(page("/one", question("one"), next_=[{"path": "/summary"}]))
    data["startPage"] = "/summary"
    data["pages"][0]["controller"] = "StartPageController"
    data["pages"][0]["components"] = []
    with pytest.raises(DefraImportError, match="no page could be carried over"):
        convert_defra(data, "x.json")
