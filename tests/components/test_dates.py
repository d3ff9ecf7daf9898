"""DatePartsField and MonthYearField: real dates only, month names, 4-digit years, bounds."""

from __future__ import annotations

from datetime import date

import pytest

from forms_engine.definitions.model import resolve_date_bound

from . import answer_of, component, error_of, handler_of, message_of, page_with, validate_on

TODAY = date(2024, 5, 15)


def dob(**options: str) -> dict:
    return component(
        "DatePartsField",
        name="dob",
        title="What is your date of birth?",
        shortTitle="Date of birth",
        options=options,
    )


def parts(day: str = "", month: str = "", year: str = "", name: str = "dob") -> dict:
    return {f"{name}-day": [day], f"{name}-month": [month], f"{name}-year": [year]}


# -- DatePartsField -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [
        ("5", "1", "2000", "2000-01-05"),
        ("05", "01", "2000", "2000-01-05"),
        (" 29 ", " 2 ", " 2024 ", "2024-02-29"),
        ("1", "jan", "2000", "2000-01-01"),
        ("1", "Jan.", "2000", "2000-01-01"),
        ("1", "JANUARY", "2000", "2000-01-01"),
        ("30", "sept", "2000", "2000-09-30"),
        ("25", "December", "1999", "1999-12-25"),
    ],
)
def test_a_real_date_is_stored_as_an_iso_date(day: str, month: str, year: str, expected: str) -> None:
    page = page_with(dob())
    assert answer_of(page, parts(day, month, year), "dob") == expected


def test_a_required_date_left_blank_asks_to_enter_it_and_highlights_every_part() -> None:
    page = page_with(dob())
    error = error_of(page, parts(), "dob")
    assert error.message == "Enter date of birth"
    assert error.target == "dob-day"
    assert error.parts == {"day", "month", "year"}


def test_a_required_date_with_no_fields_posted_asks_to_enter_it() -> None:
    assert message_of(page_with(dob()), {}, "dob") == "Enter date of birth"


def test_an_optional_date_left_blank_is_accepted_as_no_answer() -> None:
    page = page_with(component("DatePartsField", name="dob", optional=True))
    assert answer_of(page, parts(), "dob") is None


@pytest.mark.parametrize(
    ("day", "month", "year", "message", "target", "highlighted"),
    [
        ("1", "", "2000", "Date of birth must include a month", "dob-month", {"month"}),
        ("", "1", "2000", "Date of birth must include a day", "dob-day", {"day"}),
        ("1", "1", "", "Date of birth must include a year", "dob-year", {"year"}),
        ("", "", "2000", "Date of birth must include a day and month", "dob-day", {"day", "month"}),
        ("1", "", "", "Date of birth must include a month and year", "dob-month", {"month", "year"}),
    ],
)
def test_a_date_with_missing_parts_says_which_parts(
    day: str, month: str, year: str, message: str, target: str, highlighted: set[str]
) -> None:
    error = error_of(page_with(dob()), parts(day, month, year), "dob")
    assert (error.message, error.target, set(error.parts)) == (message, target, highlighted)


@pytest.mark.parametrize(
    ("day", "month", "year", "target"),
    [
        ("31", "2", "2023", "dob-day"),
        ("29", "2", "2023", "dob-day"),
        ("31", "4", "2023", "dob-day"),
        ("0", "1", "2023", "dob-day"),
        ("32", "1", "2023", "dob-day"),
        ("1", "13", "2023", "dob-month"),
        ("1", "0", "2023", "dob-month"),
        ("1", "smarch", "2023", "dob-month"),
        ("1", "1", "20x3", "dob-year"),
        ("1", "1", "0000", "dob-year"),
        ("first", "1", "2023", "dob-day"),
        ("-1", "1", "2023", "dob-day"),
    ],
)
def test_a_date_that_does_not_exist_must_be_a_real_date(day: str, month: str, year: str, target: str) -> None:
    error = error_of(page_with(dob()), parts(day, month, year), "dob")
    assert error.message == "Date of birth must be a real date"
    assert error.target == target


