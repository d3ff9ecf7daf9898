"""Save and come back later: the link is emailed through a real SMTP server on 127.0.0.1 (aiosmtpd),
followed in a new browser, and refused with its own page when used, expired, replaced or tampered with.
Storage is exercised on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import email
import hashlib
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, select, text, update

from forms_engine.components import messages
from forms_engine.definitions.model import FormDefinition
from forms_engine.extensions import db
from forms_engine.journey import journey_for
from forms_engine.mail import mail_backend
from forms_engine.runner import save_return
from forms_engine.submissions.models import JourneyState, SaveToken

from .conftest import _reset_postgres, make_app
from .helpers import BrowserClient, Page, definitions, location, submit, walk_to_check_answers
from .smtp import SmtpServer, free_port, running_smtp_server

EMAIL = "saver@example.com"
LINK = re.compile(r"https?://\S+/resume/\S+")


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


def _dispose(app: Flask, database_url: str) -> None:
    if database_url.startswith("postgresql"):
        _reset_postgres(app)
    else:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def smtp_app(database_url: str, smtp_server: SmtpServer) -> Iterator[Flask]:
    """The app on SQLite and on PostgreSQL in turn, sending mail to the SMTP server above."""
    app = make_app(
        database_url,
        MAIL_BACKEND="smtp",
        MAIL_HOST="127.0.0.1",
        MAIL_PORT=smtp_server.port,
        MAIL_TIMEOUT=5,
        BASE_URL="https://forms.example.gov.uk",
    )
    yield app
    _dispose(app, database_url)


# --- Helpers -------------------------------------------------------------------------------------


def example_form(app: Flask) -> FormDefinition:
    """The shortest example form whose first three pages ask questions and that asks for no files
    (which the walking helpers cannot send)."""
    fitting = [
        d
        for d in definitions(app)
        if len(journey_for(d).pages) >= 3
        and all(p.questions for p in journey_for(d).pages[:3])
        and not any(c.type == "FileUploadField" for _, c in d.questions())
    ]
    assert fitting, "no example form with three question pages"
    return min(fitting, key=lambda d: len(d.pages))


def answer_first_page(client: BrowserClient, definition: FormDefinition) -> str:
    """Start the form, answer its first page; the path of the second page."""
    journey = journey_for(definition)
    client.get(f"/{definition.slug}/")
    response = client.post(f"/{definition.slug}/start")
    first = location(response)
    client.get(first)
    response = client.post(first, data=journey.first_page.example())
    assert response.status == 302, response.error_summary()
    return location(response)


def save_on(client: BrowserClient, path: str, data: dict[str, list[str]]) -> Page:
    """Press "Save and come back later" on a question page; the save page it leads to."""
    client.get(path)
    response = client.post(path, data={**data, "action": "save"})
    assert response.status == 303, response.status
    assert location(response).startswith(path.rsplit("/", 1)[0] + "/save?")
    return client.follow(response)


def send_link(client: BrowserClient, definition: FormDefinition, address: str = EMAIL) -> Page:
    response = client.post(f"/{definition.slug}/save", data={"email": address})
    assert response.status == 303, (response.status, response.error_summary())
    assert location(response) == f"/{definition.slug}/save/sent"
    return client.follow(response)


def link_in(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = LINK.findall(body.get_content())
    assert len(found) == 1, body.get_content()
    return found[0]


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def resume(client: BrowserClient, link_path: str) -> Page:
    """Follow the link and press Continue: the response to the POST."""
    page = client.get(link_path)
    assert page.status == 200, (page.status, page.h1)
    assert page.h1 == save_return.RESUME_TITLE
    return client.post(link_path)


def saved_and_sent(app: Flask, smtp_server: SmtpServer) -> tuple[FormDefinition, BrowserClient, str, str]:
    """Answer page 1, save on page 2 with its example answers; (form, browser, page 2, link path)."""
    definition = example_form(app)
    client = BrowserClient(app)
    second = answer_first_page(client, definition)
    second_page = journey_for(definition).page(second.rsplit("/", 1)[1])
    assert second_page is not None
    save_on(client, second, second_page.example())
    send_link(client, definition)
    return definition, client, second, path_of(link_in(smtp_server.messages[-1]))


def rows_of_every_table(app: Flask) -> str:
    with app.app_context():
        names = inspect(db.engine).get_table_names()
        dump = []
        for name in names:
            dump.extend(repr(tuple(row)) for row in db.session.execute(text(f'SELECT * FROM "{name}"')))
        return "\n".join(dump)


# --- The whole round trip ------------------------------------------------------------------------


def test_the_link_is_emailed_through_smtp_and_restores_the_answers_in_a_new_browser(
    smtp_app: Flask, smtp_server: SmtpServer
) -> None:
    definition = example_form(smtp_app)
    journey = journey_for(definition)
    client = BrowserClient(smtp_app)
    second = answer_first_page(client, definition)
    second_page = journey.page(second.rsplit("/", 1)[1])
    assert second_page is not None

    save_page = save_on(client, second, second_page.example())
    assert save_page.status == 200
    assert save_page.h1 == save_return.SAVE_TITLE
    assert save_page.soup.select_one(".govuk-back-link")["href"] == second
    assert save_page.soup.select_one("input#email")["type"] == "email"
    assert save_page.soup.select_one("input#email")["autocomplete"] == "email"

    sent = send_link(client, definition)
    assert sent.status == 200
    assert sent.h1 == "We have sent you a link"
    assert EMAIL in sent.soup.select_one("main").get_text()
    assert "stops working at" in sent.soup.select_one("main").get_text()
    assert sent.response.headers["Cache-Control"] == "no-store"

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert smtp_server.recipients == [[EMAIL]]
    assert message["To"] == EMAIL
    assert message["Subject"] == f"Continue your form: {definition.title}"
    url = link_in(message)
    assert url.startswith(f"https://forms.example.gov.uk/{definition.slug}/resume/")
    assert "stops working at" in message.get_body(("plain",)).get_content()

    # A new browser, with no journey of its own.
    other = BrowserClient(smtp_app)
    landed = resume(other, path_of(url))
    assert landed.status == 303
    third = journey.pages[2]
    assert location(landed) == f"/{definition.slug}/{third.page.slug}"
    page = other.follow(landed)
    assert page.status == 200
    assert page.soup.select_one('button[name="action"][value="save"]') is not None

    # Earlier answers are pre-filled, and the journey carries on in the new browser.
    again = other.get(second)
    assert again.status == 200
    for name, values in second_page.example().items():
        control = again.soup.find(attrs={"name": name})
        assert control is not None, name
        if control.name == "input" and control.get("type") not in ("radio", "checkbox"):
            assert control["value"] == values[0]
    with smtp_app.app_context():
        state = db.session.scalar(select(JourneyState))
        assert state is not None
        assert state.form_version == definition.version
        for name in second_page.example():
            assert name in state.answers, name


def test_the_link_works_once(smtp_app: Flask, smtp_server: SmtpServer) -> None:
    definition, _, _, link = saved_and_sent(smtp_app, smtp_server)
    second_tab = BrowserClient(smtp_app)
    assert second_tab.get(link).status == 200
    assert resume(BrowserClient(smtp_app), link).status == 303

    page = BrowserClient(smtp_app).get(link)
    assert page.status == 410
    assert page.h1 == save_return.PROBLEM_TITLES["used"]
    assert "works once" in page.soup.select_one("main").get_text()
    assert page.soup.select_one("main a.govuk-link")["href"] == f"/{definition.slug}/"
    # Pressing Continue on a page opened before the link was used is refused too.
    refused = second_tab.post(link)
    assert refused.status == 410
    assert refused.h1 == save_return.PROBLEM_TITLES["used"]


def test_an_expired_link_gets_the_expired_page(smtp_app: Flask, smtp_server: SmtpServer) -> None:
    _, _, _, link = saved_and_sent(smtp_app, smtp_server)
    opened_before = BrowserClient(smtp_app)
    assert opened_before.get(link).status == 200
    with smtp_app.app_context():
        db.session.execute(update(SaveToken).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
        db.session.commit()
    page = BrowserClient(smtp_app).get(link)
    assert page.status == 410
    assert page.h1 == save_return.PROBLEM_TITLES["expired"]
    assert "28 days" in page.soup.select_one("main").get_text()
    assert opened_before.post(link).h1 == save_return.PROBLEM_TITLES["expired"]


def test_a_journey_saved_with_every_page_answered_resumes_at_check_answers(
    smtp_app: Flask, smtp_server: SmtpServer
) -> None:
    definition = example_form(smtp_app)
    client = BrowserClient(smtp_app)
    walk_to_check_answers(client, definition)
    last = journey_for(definition).pages_on_path({})[-1]
    path = f"/{definition.slug}/{last.page.slug}"
    save_on(client, path, last.formdata(client_answers(smtp_app)))
    send_link(client, definition)
    landed = resume(BrowserClient(smtp_app), path_of(link_in(smtp_server.messages[-1])))
    assert location(landed) == f"/{definition.slug}/check-answers"


def client_answers(app: Flask) -> dict[str, Any]:
    """The stored answers of the (only) journey."""
    with app.app_context():
        state = db.session.scalar(select(JourneyState))
        assert state is not None
        return dict(state.answers)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda link: link[:-1] + ("A" if link[-1] != "A" else "B"),
        lambda link: link + "x",
        lambda link: link.rsplit("/", 1)[0] + "/not-a-token",
        lambda link: link.replace("/resume/", "/resume/%00"),
    ],
    ids=["changed", "longer", "made-up", "odd-characters"],
)
def test_a_tampered_link_gets_the_link_does_not_work_page(
    smtp_app: Flask, smtp_server: SmtpServer, tamper: Any
) -> None:
    _, _, _, link = saved_and_sent(smtp_app, smtp_server)
    client = BrowserClient(smtp_app)
    page = client.get(tamper(link))
    assert page.status == 404
    assert page.h1 == save_return.PROBLEM_TITLES["invalid"]
    assert "copied the whole link" in page.soup.select_one("main").get_text()
    # The real link still works afterwards.
    assert resume(BrowserClient(smtp_app), link).status == 303


def test_a_link_for_one_form_does_not_open_another(smtp_app: Flask, smtp_server: SmtpServer) -> None:
    definition, _, _, link = saved_and_sent(smtp_app, smtp_server)
    other = next(d for d in definitions(smtp_app) if d.slug != definition.slug)
    page = BrowserClient(smtp_app).get(link.replace(f"/{definition.slug}/", f"/{other.slug}/"))
    assert page.status == 404
    assert page.h1 == save_return.PROBLEM_TITLES["invalid"]


def test_the_three_problem_pages_each_say_something_different(
    smtp_app: Flask, smtp_server: SmtpServer
) -> None:
    _, _, _, link = saved_and_sent(smtp_app, smtp_server)
    invalid = BrowserClient(smtp_app).get(link + "x")
    resume(BrowserClient(smtp_app), link)
    used = BrowserClient(smtp_app).get(link)
    with smtp_app.app_context():
        db.session.execute(
            update(SaveToken).values(used_at=None, expires_at=datetime.now(UTC) - timedelta(days=1))
        )
        db.session.commit()
    expired = BrowserClient(smtp_app).get(link)
    texts = [p.soup.select_one("main").get_text(" ", strip=True) for p in (invalid, used, expired)]
    assert len({p.h1 for p in (invalid, used, expired)}) == 3
    assert len(set(texts)) == 3


def test_a_new_link_replaces_the_earlier_one(smtp_app: Flask, smtp_server: SmtpServer) -> None:
    definition, client, _, first_link = saved_and_sent(smtp_app, smtp_server)
    client.get(f"/{definition.slug}/save")
    send_link(client, definition, "another@example.com")
    assert smtp_server.recipients[-1] == ["another@example.com"]
    second_link = path_of(link_in(smtp_server.messages[-1]))
    assert second_link != first_link
    assert BrowserClient(smtp_app).get(first_link).status == 404
    assert resume(BrowserClient(smtp_app), second_link).status == 303
    with smtp_app.app_context():
        assert len(db.session.scalars(select(SaveToken)).all()) == 1


def test_a_link_to_a_form_sent_since_gets_the_already_sent_page(
    smtp_app: Flask, smtp_server: SmtpServer
) -> None:
    definition, client, _, link = saved_and_sent(smtp_app, smtp_server)
    walk_to_check_answers_from_here(client, definition)
    submit(client, definition)
    page = BrowserClient(smtp_app).get(link)
    assert page.status == 410
    assert page.h1 == save_return.PROBLEM_TITLES["sent"]


def walk_to_check_answers_from_here(client: BrowserClient, definition: FormDefinition) -> None:
    """Carry on an existing journey to check answers with each page's example answers."""
    journey = journey_for(definition)
    response = client.post(f"/{definition.slug}/start")
    for _ in range(len(journey.pages) + 1):
        target = location(response)
        if target.endswith("/check-answers"):
            return
        client.get(target)
        compiled = journey.page(target.rsplit("/", 1)[1])
        assert compiled is not None
        response = client.post(target, data=compiled.example())
        assert response.status == 302, (target, response.error_summary())
    raise AssertionError("the journey did not reach check answers")


