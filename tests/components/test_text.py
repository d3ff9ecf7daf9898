"""Typed answers: TextField, MultilineTextField, NumberField, EmailAddressField,
TelephoneNumberField and NationalInsuranceNumberField."""

from __future__ import annotations

from typing import Any

import pytest

from forms_engine.components import messages

from . import answer_of, component, handler_of, message_of, page_with

# -- TextField ------------------------------------------------------------------------------------


def test_a_text_answer_is_stored_without_surrounding_spaces() -> None:
    page = page_with(component("TextField", title="What is your name?", shortTitle="Your name"))
    assert answer_of(page, {"answer": ["  Jo Bloggs \t"]}) == "Jo Bloggs"


@pytest.mark.parametrize("blank", [{}, {"answer": [""]}, {"answer": ["   "]}])
def test_a_required_text_field_left_blank_asks_to_enter_it(blank: dict) -> None:
    page = page_with(component("TextField", title="What is your name?", shortTitle="Your name"))
    assert message_of(page, blank) == "Enter your name"


def test_a_required_message_names_the_question_by_its_title_when_there_is_no_short_title() -> None:
    page = page_with(component("TextField", title="Site name"))
    assert message_of(page, {}) == "Enter site name"


@pytest.mark.parametrize(
    ("short_title", "expected"),
    [
        ("CPH number", "Enter CPH number"),
        ("National Insurance number", "Enter National Insurance number"),
        ("Date of birth", "Enter date of birth"),
    ],
)
def test_acronyms_and_names_keep_their_capitals_inside_messages(short_title: str, expected: str) -> None:
    page = page_with(component("TextField", shortTitle=short_title))
    assert message_of(page, {}) == expected


def test_an_optional_text_field_left_blank_is_accepted_as_no_answer() -> None:
    page = page_with(component("TextField", optional=True))
    assert answer_of(page, {"answer": [" "]}) is None
    assert answer_of(page, {}) is None


@pytest.mark.parametrize(
    ("options", "typed", "expected"),
    [
        ({"minLength": 3}, "ab", "Name must be 3 characters or more"),
        ({"maxLength": 5}, "abcdef", "Name must be 5 characters or less"),
        ({"regex": r"\d{9}", "example": "106123456"}, "12345", "Enter the SBI as 9 digits"),
    ],
)
def test_text_length_and_pattern_errors(options: dict, typed: str, expected: str) -> None:
    page = page_with(
        component(
            "TextField",
            shortTitle="Name",
            options=options,
            errors={"format": "Enter the SBI as 9 digits"},
        )
    )
    assert message_of(page, {"answer": [typed]}) == expected


@pytest.mark.parametrize(
    ("options", "typed"),
    [
        ({"minLength": 3}, "abc"),
        ({"maxLength": 5}, "abcde"),
        ({"maxLength": 5}, "  abcde  "),
        ({"regex": r"\d{9}", "example": "106123456"}, "106123456"),
    ],
)
def test_text_at_the_limits_is_accepted(options: dict, typed: str) -> None:
    page = page_with(component("TextField", options=options, errors={"format": "Enter 9 digits"}))
    assert answer_of(page, {"answer": [typed]}) == typed.strip()


def test_a_regex_must_match_the_whole_answer() -> None:
    page = page_with(
        component(
            "TextField",
            options={"regex": r"\d{9}", "example": "106123456"},
            errors={"format": "Enter 9 digits"},
        )
    )
    assert message_of(page, {"answer": ["1061234567"]}) == "Enter 9 digits"
    assert message_of(page, {"answer": ["x106123456"]}) == "Enter 9 digits"


@pytest.mark.parametrize(
    ("kind", "options", "typed"),
    [
        ("minLength", {"minLength": 3}, "ab"),
        ("maxLength", {"maxLength": 2}, "abc"),
    ],
)
def test_a_designers_custom_message_replaces_the_default(kind: str, options: dict, typed: str) -> None:
    custom = f"Custom {kind} message for {{label}}"
    page = page_with(component("TextField", shortTitle="Pet name", options=options, errors={kind: custom}))
    assert message_of(page, {"answer": [typed]}) == f"Custom {kind} message for pet name"


def test_a_custom_required_message_is_used_as_written() -> None:
    page = page_with(component("TextField", errors={"required": "Enter the applicant's name"}))
    assert message_of(page, {}) == "Enter the applicant's name"


def test_a_custom_message_with_stray_braces_is_shown_as_written() -> None:
    page = page_with(component("TextField", errors={"required": "Enter the {unknown} value"}))
    assert message_of(page, {}) == "Enter the {unknown} value"


