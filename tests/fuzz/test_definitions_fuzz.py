"""Fuzzing the definition validator and the designer's lint: whatever JSON they are given, they report
problems (or nothing) and never raise.

Definitions come from three generators (tests/fuzz/strategies.py says exactly how):
- arbitrary JSON: Hypothesis' recursive JSON strategy (`json_values`), as a whole file's content and
  as the value of a definition's top-level keys;
- schema-shaped definitions (`definitions()`): parts generated with hypothesis-jsonschema's
  `from_schema` from the published schema's own pieces, cross references filled in by hand, mostly
  repaired, sometimes deliberately wrong;
- mutated definitions (`mutated_definitions()`): a schema-shaped definition with one part replaced
  by arbitrary JSON or removed.
The module generates at least 500 definitions per run (counted, and checked at teardown) and
reports the share of schema-shaped definitions that are valid.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forms_engine.definitions.loader import Problem, validate_definition_data
from forms_engine.definitions.model import build_definition
from forms_engine.designer.lint import Finding, LintResult, check_definition

from .conftest import FUZZ, Tally
from .strategies import definitions, json_values, mutated_definitions

DEFINITIONS_PER_RUN = 500


@pytest.fixture(scope="module", autouse=True)
def _required(tally: Tally) -> None:
    tally.require("definitions", DEFINITIONS_PER_RUN)
    tally.require("schema-shaped definitions", 150)


def validates_without_crashing(data: Any) -> LintResult:
    """`check_definition` (the designer's lint) runs `validate_definition_data` and, on a valid
    definition, every lint rule: one call exercises both."""
    result = check_definition(data)
    assert isinstance(result.problems, list)
    assert all(isinstance(p, Problem) and p.path.startswith("$") and p.message for p in result.problems)
    assert all(isinstance(f, Finding) and f.rule.startswith("FE") for f in result.findings)
    return result


@settings(FUZZ, max_examples=240)
@given(
    st.one_of(
        json_values,
        st.dictionaries(st.sampled_from(["schemaVersion", "slug", "pages", "title"]), json_values),
    )
)
def test_the_validator_and_lint_report_problems_in_arbitrary_json_and_never_crash(
    tally: Tally, data: Any
) -> None:
    tally.add("definitions")
    tally.add("arbitrary JSON definitions")
    assert validates_without_crashing(data).problems, "arbitrary JSON is never a valid definition"


@settings(FUZZ, max_examples=100)
@given(mutated_definitions())
def test_the_validator_and_lint_never_crash_on_a_definition_with_a_part_replaced(
    tally: Tally, data: Any
) -> None:
    tally.add("definitions")
    tally.add("mutated definitions")
    validates_without_crashing(data)


@settings(FUZZ, max_examples=170)
@given(definitions())
def test_schema_shaped_definitions_validate_and_the_valid_ones_lint_and_build(
    tally: Tally, data: Any
) -> None:
    tally.add("definitions")
    tally.add("schema-shaped definitions")
    if validates_without_crashing(data).problems:
        return
    tally.add("valid schema-shaped definitions")
    definition = build_definition(data)
    assert [p.id for p in definition.pages] == [p["id"] for p in data["pages"]]


def test_a_good_share_of_the_schema_shaped_definitions_is_valid(tally: Tally) -> None:
    """Runs after the generator above (file order): rendering needs valid definitions, so the share
    of valid ones is measured and must stay useful."""
    generated = tally.counts["schema-shaped definitions"]
    valid = tally.counts["valid schema-shaped definitions"]
    assert generated >= 150
    print(f"valid schema-shaped definitions: {valid} of {generated} ({valid / generated:.0%})")
    assert valid / generated >= 0.25


def test_a_webhook_url_urlsplit_cannot_parse_is_a_problem_not_a_crash() -> None:
    """Found by fuzzing: a bracket in a webhook URL made urlsplit raise ValueError in the validator."""
    data = {
        "schemaVersion": 1,
        "slug": "webhook-bracket",
        "title": "Webhook",
        "paperForm": {"reference": "W1", "title": "Webhook", "organisation": "Defra"},
        "service": {
            "contact": {"name": "Team", "email": "team@example.gov.uk"},
            "privacyNoticeUrl": "https://example.gov.uk/privacy",
            "whatHappensNext": "We will reply.",
        },
        "startPage": {"content": "Start"},
        "deliveries": {"webhook": {"url": "https://example.org]/hook", "secretEnv": "SECRET"}},
        "pages": [
            {
                "id": "p0",
                "path": "/name",
                "title": "Name",
                "components": [{"id": "c0", "type": "TextField", "name": "fullName", "title": "Full name"}],
            }
        ],
    }
    assert [p.path for p in validate_definition_data(data)] == ["$.deliveries.webhook.url"]


def test_a_list_item_value_with_a_space_at_either_end_is_a_problem() -> None:
    """Found by fuzzing: answers are trimmed before they are checked, so a radio or select item whose
    value starts or ends with white space (here U+0085, which str.strip removes) could never be chosen."""
    data = {
        "schemaVersion": 1,
        "slug": "list-spaces",
        "title": "Lists",
        "paperForm": {"reference": "L1", "title": "Lists", "organisation": "Defra"},
        "service": {
            "contact": {"name": "Team", "email": "team@example.gov.uk"},
            "privacyNoticeUrl": "https://example.gov.uk/privacy",
            "whatHappensNext": "We will reply.",
        },
        "startPage": {"content": "Start"},
        "lists": [
            {
                "id": "kinds",
                "items": [{"text": "Hens", "value": "\x85hens"}, {"text": "Ducks", "value": "ducks"}],
            }
        ],
        "pages": [
            {
                "id": "p0",
                "path": "/kind",
                "title": "Kind",
                "components": [
                    {"id": "c0", "type": "RadiosField", "name": "kind", "title": "Kind", "list": "kinds"}
                ],
            }
        ],
    }
    assert [p.path for p in validate_definition_data(data)] == ["$.lists[0].items[0].value"]