def test_using_a_link_twice_at_once_restores_the_journey_once(
    smtp_app: Flask, smtp_server: SmtpServer
) -> None:
    _, _, _, link = saved_and_sent(smtp_app, smtp_server)
    browsers = [BrowserClient(smtp_app) for _ in range(8)]
    for browser in browsers:
        assert browser.get(link).status == 200
    barrier = threading.Barrier(len(browsers))
    statuses: list[int] = []
    lock = threading.Lock()

    def press_continue(browser: BrowserClient) -> None:
        barrier.wait()
        response = browser.post(link)
        with lock:
            statuses.append(response.status)

    threads = [threading.Thread(target=press_continue, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [303] + [410] * (len(browsers) - 1)


# --- What is stored ------------------------------------------------------------------------------


def test_only_the_tokens_hash_is_stored(smtp_app: Flask, smtp_server: SmtpServer) -> None:
    _, _, _, link = saved_and_sent(smtp_app, smtp_server)
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 40
    with smtp_app.app_context():
        stored = db.session.scalar(select(SaveToken))
        assert stored is not None
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert stored.email == EMAIL
        assert stored.used_at is None
        created = stored.created_at.replace(tzinfo=stored.created_at.tzinfo or UTC)
        expires = stored.expires_at.replace(tzinfo=stored.expires_at.tzinfo or UTC)
        assert expires - created == timedelta(days=28)
    assert token not in rows_of_every_table(smtp_app)


def test_the_link_lasts_as_many_days_as_configured(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'db.sqlite'}", SAVE_RETURN_DAYS=3)
    definition = example_form(app)
    client = BrowserClient(app)
    second = answer_first_page(client, definition)
    save_on(client, second, {})
    before = datetime.now(UTC)
    send_link(client, definition)
    with app.app_context():
        stored = db.session.scalar(select(SaveToken))
        assert stored is not None
        expires = stored.expires_at.replace(tzinfo=stored.expires_at.tzinfo or UTC)
        assert timedelta(days=3) <= expires - before < timedelta(days=3, minutes=1)
        db.engine.dispose()


# --- Saving a page -------------------------------------------------------------------------------


def save_button_group(page: Page) -> list[tuple[str, str | None, str | None]]:
    group = page.soup.select_one("main form .govuk-button-group")
    assert group is not None
    return [(b.get_text(strip=True), b.get("name"), b.get("value")) for b in group.select("button")]


def test_every_question_page_offers_save_and_come_back_later_after_continue(app: Flask) -> None:
    definition = example_form(app)
    client = BrowserClient(app)
    walk_to_check_answers(client, definition)
    expected = [("Continue", None, None), ("Save and come back later", "action", "save")]
    for compiled in journey_for(definition).pages_on_path(client_answers(app)):
        page = client.get(f"/{definition.slug}/{compiled.page.slug}")
        assert save_button_group(page) == expected, compiled.page.slug
        assert (
            "govuk-button--secondary" in page.soup.select("main form .govuk-button-group button")[1]["class"]
        )
    for other in definitions(app):
        browser = BrowserClient(app)
        browser.get(f"/{other.slug}/")
        first = browser.follow(browser.post(f"/{other.slug}/start"))
        assert save_button_group(first) == expected, other.slug


def test_saving_a_page_with_problems_keeps_the_answers_stored_before(app: Flask) -> None:
    definition = example_form(app)
    journey = journey_for(definition)
    client = BrowserClient(app)
    second = answer_first_page(client, definition)
    second_page = journey.page(second.rsplit("/", 1)[1])
    assert second_page is not None
    client.get(second)
    assert client.post(second, data=second_page.example()).status == 302
    with app.app_context():
        before = dict(db.session.scalar(select(JourneyState)).answers)  # type: ignore[union-attr]

    wrong = {name: ["!" * 3001] for name in second_page.example()}
    page = save_on(client, second, wrong)
    assert "was not saved" in page.soup.select_one(".govuk-inset-text").get_text()
    with app.app_context():
        assert db.session.scalar(select(JourneyState)).answers == before  # type: ignore[union-attr]


def test_saving_a_valid_page_stores_its_answers(app: Flask) -> None:
    definition = example_form(app)
    journey = journey_for(definition)
    client = BrowserClient(app)
    second = answer_first_page(client, definition)
    second_page = journey.page(second.rsplit("/", 1)[1])
    assert second_page is not None
    page = save_on(client, second, second_page.example())
    assert page.soup.select_one(".govuk-inset-text") is None
    with app.app_context():
        answers = db.session.scalar(select(JourneyState)).answers  # type: ignore[union-attr]
    for handler in second_page.questions:
        assert handler.name in answers


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("", save_return.EMAIL_REQUIRED),
        ("   ", save_return.EMAIL_REQUIRED),
        ("not an email", messages.EMAIL_FORMAT),
        ("name@", messages.EMAIL_FORMAT),
        ("name@example", messages.EMAIL_FORMAT),
        ("a" * 250 + "@example.com", save_return.EMAIL_TOO_LONG),
    ],
)
def test_a_wrong_email_address_shows_the_gov_uk_error_summary(app: Flask, address: str, message: str) -> None:
    definition = example_form(app)
    client = BrowserClient(app)
    second = answer_first_page(client, definition)
    save_on(client, second, {})
    page = client.post(f"/{definition.slug}/save", data={"email": address})
    assert page.status == 200
    assert page.title.startswith("Error: ")
    assert page.error_summary() == [("#email", message)]
    assert page.error_messages() == [message]
    assert page.soup.select_one("input#email")["value"] == address.strip()
    assert mail_backend(app).sent == []  # type: ignore[attr-defined]


