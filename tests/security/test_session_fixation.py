"""Session fixation: whatever a browser's session held before resuming a saved form or signing in (a
journey id, a CSRF token, a cookie someone copied or planted) is useless afterwards.

The session is Flask's signed cookie, so "a session id" is what the cookie holds: for a citizen, the
journey id per form (the bearer secret to their answers) and the CSRF token. Caseworker sign-in
rotation is also tested in tests/caseworker/test_sign_in.py (test_signing_in_starts_a_new_session:
planted keys dropped, new CSRF token); here, a copy of the cookie from before is shown to be useless.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from forms_engine.caseworker import clock, totp
from forms_engine.extensions import db
from forms_engine.mail import mail_backend
from forms_engine.reporting.models import JourneyMetric
from forms_engine.runner import save_return
from forms_engine.runner.views import SESSION_KEY
from forms_engine.submissions.models import JourneyState, SaveToken, UploadedFile

from ..caseworker.conftest import PASSWORD, create_user, sign_in
from ..helpers import BrowserClient, Page, definitions, location
from .conftest import FORM, World, build_world, make_world_app

COOKIE = "forms_engine_session"
LINK = re.compile(r"https?://\S+/resume/\S+")
CSRF_REFUSED = "We could not accept that form because the page had expired or was sent twice."


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    app = make_world_app(tmp_path_factory, RATELIMIT_ENABLED=False)
    yield build_world(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def journey_id(client: BrowserClient, slug: str = FORM) -> str | None:
    with client.client.session_transaction() as session:
        value = session.get(SESSION_KEY, {}).get(slug)
    return value


def cookie_of(client: BrowserClient) -> str:
    cookie = client.client.get_cookie(COOKIE)
    assert cookie is not None
    return str(cookie.value)


def browser_with_cookie(app: Flask, value: str) -> BrowserClient:
    """Another browser holding a copy of a session cookie (copied, or planted by someone)."""
    other = BrowserClient(app)
    other.client.set_cookie(COOKIE, value)
    return other


def save_for_later(app: Flask, client: BrowserClient) -> str:
    """Press "Save and come back later" on the form's first page and send the link: its path."""
    first = f"/{FORM}/{next(d for d in definitions(app) if d.slug == FORM).pages[0].slug}"
    client.get(first)
    response = client.post(first, data={"action": save_return.SAVE_ACTION})
    assert response.status == 303, response.status
    client.follow(response)
    sent = client.post(f"/{FORM}/save", data={"email": "citizen@example.com"})
    assert sent.status == 303, sent.error_summary()
    message = mail_backend(app).sent[-1]  # type: ignore[attr-defined]
    body = message.get_body(("plain",)).get_content()
    (link,) = LINK.findall(body)
    return "/" + link.split("/", 3)[3]


def resume(client: BrowserClient, link: str) -> Page:
    page = client.get(link)
    assert page.status == 200 and page.h1 == save_return.RESUME_TITLE, (page.status, page.h1)
    return client.post(link)


def rows_for(app: Flask, journey: str) -> dict[str, int]:
    with app.app_context():
        counts = {
            "journeys": len(db.session.scalars(select(JourneyState).where(JourneyState.id == journey)).all()),
            "files": len(
                db.session.scalars(select(UploadedFile).where(UploadedFile.journey_id == journey)).all()
            ),
            "links": len(db.session.scalars(select(SaveToken).where(SaveToken.journey_id == journey)).all()),
            "metrics": len(
                db.session.scalars(select(JourneyMetric).where(JourneyMetric.journey_id == journey)).all()
            ),
        }
        db.session.remove()
    return counts


def answers_of(app: Flask, journey: str) -> dict[str, object]:
    with app.app_context():
        state = db.session.get(JourneyState, journey)
        assert state is not None
        answers = dict(state.answers)
        db.session.remove()
    return answers


def test_resuming_gives_the_journey_a_new_id_and_the_old_one_opens_nothing(world: World) -> None:
    app, citizen = world.app, world.citizen
    old_id = journey_id(citizen)
    assert old_id is not None
    before = rows_for(app, old_id)
    assert before["journeys"] == 1 and before["files"] >= 1, before
    answers_before = answers_of(app, old_id)
    copied = browser_with_cookie(app, cookie_of(citizen))  # say, left on a shared computer

    link = save_for_later(app, citizen)
    elsewhere = BrowserClient(app)
    resumed = resume(elsewhere, link)
    assert resumed.status == 303 and location(resumed) == f"/{FORM}/check-answers"

    new_id = journey_id(elsewhere)
    assert new_id is not None and new_id != old_id
    assert len(new_id) >= 43  # 32 random bytes, like the id it replaces
    # The answers, files, link and metric row moved to the new id; nothing is left under the old one.
    assert rows_for(app, old_id) == {"journeys": 0, "files": 0, "links": 0, "metrics": 0}
    after = rows_for(app, new_id)
    assert after == {**before, "links": 1, "metrics": after["metrics"]}
    assert after["metrics"] == before["metrics"]
    assert answers_of(app, new_id) == answers_before
    assert elsewhere.get(f"/{FORM}/check-answers").status == 200

    # Every browser that knew the old id is sent to the start page, and starting gets a new journey.
    for browser in (citizen, copied):
        response = browser.get(f"/{FORM}/check-answers")
        assert response.status == 302 and location(response) == f"/{FORM}/", response.status
        browser.get(f"/{FORM}/")
        started = browser.post(f"/{FORM}/start")
        assert started.status == 302
        assert journey_id(browser) not in (old_id, new_id)
    # The used link cannot be used again to take the journey back.
    assert BrowserClient(app).get(link).status == 410


