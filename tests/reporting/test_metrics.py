"""Journey metrics recorded by the runner: a row when a journey starts, the last page shown or sent,
and the moment it was submitted, on SQLite and PostgreSQL; cheap, and never in the journey's way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import event, func, select, text

from forms_engine.extensions import db
from forms_engine.journey import journey_for
from forms_engine.reporting.models import JourneyMetric
from forms_engine.submissions.models import Submission

from ..helpers import BrowserClient, definitions, example_post, location, submit, walk_to_check_answers


def metric_rows(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        rows = [
            {
                "journey_id": m.journey_id,
                "form_slug": m.form_slug,
                "started_at": m.started_at,
                "last_page": m.last_page,
                "last_seen_at": m.last_seen_at,
                "submitted_at": m.submitted_at,
            }
            for m in db.session.scalars(select(JourneyMetric).order_by(JourneyMetric.started_at))
        ]
        db.session.remove()
        return rows


def submission_count(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Submission)) or 0
        db.session.remove()
        return count


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app runs inside the block."""
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def test_starting_a_journey_records_one_row_and_showing_the_first_page_records_it(
    any_db_app: Flask,
) -> None:
    definition = definitions(any_db_app)[0]
    client = BrowserClient(any_db_app)
    client.get(f"/{definition.slug}/")
    assert metric_rows(any_db_app) == []
    started = client.post(f"/{definition.slug}/start")
    [row] = metric_rows(any_db_app)
    assert row["form_slug"] == definition.slug
    assert row["last_page"] is None
    assert row["submitted_at"] is None
    assert row["last_seen_at"] == row["started_at"]
    client.get(location(started))
    [row] = metric_rows(any_db_app)
    assert row["last_page"] == definition.pages[0].path
    assert row["last_seen_at"] >= row["started_at"]


def test_a_journey_left_part_way_keeps_the_last_page_it_was_sent_or_shown(any_db_app: Flask) -> None:
    definition = definitions(any_db_app)[0]
    journey = journey_for(definition)
    client = BrowserClient(any_db_app)
    client.get(f"/{definition.slug}/")
    first_url = location(client.post(f"/{definition.slug}/start"))
    client.get(first_url)
    first = journey.page(first_url.rsplit("/", 1)[-1])
    assert first is not None
    sent = client.post(first_url, data=example_post(first))
    assert sent.status == 302, sent.error_summary()
    [row] = metric_rows(any_db_app)
    assert row["last_page"] == first.page.path  # sent, and the next page not yet shown
    second = client.get(location(sent))
    assert second.status == 200
    [row] = metric_rows(any_db_app)
    assert row["last_page"] == "/" + location(sent).rsplit("/", 1)[-1]
    assert row["last_page"] != first.page.path
    assert row["submitted_at"] is None
    # Reloading the page with an error (nothing sent) still counts as being shown it.
    client.post(location(sent), data={})
    [again] = metric_rows(any_db_app)
    assert again["last_page"] == row["last_page"]
    assert again["last_seen_at"] >= row["last_seen_at"]


def test_walking_to_check_answers_and_sending_sets_submitted_at_once(any_db_app: Flask) -> None:
    definition = definitions(any_db_app)[0]
    client = BrowserClient(any_db_app)
    walk_to_check_answers(client, definition)
    [row] = metric_rows(any_db_app)
    assert row["last_page"] == "/check-answers"
    assert row["submitted_at"] is None
    submit(client, definition)
    [row] = metric_rows(any_db_app)
    assert isinstance(row["submitted_at"], datetime)
    assert row["submitted_at"] >= row["started_at"]
    assert row["last_page"] == "/check-answers"
    # Sending again (back button, double click) changes nothing.
    again = client.post(f"/{definition.slug}/check-answers")
    assert location(again) == f"/{definition.slug}/confirmation"
    assert metric_rows(any_db_app) == [row]
    assert submission_count(any_db_app) == 1


def test_starting_again_after_sending_is_a_new_journey_with_its_own_row(app: Flask) -> None:
    definition = definitions(app)[0]
    client = BrowserClient(app)
    walk_to_check_answers(client, definition)
    submit(client, definition)
    client.get(f"/{definition.slug}/")
    client.post(f"/{definition.slug}/start")
    first, second = metric_rows(app)
    assert first["journey_id"] != second["journey_id"]
    assert first["submitted_at"] is not None
    assert second["submitted_at"] is None and second["last_page"] is None


def test_twenty_parallel_final_sends_set_submitted_at_on_the_one_row(any_db_app: Flask) -> None:
    definition = definitions(any_db_app)[0]
    browser = BrowserClient(any_db_app)
    walk_to_check_answers(browser, definition)
    cookie = browser.client.get_cookie(any_db_app.config["SESSION_COOKIE_NAME"])
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        client = any_db_app.test_client()
        client.set_cookie(cookie.key, cookie.value)
        barrier.wait()
        response = client.post(f"/{definition.slug}/check-answers", data={"csrf_token": browser.csrf_token})
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [303] * 20
    [row] = metric_rows(any_db_app)
    assert row["submitted_at"] is not None
    assert submission_count(any_db_app) == 1


def test_a_page_view_writes_one_update_by_key_and_reads_no_metrics(app: Flask) -> None:
    definition = definitions(app)[0]
    client = BrowserClient(app)
    client.get(f"/{definition.slug}/")
    first_url = location(client.post(f"/{definition.slug}/start"))
    with statements(app) as seen:
        assert client.get(first_url).status == 200
    touching = [s for s in seen if "journey_metrics" in s]
    assert len(touching) == 1
    assert touching[0].lstrip().upper().startswith("UPDATE JOURNEY_METRICS")
    assert "WHERE journey_metrics.journey_id = " in touching[0]


def test_the_journey_carries_on_when_metrics_cannot_be_written(any_db_app: Flask) -> None:
    with any_db_app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE journey_metrics"))
        db.engine.dispose()
    definition = definitions(any_db_app)[0]
    client = BrowserClient(any_db_app)
    walk_to_check_answers(client, definition)
    confirmation = submit(client, definition)
    assert confirmation.status == 200
    assert confirmation.soup.select_one(".govuk-panel__title") is not None
    assert submission_count(any_db_app) == 1