def test_the_save_page_needs_a_journey(client: BrowserClient, app: Flask) -> None:
    definition = example_form(app)
    response = client.get(f"/{definition.slug}/save")
    assert location(response) == f"/{definition.slug}/"
    assert location(client.get(f"/{definition.slug}/save/sent")) == f"/{definition.slug}/"


def test_the_save_form_needs_its_csrf_token(app: Flask) -> None:
    definition = example_form(app)
    client = BrowserClient(app)
    second = answer_first_page(client, definition)
    save_on(client, second, {})
    page = client.post(f"/{definition.slug}/save", data={"email": EMAIL}, csrf=False)
    assert page.status == 400
    assert mail_backend(app).sent == []  # type: ignore[attr-defined]


# --- Mail ----------------------------------------------------------------------------------------


def test_when_the_mail_server_cannot_be_reached_the_user_is_told_and_nothing_is_stored(
    tmp_path: Path,
) -> None:
    app = make_app(
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        MAIL_BACKEND="smtp",
        MAIL_HOST="127.0.0.1",
        MAIL_PORT=free_port(),
        MAIL_TIMEOUT=2,
    )
    definition = example_form(app)
    client = BrowserClient(app)
    second = answer_first_page(client, definition)
    save_on(client, second, {})
    page = client.post(f"/{definition.slug}/save", data={"email": EMAIL})
    assert page.status == 503
    assert page.h1 == save_return.NOT_SENT_TITLE
    with app.app_context():
        assert db.session.scalars(select(SaveToken)).all() == []
        db.engine.dispose()


