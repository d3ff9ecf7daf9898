"""Choosing: RadiosField, SelectField, CheckboxesField, YesNoField and DeclarationField."""

from __future__ import annotations

import pytest

from . import answer_of, component, handler_of, message_of, page_with

SINGLE_CHOICE_TYPES = ["RadiosField", "SelectField"]


@pytest.mark.parametrize("type_", SINGLE_CHOICE_TYPES)
def test_a_single_choice_stores_the_items_value(type_: str) -> None:
    page = page_with(component(type_))
    assert answer_of(page, {"answer": ["green"]}) == "green"


@pytest.mark.parametrize("type_", SINGLE_CHOICE_TYPES)
@pytest.mark.parametrize("blank", [{}, {"answer": [""]}])
def test_a_required_single_choice_left_blank_asks_to_select_it(type_: str, blank: dict) -> None:
    page = page_with(component(type_, shortTitle="Favourite colour"))
    assert message_of(page, blank) == "Select favourite colour"


@pytest.mark.parametrize("type_", SINGLE_CHOICE_TYPES)
@pytest.mark.parametrize("posted", ["pink", "Red", "<script>"])
def test_a_value_that_is_not_in_the_list_is_rejected(type_: str, posted: str) -> None:
    page = page_with(component(type_, shortTitle="Favourite colour"))
    assert message_of(page, {"answer": [posted]}) == "Select favourite colour from the list"


@pytest.mark.parametrize("type_", [*SINGLE_CHOICE_TYPES, "CheckboxesField", "YesNoField"])
def test_an_optional_choice_left_blank_is_accepted_as_no_answer(type_: str) -> None:
    page = page_with(component(type_, optional=True))
    assert answer_of(page, {}) is None


@pytest.mark.parametrize("type_", SINGLE_CHOICE_TYPES)
def test_a_single_choice_is_shown_and_exported_by_its_text(type_: str) -> None:
    handler = handler_of(page_with(component(type_)))
    assert str(handler.display("red")) == "Red"
    assert handler.export("red") == "Red"


def test_a_custom_required_message_replaces_the_default_for_radios() -> None:
    page = page_with(component("RadiosField", errors={"required": "Select your favourite colour"}))
    assert message_of(page, {}) == "Select your favourite colour"


# -- CheckboxesField ------------------------------------------------------------------------------


def animals(**fields: object) -> dict:
    return component("CheckboxesField", list="animals", shortTitle="Protected species", **fields)


def test_checkboxes_store_the_chosen_values_in_list_order() -> None:
    page = page_with(animals())
    assert answer_of(page, {"answer": ["newts", "badgers"]}) == ["badgers", "newts"]


def test_checkboxes_store_a_value_chosen_twice_once() -> None:
    assert answer_of(page_with(animals()), {"answer": ["bats", "bats"]}) == ["bats"]


def test_required_checkboxes_left_blank_ask_to_select() -> None:
    assert message_of(page_with(animals()), {}) == "Select protected species"


@pytest.mark.parametrize("posted", [["cats"], ["bats", "cats"]])
def test_checkbox_values_not_in_the_list_are_rejected(posted: list[str]) -> None:
    assert message_of(page_with(animals()), {"answer": posted}) == ("Select protected species from the list")


@pytest.mark.parametrize(
    ("options", "posted", "expected"),
    [
        ({"minSelected": 2}, ["bats"], "Select at least 2 options for protected species"),
        (
            {"maxSelected": 2},
            ["bats", "badgers", "newts"],
            "Select no more than 2 options for protected species",
        ),
        ({"minSelected": 2, "maxSelected": 3}, ["bats"], "Select at least 2 options for protected species"),
    ],
)
def test_checkboxes_outside_the_selection_limits_are_rejected(
    options: dict, posted: list[str], expected: str
) -> None:
    assert message_of(page_with(animals(options=options)), {"answer": posted}) == expected