@pytest.mark.parametrize("year", ["23", "123", "20234"])
def test_a_year_without_4_numbers_is_rejected(year: str) -> None:
    error = error_of(page_with(dob()), parts("1", "1", year), "dob")
    assert error.message == "Year must include 4 numbers"
    assert (error.target, set(error.parts)) == ("dob-year", {"year"})


def test_a_custom_required_message_replaces_the_default_for_a_date() -> None:
    page = page_with(dob() | {"errors": {"required": "Enter the date you were born"}})
    assert message_of(page, parts(), "dob") == "Enter the date you were born"


@pytest.mark.parametrize(
    ("options", "day", "month", "year", "expected"),
    [
        ({"latest": "today"}, "16", "5", "2024", "Date of birth must be today or in the past"),
        ({"earliest": "today"}, "14", "5", "2024", "Date of birth must be today or in the future"),
        ({"earliest": "-1y"}, "14", "5", "2023", "Date of birth must be the same as or after 15 May 2023"),
        ({"latest": "+30d"}, "15", "6", "2024", "Date of birth must be the same as or before 14 June 2024"),
        (
            {"latest": "-6m"},
            "16",
            "11",
            "2023",
            "Date of birth must be the same as or before 15 November 2023",
        ),
        (
            {"earliest": "2020-01-01"},
            "31",
            "12",
            "2019",
            "Date of birth must be the same as or after 1 January 2020",
        ),
        (
            {"latest": "2020-01-01"},
            "2",
            "1",
            "2020",
            "Date of birth must be the same as or before 1 January 2020",
        ),
    ],
)
def test_a_date_outside_its_bounds_is_rejected(
    options: dict, day: str, month: str, year: str, expected: str
) -> None:
    error = validate_on(page_with(dob(**options)), parts(day, month, year), TODAY, "dob")
    assert error is not None
    assert error.message == expected
    assert set(error.parts) == {"day", "month", "year"}


@pytest.mark.parametrize(
    ("options", "day", "month", "year"),
    [
        ({"latest": "today"}, "15", "5", "2024"),
        ({"earliest": "today"}, "15", "5", "2024"),
        ({"earliest": "-1y"}, "15", "5", "2023"),
        ({"latest": "+30d"}, "14", "6", "2024"),
        ({"earliest": "2020-01-01", "latest": "2020-12-31"}, "1", "1", "2020"),
        ({"earliest": "2020-01-01", "latest": "2020-12-31"}, "31", "12", "2020"),
    ],
)
def test_a_date_on_its_bounds_is_accepted(options: dict, day: str, month: str, year: str) -> None:
    assert validate_on(page_with(dob(**options)), parts(day, month, year), TODAY, "dob") is None


def test_bounds_relative_to_today_use_the_real_today_when_validating_a_page() -> None:
    page = page_with(dob(latest="today"))
    while True:  # once more if midnight passed meanwhile: the page's "today" would have moved on
        today = date.today()
        tomorrow = date.fromordinal(today.toordinal() + 1)
        refused = page.validate(parts(str(tomorrow.day), str(tomorrow.month), str(tomorrow.year)))
        accepted = page.validate(parts(str(today.day), str(today.month), str(today.year)))
        if date.today() == today:
            break
    assert refused.errors["dob"].message == "Date of birth must be today or in the past"
    assert accepted.errors == {}
    assert accepted.answers["dob"] == today.isoformat()


def test_a_custom_bound_message_replaces_the_default() -> None:
    page = page_with(dob(latest="today") | {"errors": {"latest": "You cannot be born tomorrow"}})
    error = validate_on(page, parts("16", "5", "2024"), TODAY, "dob")
    assert error is not None and error.message == "You cannot be born tomorrow"


@pytest.mark.parametrize(
    ("bound", "expected"),
    [
        ("today", date(2024, 5, 15)),
        ("-30d", date(2024, 4, 15)),
        ("+2y", date(2026, 5, 15)),
        ("-6m", date(2023, 11, 15)),
        ("2020-02-29", date(2020, 2, 29)),
    ],
)
def test_date_bounds_resolve_against_today(bound: str, expected: date) -> None:
    assert resolve_date_bound(bound, TODAY) == expected


