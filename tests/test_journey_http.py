"""Whole journeys over HTTP, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from forms_engine import form_registry
from forms_engine.config import ROOT
from forms_engine.extensions import db
from forms_engine.journey import RepeatSection, journey_for
from forms_engine.submissions.models import Submission
from forms_engine.submissions.service import REFERENCE_ALPHABET

from .conftest import make_app
from .helpers import BrowserClient, definitions, example_path, location, submit, walk_to_check_answers

REFERENCE = re.compile(
    rf"^[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}$"
)


def submission_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Submission)) or 0


def panel_reference(page) -> str:  # type: ignore[no-untyped-def]
    return page.soup.select_one(".govuk-panel__body strong").get_text(strip=True)


def test_every_example_form_can_be_completed_and_is_stored(any_db_app: Flask) -> None:
    forms = definitions(any_db_app)
    assert len(forms) >= 3
    for definition in forms:
        client = BrowserClient(any_db_app)
        check = walk_to_check_answers(client, definition)
        assert check.h1 == "Check your answers before sending your form"
        confirmation = submit(client, definition)
        assert confirmation.status == 200
        reference = panel_reference(confirmation)
        assert REFERENCE.match(reference)
        with any_db_app.app_context():
            stored = db.session.scalar(select(Submission).where(Submission.reference == reference))
            assert stored is not None
            assert stored.form_slug == definition.slug
            assert stored.form_version == definition.version
            assert stored.definition["slug"] == definition.slug
            on_path = {h.name for step in example_path(definition) for h in step.questions} | {
                step.page.id for step in example_path(definition) if not hasattr(step, "validate")
            }
            assert set(stored.answers) == on_path


def test_sending_twice_stores_one_submission_and_shows_the_same_reference(
    any_db_app: Flask,
) -> None:
    definition = definitions(any_db_app)[0]
    client = BrowserClient(any_db_app)
    walk_to_check_answers(client, definition)
    first = submit(client, definition)
    second = submit(client, definition)
    assert panel_reference(first) == panel_reference(second)
    assert submission_count(any_db_app) == 1


def test_back_button_after_sending_leads_to_the_confirmation_not_a_second_submission(
    any_db_app: Flask,
) -> None:
    definition = definitions(any_db_app)[0]
    client = BrowserClient(any_db_app)
    walk_to_check_answers(client, definition)
    confirmation = submit(client, definition)
    first_page = definition.pages[0].path
    back = client.get(f"/{definition.slug}{first_page}")
    assert back.status == 303
    assert location(back) == f"/{definition.slug}/confirmation"
    again = client.post(f"/{definition.slug}/check-answers")
    assert location(again) == f"/{definition.slug}/confirmation"
    assert panel_reference(client.follow(again)) == panel_reference(confirmation)
    assert submission_count(any_db_app) == 1


def test_twenty_parallel_sends_of_one_journey_store_exactly_one_submission(
    any_db_app: Flask,
) -> None:
    definition = definitions(any_db_app)[0]
    browser = BrowserClient(any_db_app)
    walk_to_check_answers(browser, definition)
    cookie = browser.client.get_cookie(any_db_app.config["SESSION_COOKIE_NAME"])
    barrier = threading.Barrier(20)
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def send() -> None:
        client = any_db_app.test_client()
        client.set_cookie(cookie.key, cookie.value)
        barrier.wait()
        response = client.post(f"/{definition.slug}/check-answers", data={"csrf_token": browser.csrf_token})
        with lock:
            outcomes.append((response.status_code, response.headers.get("Location", "")))

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 20
    assert {status for status, _ in outcomes} == {303}
    assert {loc for _, loc in outcomes} == {f"/{definition.slug}/confirmation"}
    assert submission_count(any_db_app) == 1


def test_a_later_page_cannot_be_reached_before_earlier_pages_are_answered(
    client: BrowserClient, app: Flask
) -> None:
    definition = definitions(app)[0]
    client.get(f"/{definition.slug}/")
    client.post(f"/{definition.slug}/start")
    last = definition.pages[-1].path
    response = client.get(f"/{definition.slug}{last}")
    assert response.status == 302
    assert location(response) == f"/{definition.slug}{definition.pages[0].path}"
    check = client.get(f"/{definition.slug}/check-answers")
    assert location(check) == f"/{definition.slug}{definition.pages[0].path}"


def test_a_question_page_without_a_journey_goes_to_the_start_page(client: BrowserClient, app: Flask) -> None:
    definition = definitions(app)[0]
    response = client.get(f"/{definition.slug}{definition.pages[0].path}")
    assert location(response) == f"/{definition.slug}/"


def test_answers_are_prefilled_when_the_user_returns_to_a_page(client: BrowserClient, app: Flask) -> None:
    definition = definitions(app)[0]
    walk_to_check_answers(client, definition)
    page = journey_for(definition).pages[0]
    again = client.get(f"/{definition.slug}{page.page.path}")
    for name, values in page.example().items():
        field = again.soup.find(attrs={"name": name})
        assert field is not None, name
        if field.name == "input" and field.get("type") in ("radio", "checkbox"):
            chosen = [
                i["value"]
                for i in again.soup.find_all("input", attrs={"name": name})
                if i.has_attr("checked")
            ]
            assert chosen == values
        elif field.name == "textarea":
            assert field.get_text().strip() == values[0].strip()
        elif field.name == "input":
            assert field["value"] == values[0]


def test_change_link_returns_to_check_answers_after_the_edit(client: BrowserClient, app: Flask) -> None:
    definition = definitions(app)[0]
    check = walk_to_check_answers(client, definition)
    change = check.soup.select(".govuk-summary-list__actions a")[0]["href"]
    assert change.endswith("?return=check")
    page = client.get(change)
    assert page.soup.select_one(".govuk-back-link")["href"] == f"/{definition.slug}/check-answers"
    compiled = journey_for(definition).page(change.split("?")[0].rsplit("/", 1)[1])
    response = client.post(change, data=compiled.example())
    assert location(response) == f"/{definition.slug}/check-answers"


def test_check_answers_shows_every_question_with_a_change_link(client: BrowserClient, app: Flask) -> None:
    for definition in definitions(app):
        check = walk_to_check_answers(BrowserClient(app), definition)
        keys = check.soup.select(".govuk-summary-list__key")
        journey = journey_for(definition)
        expected = sum(
            len(step.questions)
            if not isinstance(step, RepeatSection)
            else sum(len(p.questions) for p in step.pages)  # one item in the example walk
            for step in example_path(definition)
        )
        assert len(keys) == expected, journey.definition.slug
        assert len(check.soup.select(".govuk-summary-list__actions a")) == len(keys)


def test_the_index_lists_forms_and_marks_a_broken_definition_unavailable(tmp_path: Path) -> None:
    folder = tmp_path / "defs"
    shutil.copytree(ROOT / "form_definitions", folder)
    (folder / "broken.json").write_text('{"schemaVersion": 1, "slug": "broken"}')
    (folder / "not-json.json").write_text("{oops")
    app = make_app(f"sqlite:///{tmp_path / 'db.sqlite'}", FORM_DEFINITIONS_DIR=folder)
    client = BrowserClient(app)
    index = client.get("/")
    assert index.status == 200
    links = {a["href"] for a in index.soup.select("main a.govuk-link")}
    for definition in form_registry(app).forms.values():
        assert f"/{definition.slug}/" in links
    unavailable = [li.get_text(strip=True) for li in index.soup.select(".app-unavailable")]
    assert unavailable == ["broken", "not-json"]
    assert client.get("/broken/").status == 404


def test_healthz_answers_ok_when_the_database_answers(client: BrowserClient) -> None:
    response = client.client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_unknown_pages_get_a_govuk_404_page(client: BrowserClient, app: Flask) -> None:
    definition = definitions(app)[0]
    for path in ("/no-such-form/", f"/{definition.slug}/no-such-page"):
        page = client.get(path)
        assert page.status == 404
        assert page.h1 == "Page not found"


def test_submissions_list_prints_stored_submissions_as_json(any_db_app: Flask) -> None:
    definition = definitions(any_db_app)[0]
    client = BrowserClient(any_db_app)
    walk_to_check_answers(client, definition)
    reference = panel_reference(submit(client, definition))
    runner = any_db_app.test_cli_runner()
    result = runner.invoke(args=["submissions", "list", "--form", definition.slug, "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["reference"] for r in rows] == [reference]
    assert set(rows[0]) >= {"reference", "form", "submitted_at", "answers"}
    assert rows[0]["form"] == definition.slug
    other = runner.invoke(args=["submissions", "list", "--form", "other-form", "--json"])
    assert json.loads(other.output) == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_check_answers_without_a_journey_goes_to_the_start_page(
    client: BrowserClient, app: Flask, method: str
) -> None:
    definition = definitions(app)[0]
    client.get(f"/{definition.slug}/")
    response = getattr(client, method)(f"/{definition.slug}/check-answers")
    assert location(response) == f"/{definition.slug}/"