@pytest.mark.parametrize(
    ("options", "posted"),
    [
        ({"minSelected": 2}, ["bats", "newts"]),
        ({"maxSelected": 2}, ["bats", "newts"]),
        ({"minSelected": 1, "maxSelected": 1}, ["bats"]),
    ],
)
def test_checkboxes_within_the_selection_limits_are_accepted(options: dict, posted: list[str]) -> None:
    assert answer_of(page_with(animals(options=options)), {"answer": posted}) == sorted(posted)


def test_checkbox_selection_messages_can_be_replaced_by_the_designer() -> None:
    page = page_with(
        animals(options={"maxSelected": 1}, errors={"maxSelected": "Select only the main species"})
    )
    assert message_of(page, {"answer": ["bats", "newts"]}) == "Select only the main species"


def test_checkboxes_are_shown_one_per_line_escaped_and_exported_joined() -> None:
    handler = handler_of(page_with(animals()))
    shown = str(handler.display(["badgers", "otters"]))
    assert shown == "Badgers<br>Otters &amp; &lt;voles&gt;"
    assert handler.export(["badgers", "otters"]) == "Badgers; Otters & <voles>"


def test_checkboxes_post_back_as_the_same_answer() -> None:
    page = page_with(animals())
    formdata = handler_of(page).formdata(["bats", "newts"])
    assert formdata == {"answer": ["bats", "newts"]}
    assert answer_of(page, formdata) == ["bats", "newts"]


# -- YesNoField -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("posted", "stored"), [("yes", True), ("no", False)])
def test_yes_no_is_stored_as_true_or_false(posted: str, stored: bool) -> None:
    page = page_with(component("YesNoField"))
    assert answer_of(page, {"answer": [posted]}) is stored


@pytest.mark.parametrize(("stored", "shown"), [(True, "Yes"), (False, "No")])
def test_yes_no_posts_back_and_is_shown_as_yes_or_no(stored: bool, shown: str) -> None:
    page = page_with(component("YesNoField"))
    handler = handler_of(page)
    assert answer_of(page, handler.formdata(stored)) is stored
    assert str(handler.display(stored)) == shown
    assert handler.export(stored) == shown


def test_a_required_yes_no_left_blank_asks_to_select() -> None:
    page = page_with(component("YesNoField", shortTitle="Open water nearby"))
    assert message_of(page, {}) == "Select open water nearby"


@pytest.mark.parametrize("posted", ["maybe", "true", "Yes"])
def test_yes_no_rejects_other_values(posted: str) -> None:
    page = page_with(component("YesNoField", shortTitle="Open water nearby"))
    assert message_of(page, {"answer": [posted]}) == "Select open water nearby from the list"


def test_an_unanswered_yes_no_is_not_answered_but_false_is() -> None:
    handler = handler_of(page_with(component("YesNoField")))
    assert str(handler.display(None)) == "Not answered"
    assert handler.is_answered(False)


# -- DeclarationField -----------------------------------------------------------------------------


def test_a_declaration_must_be_confirmed() -> None:
    page = page_with(component("DeclarationField"))
    assert message_of(page, {}) == "Confirm you understand and agree with the declaration"
    assert message_of(page, {"answer": ["no"]}) == ("Confirm you understand and agree with the declaration")


def test_a_confirmed_declaration_is_stored_as_true() -> None:
    page = page_with(component("DeclarationField"))
    handler = handler_of(page)
    assert answer_of(page, {"answer": ["confirmed"]}) is True
    assert answer_of(page, handler.formdata(True)) is True
    assert str(handler.display(True)) == "I understand and agree"
    assert handler.export(True) == "Yes"


def test_a_declaration_can_have_its_own_required_message() -> None:
    page = page_with(
        component("DeclarationField", errors={"required": "Confirm you agree to the conditions"})
    )
    assert message_of(page, {}) == "Confirm you agree to the conditions"