def test_a_session_planted_before_resuming_is_useless_after(world: World) -> None:
    app = world.app
    owner = BrowserClient(app)
    owner.get(f"/{FORM}/")
    owner.post(f"/{FORM}/start")
    link = save_for_later(app, owner)
    saved_id = journey_id(owner)

    # Someone starts a journey of their own and plants their cookie in the owner's other browser.
    attacker = BrowserClient(app)
    attacker.get(f"/{FORM}/")
    attacker.post(f"/{FORM}/start")
    planted_id = journey_id(attacker)
    attacker.get(f"/{FORM}/")
    planted_token = attacker.csrf_token
    assert planted_token is not None
    victim = browser_with_cookie(app, cookie_of(attacker))

    resumed = resume(victim, link)
    assert resumed.status == 303
    resumed_id = journey_id(victim)
    assert resumed_id not in (None, saved_id, planted_id)
    # The attacker's copy still opens only the attacker's own journey.
    assert journey_id(attacker) == planted_id
    with app.app_context():
        assert db.session.get(JourneyState, planted_id) is not None
        assert db.session.get(JourneyState, saved_id) is None
        db.session.remove()
    # The CSRF token planted with the cookie no longer works in the victim's browser.
    refused = victim.post(f"/{FORM}/check-answers", data={"csrf_token": planted_token})
    assert refused.status == 400 and CSRF_REFUSED in refused.response.get_data(as_text=True)
    # ... while the victim's own new token does.
    victim.get(f"/{FORM}/")
    assert victim.csrf_token != planted_token
    assert victim.post(f"/{FORM}/start").status == 302


def test_a_link_posted_twice_at_once_gives_one_journey(world: World) -> None:
    """The second use finds the link used (and rolls back): the journey is re-keyed only once."""
    app = world.app
    owner = BrowserClient(app)
    owner.get(f"/{FORM}/")
    owner.post(f"/{FORM}/start")
    link = save_for_later(app, owner)
    first, second = BrowserClient(app), BrowserClient(app)
    first.get(link)
    second.get(link)
    assert first.post(link).status == 303
    late = second.post(link)
    assert late.status == 410 and late.h1 == save_return.PROBLEM_TITLES["used"]
    assert journey_id(second) is None
    resumed_id = journey_id(first)
    assert resumed_id is not None and rows_for(app, resumed_id)["journeys"] == 1


# --- Caseworkers ----------------------------------------------------------------------------------


def test_a_cookie_from_before_signing_in_is_useless_after(world: World) -> None:
    app = world.app
    create_user(app, email="fixation@example.gov.uk")
    browser = BrowserClient(app)
    browser.get("/caseworker/sign-in")
    token_before = browser.csrf_token
    copied = browser_with_cookie(app, cookie_of(browser))

    response = sign_in(browser, email="fixation@example.gov.uk")
    assert location(response) == "/caseworker/"
    assert browser.get("/caseworker/").status == 200
    # The copy of the cookie from before is not signed in, and its CSRF token is refused.
    denied = copied.get("/caseworker/")
    assert denied.status == 302 and location(denied).startswith("/caseworker/sign-in")
    refused = browser.post("/caseworker/sign-out", data={"csrf_token": token_before})
    assert refused.status == 400 and CSRF_REFUSED in refused.response.get_data(as_text=True)
    assert browser.get("/caseworker/").status == 200  # the refused sign-out did nothing


def test_each_step_of_a_sign_in_with_a_security_code_starts_a_new_session(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = world.app
    moment = datetime.now(UTC).replace(microsecond=0)
    moment -= timedelta(seconds=moment.second % 30)
    monkeypatch.setattr(clock, "now", lambda: moment)
    secret = totp.new_secret()
    create_user(app, email="two-step@example.gov.uk", totp_secret=secret)
    browser = BrowserClient(app)
    browser.get("/caseworker/sign-in")
    before_password = cookie_of(browser), browser.csrf_token

    response = browser.post("/caseworker/sign-in", {"email": "two-step@example.gov.uk", "password": PASSWORD})
    assert location(response) == "/caseworker/sign-in/security-code"
    browser.get("/caseworker/sign-in/security-code")
    after_password = cookie_of(browser), browser.csrf_token
    assert after_password[0] != before_password[0] and after_password[1] != before_password[1]

    response = browser.post("/caseworker/sign-in/security-code", {"code": totp.code_at(secret, moment)})
    assert location(response) == "/caseworker/"
    # Neither earlier cookie is signed in; the password step's token is refused after the code step.
    for earlier, _token in (before_password, after_password):
        page = browser_with_cookie(app, earlier).get("/caseworker/")
        assert page.status == 302 and location(page).startswith("/caseworker/sign-in")
    refused = browser.post("/caseworker/sign-out", data={"csrf_token": after_password[1]})
    assert refused.status == 400
    assert browser.get("/caseworker/").status == 200
