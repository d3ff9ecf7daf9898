"""Repeating sections: items added, changed and removed; min and max; counts in conditions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from forms_engine.extensions import db
from forms_engine.journey import RepeatSection, journey_for
from forms_engine.submissions.models import Submission

from .conftest import make_app
from .helpers import BrowserClient, Page, location, submit

SLUG = "badger-sett-development-licence"
SUMMARY = f"/{SLUG}/repeat/setts"


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_app(f"sqlite:///{tmp_path / 'repeats.sqlite'}")


def section(app: Flask) -> RepeatSection:
    definition = app.extensions["forms_engine.registry"].get(SLUG)
    return journey_for(definition).repeats["setts"]


def answer_until_repeat(client: BrowserClient, app: Flask) -> str:
    """Answer the pages before the repeat; return where the journey goes next."""
    definition = app.extensions["forms_engine.registry"].get(SLUG)
    journey = journey_for(definition)
    client.get(f"/{SLUG}/")
    response = client.post(f"/{SLUG}/start")
    for _ in range(len(journey.pages)):
        target = location(response)
        if "/repeat/" in target or target.endswith("/1"):
            return target
        page = journey.page(target.rsplit("/", 1)[1])
        assert page is not None, target
        client.get(target)
        response = client.post(target, data=_example(page))
    raise AssertionError("the repeat was never reached")


def _example(page: Any) -> dict[str, Any]:
    from .helpers import example_post

    return example_post(page)


def add_sett(client: BrowserClient, item: int, name: str, entrances: str = "2") -> Page:
    """Answer the three pages of one sett; return the response after the last."""
    client.get(f"/{SLUG}/sett-name/{item}")
    response = client.post(f"/{SLUG}/sett-name/{item}", data={"settName": name})
    assert location(response) == f"/{SLUG}/sett-activity/{item}"
    activity = client.get(location(response)).soup.select_one('input[name="settActivity"]')["value"]
    response = client.post(f"/{SLUG}/sett-activity/{item}", data={"settActivity": activity})
    assert location(response) == f"/{SLUG}/number-of-entrances/{item}"
    client.get(location(response))
    return client.post(f"/{SLUG}/number-of-entrances/{item}", data={"entrancesAffected": entrances})


def test_the_repeat_starts_with_the_first_item_and_comes_back_to_the_summary(
    client: BrowserClient, app: Flask
) -> None:
    assert answer_until_repeat(client, app) == SUMMARY
    assert location(client.get(SUMMARY)) == f"/{SLUG}/sett-name/1"
    after = add_sett(client, 1, "Sett A")
    assert location(after) == SUMMARY
    summary = client.get(SUMMARY)
    assert summary.h1 == "Setts affected"
    keys = [k.get_text(strip=True) for k in summary.soup.select(".govuk-summary-list__key")]
    assert keys == ["Sett 1"]
    assert summary.soup.select_one(".govuk-summary-list__value").get_text(strip=True) == "Sett A"
    legend = summary.soup.select_one("legend").get_text(strip=True)
    assert legend == "Do you want to add another sett?"


def test_a_summary_answered_with_nothing_shows_an_error(client: BrowserClient, app: Flask) -> None:
    answer_until_repeat(client, app)
    add_sett(client, 1, "Sett A")
    client.get(SUMMARY)
    page = client.post(SUMMARY, data={})
    assert page.status == 200
    assert page.title.startswith("Error: ")
    assert page.error_summary() == [("#addAnother", "Select yes if you want to add another sett")]


def test_adding_another_item_then_finishing_moves_on(client: BrowserClient, app: Flask) -> None:
    answer_until_repeat(client, app)
    add_sett(client, 1, "Sett A")
    client.get(SUMMARY)
    assert location(client.post(SUMMARY, data={"addAnother": "yes"})) == f"/{SLUG}/sett-name/2"
    assert location(add_sett(client, 2, "Sett B", "4")) == SUMMARY
    client.get(SUMMARY)
    onward = client.post(SUMMARY, data={"addAnother": "no"})
    assert location(onward) == f"/{SLUG}/proposed-method"


def test_an_item_cannot_be_skipped_ahead_to(client: BrowserClient, app: Flask) -> None:
    answer_until_repeat(client, app)
    assert location(client.get(f"/{SLUG}/sett-name/3")) == SUMMARY
    assert location(client.get(f"/{SLUG}/sett-activity/1")) == f"/{SLUG}/sett-name/1"
    assert location(client.get(f"/{SLUG}/sett-name")) == SUMMARY


def test_removing_an_item_is_confirmed_on_its_own_page(client: BrowserClient, app: Flask) -> None:
    answer_until_repeat(client, app)
    add_sett(client, 1, "Sett A")
    client.get(SUMMARY)
    client.post(SUMMARY, data={"addAnother": "yes"})
    add_sett(client, 2, "Sett B")
    confirm = client.get(f"{SUMMARY}/remove/1")
    assert confirm.h1 == "Are you sure you want to remove sett 1?"
    error = client.post(f"{SUMMARY}/remove/1", data={})
    assert error.error_summary() == [("#confirm", "Select yes if you want to remove sett 1")]
    kept = client.post(f"{SUMMARY}/remove/1", data={"confirm": "no"})
    assert location(kept) == SUMMARY
    assert len(client.get(SUMMARY).soup.select(".govuk-summary-list__row")) == 2
    client.get(f"{SUMMARY}/remove/1")
    client.post(f"{SUMMARY}/remove/1", data={"confirm": "yes"})
    values = [v.get_text(strip=True) for v in client.get(SUMMARY).soup.select(".govuk-summary-list__value")]
    assert values == ["Sett B"]


def test_the_minimum_number_of_items_is_enforced(client: BrowserClient, app: Flask) -> None:
    answer_until_repeat(client, app)
    add_sett(client, 1, "Sett A")
    client.get(f"{SUMMARY}/remove/1")
    client.post(f"{SUMMARY}/remove/1", data={"confirm": "yes"})
    # With no items left the summary sends the user to add the first one again.
    assert location(client.get(SUMMARY)) == f"/{SLUG}/sett-name/1"


def test_the_maximum_number_of_items_stops_the_add_another_question(app: Flask) -> None:
    repeat = section(app).repeat
    client = BrowserClient(app)
    answer_until_repeat(client, app)
    for item in range(1, repeat.max_items + 1):
        add_sett(client, item, f"Sett {item}")
        if item < repeat.max_items:
            client.get(SUMMARY)
            client.post(SUMMARY, data={"addAnother": "yes"})
    summary = client.get(SUMMARY)
    assert not summary.soup.select('input[name="addAnother"]')
    assert location(client.get(f"/{SLUG}/sett-name/{repeat.max_items + 1}")) == SUMMARY
    assert location(client.post(SUMMARY, data={})) == f"/{SLUG}/proposed-method"
    # More than 3 setts: the count condition shows the inset on the next page.
    assert "a Natural England adviser may ask to visit" in client.get(f"/{SLUG}/proposed-method").soup.text


def test_check_answers_shows_every_item_and_the_submission_stores_them(app: Flask) -> None:
    from .helpers import walk_to_check_answers

    client = BrowserClient(app)
    definition = app.extensions["forms_engine.registry"].get(SLUG)
    check = walk_to_check_answers(client, definition)
    # Add a second sett through the summary, then finish.
    client.get(SUMMARY)
    client.post(SUMMARY, data={"addAnother": "yes"})
    add_sett(client, 2, "Sett B", "5")
    client.get(SUMMARY)
    client.post(SUMMARY, data={"addAnother": "no"})
    check = client.get(f"/{SLUG}/check-answers")
    headings = [h.get_text(strip=True) for h in check.soup.select("main h2")]
    assert "Sett 1" in headings and "Sett 2" in headings
    changes = [a["href"] for a in check.soup.select(".govuk-summary-list__actions a")]
    assert f"/{SLUG}/sett-name/2?return=check" in changes
    # Change an item from check answers and come straight back.
    client.get(f"/{SLUG}/number-of-entrances/2?return=check")
    back = client.post(f"/{SLUG}/number-of-entrances/2?return=check", data={"entrancesAffected": "6"})
    assert location(back) == f"/{SLUG}/check-answers"
    reference = submit(client, definition).soup.select_one(".govuk-panel__body strong").get_text(strip=True)
    with app.app_context():
        stored = db.session.scalar(select(Submission).where(Submission.reference == reference))
        assert stored is not None
        setts = stored.answers["setts"]
        assert [s["settName"] for s in setts] == ["Example answer", "Sett B"]
        assert setts[1]["entrancesAffected"] == 6
        assert "setts__done" not in stored.answers


@pytest.fixture
def client(app: Flask) -> BrowserClient:
    return BrowserClient(app)


def _with_repeat(**repeat: Any) -> dict[str, Any]:
    import copy

    from .test_conditions import BASE

    data = copy.deepcopy(BASE)
    data["pages"][2].pop("condition")
    data["pages"][4]["components"][0].pop("condition")  # herd is per item now
    data["repeats"] = [{"id": "herds", "title": "Herds", "itemName": "herd", "pages": ["herd"], **repeat}]
    return data


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["repeats"][0].update(pages=["nope"]), "$.repeats[0].pages[0]: unknown page 'nope'"),
        (lambda d: d["repeats"][0].update(min=5, max=2), "$.repeats[0].min: min is greater than max"),
        (lambda d: d["repeats"][0].update(min=0, max=1), None),
        (
            lambda d: d["repeats"][0].update(pages=["species", "name"]),
            "$.repeats[0].pages: the pages of a repeat must follow each other",
        ),
        (
            lambda d: d["repeats"].append({"id": "again", "title": "T", "itemName": "t", "pages": ["herd"]}),
            "$.repeats[1].pages[0]: page 'herd' is already in repeat 'herds'",
        ),
        (
            lambda d: d["pages"][4]["components"][0].update(
                condition={"component": "herd", "op": "greaterThan", "value": 1}
            ),
            "$.pages[4].components[0].condition: 'herd' is answered once per item of repeat 'herds'",
        ),
        (
            lambda d: d["pages"][1].update(condition={"count": "herds", "op": "greaterThan", "value": 1}),
            "$.pages[1].condition: the count of repeat 'herds' is only known after its pages",
        ),
        (
            lambda d: d["pages"][4].update(condition={"count": "flocks", "op": "greaterThan", "value": 1}),
            "$.pages[4].condition: unknown repeat 'flocks'",
        ),
    ],
)
def test_the_validator_checks_repeats(change: Any, expected: str | None) -> None:
    from forms_engine.definitions.loader import validate_definition_data

    data = _with_repeat()
    assert validate_definition_data(data) == []
    change(data)
    found = [str(p) for p in validate_definition_data(data)]
    if expected is None:
        assert found == []
    else:
        assert any(p.startswith(expected) for p in found), found


def test_a_count_condition_after_the_repeat_is_valid_and_evaluated() -> None:
    from forms_engine.definitions.loader import validate_definition_data
    from forms_engine.definitions.model import build_definition
    from forms_engine.journey import Journey
    from forms_engine.journey.repeats import done_key

    data = _with_repeat(min=1, max=3)
    data["pages"][4]["condition"] = {"count": "herds", "op": "greaterThan", "value": 1}
    assert validate_definition_data(data) == []
    journey = Journey(build_definition(data))
    one = {"england": True, "species": "cattle", "herds": [{"herd": 5}], done_key("herds"): True}
    two = {**one, "herds": [{"herd": 5}, {"herd": 7}]}
    assert [s.page.id for s in journey.pages_on_path(one)] == ["england", "species", "herds"]
    assert [s.page.id for s in journey.pages_on_path(two)] == ["england", "species", "herds", "name"]
    assert journey.first_incomplete_page(one) is None
    assert journey.answers_on_path(two)["herds"] == [{"herd": 5}, {"herd": 7}]
    not_done = {**one, done_key("herds"): False}
    assert journey.first_incomplete_page(not_done) is journey.repeats["herds"]