def test_a_month_bound_from_the_end_of_a_month_keeps_to_a_real_date() -> None:
    assert resolve_date_bound("-1m", date(2024, 3, 31)) == date(2024, 2, 29)
    assert resolve_date_bound("+1y", date(2024, 2, 29)) == date(2025, 2, 28)


def test_a_date_posts_back_as_the_same_answer() -> None:
    page = page_with(dob())
    handler = handler_of(page, "dob")
    assert handler.formdata("2000-01-05") == parts("5", "1", "2000")
    assert answer_of(page, handler.formdata("2000-01-05"), "dob") == "2000-01-05"


def test_a_date_is_shown_in_govuk_style_and_exported_as_iso() -> None:
    handler = handler_of(page_with(dob()), "dob")
    assert str(handler.display("2000-01-05")) == "5 January 2000"
    assert handler.export("2000-01-05") == "2000-01-05"
    assert str(handler.display(None)) == "Not answered"
    assert handler.export(None) == ""


# -- MonthYearField -------------------------------------------------------------------------------


def started(**options: str) -> dict:
    return component(
        "MonthYearField",
        name="started",
        title="When did you start?",
        shortTitle="Start date",
        options=options,
    )


def month_year(month: str = "", year: str = "") -> dict:
    return {"started-month": [month], "started-year": [year]}


@pytest.mark.parametrize(
    ("month", "year", "expected"),
    [
        ("3", "2020", "2020-03"),
        ("03", "2020", "2020-03"),
        ("march", "2020", "2020-03"),
        ("Sep", "1999", "1999-09"),
        ("12", "2024", "2024-12"),
    ],
)
def test_a_month_and_year_is_stored_as_year_dash_month(month: str, year: str, expected: str) -> None:
    assert answer_of(page_with(started()), month_year(month, year), "started") == expected


@pytest.mark.parametrize(
    ("month", "year", "message", "target"),
    [
        ("", "", "Enter start date", "started-month"),
        ("3", "", "Start date must include a year", "started-year"),
        ("", "2020", "Start date must include a month", "started-month"),
        ("13", "2020", "Start date must be a real date", "started-month"),
        ("3", "20", "Year must include 4 numbers", "started-year"),
    ],
)
def test_month_and_year_errors(month: str, year: str, message: str, target: str) -> None:
    error = error_of(page_with(started()), month_year(month, year), "started")
    assert (error.message, error.target) == (message, target)


def test_a_month_and_year_has_no_day_field() -> None:
    handler = handler_of(page_with(started()), "started")
    assert handler.field_names == ("started-month", "started-year")


@pytest.mark.parametrize(
    ("options", "month", "year", "expected"),
    [
        ({"latest": "today"}, "6", "2024", "Start date must be today or in the past"),
        ({"earliest": "-1y"}, "4", "2023", "Start date must be the same as or after May 2023"),
        ({"earliest": "1950-01-01"}, "12", "1949", "Start date must be the same as or after January 1950"),
    ],
)
def test_a_month_outside_its_bounds_is_rejected(options: dict, month: str, year: str, expected: str) -> None:
    error = validate_on(page_with(started(**options)), month_year(month, year), TODAY, "started")
    assert error is not None and error.message == expected


@pytest.mark.parametrize(
    ("options", "month", "year"),
    [
        # Bounds compare whole months: this month is allowed whatever day today is.
        ({"latest": "today"}, "5", "2024"),
        ({"earliest": "today"}, "5", "2024"),
        ({"earliest": "-1y"}, "5", "2023"),
    ],
)
def test_a_month_on_its_bounds_is_accepted(options: dict, month: str, year: str) -> None:
    assert validate_on(page_with(started(**options)), month_year(month, year), TODAY, "started") is None


def test_a_month_and_year_posts_back_and_displays() -> None:
    page = page_with(started())
    handler = handler_of(page, "started")
    assert handler.formdata("2020-03") == month_year("3", "2020")
    assert answer_of(page, handler.formdata("2020-03"), "started") == "2020-03"
    assert str(handler.display("2020-03")) == "March 2020"
    assert handler.export("2020-03") == "2020-03"
