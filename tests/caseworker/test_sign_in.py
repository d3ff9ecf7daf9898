"""Signing in and out with an email address and password: the one failure message, lockout, rate
limits, timeouts, session fixation, and what the sign-in keeps of a citizen's session."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from forms_engine.caseworker import SERVICE_NAME, auth, clock, passwords
from forms_engine.caseworker.models import User
from forms_engine.caseworker.views_sign_in import SIGN_IN_FAILED
from forms_engine.extensions import db
from forms_engine.submissions.models import as_utc

from ..helpers import BrowserClient, definitions, location
from .conftest import (
    PASSWORD,
    FrozenClock,
    audit_events,
    create_user,
    load_user,
    session_cookie,
    sign_in,
    sign_out,
    title,
)

SIGN_IN = "/caseworker/sign-in"


def test_a_caseworker_signs_in_and_gets_a_sign_out_button_in_the_header(
    cw_app: Flask, cw_client: BrowserClient
) -> None:
    user_id = create_user(cw_app)
    response = sign_in(cw_client, "Casey@Example.gov.uk ")
    assert response.status == 302
    assert location(response) == "/caseworker/"
    page = cw_client.get("/caseworker/")
    assert page.status == 200
    assert page.soup.select_one(".govuk-service-navigation__service-name").get_text(strip=True) == (
        SERVICE_NAME
    )
    sign_out_button = page.soup.select_one(
        ".govuk-service-navigation form[method=post][action='/caseworker/sign-out'] button[type=submit]"
    )
    assert sign_out_button.get_text(strip=True) == "Sign out"
    assert load_user(cw_app, user_id).last_signed_in_at is not None
    [event] = audit_events(cw_app, "sign-in")
    assert event["actor_id"] == user_id
    assert event["actor_email"] == "casey@example.gov.uk"
    assert event["ip"] == "127.0.0.1"
    assert event["user_agent"]
    assert event["detail"] == {"totp": False}


def test_the_sign_in_page_is_a_gov_uk_form(cw_client: BrowserClient) -> None:
    page = cw_client.get(SIGN_IN)
    assert page.status == 200
    assert page.title == title("Sign in")
    assert page.h1 == "Sign in"
    email = page.soup.select_one("form input#email")
    assert email["type"] == "email"
    assert email["autocomplete"] == "username"
    password = page.soup.select_one("form input#password")
    assert password["type"] == "password"
    assert password["autocomplete"] == "current-password"
    assert page.soup.select_one("label[for=email]").get_text(strip=True) == "Email address"
    assert page.soup.select_one("html")["lang"] == "en"
    assert not page.soup.select(".govuk-service-navigation form")  # no sign-out button yet


def test_missing_answers_get_gov_uk_error_messages(cw_client: BrowserClient) -> None:
    cw_client.get(SIGN_IN)
    page = cw_client.post(SIGN_IN, {"email": "", "password": ""})
    assert page.status == 200
    assert page.title.startswith("Error: Sign in")
    assert page.error_summary() == [
        ("#email", "Enter your email address"),
        ("#password", "Enter your password"),
    ]
    assert page.error_messages() == ["Enter your email address", "Enter your password"]


def _lock(app: Flask, user_id: int) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        user.locked_until = clock.now() + timedelta(minutes=10)
        db.session.commit()


@pytest.mark.parametrize(
    ("case", "email", "password"),
    [
        ("unknown-account", "nobody@example.gov.uk", PASSWORD),
        ("wrong-password", "casey@example.gov.uk", "not the right password"),
        ("disabled", "disabled@example.gov.uk", PASSWORD),
        ("locked", "casey@example.gov.uk", PASSWORD),
    ],
)
def test_every_failed_sign_in_gets_the_same_message(
    cw_app: Flask, cw_client: BrowserClient, case: str, email: str, password: str
) -> None:
    user_id = create_user(cw_app)
    create_user(cw_app, email="disabled@example.gov.uk", disabled=True)
    if case == "locked":
        _lock(cw_app, user_id)
    page = sign_in(cw_client, email, password)
    assert page.status == 200
    assert page.title == title("Error: Sign in")
    assert page.error_summary() == [("#email", SIGN_IN_FAILED)]
    assert page.error_messages() == [SIGN_IN_FAILED]
    assert page.soup.select_one("input#email")["value"] == email
    assert not page.soup.select_one("input#password").get("value")
    assert cw_client.get("/caseworker/").status == 302
    [event] = audit_events(cw_app, "sign-in-failed")
    assert event["detail"]["reason"] == case
    assert event["detail"]["email"] == email
    assert event["actor_id"] is None


def test_the_failure_pages_are_the_same_whatever_the_reason(cw_app: Flask) -> None:
    create_user(cw_app)
    create_user(cw_app, email="disabled@example.gov.uk", disabled=True)
    _lock(cw_app, create_user(cw_app, email="locked@example.gov.uk"))

    def main_of(email: str, password: str) -> str:
        page = sign_in(BrowserClient(cw_app), email, password)
        main = page.soup.select_one("main")
        main.select_one("input#email")["value"] = ""
        for token in main.select("input[name=csrf_token]"):
            token["value"] = ""
        return str(main)

    pages = {
        main_of("nobody@example.gov.uk", PASSWORD),
        main_of("casey@example.gov.uk", "not the right password"),
        main_of("disabled@example.gov.uk", PASSWORD),
        main_of("locked@example.gov.uk", PASSWORD),
    }
    assert len(pages) == 1


def test_an_unknown_email_address_costs_a_password_hash_too(
    cw_app: Flask, cw_client: BrowserClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    spent: list[str] = []
    real = passwords.spend_verification_time
    monkeypatch.setattr(passwords, "spend_verification_time", lambda pw: (spent.append(pw), real(pw)))
    sign_in(cw_client, "nobody@example.gov.uk", "some password typed")
    assert spent == ["some password typed"]


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    cw_app: Flask, frozen_clock: FrozenClock
) -> None:
    user_id = create_user(cw_app)
    client = BrowserClient(cw_app)
    for _ in range(4):
        assert sign_in(client, password="wrong password!").error_messages() == [SIGN_IN_FAILED]
    assert load_user(cw_app, user_id).failed_sign_ins == 4
    assert load_user(cw_app, user_id).locked_until is None
    sign_in(client, password="wrong password!")
    locked = load_user(cw_app, user_id)
    assert locked.locked_until is not None
    assert as_utc(locked.locked_until) == frozen_clock.moment + timedelta(minutes=15)
    assert audit_events(cw_app, "sign-in-failed")[-1]["detail"]["locked_until"]

    # The right password does not help while it is locked, and gets the same message.
    frozen_clock.advance(minutes=14, seconds=59)
    page = sign_in(client)
    assert page.error_messages() == [SIGN_IN_FAILED]
    assert audit_events(cw_app, "sign-in-failed")[-1]["detail"]["reason"] == "locked"

    frozen_clock.advance(seconds=2)
    assert location(sign_in(client)) == "/caseworker/"
    signed_in = load_user(cw_app, user_id)
    assert signed_in.failed_sign_ins == 0
    assert signed_in.locked_until is None


def test_a_successful_sign_in_clears_the_count_of_failures(cw_app: Flask, frozen_clock: FrozenClock) -> None:
    user_id = create_user(cw_app)
    client = BrowserClient(cw_app)
    for _ in range(4):
        sign_in(client, password="wrong password!")
    assert location(sign_in(client)) == "/caseworker/"
    assert load_user(cw_app, user_id).failed_sign_ins == 0
    sign_out(client)
    for _ in range(4):
        sign_in(client, password="wrong password!")
    assert load_user(cw_app, user_id).locked_until is None


def test_the_lockout_follows_its_settings(make_cw_app: Any, frozen_clock: FrozenClock) -> None:
    app = make_cw_app(CASEWORKER_LOCKOUT_ATTEMPTS=2, CASEWORKER_LOCKOUT_MINUTES=1)
    user_id = create_user(app)
    client = BrowserClient(app)
    sign_in(client, password="wrong password!")
    sign_in(client, password="wrong password!")
    assert load_user(app, user_id).locked_until is not None
    assert sign_in(client).error_messages() == [SIGN_IN_FAILED]
    page = sign_in(client, password="wrong password!")
    assert "wait 1 minutes" in page.soup.select_one("main").get_text(" ", strip=True)
    frozen_clock.advance(minutes=1, seconds=1)
    assert location(sign_in(client)) == "/caseworker/"


def test_too_many_sign_ins_from_one_address_get_the_429_page(make_cw_app: Any) -> None:
    app = make_cw_app(SIGN_IN_RATE_LIMIT_PER_IP="3 per minute")
    create_user(app)
    client = BrowserClient(app)
    for i in range(3):
        assert sign_in(client, f"someone{i}@example.gov.uk").status == 200
    page = sign_in(client, "someone-else@example.gov.uk")
    assert page.status == 429
    assert page.h1 == "Sorry, you have tried too many times"
    assert page.title == title("Sorry, you have tried too many times")
    assert page.response.headers["Cache-Control"] == "no-store"
    assert page.response.headers["X-Frame-Options"] == "DENY"
    # Even the right password is refused from that address for now; another address is not limited.
    assert sign_in(client).status == 429
    other = BrowserClient(app)
    assert location(sign_in(other, environ_base={"REMOTE_ADDR": "127.0.0.2"})) == "/caseworker/"


def test_too_many_sign_ins_to_one_account_are_limited_from_any_address(make_cw_app: Any) -> None:
    app = make_cw_app(SIGN_IN_RATE_LIMIT_PER_ACCOUNT="2 per minute", CASEWORKER_LOCKOUT_ATTEMPTS=100)
    create_user(app)
    client = BrowserClient(app)
    for address in ("127.0.0.2", "127.0.0.3"):
        sign_in(client, "Casey@example.gov.uk", "wrong password!", environ_base={"REMOTE_ADDR": address})
    page = sign_in(client, "casey@example.gov.uk", environ_base={"REMOTE_ADDR": "127.0.0.4"})
    assert page.status == 429
    assert page.h1 == "Sorry, you have tried too many times"
    # Other accounts can still be signed in to from those addresses.
    create_user(app, email="other@example.gov.uk")
    assert location(sign_in(client, "other@example.gov.uk", environ_base={"REMOTE_ADDR": "127.0.0.4"})) == (
        "/caseworker/"
    )


def test_the_sign_in_page_itself_is_not_rate_limited(make_cw_app: Any) -> None:
    app = make_cw_app(SIGN_IN_RATE_LIMIT_PER_IP="1 per minute")
    client = BrowserClient(app)
    for _ in range(5):
        assert client.get(SIGN_IN).status == 200


def test_a_session_ends_after_thirty_idle_minutes(cw_app: Flask, frozen_clock: FrozenClock) -> None:
    user_id = create_user(cw_app)
    client = BrowserClient(cw_app)
    sign_in(client)
    frozen_clock.advance(minutes=29)
    assert client.get("/caseworker/").status == 200  # a request resets the idle time
    frozen_clock.advance(minutes=29)
    assert client.get("/caseworker/").status == 200
    frozen_clock.advance(minutes=30, seconds=1)
    page = client.get("/caseworker/")
    assert page.status == 302
    assert location(page) == "/caseworker/sign-in?reason=idle&next=/caseworker/"
    notice = client.follow(page)
    banner = notice.soup.select_one(".govuk-notification-banner")
    assert banner.select_one(".govuk-notification-banner__heading").get_text(strip=True) == (
        "You have been signed out"
    )
    assert "did not do anything for 30 minutes" in banner.get_text(" ", strip=True)
    # The session is gone from the cookie: signing in again is the only way back.
    assert client.get("/caseworker/").status == 302
    [event] = audit_events(cw_app, "sign-out")
    assert event["detail"] == {"reason": "idle"}
    assert event["actor_id"] == user_id


def test_a_session_ends_at_the_absolute_timeout_however_busy(
    make_cw_app: Any, frozen_clock: FrozenClock
) -> None:
    app = make_cw_app(CASEWORKER_ABSOLUTE_HOURS=1)
    create_user(app)
    client = BrowserClient(app)
    sign_in(client)
    for _ in range(3):
        frozen_clock.advance(minutes=19)
        assert client.get("/caseworker/").status == 200
    frozen_clock.advance(minutes=4)
    page = client.get("/caseworker/")
    assert location(page) == "/caseworker/sign-in?reason=absolute&next=/caseworker/"
    assert (
        "more than 1 hours ago"
        in client.follow(page).soup.select_one(".govuk-notification-banner").get_text()
    )
    assert audit_events(app, "sign-out")[-1]["detail"] == {"reason": "absolute"}


def test_the_default_absolute_timeout_is_twelve_hours(cw_app: Flask, frozen_clock: FrozenClock) -> None:
    create_user(cw_app)
    client = BrowserClient(cw_app)
    sign_in(client)
    for _ in range(24):
        frozen_clock.advance(minutes=29, seconds=59)
        assert client.get("/caseworker/").status == 200
    frozen_clock.advance(seconds=30)
    assert location(client.get("/caseworker/")).startswith("/caseworker/sign-in?reason=absolute")


def test_signing_in_starts_a_new_session(cw_app: Flask) -> None:
    create_user(cw_app)
    client = BrowserClient(cw_app)
    client.get(SIGN_IN)
    with client.client.session_transaction() as planted:
        planted["planted"] = "by someone else"
        planted[auth.SESSION_KEY] = "not a real session"
    before = session_cookie(client)
    old_token = client.csrf_token
    response = client.post(SIGN_IN, {"email": "casey@example.gov.uk", "password": PASSWORD})
    assert location(response) == "/caseworker/"
    after = session_cookie(client)
    assert after is not None
    assert after != before
    with client.client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") is None or session.get("csrf_token") != old_token
        assert set(session[auth.SESSION_KEY]) == {"uid", "sv", "signed_in", "seen"}


def test_signing_out_ends_the_session_and_says_so(cw_app: Flask, cw_client: BrowserClient) -> None:
    user_id = create_user(cw_app)
    sign_in(cw_client)
    with cw_client.client.session_transaction() as session:
        kept_cookie_state = dict(session)
    home = cw_client.get("/caseworker/")
    response = cw_client.post("/caseworker/sign-out")
    assert location(response) == "/caseworker/sign-in?reason=signed-out"
    page = cw_client.follow(response)
    assert page.soup.select_one(".govuk-notification-banner__heading").get_text(strip=True) == (
        "You have signed out"
    )
    assert cw_client.get("/caseworker/").status == 302
    assert home.status == 200
    assert [e["actor_id"] for e in audit_events(cw_app, "sign-out")] == [user_id]
    # A copy of the signed-in cookie taken before signing out no longer works either.
    thief = BrowserClient(cw_app)
    with thief.client.session_transaction() as session:
        session.update(kept_cookie_state)
    assert thief.get("/caseworker/").status == 302


def test_signing_out_without_a_session_just_goes_to_sign_in(cw_client: BrowserClient) -> None:
    cw_client.get(SIGN_IN)
    response = cw_client.post("/caseworker/sign-out")
    assert location(response) == "/caseworker/sign-in?reason=signed-out"


def test_sign_out_needs_the_csrf_token(cw_app: Flask, cw_client: BrowserClient) -> None:
    create_user(cw_app)
    sign_in(cw_client)
    cw_client.get("/caseworker/")
    assert cw_client.post("/caseworker/sign-out", csrf=False).status == 400
    assert cw_client.get("/caseworker/").status == 200


def test_a_disabled_account_can_not_sign_in_and_its_sessions_end(
    cw_app: Flask, cw_client: BrowserClient
) -> None:
    create_user(cw_app)
    sign_in(cw_client)
    assert cw_client.get("/caseworker/").status == 200
    result = cw_app.test_cli_runner().invoke(args=["users", "disable", "casey@example.gov.uk"])
    assert result.exit_code == 0, result.output
    page = cw_client.get("/caseworker/")
    assert location(page) == "/caseworker/sign-in?reason=ended&next=/caseworker/"
    assert sign_in(cw_client).error_messages() == [SIGN_IN_FAILED]


def test_the_session_ends_when_the_password_is_reset(cw_app: Flask, cw_client: BrowserClient) -> None:
    create_user(cw_app)
    sign_in(cw_client)
    assert cw_client.get("/caseworker/").status == 200
    result = cw_app.test_cli_runner().invoke(
        args=["users", "reset-password", "casey@example.gov.uk", "--password-stdin"],
        input="a brand new passphrase\n",
    )
    assert result.exit_code == 0, result.output
    page = cw_client.get("/caseworker/")
    assert location(page) == "/caseworker/sign-in?reason=ended&next=/caseworker/"
    banner = cw_client.follow(page).soup.select_one(".govuk-notification-banner")
    assert "password was reset" in banner.get_text()
    assert sign_in(cw_client).error_messages() == [SIGN_IN_FAILED]
    assert location(sign_in(cw_client, password="a brand new passphrase")) == "/caseworker/"


def test_after_signing_in_the_caseworker_goes_back_to_the_page_they_asked_for(
    cw_app: Flask, cw_client: BrowserClient
) -> None:
    create_user(cw_app)
    redirect = cw_client.get("/caseworker/authenticator?x=1")
    assert location(redirect) == "/caseworker/sign-in?next=/caseworker/authenticator?x%3D1"
    page = cw_client.follow(redirect)
    form_action = page.soup.select_one("main form")["action"]
    response = cw_client.post(form_action, {"email": "casey@example.gov.uk", "password": PASSWORD})
    assert location(response) == "/caseworker/authenticator?x=1"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/caseworker/", "/other/", "/caseworker/\\evil", ""]
)
def test_sign_in_never_sends_anyone_off_the_caseworker_area(
    cw_app: Flask, cw_client: BrowserClient, target: str
) -> None:
    create_user(cw_app)
    cw_client.get(SIGN_IN)
    response = cw_client.post(
        "/caseworker/sign-in",
        {"email": "casey@example.gov.uk", "password": PASSWORD},
        query_string={"next": target},
    )
    assert location(response) == "/caseworker/"


def test_a_signed_in_caseworker_going_to_sign_in_goes_home(cw_app: Flask, cw_client: BrowserClient) -> None:
    create_user(cw_app)
    sign_in(cw_client)
    assert location(cw_client.get(SIGN_IN)) == "/caseworker/"


def test_a_citizens_journey_in_the_same_browser_survives_signing_in_and_out(
    cw_app: Flask, cw_client: BrowserClient
) -> None:
    create_user(cw_app)
    slug = definitions(cw_app)[0].slug
    cw_client.get(f"/{slug}/?lang=en")
    first = location(cw_client.post(f"/{slug}/start"))
    assert cw_client.get(first).status == 200
    sign_in(cw_client)
    assert cw_client.get(first).status == 200
    assert location(cw_client.post(f"/{slug}/start")) == first  # the same journey, not a new one
    cw_client.get("/caseworker/")
    cw_client.post("/caseworker/sign-out")
    assert cw_client.get(first).status == 200
    assert location(cw_client.post(f"/{slug}/start")) == first


def test_caseworker_pages_are_english_whatever_language_was_chosen(
    cw_app: Flask, cw_client: BrowserClient
) -> None:
    cw_client.get("/?lang=cy")
    page = cw_client.get(SIGN_IN)
    assert page.soup.select_one("html")["lang"] == "en"
    assert page.soup.select_one(".govuk-skip-link").get_text(strip=True) == "Skip to main content"


def test_an_account_without_the_role_gets_page_not_found(cw_app: Flask) -> None:
    @auth.login_required("admin")
    def admin_only() -> str:
        return "admins only"

    @auth.login_required()
    def anyone() -> str:
        return "anyone signed in"

    cw_app.add_url_rule("/caseworker/test-admin-only", "test_admin_only", admin_only)
    cw_app.add_url_rule("/caseworker/test-anyone", "test_anyone", anyone)
    create_user(cw_app)
    client = BrowserClient(cw_app)
    assert location(client.get("/caseworker/test-admin-only")) == (
        "/caseworker/sign-in?next=/caseworker/test-admin-only"
    )
    sign_in(client)
    page = client.get("/caseworker/test-admin-only")
    assert page.status == 404
    assert page.h1 == "Page not found"
    assert client.get("/caseworker/test-anyone").response.data == b"anyone signed in"


def test_login_required_refuses_a_role_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        auth.login_required("superuser")


@pytest.mark.parametrize("path", ["/caseworker/sign-in", "/caseworker/", "/caseworker/sign-in/security-code"])
def test_every_caseworker_page_is_never_cached_and_has_the_sites_security_headers(
    cw_app: Flask, path: str
) -> None:
    create_user(cw_app)
    client = BrowserClient(cw_app)
    sign_in(client)
    response = client.get(path).response
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_passwords_are_never_logged_or_recorded(cw_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    create_user(cw_app)
    client = BrowserClient(cw_app)
    with caplog.at_level(logging.DEBUG):
        sign_in(client, password="Wrong-But-Close-Password-1")
        sign_in(client, "nobody@example.gov.uk", "Unknown-Account-Password-2")
        sign_in(client)
    for secret in ("Wrong-But-Close-Password-1", "Unknown-Account-Password-2", PASSWORD):
        assert secret not in caplog.text
        assert secret not in str(audit_events(cw_app))


def test_caseworker_pages_have_no_language_switcher(cw_app: Flask, cw_client: BrowserClient) -> None:
    create_user(cw_app)
    assert cw_client.get(SIGN_IN).soup.select_one(".app-language-switcher") is None
    sign_in(cw_client)
    assert cw_client.get("/caseworker/").soup.select_one(".app-language-switcher") is None