def test_the_outbox_backend_writes_an_eml_file_with_the_link(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    app = make_app(f"sqlite:///{tmp_path / 'db.sqlite'}", MAIL_BACKEND="outbox", MAIL_OUTBOX_DIR=outbox)
    definition = example_form(app)
    client = BrowserClient(app)
    second = answer_first_page(client, definition)
    save_on(client, second, {})
    send_link(client, definition)
    files = list(outbox.iterdir())
    assert [f.suffix for f in files] == [".eml"]
    message = email.message_from_bytes(files[0].read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    assert message["To"] == EMAIL
    assert message["From"] == app.config["MAIL_FROM"]
    assert message["Message-ID"] and message["Date"]
    link = path_of(link_in(message))
    assert link.startswith(f"/{definition.slug}/resume/")
    assert resume(BrowserClient(app), link).status == 303
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 12, 19, 15, 4, tzinfo=UTC), "3:04pm on 19 December 2026"),
        (datetime(2026, 7, 1, 11, 0, tzinfo=UTC), "12pm on 1 July 2026"),  # British Summer Time
        (datetime(2026, 1, 5, 0, 30), "12:30am on 5 January 2026"),  # naive, as SQLite returns it
    ],
)
def test_expiry_times_are_written_in_uk_time_the_gov_uk_way(moment: datetime, expected: str) -> None:
    assert save_return.format_uk_time(moment) == expected