# -- MultilineTextField ---------------------------------------------------------------------------


def test_long_text_keeps_its_line_breaks() -> None:
    page = page_with(component("MultilineTextField"))
    assert answer_of(page, {"answer": ["First line\nSecond line\n"]}) == "First line\nSecond line"


def test_long_text_line_breaks_posted_as_crlf_are_stored_as_newlines() -> None:
    page = page_with(component("MultilineTextField"))
    assert answer_of(page, {"answer": ["First line\r\nSecond line"]}) == "First line\nSecond line"


@pytest.mark.parametrize(
    ("options", "typed", "expected"),
    [
        ({"maxWords": 3}, "one two three four", "Story must be 3 words or fewer"),
        ({"maxWords": 3}, "one\ntwo\n\nthree  four", "Story must be 3 words or fewer"),
        ({"maxLength": 10}, "eleven char", "Story must be 10 characters or less"),
    ],
)
def test_long_text_over_its_limit_is_rejected(options: dict, typed: str, expected: str) -> None:
    page = page_with(component("MultilineTextField", shortTitle="Story", options=options))
    assert message_of(page, {"answer": [typed]}) == expected


@pytest.mark.parametrize(
    ("options", "typed"),
    [
        ({"maxWords": 3}, "one two three"),
        ({"maxWords": 3}, "  one\n\ntwo   three  "),
        ({"maxLength": 10}, "ten chars!"),
        # Ten characters as the page counts them: a line break is one character, not two.
        ({"maxLength": 10}, "four\r\nfive"),
    ],
)
def test_long_text_within_its_limit_is_accepted(options: dict, typed: str) -> None:
    page = page_with(component("MultilineTextField", options=options))
    assert answer_of(page, {"answer": [typed]}) is not None


def test_a_custom_word_limit_message_replaces_the_default() -> None:
    page = page_with(
        component(
            "MultilineTextField",
            options={"maxWords": 2},
            errors={"maxWords": "Explain in 2 words or fewer"},
        )
    )
    assert message_of(page, {"answer": ["one two three"]}) == "Explain in 2 words or fewer"


@pytest.mark.parametrize("options", [{}, {"maxWords": 3}, {"maxLength": 12}])
def test_long_text_examples_respect_the_limits(options: dict) -> None:
    page = page_with(component("MultilineTextField", options=options))
    assert page.validate(page.example()).is_valid


# -- NumberField ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "typed", "expected"),
    [
        ({}, "42", 42),
        ({}, " 1,234 ", 1234),
        ({}, "1 000", 1000),
        ({}, "-7", -7),
        ({"decimals": 2}, "1,234.5", 1234.5),
        ({"decimals": 2}, "0.25", 0.25),
        ({"decimals": 2}, ".5", 0.5),
        ({"min": 1, "max": 49}, "1", 1),
        ({"min": 1, "max": 49}, "49", 49),
    ],
)
def test_numbers_are_stored_as_numbers(options: dict, typed: str, expected: Any) -> None:
    page = page_with(component("NumberField", options=options))
    stored = answer_of(page, {"answer": [typed]})
    assert stored == expected
    assert type(stored) is type(expected)


@pytest.mark.parametrize(
    ("options", "typed", "expected"),
    [
        ({}, "twelve", "Number of birds must be a number"),
        ({}, "12 birds", "Number of birds must be a number"),
        ({}, "1e3", "Number of birds must be a number"),
        ({}, "1.5", "Number of birds must be a whole number"),
        ({"decimals": 2}, "1.234", "Number of birds must have 2 decimal places or fewer"),
        ({"min": 1}, "0", "Number of birds must be 1 or more"),
        ({"max": 49}, "50", "Number of birds must be 49 or less"),
        ({"max": 10000}, "10,001", "Number of birds must be 10,000 or less"),
        ({"min": 1, "max": 49}, "0", "Number of birds must be between 1 and 49"),
        ({"min": 1, "max": 49}, "50", "Number of birds must be between 1 and 49"),
        (
            {"min": 0.01, "max": 2000, "decimals": 4},
            "0.001",
            ("Number of birds must be between 0.01 and 2,000"),
        ),
    ],
)
def test_number_errors(options: dict, typed: str, expected: str) -> None:
    page = page_with(component("NumberField", shortTitle="Number of birds", options=options))
    assert message_of(page, {"answer": [typed]}) == expected


def test_a_required_number_left_blank_asks_to_enter_it() -> None:
    page = page_with(component("NumberField", shortTitle="Number of birds"))
    assert message_of(page, {"answer": [""]}) == "Enter number of birds"


