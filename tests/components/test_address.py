"""UkAddressField: each missing part has its own message and error summary line; postcodes are
checked against UK formats and stored in capitals with one space."""

from __future__ import annotations

import pytest

from forms_engine.components.address import is_uk_postcode, normalise_postcode

from . import answer_of, component, error_of, handler_of, page_with


def address_field(**fields: object) -> dict:
    return component("UkAddressField", name="address", title="What is your address?", **fields)


def address(
    line1: str = "", line2: str = "", town: str = "", county: str = "", postcode: str = ""
) -> dict[str, list[str]]:
    return {
        "address-line1": [line1],
        "address-line2": [line2],
        "address-town": [town],
        "address-county": [county],
        "address-postcode": [postcode],
    }


FULL = address("10 Downing Street", "", "London", "", "SW1A 2AA")


def test_an_address_is_stored_by_part_with_its_postcode_normalised() -> None:
    page = page_with(address_field())
    stored = answer_of(page, address(" 1 Example Street ", "Flat 2", "York", "", "yo1 7hh"), "address")
    assert stored == {
        "line1": "1 Example Street",
        "line2": "Flat 2",
        "town": "York",
        "county": "",
        "postcode": "YO1 7HH",
    }


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("SW1A 2AA", "SW1A 2AA"),
        ("sw1a2aa", "SW1A 2AA"),
        ("  sw1a   2aa ", "SW1A 2AA"),
        ("M1 1AE", "M1 1AE"),
        ("b338th", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("GIR 0AA", "GIR 0AA"),
    ],
)
def test_uk_postcodes_are_accepted_and_normalised(typed: str, stored: str) -> None:
    page = page_with(address_field())
    answer = answer_of(page, address("1 Example Street", town="London", postcode=typed), "address")
    assert answer["postcode"] == stored
    assert normalise_postcode(typed) == stored


@pytest.mark.parametrize("typed", ["nope", "SW1A", "12345", "SW1A 2AAA", "QW1 2AA", "SW1A-2AA"])
def test_a_postcode_that_is_not_a_uk_postcode_is_rejected(typed: str) -> None:
    error = error_of(page_with(address_field()), address("1 Street", town="York", postcode=typed), "address")
    assert error.message == "Enter a full UK postcode, like AA3 1AB"
    assert error.target == "address-postcode"
    assert not is_uk_postcode(typed)


@pytest.mark.parametrize(
    ("data", "summary"),
    [
        (
            address(),
            [
                ("address-line1", "Enter address line 1, typically the building and street"),
                ("address-town", "Enter town or city"),
                ("address-postcode", "Enter postcode"),
            ],
        ),
        (
            address(town="York", postcode="YO1 7HH"),
            [("address-line1", "Enter address line 1, typically the building and street")],
        ),
        (address(line1="1 Street", postcode="YO1 7HH"), [("address-town", "Enter town or city")]),
        (address(line1="1 Street", town="York"), [("address-postcode", "Enter postcode")]),
        (
            address(line2="Flat 2", postcode="nope"),
            [
                ("address-line1", "Enter address line 1, typically the building and street"),
                ("address-town", "Enter town or city"),
                ("address-postcode", "Enter a full UK postcode, like AA3 1AB"),
            ],
        ),
    ],
)
def test_each_missing_part_of_an_address_has_its_own_message_and_summary_line(
    data: dict, summary: list[tuple[str, str]]
) -> None:
    error = error_of(page_with(address_field()), data, "address")
    assert error.summary_items() == summary
    assert (error.target, error.message) == summary[0]
    assert error.parts == {target.removeprefix("address-") for target, _ in summary}


def test_an_address_line_that_is_too_long_is_rejected() -> None:
    error = error_of(page_with(address_field()), address("x" * 201, "", "York", "", "YO1 7HH"), "address")
    assert error.summary_items() == [("address-line1", "Address line 1 must be 200 characters or less")]


def test_an_optional_address_left_blank_is_accepted_but_a_partial_one_is_checked() -> None:
    page = page_with(address_field(optional=True))
    assert answer_of(page, address(), "address") is None
    error = error_of(page, address(town="York"), "address")
    assert [target for target, _ in error.summary_items()] == ["address-line1", "address-postcode"]


def test_address_messages_can_be_replaced_by_the_designer() -> None:
    page = page_with(
        address_field(
            errors={"postcode": "Enter the postcode of the premises", "format": "Enter a real postcode"}
        )
    )
    missing = error_of(page, address("1 Street", town="York"), "address")
    assert missing.message == "Enter the postcode of the premises"
    wrong = error_of(page, address("1 Street", town="York", postcode="nope"), "address")
    assert wrong.message == "Enter a real postcode"


def test_an_address_posts_back_as_the_same_answer() -> None:
    page = page_with(address_field())
    stored = answer_of(page, FULL, "address")
    assert answer_of(page, handler_of(page, "address").formdata(stored), "address") == stored


def test_an_address_is_shown_one_line_each_escaped_and_exported_on_one_line() -> None:
    handler = handler_of(page_with(address_field()), "address")
    stored = {"line1": "1 <b>Big</b> House", "line2": "", "town": "York", "county": "", "postcode": "YO1 7HH"}
    assert str(handler.display(stored)) == "1 &lt;b&gt;Big&lt;/b&gt; House<br>York<br>YO1 7HH"
    assert handler.export(stored) == "1 <b>Big</b> House, York, YO1 7HH"
