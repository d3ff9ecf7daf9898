"""When the database cannot be reached, people get GOV.UK's 'service unavailable' page (503 with
Retry-After) instead of the 500 page, and once it is back their journey carries on with what they had
already answered.

The outage is real: the journey runs on its own database on the test PostgreSQL server, which then
refuses connections to that database and drops the ones open (ALLOW_CONNECTIONS false and
pg_terminate_backend), as when a database restarts or fails over."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from flask import Flask
from psycopg import sql
from sqlalchemy.engine import make_url

from forms_engine.extensions import db
from forms_engine.journey import journey_for
from forms_engine.runner.views import DATABASE_RETRY_AFTER_SECONDS

from .conftest import make_app
from .helpers import BrowserClient, Page, definitions, example_post, location
from .test_health import unreachable_app  # noqa: F401  (a fixture)
from .test_security_headers import SAME_ON_EVERY_RESPONSE


@dataclass
class Outage:
    """An app on a database of its own, and switches to take that database away and bring it back."""

    app: Flask
    admin_url: str
    name: str

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.name)

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(self.admin_url, autocommit=True)

    def begin(self) -> None:
        with self._admin() as connection:
            connection.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(self.name))
            )
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (self.name,)
            )

    def end(self) -> None:
        with self._admin() as connection:
            connection.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(self.name))
            )


@pytest.fixture
def outage(postgres_url: str) -> Iterator[Outage]:
    name = f"outage_{uuid.uuid4().hex[:12]}"
    url = make_url(postgres_url)
    admin_url = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    app = make_app(url.set(database=name).render_as_string(hide_password=False))
    switch = Outage(app, admin_url, name)
    try:
        yield switch
    finally:
        switch.end()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def assert_service_unavailable(page: Page, title: str) -> None:
    assert page.status == 503
    assert page.response.headers["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
    assert page.h1 == title
    assert page.title.startswith(title)
    for name, value in SAME_ON_EVERY_RESPONSE.items():
        assert page.response.headers.get(name) == value, name
    text = page.response.get_data(as_text=True)
    assert "Traceback" not in text and "OperationalError" not in text and "psycopg" not in text


def test_a_journey_meets_the_service_unavailable_page_during_an_outage_and_carries_on_after(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    definition = next(
        d
        for d in definitions(outage.app)
        if "cy" in d.languages and all(p.questions for p in journey_for(d).pages[:2])  # Welsh too
    )
    first = journey_for(definition).pages[0]
    client = BrowserClient(outage.app)
    client.get(f"/{definition.slug}/")
    started = client.post(f"/{definition.slug}/start")
    assert started.status == 302
    first_path = location(started)
    client.get(first_path)
    answers = example_post(first)
    answered = client.post(first_path, data=answers)
    assert answered.status == 302
    second_path = location(answered)

    outage.begin()
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="forms_engine.runner.views"):
        during = client.get(second_path)
    assert_service_unavailable(during, "Sorry, the service is unavailable")
    assert "Try again later. Your saved answers have not been lost." in during.response.get_data(as_text=True)
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    in_welsh = client.get(second_path + "?lang=cy")
    assert_service_unavailable(
        in_welsh,
        "Mae’n ddrwg gennym, nid yw’r gwasanaeth ar gael",  # noqa: RUF001 - Welsh apostrophe
    )
    client.get(second_path + "?lang=en")

    outage.end()
    assert client.get(second_path).status == 200
    back = client.get(first_path)
    assert back.status == 200
    text_inputs = [
        (name, values[0])
        for name, values in first.example().items()
        if (field := back.soup.find(attrs={"name": name})) is not None
        and field.name == "input"
        and field.get("type") not in ("radio", "checkbox")
    ]
    chosen = [
        (name, values)
        for name, values in first.example().items()
        if (field := back.soup.find(attrs={"name": name})) is not None
        and field.get("type") in ("radio", "checkbox")
    ]
    assert text_inputs or chosen, "the first page asks something the test can see again"
    for name, value in text_inputs:
        assert back.soup.find(attrs={"name": name}).get("value") == value, name
    for name, values in chosen:
        ticked = [
            box.get("value") for box in back.soup.find_all(attrs={"name": name}) if box.has_attr("checked")
        ]
        assert ticked == values, name


def test_sending_a_form_while_the_database_cannot_be_reached_is_a_503_not_a_500(
    unreachable_app: Flask,  # noqa: F811
) -> None:
    client = BrowserClient(unreachable_app)
    slug = definitions(unreachable_app)[0].slug
    client.get(f"/{slug}/")
    assert_service_unavailable(client.post(f"/{slug}/start"), "Sorry, the service is unavailable")
