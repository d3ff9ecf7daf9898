"""Conditions: every operator, groups, nesting and references; the validator's checks; the path."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from forms_engine.definitions.conditions import evaluate, reference_cycle
from forms_engine.definitions.loader import validate_definition_data
from forms_engine.definitions.model import build_definition
from forms_engine.journey import Journey

TODAY = date(2026, 11, 22)


def holds(
    condition: dict[str, Any],
    answers: dict[str, Any],
    named: dict[str, Any] | None = None,
    counts: dict[str, int] | None = None,
) -> bool:
    return evaluate(condition, answers, named or {}, TODAY, counts)


def leaf(op: str, value: Any = None, component: str = "q") -> dict[str, Any]:
    condition: dict[str, Any] = {"component": component, "op": op}
    if value is not None:
        condition["value"] = value
    return condition


@pytest.mark.parametrize(
    ("op", "value", "answer", "expected"),
    [
        ("is", "cattle", "cattle", True),
        ("is", "cattle", "sheep", False),
        ("is", True, True, True),
        ("is", True, False, False),
        ("is", "sheep", ["cattle", "sheep"], True),
        ("isNot", "cattle", "sheep", True),
        ("isNot", "cattle", "cattle", False),
        ("isNot", "cattle", None, True),
        ("anyOf", ["cattle", "pigs"], "pigs", True),
        ("anyOf", ["cattle", "pigs"], "sheep", False),
        ("anyOf", ["cattle", "pigs"], ["sheep", "pigs"], True),
        ("noneOf", ["cattle", "pigs"], "sheep", True),
        ("noneOf", ["cattle", "pigs"], ["sheep", "pigs"], False),
        ("noneOf", ["cattle"], None, True),
        ("contains", "farm", "Home Farm Ltd", True),
        ("contains", "FARM", "Home farm", True),
        ("contains", "barn", "Home Farm", False),
        ("contains", "pigs", ["cattle", "pigs"], True),
        ("answered", None, "x", True),
        ("answered", None, None, False),
        ("answered", None, [], False),
        ("notAnswered", None, None, True),
        ("notAnswered", None, "x", False),
        ("greaterThan", 100, 150, True),
        ("greaterThan", 100, 100, False),
        ("greaterThan", 100, 99.5, False),
        ("greaterThanOrEqual", 100, 100, True),
        ("lessThan", 10, 9, True),
        ("lessThan", 10, 10, False),
        ("lessThanOrEqual", 10, 10, True),
        ("greaterThan", 1, None, False),
        ("before", "2026-01-01", "2025-12-31", True),
        ("before", "2026-01-01", "2026-01-01", False),
        ("after", "2026-01-01", "2026-01-02", True),
        ("onOrBefore", "2026-01-01", "2026-01-01", True),
        ("onOrAfter", "2026-01-01", "2025-12-31", False),
        ("after", "-30d", "2026-11-01", True),  # 30 days before 22 Nov 2026 is 23 Oct
        ("after", "-30d", "2026-10-01", False),
        ("before", "today", "2026-11-21", True),
        ("before", "-1y", "2025-11-21", True),
        ("after", "2026-01-01", "2026-02", True),  # a month and year answer
        ("before", "2026-01-01", None, False),
        ("lengthIs", 3, "abc", True),
        ("lengthGreaterThan", 3, "abcd", True),
        ("lengthLessThan", 3, "abcd", False),
        ("lengthGreaterThan", 1, ["a", "b"], True),
        ("lengthLessThan", 5, None, False),
    ],
)
def test_each_operator_compares_an_answer(op: str, value: Any, answer: Any, expected: bool) -> None:
    assert holds(leaf(op, value), {"q": answer}) is expected


def test_groups_nest_and_negate() -> None:
    condition = {
        "all": [
            leaf("is", "cattle", "species"),
            {"any": [leaf("greaterThan", 50, "herd"), {"not": leaf("answered", None, "cph")}]},
        ]
    }
    assert holds(condition, {"species": "cattle", "herd": 60, "cph": "12/345/6789"})
    assert holds(condition, {"species": "cattle", "herd": 10})
    assert not holds(condition, {"species": "cattle", "herd": 10, "cph": "12/345/6789"})
    assert not holds(condition, {"species": "sheep", "herd": 60})


def test_named_conditions_are_followed_through_references() -> None:
    named = {
        "isCattle": leaf("is", "cattle", "species"),
        "bigCattleHerd": {"all": [{"ref": "isCattle"}, leaf("greaterThan", 50, "herd")]},
    }
    assert holds({"ref": "bigCattleHerd"}, {"species": "cattle", "herd": 51}, named)
    assert not holds({"ref": "bigCattleHerd"}, {"species": "cattle", "herd": 50}, named)


def test_repeat_counts_can_be_compared() -> None:
    condition = {"count": "animals", "op": "greaterThan", "value": 2}
    assert holds(condition, {}, counts={"animals": 3})
    assert not holds(condition, {}, counts={"animals": 2})
    assert not holds(condition, {})


def test_a_cycle_of_references_is_found() -> None:
    named = {"a": {"ref": "b"}, "b": {"all": [{"ref": "c"}]}, "c": {"ref": "a"}}
    assert reference_cycle(named) == ["a", "b", "c", "a"]
    assert reference_cycle({"a": {"ref": "b"}, "b": leaf("answered")}) is None


BASE: dict[str, Any] = {
    "schemaVersion": 1,
    "slug": "conditional-form",
    "title": "Conditional form",
    "paperForm": {"reference": "C1", "title": "Conditional paper form", "organisation": "APHA"},
    "service": {
        "contact": {"name": "Team", "email": "team@example.gov.uk"},
        "privacyNoticeUrl": "https://example.gov.uk/privacy",
        "whatHappensNext": "We will contact you.",
    },
    "startPage": {"content": "Test."},
    "lists": [
        {
            "id": "species",
            "items": [
                {"text": "Cattle", "value": "cattle"},
                {"text": "Sheep", "value": "sheep"},
                {
                    "text": "Bison",
                    "value": "bison",
                    "condition": {"component": "england", "op": "is", "value": False},
                },
            ],
        }
    ],
    "conditions": [{"id": "notEngland", "condition": {"component": "england", "op": "is", "value": False}}],
    "pages": [
        {
            "id": "england",
            "path": "/england",
            "title": "England",
            "components": [
                {"id": "c1", "type": "YesNoField", "name": "england", "title": "Do you live in England?"}
            ],
        },
        {
            "id": "species",
            "path": "/species",
            "title": "Species",
            "components": [
                {
                    "id": "c2",
                    "type": "RadiosField",
                    "name": "species",
                    "title": "Which species?",
                    "list": "species",
                }
            ],
        },
        {
            "id": "herd",
            "path": "/herd",
            "title": "Herd",
            "condition": {"component": "species", "op": "is", "value": "cattle"},
            "components": [{"id": "c3", "type": "NumberField", "name": "herd", "title": "How many cattle?"}],
        },
        {
            "id": "stop",
            "path": "/stop",
            "title": "You cannot use this service",
            "exit": True,
            "condition": {
                "all": [{"ref": "notEngland"}, {"component": "species", "op": "is", "value": "sheep"}]
            },
            "components": [{"id": "c4", "type": "Markdown", "name": "stopText", "content": "Contact us."}],
        },
        {
            "id": "name",
            "path": "/name",
            "title": "Name",
            "components": [
                {
                    "id": "c5",
                    "type": "Markdown",
                    "name": "bigHerdNote",
                    "content": "Large herd.",
                    "condition": {"component": "herd", "op": "greaterThan", "value": 100},
                },
                {"id": "c6", "type": "TextField", "name": "fullName", "title": "What is your name?"},
            ],
        },
    ],
}


def problems(data: dict[str, Any]) -> list[str]:
    return [str(p) for p in validate_definition_data(data)]


def changed(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    change(data)
    return data


def test_the_conditional_test_definition_is_valid() -> None:
    assert problems(BASE) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["pages"][2].update(condition={"component": "nope", "op": "answered"}),
            "$.pages[2].condition.component: unknown question 'nope'",
        ),
        (
            lambda d: d["pages"][2].update(condition={"ref": "missing"}),
            "$.pages[2].condition.ref: unknown condition 'missing'",
        ),
        (
            lambda d: d["pages"][1].update(condition={"component": "herd", "op": "answered"}),
            "$.pages[1].condition: the page's condition depends on 'herd', which is asked on a later page",
        ),
        (
            lambda d: d["pages"][2].update(condition={"component": "herd", "op": "answered"}),
            "$.pages[2].condition: the page's condition depends on 'herd', which is asked on the same page",
        ),
        (
            lambda d: d["pages"][2].update(condition={"component": "species", "op": "is", "value": "goat"}),
            "$.pages[2].condition.value: 'goat' is not a value of list 'species'",
        ),
        (
            lambda d: d["pages"][2].update(
                condition={"component": "species", "op": "greaterThan", "value": 1}
            ),
            "$.pages[2].condition.op: 'greaterThan' compares numbers",
        ),
        (
            lambda d: d["pages"][2].update(condition={"component": "england", "op": "is", "value": "yes"}),
            "$.pages[2].condition.value: a YesNoField answer is true or false",
        ),
        (
            lambda d: d["pages"][2].update(
                condition={"component": "species", "op": "anyOf", "value": "cattle"}
            ),
            "$.pages[2].condition.value: 'anyOf' needs a non-empty list of values",
        ),
        (
            lambda d: d["pages"][2].update(condition={"component": "species", "op": "answered", "value": 1}),
            "$.pages[2].condition.value: 'answered' takes no value",
        ),
        (
            lambda d: d.update(
                conditions=[{"id": "a", "condition": {"ref": "b"}}, {"id": "b", "condition": {"ref": "a"}}]
            ),
            "$.conditions: conditions refer to each other in a cycle: a -> b -> a",
        ),
        (
            lambda d: d["pages"][4]["components"][1].update(
                condition={"component": "england", "op": "answered"}
            ),
            "$.pages[4].components[1].condition: only content components can have a condition",
        ),
        (
            lambda d: d["pages"][3].pop("condition"),
            "$.pages[4]: this page can never be reached: the exit page 'stop' before it always ends",
        ),
        (
            lambda d: d["pages"][2].update(
                condition={
                    "all": [
                        {"component": "species", "op": "is", "value": "cattle"},
                        {"component": "species", "op": "is", "value": "sheep"},
                    ]
                }
            ),
            "$.pages[2].condition: this page can never be reached: its condition can never hold",
        ),
        (
            lambda d: d["lists"][0]["items"][2].update(condition={"component": "herd", "op": "answered"}),
            "$.lists[0].items[2].condition: the list item's condition depends on 'herd', which is asked on a "
            "later page",
        ),
        (
            lambda d: d["pages"][3]["components"].append(
                {"id": "c9", "type": "TextField", "name": "why", "title": "Why?"}
            ),
            "$.pages[3].components[1]: an exit page can only hold content",
        ),
    ],
)
def test_the_validator_rejects_bad_conditions(change: Any, expected: str) -> None:
    found = problems(changed(change))
    assert any(p.startswith(expected) for p in found), found


@pytest.fixture
def journey() -> Journey:
    return Journey(build_definition(copy.deepcopy(BASE)))


def path(journey: Journey, answers: dict[str, Any]) -> list[str]:
    return [p.page.id for p in journey.pages_on_path(answers)]


def test_a_page_whose_condition_fails_is_skipped(journey: Journey) -> None:
    assert path(journey, {"england": True, "species": "sheep"}) == ["england", "species", "name"]
    assert path(journey, {"england": True, "species": "cattle"}) == ["england", "species", "herd", "name"]


def test_an_exit_page_ends_the_path_and_is_never_complete(journey: Journey) -> None:
    answers = {"england": False, "species": "sheep"}
    assert path(journey, answers) == ["england", "species", "stop"]
    assert journey.first_incomplete_page(answers) is journey.page("stop")
    assert journey.submission_errors(answers)


def test_answers_left_behind_are_dropped_and_do_not_steer_the_path(journey: Journey) -> None:
    answers = {"england": True, "species": "sheep", "herd": 500, "fullName": "Ann"}
    assert path(journey, answers) == ["england", "species", "name"]
    assert journey.answers_on_path(answers) == {"england": True, "species": "sheep", "fullName": "Ann"}
    name = journey.page("name")
    assert name is not None
    note = name.handlers[0]
    assert not name.shows(note, journey.answers_on_path(answers))
    assert name.shows(note, {"herd": 500})


def test_a_list_item_is_offered_only_when_its_condition_holds(journey: Journey) -> None:
    species = journey.page("species")
    assert species is not None
    assert not species.validate({"species": ["bison"]}, {"england": True}).is_valid
    assert species.validate({"species": ["bison"]}, {"england": False}).is_valid
    handler = species.questions[0].with_answers({"england": True})
    assert [i.value for i in handler.items()] == ["cattle", "sheep"]  # type: ignore[attr-defined]


def test_changing_an_earlier_answer_makes_a_newly_shown_page_incomplete(journey: Journey) -> None:
    answers = {"england": True, "species": "sheep", "fullName": "Ann"}
    assert journey.first_incomplete_page(answers) is None
    answers["species"] = "cattle"
    assert journey.first_incomplete_page(answers) is journey.page("herd")
