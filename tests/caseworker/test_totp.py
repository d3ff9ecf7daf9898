"""Security codes (TOTP): required for admins (set up at the first sign-in), optional for caseworkers,
each code used once, wrong codes counted as failed sign-ins."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from flask import Flask

from forms_engine.caseworker import totp
from forms_engine.caseworker.views_sign_in import CODE_FORMAT, CODE_REQUIRED, CODE_WRONG, SIGN_IN_FAILED

from ..helpers import BrowserClient, location
from .conftest import FrozenClock, audit_events, create_user, enter_code, load_user, sign_in, sign_out, title

CODE_PAGE = "/caseworker/sign-in/security-code"
SET_UP_PAGE = "/caseworker/sign-in/set-up-authenticator"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_an_admin_sets_up_an_authenticator_app_before_the_first_sign_in_completes(
    cw_app: Flask, frozen_clock: FrozenClock
) -> None:
    user_id = create_user(cw_app, email="ada@example.gov.uk", role="admin", organisation=None)
    client = BrowserClient(cw_app)
    response = sign_in(client, "ada@example.gov.uk")
    assert location(response) == SET_UP_PAGE
    # Not signed in yet: the caseworker area still asks for sign-in.
    assert client.get("/caseworker/").status == 302

    page = client.get(SET_UP_PAGE)
    assert page.status == 200
    assert page.title == title("Set up an authenticator app")
    assert page.h1 == "Set up an authenticator app"
    shown = page.soup.select_one("#secret-key").get_text(strip=True)
    assert all(len(group) == 4 for group in shown.split(" "))
    secret = shown.replace(" ", "")
    uri = page.soup.select_one("main code").get_text(strip=True)
    parsed = pyotp.parse_uri(uri)
    assert parsed.secret == secret
    assert parsed.issuer == "Defra forms"
    assert parsed.name == "ada@example.gov.uk"
    image = page.soup.select_one("main img")
    assert image["src"].startswith("data:image/svg+xml")
    assert image["alt"]
    code_input = page.soup.select_one("input#code")
    assert code_input["autocomplete"] == "one-time-code"
    assert code_input["inputmode"] == "numeric"
    # The secret is shown again (not replaced) when the page is reloaded.
    assert client.get(SET_UP_PAGE).soup.select_one("#secret-key").get_text(strip=True) == shown
    assert load_user(cw_app, user_id).totp_secret is None

    response = client.post(SET_UP_PAGE, {"code": totp.code_at(secret, frozen_clock.moment)})
    assert location(response) == "/caseworker/"
    assert client.get("/caseworker/").status == 200
    user = load_user(cw_app, user_id)
    assert user.totp_secret == secret
    assert user.totp_pending_secret is None
    assert [e["actor_id"] for e in audit_events(cw_app, "totp-enabled")] == [user_id]
    assert audit_events(cw_app, "sign-in")[-1]["detail"] == {"totp": True}

    # The next sign-in asks for a code from that app.
    sign_out(client)
    assert location(sign_in(client, "ada@example.gov.uk")) == CODE_PAGE
    frozen_clock.advance(seconds=30)
    assert location(enter_code(client, secret, frozen_clock.moment)) == "/caseworker/"


def test_a_wrong_code_while_setting_up_is_an_error_and_the_secret_stays(
    cw_app: Flask, frozen_clock: FrozenClock
) -> None:
    create_user(cw_app, email="ada@example.gov.uk", role="admin")
    client = BrowserClient(cw_app)
    sign_in(client, "ada@example.gov.uk")
    secret = client.get(SET_UP_PAGE).soup.select_one("#secret-key").get_text(strip=True).replace(" ", "")
    wrong = f"{(int(totp.code_at(secret, frozen_clock.moment)) + 1) % 1_000_000:06d}"
    page = client.post(SET_UP_PAGE, {"code": wrong})
    assert page.status == 200
    assert page.title == title("Error: Set up an authenticator app")
    assert page.error_summary() == [("#code", CODE_WRONG)]
    assert page.soup.select_one("#secret-key").get_text(strip=True).replace(" ", "") == secret
    assert audit_events(cw_app, "sign-in-failed")[-1]["detail"]["reason"] == "wrong-code"


def test_a_caseworker_with_an_app_enters_a_code_after_the_password(
    cw_app: Flask, frozen_clock: FrozenClock
) -> None:
    create_user(cw_app, totp_secret=SECRET)
    client = BrowserClient(cw_app)
    response = sign_in(client)
    assert location(response) == CODE_PAGE
    page = client.get(CODE_PAGE)
    assert page.title == title("Enter your security code")
    assert page.soup.select_one("h1 label[for=code]").get_text(strip=True) == "Enter your security code"
    assert page.soup.select_one("input#code")["autocomplete"] == "one-time-code"
    assert page.soup.select_one("input#code")["inputmode"] == "numeric"
    assert client.get("/caseworker/").status == 302
    code = totp.code_at(SECRET, frozen_clock.moment)
    assert location(client.post(CODE_PAGE, {"code": f"{code[:3]} {code[3:]}"})) == "/caseworker/"
    assert client.get("/caseworker/").status == 200


@pytest.mark.parametrize(
    ("code", "message"),
    [("", CODE_REQUIRED), ("12345", CODE_FORMAT), ("12345a", CODE_FORMAT), ("1234567", CODE_FORMAT)],
)
def test_a_missing_or_malformed_code_gets_an_error_message(
    cw_app: Flask, frozen_clock: FrozenClock, code: str, message: str
) -> None:
    user_id = create_user(cw_app, totp_secret=SECRET)
    client = BrowserClient(cw_app)
    sign_in(client)
    client.get(CODE_PAGE)
    page = client.post(CODE_PAGE, {"code": code})
    assert page.title == title("Error: Enter your security code")
    assert page.error_summary() == [("#code", message)]
    assert page.error_messages() == [message]
    assert load_user(cw_app, user_id).failed_sign_ins == 0


def test_a_code_is_accepted_once_only(cw_app: Flask, frozen_clock: FrozenClock) -> None:
    create_user(cw_app, totp_secret=SECRET)
    client = BrowserClient(cw_app)
    sign_in(client)
    assert location(enter_code(client, SECRET, frozen_clock.moment)) == "/caseworker/"
    sign_out(client)

    # The same code again, in its own 30 seconds: refused, and counted.
    other = BrowserClient(cw_app)
    sign_in(other)
    page = enter_code(other, SECRET, frozen_clock.moment)
    assert page.status == 200
    assert page.error_summary() == [("#code", CODE_WRONG)]
    # So is the code before it (still in the window, but older than the one used).
    page = other.post(CODE_PAGE, {"code": totp.code_at(SECRET, frozen_clock.moment.replace() - _seconds(30))})
    assert page.error_summary() == [("#code", CODE_WRONG)]
    # The next code works.
    frozen_clock.advance(seconds=30)
    assert location(enter_code(other, SECRET, frozen_clock.moment)) == "/caseworker/"


def _seconds(n: int) -> Any:
    from datetime import timedelta

    return timedelta(seconds=n)


def test_codes_from_the_steps_either_side_are_accepted_for_clock_drift(
    cw_app: Flask, frozen_clock: FrozenClock
) -> None:
    create_user(cw_app, totp_secret=SECRET)
    client = BrowserClient(cw_app)
    sign_in(client)
    assert location(enter_code(client, SECRET, frozen_clock.moment - _seconds(30))) == "/caseworker/"
    sign_out(client)
    sign_in(client)
    assert enter_code(client, SECRET, frozen_clock.moment - _seconds(60)).status == 200  # too old
    assert location(enter_code(client, SECRET, frozen_clock.moment + _seconds(30))) == "/caseworker/"


def test_wrong_codes_count_as_failed_sign_ins_and_lock_the_account(
    cw_app: Flask, frozen_clock: FrozenClock
) -> None:
    user_id = create_user(cw_app, totp_secret=SECRET)
    client = BrowserClient(cw_app)
    right = totp.code_at(SECRET, frozen_clock.moment)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    sign_in(client)
    client.get(CODE_PAGE)
    for _ in range(4):
        assert client.post(CODE_PAGE, {"code": wrong}).error_summary() == [("#code", CODE_WRONG)]
    # The right password again does not clear the count: only a whole sign-in does.
    assert location(sign_in(client)) == CODE_PAGE
    assert load_user(cw_app, user_id).failed_sign_ins == 4
    client.get(CODE_PAGE)
    response = client.post(CODE_PAGE, {"code": wrong})
    assert location(response) == "/caseworker/sign-in?reason=locked"
    banner = client.follow(response).soup.select_one(".govuk-notification-banner")
    assert "too many wrong security codes" in banner.get_text()
    assert load_user(cw_app, user_id).locked_until is not None
    # Locked: the password step fails with the usual message, even with the right password.
    assert sign_in(client).error_messages() == [SIGN_IN_FAILED]
    assert [e["detail"]["reason"] for e in audit_events(cw_app, "sign-in-failed")] == [
        *["wrong-code"] * 5,
        "locked",
    ]


def test_the_code_page_needs_the_password_first(cw_app: Flask) -> None:
    client = BrowserClient(cw_app)
    assert location(client.get(CODE_PAGE)) == "/caseworker/sign-in?reason=expired"
    assert location(client.get(SET_UP_PAGE)) == "/caseworker/sign-in?reason=expired"


def test_the_code_step_expires_after_ten_minutes(cw_app: Flask, frozen_clock: FrozenClock) -> None:
    create_user(cw_app, totp_secret=SECRET)
    client = BrowserClient(cw_app)
    sign_in(client)
    client.get(CODE_PAGE)
    frozen_clock.advance(minutes=10, seconds=1)
    response = client.post(CODE_PAGE, {"code": totp.code_at(SECRET, frozen_clock.moment)})
    assert location(response) == "/caseworker/sign-in?reason=expired"
    assert client.get("/caseworker/").status == 302


def test_a_caseworker_may_choose_to_use_an_authenticator_app(
    cw_app: Flask, frozen_clock: FrozenClock
) -> None:
    user_id = create_user(cw_app)
    client = BrowserClient(cw_app)
    assert location(sign_in(client)) == "/caseworker/"  # no code needed without an app
    page = client.get("/caseworker/authenticator")
    assert page.status == 200
    assert page.title == title("Set up an authenticator app")
    secret = page.soup.select_one("#secret-key").get_text(strip=True).replace(" ", "")
    wrong = f"{(int(totp.code_at(secret, frozen_clock.moment)) + 1) % 1_000_000:06d}"
    assert client.post("/caseworker/authenticator", {"code": wrong}).error_summary() == [
        ("#code", CODE_WRONG)
    ]
    assert load_user(cw_app, user_id).failed_sign_ins == 0  # not a sign-in: not counted
    response = client.post("/caseworker/authenticator", {"code": totp.code_at(secret, frozen_clock.moment)})
    assert location(response) == "/caseworker/"
    with client.client.session_transaction() as session:
        [(_category, message)] = session["_flashes"]
    assert message.startswith("Your authenticator app is set up")
    assert location(client.get("/caseworker/authenticator")) == "/caseworker/"  # once only
    assert load_user(cw_app, user_id).totp_secret == secret
    assert len(audit_events(cw_app, "totp-enabled")) == 1
    sign_out(client)
    assert location(sign_in(client)) == CODE_PAGE


def test_an_admin_whose_app_was_reset_sets_one_up_again(cw_app: Flask, frozen_clock: FrozenClock) -> None:
    create_user(cw_app, email="ada@example.gov.uk", role="admin", totp_secret=SECRET)
    client = BrowserClient(cw_app)
    sign_in(client, "ada@example.gov.uk")
    assert location(enter_code(client, SECRET, frozen_clock.moment)) == "/caseworker/"
    result = cw_app.test_cli_runner().invoke(args=["users", "reset-totp", "ada@example.gov.uk"])
    assert result.exit_code == 0, result.output
    assert location(client.get("/caseworker/")).startswith("/caseworker/sign-in?reason=ended")
    assert location(sign_in(client, "ada@example.gov.uk")) == SET_UP_PAGE


def test_the_totp_required_roles_follow_the_setting(make_cw_app: Any) -> None:
    app = make_cw_app(CASEWORKER_TOTP_REQUIRED_ROLES="admin,caseworker")
    create_user(app)
    assert location(sign_in(BrowserClient(app))) == SET_UP_PAGE
