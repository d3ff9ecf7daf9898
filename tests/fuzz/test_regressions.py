"""Bugs found by the random fuzzing runs (`make fuzz`), each pinned by a plain test of its own so it
stays fixed whatever examples a later run draws."""

from __future__ import annotations

import calendar
import copy
from datetime import date
from typing import Any

import pytest

from forms_engine.definitions.loader import validate_definition_data
from forms_engine.definitions.model import build_definition
from forms_engine.journey import journey_for

FORM: dict[str, Any] = {
    "schemaVersion": 1,
    "slug": "fuzz-regressions",
    "title": "Regressions",
    "paperForm": {"reference": "R1", "title": "Regressions", "organisation": "Defra"},
    "service": {
        "contact": {"name": "Team", "email": "team@example.gov.uk"},
        "privacyNoticeUrl": "https://example.gov.uk/privacy",
        "whatHappensNext": "We will reply.",
    },
    "startPage": {"content": "Start"},
    "pages": [{"id": "p0", "path": "/question", "title": "Question", "components": []}],
}


def form_with(component: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(FORM)
    data["pages"][0]["components"] = [{"id": "c0", "name": "answer", "title": "Answer", **component}]
    return data


def problems_of(component: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in validate_definition_data(form_with(component))]


def example_of(component: dict[str, Any]) -> tuple[dict[str, list[str]], bool]:
    """The page's example form data, and whether the page accepts it."""
    data = form_with(component)
    assert validate_definition_data(data) == []
    page = journey_for(build_definition(data)).first_page
    example = page.example()
    return example, page.validate(example).is_valid


# -- a date's latest bound before the year 1000 --------------------------------------------------------
# Found by the derandomized run: a MonthYearField with latest '-1437y' written in Pahawh Hmong,
# Gurmukhi, Malayalam and Oriya digits passed the validator (Python's \d, unlike JSON Schema's, matches
# any Unicode digit, and int() reads them: 1437 years ago), and its example answer, in the year 589,
# was refused with "Year must include 4 numbers". Written with 0-9, '-1437y' is no better.


@pytest.mark.parametrize("kind", ["MonthYearField", "DatePartsField"])
def test_a_date_bound_written_with_digits_other_than_0_to_9_is_a_problem(kind: str) -> None:
    # Fixed in the schema's pattern (commit b1972b6): [0-9] rather than \d.
    latest = "-\U00016b51\u0a6a\u0d69\u0b6dy"
    assert int(latest[1:-1]) == 1437
    assert [path for path, _ in problems_of({"type": kind, "options": {"latest": latest}})] == [
        "$.pages[0].components[0].options.latest"
    ]


@pytest.mark.parametrize("latest", ["-1437y", "0999-12-31", "-1100y"])
@pytest.mark.parametrize("kind", ["MonthYearField", "DatePartsField"])
def test_a_latest_date_before_the_year_1000_is_a_problem(kind: str, latest: str) -> None:
    assert problems_of({"type": kind, "options": {"latest": latest}}) == [
        (
            "$.pages[0].components[0].options.latest",
            f"'{latest}' is before the year 1000: years are typed with 4 digits, "
            "so no date could be accepted",
        )
    ]


@pytest.mark.parametrize("kind", ["MonthYearField", "DatePartsField"])
def test_dates_bounded_at_either_end_of_the_4_digit_years_are_valid_and_have_an_accepted_example(
    kind: str,
) -> None:
    # The example was 40 days after the earliest (no date after 9999-12-31: ValueError) or 40 before
    # the latest (the year 999, refused).
    for options in ({"earliest": "9999-12-31"}, {"latest": "1000-01-10"}, {"latest": "-1000y"}):
        example, accepted = example_of({"type": kind, "options": options})
        assert accepted, (options, example)


# -- NumberField ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"min": -0.25, "max": -0.11, "decimals": 1}, "-0.2"),
        ({"min": -7.5, "max": -7.1}, None),
        ({"max": 0.5}, "-1"),
        ({"min": -3, "max": 3}, "0"),
    ],
)
def test_a_number_example_in_a_negative_range_is_accepted(
    options: dict[str, Any], expected: str | None
) -> None:
    """The midpoint was rounded towards zero: -0.18 to 1 place became -0.1, above the maximum -0.11.
    (A maximum of 0.5 gave "-0".)"""
    if expected is None:  # no whole number between -7.5 and -7.1: the validator says so instead
        assert problems_of({"type": "NumberField", "options": options})
        return
    example, accepted = example_of({"type": "NumberField", "options": options})
    assert example == {"answer": [expected]}
    assert accepted


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"min": 0.15, "max": 0.16, "decimals": 1},
            "no number with 1 decimal place is between min 0.15 and max 0.16: "
            "the question could never be answered",
        ),
        (
            {"min": 0.2, "max": 0.8},
            "no whole number is between min 0.2 and max 0.8: the question could never be answered",
        ),
        (
            {"min": -0.0015, "max": -0.0011, "decimals": 2},
            "no number with 2 decimal places is between min -0.0015 and max -0.0011: "
            "the question could never be answered",
        ),
    ],
)
def test_a_number_range_holding_no_number_with_the_decimal_places_is_a_problem(
    options: dict[str, Any], message: str
) -> None:
    assert problems_of({"type": "NumberField", "options": options}) == [
        ("$.pages[0].components[0].options", message)
    ]


