"""Reporting fixtures: a form registry holding the example forms and variants that do not count as
replaced, and helpers that put register entries, submissions, journey metrics, paper counts and
feedback straight into the database."""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from forms_engine.config import ROOT
from forms_engine.definitions.loader import FormRegistry, validate_definition_data
from forms_engine.definitions.model import FormDefinition, build_definition
from forms_engine.extensions import db
from forms_engine.reporting.models import Feedback, JourneyMetric, PaperCount, PaperForm
from forms_engine.submissions.models import JourneyState, Submission

EXAMPLES = ROOT / "form_definitions"
SHIPPED_REGISTER = ROOT / "form_definitions" / "register" / "paper-form-register.json"
POULTRY = "register-poultry-fewer-than-50-birds"
BADGER = "badger-sett-development-licence"
LAND = "register-land-rural-payments"
#: A copy of the badger form without an accessibility statement link.
NO_STATEMENT = "badger-no-statement"
#: A copy of the badger form with two titles in capitals (two FE109 accessibility lint errors).
CAPITALS = "badger-capitals"

_numbers = itertools.count(1)


def example(slug: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{slug}.json").read_text(encoding="utf-8"))
    return data


def variant(slug: str, reference: str, change: Any) -> FormDefinition:
    """The badger form under another slug and paper form reference, changed by `change(data)`."""
    data = copy.deepcopy(example(BADGER))
    data["slug"] = slug
    data["paperForm"]["reference"] = reference
    change(data)
    assert validate_definition_data(data) == []
    return build_definition(data)


def _no_statement(data: dict[str, Any]) -> None:
    del data["service"]["accessibilityStatementUrl"]


def _capitals(data: dict[str, Any]) -> None:
    data["pages"][0]["title"] = "TELL US ABOUT THE APPLICANT"
    data["pages"][0]["components"][0]["title"] = "WHAT IS THE APPLICANT'S FULL NAME"


@pytest.fixture
def registry() -> FormRegistry:
    """The example forms, plus NO_STATEMENT and CAPITALS."""
    registry = FormRegistry.from_directory(EXAMPLES)
    registry.add(variant(NO_STATEMENT, "NS1", _no_statement))
    registry.add(variant(CAPITALS, "CAP1", _capitals))
    return registry


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def add_paper_form(
    reference: str,
    organisation: str,
    status: str = "paper-only",
    volume: int = 0,
    slug: str | None = None,
    live: date | None = None,
    withdrawn: date | None = None,
    title: str | None = None,
) -> PaperForm:
    """A register entry, added to the session (flushed, so it has an id)."""
    row = PaperForm(
        reference=reference,
        title=title or f"Paper form {reference}",
        organisation=organisation,
        annual_volume=volume,
        status=status,
        definition_slug=slug,
        live_date=live,
        withdrawn_date=withdrawn,
        notes="",
    )
    db.session.add(row)
    db.session.flush()
    return row


def add_submission(slug: str, when: datetime) -> None:
    """A stored submission of form `slug` sent at `when` (with the journey it came from)."""
    number = next(_numbers)
    journey_id = f"journey-{number}"
    db.session.add(JourneyState(id=journey_id, form_slug=slug, form_version="v1", answers={}))
    db.session.flush()
    db.session.add(
        Submission(
            reference=f"TEST-{number:06d}",
            journey_id=journey_id,
            form_slug=slug,
            form_version="v1",
            definition={},
            answers={},
            submitted_at=when,
        )
    )
    db.session.flush()


def add_journey(
    slug: str,
    started: datetime,
    *,
    submitted: datetime | None = None,
    last_page: str | None = None,
    last_seen: datetime | None = None,
) -> None:
    """A journey metric row."""
    db.session.add(
        JourneyMetric(
            journey_id=f"metric-{next(_numbers)}",
            form_slug=slug,
            started_at=started,
            last_page=last_page,
            last_seen_at=last_seen or submitted or started,
            submitted_at=submitted,
        )
    )
    db.session.flush()


def add_paper_count(form: PaperForm, month: date, count: int) -> None:
    db.session.add(PaperCount(paper_form_id=form.id, month=month, count=count, recorded_by="test"))
    db.session.flush()


def add_feedback(slug: str, rating: str, when: datetime) -> None:
    db.session.add(
        Feedback(
            form_slug=slug, rating=rating, comment="", journey_id=f"fb-{next(_numbers)}", created_at=when
        )
    )
    db.session.flush()