def test_a_form_saved_in_welsh_comes_back_in_welsh(app: Flask) -> None:
    definition = next(d for d in definitions(app) if "cy" in d.languages)
    journey = journey_for(definition)
    client = BrowserClient(app)
    client.get(f"/{definition.slug}/?lang=cy")
    first = location(client.post(f"/{definition.slug}/start"))
    client.get(first)
    second = location(client.post(first, data=journey.first_page.example()))
    save_on(client, second, {})
    send_link(client, definition)
    message = mail_backend(app).sent[-1]  # type: ignore[attr-defined]
    assert definition.title.in_language("cy") in message["Subject"]
    link = path_of(link_in(message))
    assert link.endswith("?lang=cy")
    other = BrowserClient(app)
    page = other.get(link)
    assert page.soup.html["lang"] == "cy"
    landed = other.follow(other.post(link))
    assert landed.soup.html["lang"] == "cy"


# --- Pages asked per item, and pages with files ---------------------------------------------------


def stored_answers(app: Flask) -> dict[str, Any]:
    with app.app_context():
        state = db.session.scalar(select(JourneyState))
        assert state is not None
        return dict(state.answers)


def test_saving_on_a_repeated_page_stores_that_item_and_comes_back_to_it(app: Flask) -> None:
    from .test_repeats import SLUG as REPEAT_SLUG
    from .test_repeats import answer_until_repeat

    client = BrowserClient(app)
    answer_until_repeat(client, app)
    item_page = f"/{REPEAT_SLUG}/sett-name/1"
    client.get(item_page)
    response = client.post(item_page, data={"settName": "Sett by the oak", "action": "save"})
    assert response.status == 303
    assert location(response) == f"/{REPEAT_SLUG}/save?page=sett-name"
    assert stored_answers(app)["setts"] == [{"settName": "Sett by the oak"}]

    client.follow(response)
    send_link(client, next(d for d in definitions(app) if d.slug == REPEAT_SLUG))
    other = BrowserClient(app)
    landed = resume(other, path_of(link_in(mail_backend(app).sent[-1])))  # type: ignore[attr-defined]
    assert location(landed) == f"/{REPEAT_SLUG}/repeat/setts"
    assert location(other.get(f"/{REPEAT_SLUG}/repeat/setts")) == f"/{REPEAT_SLUG}/sett-activity/1"
    again = other.get(item_page)
    assert again.soup.select_one('input[name="settName"]')["value"] == "Sett by the oak"


