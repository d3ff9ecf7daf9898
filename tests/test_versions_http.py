"""A journey stays on the definition version it started with; exit pages and dropped answers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from forms_engine.config import ROOT
from forms_engine.definitions.loader import FormRegistry
from forms_engine.extensions import db
from forms_engine.journey import journey_for
from forms_engine.submissions.models import FormVersion, Submission

from .conftest import make_app
from .helpers import BrowserClient, location, submit, walk_to_check_answers

SLUG = "register-land-rural-payments"


def publish(app: Flask, folder: Path, change: object) -> None:
    """Change the definition file and reload the definitions, as a new deployment would."""
    path = folder / f"{SLUG}.json"
    data = json.loads(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))
    app.extensions["forms_engine.registry"] = FormRegistry.from_directory(folder)


def add_required_page(data: dict) -> None:
    data["pages"].insert(
        3,
        {
            "id": "farm-name",
            "path": "/farm-name",
            "title": "Farm name",
            "components": [
                {
                    "id": "farmNameField",
                    "type": "TextField",
                    "name": "farmName",
                    "title": "What is the farm called?",
                }
            ],
        },
    )


def test_a_journey_finishes_on_the_version_it_started_with(any_db_app: Flask, tmp_path: Path) -> None:
    folder = tmp_path / "defs"
    shutil.copytree(ROOT / "form_definitions", folder)
    app = any_db_app
    app.extensions["forms_engine.registry"] = FormRegistry.from_directory(folder)
    old = app.extensions["forms_engine.registry"].get(SLUG)
    client = BrowserClient(app)
    client.get(f"/{SLUG}/")
    client.post(f"/{SLUG}/start")
    first = journey_for(old).pages[0]
    client.post(f"/{SLUG}/{first.page.slug}", data=first.example())

    publish(app, folder, add_required_page)
    new = app.extensions["forms_engine.registry"].get(SLUG)
    assert new.version != old.version
    # The freshly loaded registry knows only the new version: the old one comes from the database.
    check = walk_to_check_answers(client, old)
    assert check.h1 == "Check your answers before sending your form"
    assert "What is the farm called?" not in check.soup.get_text()
    reference = submit(client, old).soup.select_one(".govuk-panel__body strong").get_text(strip=True)
    with app.app_context():
        stored = db.session.scalar(select(Submission).where(Submission.reference == reference))
        assert stored is not None
        assert stored.form_version == old.version
        assert "farmName" not in stored.answers
        versions = set(db.session.scalars(select(FormVersion.version).where(FormVersion.slug == SLUG)))
        assert old.version in versions

    # A journey started now is on the new version and must answer the new page.
    newcomer = BrowserClient(app)
    check = walk_to_check_answers(newcomer, new)
    assert "What is the farm called?" in check.soup.get_text()


def test_an_exit_page_stops_the_journey_with_no_way_on(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'exit.sqlite'}")
    client = BrowserClient(app)
    client.get(f"/{SLUG}/")
    start = client.post(f"/{SLUG}/start")
    assert location(start) == f"/{SLUG}/land-location"
    client.get(f"/{SLUG}/land-location")
    to_exit = client.post(f"/{SLUG}/land-location", data={"landInEngland": "no"})
    assert location(to_exit) == f"/{SLUG}/cannot-use-this-service"
    page = client.get(f"/{SLUG}/cannot-use-this-service")
    assert page.h1 == "You cannot use this service"
    assert not page.soup.select("main button")
    for path in (f"/{SLUG}/check-answers", f"/{SLUG}/business-identifier"):
        assert location(client.get(path)) == f"/{SLUG}/cannot-use-this-service"
    # Changing the answer opens the rest of the journey again.
    client.get(f"/{SLUG}/land-location")
    onward = client.post(f"/{SLUG}/land-location", data={"landInEngland": "yes"})
    assert location(onward) == f"/{SLUG}/business-identifier"


def test_answers_on_pages_left_behind_are_not_shown_or_stored(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'drop.sqlite'}")
    definition = app.extensions["forms_engine.registry"].get(SLUG)
    client = BrowserClient(app)
    check = walk_to_check_answers(client, definition)
    assert "Date of management and control" in check.soup.get_text()
    # Change how the land is held so that the control date page drops off the path.
    client.get(f"/{SLUG}/what-you-want-to-do?return=check")
    client.post(f"/{SLUG}/what-you-want-to-do?return=check", data={"landAction": "B"})
    client.get(f"/{SLUG}/holding-type?return=check")
    back = client.post(f"/{SLUG}/holding-type?return=check", data={"holdingType": "owner-let"})
    # The boundary change brings in the neighbour question, which must be answered first.
    assert location(back) == f"/{SLUG}/neighbouring-land"
    client.get(f"/{SLUG}/neighbouring-land")
    client.post(f"/{SLUG}/neighbouring-land", data={"affectsNeighbour": "no"})
    check = client.get(f"/{SLUG}/check-answers")
    text = check.soup.get_text()
    assert "Date of management and control" not in text
    assert "Affects a neighbour's land" in text
    reference = submit(client, definition).soup.select_one(".govuk-panel__body strong").get_text(strip=True)
    with app.app_context():
        stored = db.session.scalar(select(Submission).where(Submission.reference == reference))
        assert stored is not None
        assert "controlDate" not in stored.answers
        assert stored.answers["affectsNeighbour"] is False