@pytest.mark.parametrize(
    "options",
    [
        {"min": 0.15, "max": 0.2, "decimals": 1},
        {"min": 0.16, "max": 0.16, "decimals": 2},
        {"min": 1, "max": 1},
        {"min": 1e300, "max": 1e300},
        {"min": 5e-324, "max": 1, "decimals": 6},
    ],
)
def test_a_number_range_holding_a_number_with_the_decimal_places_is_valid_and_its_example_accepted(
    options: dict[str, Any],
) -> None:
    example, accepted = example_of({"type": "NumberField", "options": options})
    assert accepted, example


# -- found while widening the generator's date bounds and text lengths -----------------------------------
# The generator used to replace every absolute date bound by a fixed date and any pair of bounds by
# '-30y'..'+30y', and to cap minLength: it now keeps what the schema allows and the validator accepts,
# and these definitions, valid before, could never be answered.


def test_an_absolute_earliest_after_a_relative_latest_today_is_a_problem() -> None:
    problems = problems_of({"type": "DatePartsField", "options": {"earliest": "9000-01-01", "latest": "+1y"}})
    assert [path for path, _ in problems] == ["$.pages[0].components[0].options.earliest"]
    assert problems[0][1].startswith("earliest ('9000-01-01', 9000-01-01 today) is after latest ('+1y', ")
    assert problems[0][1].endswith("today): no date could be accepted")
    problems = problems_of({"type": "MonthYearField", "options": {"earliest": "-1d", "latest": "1999-12-31"}})
    assert [path for path, _ in problems] == ["$.pages[0].components[0].options.earliest"]


def test_a_month_year_field_compares_its_bounds_by_month() -> None:
    # 'today' as the earliest month and the last day of this month as the latest: this month is accepted.
    last_day = date.today().replace(day=calendar.monthrange(date.today().year, date.today().month)[1])
    options = {"earliest": last_day.isoformat(), "latest": "today"}
    example, accepted = example_of({"type": "MonthYearField", "options": options})
    assert accepted, example
    if last_day != date.today():
        assert problems_of({"type": "DatePartsField", "options": options})


def test_a_text_field_min_length_over_the_largest_max_length_is_a_problem() -> None:
    # 2,000,000 passed the schema (minLength has no maximum): no request could carry the answer.
    assert problems_of({"type": "TextField", "options": {"minLength": 2_000_000}}) == [
        (
            "$.pages[0].components[0].options.minLength",
            "minLength cannot be more than 10,000, the largest maxLength a TextField may have",
        )
    ]
    example, accepted = example_of({"type": "TextField", "options": {"minLength": 10_000}})
    assert accepted and len(example["answer"][0]) == 10_000