def test_saving_a_repeated_page_with_problems_stores_nothing_for_it(app: Flask) -> None:
    from .test_repeats import SLUG as REPEAT_SLUG
    from .test_repeats import answer_until_repeat

    client = BrowserClient(app)
    answer_until_repeat(client, app)
    before = stored_answers(app)
    item_page = f"/{REPEAT_SLUG}/sett-name/1"
    client.get(item_page)
    response = client.post(item_page, data={"settName": "", "action": "save"})
    assert location(response) == f"/{REPEAT_SLUG}/save?page=sett-name&unsaved=1"
    assert stored_answers(app) == before


def test_saving_a_page_whose_new_file_is_refused_keeps_the_answer_stored_before(tmp_path: Path) -> None:
    from .test_uploads import EXAMPLE_PDF, PNG, at_evidence, files, upload_app
    from .test_uploads import SLUG as UPLOAD_SLUG

    app = upload_app(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    client = at_evidence(app)
    response = client.post(f"/{UPLOAD_SLUG}/evidence", data={"evidence": files(("plan.pdf", EXAMPLE_PDF))})
    assert response.status == 302
    before = stored_answers(app)
    assert [f["filename"] for f in before["evidence"]] == ["plan.pdf"]

    client.get(f"/{UPLOAD_SLUG}/evidence")
    response = client.post(
        f"/{UPLOAD_SLUG}/evidence", data={"evidence": files(("photo.pdf", PNG)), "action": "save"}
    )
    assert location(response) == f"/{UPLOAD_SLUG}/save?page=evidence&unsaved=1"
    assert stored_answers(app) == before
    with app.app_context():
        db.engine.dispose()