@pytest.mark.parametrize(
    ("kind", "options", "typed"),
    [("range", {"min": 1, "max": 49}, "50"), ("min", {"min": 1}, "0"), ("max", {"max": 5}, "6")],
)
def test_number_range_messages_can_be_replaced_by_the_designer(kind: str, options: dict, typed: str) -> None:
    page = page_with(component("NumberField", options=options, errors={kind: "Out of range"}))
    assert message_of(page, {"answer": [typed]}) == "Out of range"


@pytest.mark.parametrize(
    ("options", "answer"),
    [({}, 12), ({"decimals": 2}, 12.5), ({"decimals": 6}, 0.00001), ({"decimals": 1}, 1e16)],
)
def test_a_stored_number_posts_back_as_the_same_number(options: dict, answer: Any) -> None:
    page = page_with(component("NumberField", options=options))
    formdata = handler_of(page).formdata(answer)
    assert "e" not in formdata["answer"][0]
    assert answer_of(page, formdata) == answer


@pytest.mark.parametrize(
    ("options", "answer", "display", "export"),
    [
        ({"suffix": "birds"}, 12, "12 birds", "12"),
        ({"prefix": "£", "decimals": 2}, 9.5, "£9.50", "9.50"),
    ],
)
def test_numbers_are_shown_with_their_prefix_and_suffix(
    options: dict, answer: Any, display: str, export: str
) -> None:
    handler = handler_of(page_with(component("NumberField", options=options)))
    assert str(handler.display(answer)) == display
    assert handler.export(answer) == export


# -- EmailAddressField ----------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["name@example.com", "first.last+tag@sub.example.co.uk"])
def test_email_addresses_are_accepted(typed: str) -> None:
    page = page_with(component("EmailAddressField"))
    assert answer_of(page, {"answer": [f" {typed} "]}) == typed


@pytest.mark.parametrize(
    "typed", ["name", "name@", "@example.com", "name@example", "name@@example.com", "a b@example.com"]
)
def test_email_addresses_in_the_wrong_format_are_rejected(typed: str) -> None:
    page = page_with(component("EmailAddressField"))
    assert message_of(page, {"answer": [typed]}) == (
        "Enter an email address in the correct format, like name@example.com"
    )


def test_a_required_email_address_left_blank_asks_to_enter_it() -> None:
    page = page_with(component("EmailAddressField", shortTitle="Email address"))
    assert message_of(page, {}) == "Enter email address"


# -- TelephoneNumberField -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["01632 960 001", "07700 900 982", "+44 808 157 0192", "(01632) 960-001", "01632960001"]
)
def test_telephone_numbers_are_accepted(typed: str) -> None:
    page = page_with(component("TelephoneNumberField"))
    assert answer_of(page, {"answer": [typed]}) == typed


@pytest.mark.parametrize("typed", ["call me", "0163 29", "01632 960 001 ext 4", "+44 +808", "1" * 16])
def test_telephone_numbers_in_the_wrong_format_are_rejected(typed: str) -> None:
    page = page_with(component("TelephoneNumberField"))
    assert message_of(page, {"answer": [typed]}) == messages.PHONE_FORMAT
    assert messages.PHONE_FORMAT == (
        "Enter a telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"
    )


# -- NationalInsuranceNumberField -----------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["AB123456C", "AB 12 34 56 C", "ab 12 34 56 c", " ab123456c ", "AB 12 34 56 C  "]
)
def test_national_insurance_numbers_are_normalised(typed: str) -> None:
    page = page_with(component("NationalInsuranceNumberField"))
    assert answer_of(page, {"answer": [typed]}) == "AB123456C"


@pytest.mark.parametrize("typed", ["AB123456", "AB1234567C", "12345678C", "AB123456E", "BG123456C"])
def test_national_insurance_numbers_in_the_wrong_format_are_rejected(typed: str) -> None:
    page = page_with(component("NationalInsuranceNumberField"))
    assert message_of(page, {"answer": [typed]}) == (
        "Enter a National Insurance number in the correct format, like QQ 12 34 56 C"
    )


def test_a_required_national_insurance_number_left_blank_asks_for_one() -> None:
    page = page_with(component("NationalInsuranceNumberField"))
    assert message_of(page, {}) == "Enter a National Insurance number"


def test_a_national_insurance_number_is_shown_and_exported_in_pairs() -> None:
    handler = handler_of(page_with(component("NationalInsuranceNumberField")))
    assert str(handler.display("AB123456C")) == "AB 12 34 56 C"
    assert handler.export("AB123456C") == "AB 12 34 56 C"
