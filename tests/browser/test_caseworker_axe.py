"""The caseworker sign-in pages in Chromium: axe-core (WCAG 2.2 AA and best-practice tags, no rule
disabled) on every page and state (sign-in, its errors and notices, security code, authenticator
set-up, too many attempts, the landing page with and without a success banner), the whole sign-in
with JavaScript off, and GOV.UK Frontend's JavaScript under the CSP. The same for the admins'
account screens (list, account, create and change with their errors, confirmations, temporary
password), and managing an account with JavaScript off.

Accounts are made straight in the live server's database, one per test (failed sign-ins count).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from forms_engine.caseworker import clock, totp
from forms_engine.caseworker.models import User
from forms_engine.extensions import db, limiter
from tests.caseworker.conftest import PASSWORD, create_user

from .conftest import LiveServer, path_of
from .test_accessibility import AxeChecker

pytestmark = pytest.mark.browser

SUBMIT = "main form button[type=submit]"
SIGN_OUT = ".govuk-service-navigation form button[type=submit]"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def axe(axe_source: str) -> AxeChecker:
    return AxeChecker(axe_source)


@pytest.fixture
def fresh_rate_limits(live_server: LiveServer) -> Iterator[None]:
    """Rate-limit counters and settings as new, before and after the test."""
    kept = live_server.app.config["SIGN_IN_RATE_LIMIT_PER_IP"]
    limiter.reset()
    yield
    live_server.app.config["SIGN_IN_RATE_LIMIT_PER_IP"] = kept
    limiter.reset()


def press(page: Any, selector: str = SUBMIT) -> Any:
    with page.expect_navigation() as navigation:
        page.click(selector)
    return navigation.value


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    page.goto("/caseworker/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    press(page)


def secret_on(page: Any) -> str:
    return str(page.locator("#secret-key").text_content()).strip().replace(" ", "")


def test_every_sign_in_page_has_no_accessibility_violations(
    live_server: LiveServer, new_context: Callable[..., Any], axe: AxeChecker, fresh_rate_limits: None
) -> None:
    create_user(live_server.app, email="axe-admin@example.gov.uk", role="admin", organisation=None)
    create_user(live_server.app, email="axe-coded@example.gov.uk", totp_secret=SECRET)
    create_user(live_server.app, email="axe-caseworker@example.gov.uk")
    page = new_context(bypass_csp=True).new_page()

    page.goto("/caseworker/sign-in")
    axe.check(page, "sign in")
    press(page)
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, "sign in (nothing entered)")
    sign_in(page, "axe-admin@example.gov.uk", "not the password at all")
    assert page.title().startswith("Error: ")
    axe.check(page, "sign in (failed)")

    # An admin without an app sets one up.
    sign_in(page, "axe-admin@example.gov.uk")
    assert path_of(page) == "/caseworker/sign-in/set-up-authenticator"
    axe.check(page, "set up an authenticator app")
    page.click("main details summary")
    axe.check(page, "set up an authenticator app (key shown)")
    press(page)
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, "set up an authenticator app (no code)")
    page.fill("#code", totp.code_at(secret_on(page), clock.now()))
    press(page)
    assert path_of(page) == "/caseworker/"
    axe.check(page, "landing page")
    press(page, SIGN_OUT)
    assert path_of(page) == "/caseworker/sign-in?reason=signed-out"
    assert page.locator(".govuk-notification-banner").count() == 1
    axe.check(page, "signed out notice")
    page.goto("/caseworker/sign-in?reason=idle&next=/caseworker/")
    axe.check(page, "timed out notice")

    # A caseworker with an app enters a code.
    sign_in(page, "axe-coded@example.gov.uk")
    assert path_of(page) == "/caseworker/sign-in/security-code"
    axe.check(page, "security code")
    page.fill("#code", "12")
    press(page)
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, "security code (wrong format)")
    page.fill("#code", totp.code_at(SECRET, clock.now()))
    press(page)
    assert path_of(page) == "/caseworker/"
    press(page, SIGN_OUT)

    # A caseworker chooses to use an app: the landing page then has a success banner.
    sign_in(page, "axe-caseworker@example.gov.uk")
    page.goto("/caseworker/authenticator")
    axe.check(page, "set up an authenticator app (chosen)")
    page.fill("#code", totp.code_at(secret_on(page), clock.now()))
    press(page)
    assert path_of(page) == "/caseworker/"
    assert page.locator(".govuk-notification-banner--success").count() >= 1
    axe.check(page, "landing page (app set up)")
    press(page, SIGN_OUT)

    # Too many attempts.
    live_server.app.config["SIGN_IN_RATE_LIMIT_PER_IP"] = "1 per minute"
    sign_in(page, "axe-nobody@example.gov.uk", "whatever it is")
    page.goto("/caseworker/sign-in")
    page.fill("#email", "axe-nobody@example.gov.uk")
    page.fill("#password", "whatever it is")
    assert press(page).status == 429
    assert page.locator("h1").inner_text() == "Sorry, you have tried too many times"
    axe.check(page, "too many attempts")
    axe.assert_clean()


def test_signing_in_with_a_security_code_works_without_javascript(
    live_server: LiveServer, new_context: Callable[..., Any], fresh_rate_limits: None
) -> None:
    create_user(live_server.app, email="nojs-admin@example.gov.uk", role="admin", organisation=None)
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, "nojs-admin@example.gov.uk")
    assert "js-enabled" not in (page.locator("body").get_attribute("class") or "")
    assert path_of(page) == "/caseworker/sign-in/set-up-authenticator"
    page.click("main details summary")  # <details> opens without JavaScript
    secret = secret_on(page)
    page.fill("#code", totp.code_at(secret, clock.now()))
    press(page)
    assert path_of(page) == "/caseworker/"
    press(page, SIGN_OUT)
    assert path_of(page) == "/caseworker/sign-in?reason=signed-out"
    page.goto("/caseworker/")
    assert path_of(page) == "/caseworker/sign-in?next=/caseworker/"


def test_gov_uk_frontend_javascript_runs_on_the_sign_in_page_under_the_csp(
    new_context: Callable[..., Any],
) -> None:
    page = new_context().new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto("/caseworker/sign-in")
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    # The password input's Show button appears only once GOV.UK Frontend's JavaScript has run.
    page.wait_for_selector(".govuk-password-input__toggle:not([hidden])")
    press(page)
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.matches('.govuk-error-summary')"
    )
    assert problems == []


# -- the admins' account screens -----------------------------------------------------------------


def lock_account(live_server: LiveServer, user_id: int) -> None:
    with live_server.app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        user.locked_until = clock.now() + timedelta(minutes=10)
        db.session.commit()
        db.session.remove()


def sign_in_admin(page: Any, email: str) -> None:
    sign_in(page, email)
    assert path_of(page) == "/caseworker/sign-in/security-code"
    page.fill("#code", totp.code_at(SECRET, clock.now()))
    press(page)
    assert path_of(page) == "/caseworker/"


def test_every_account_page_has_no_accessibility_violations(
    live_server: LiveServer, new_context: Callable[..., Any], axe: AxeChecker, fresh_rate_limits: None
) -> None:
    app = live_server.app
    admin = create_user(
        app, email="axe-accounts-admin@example.gov.uk", role="admin", organisation=None, totp_secret=SECRET
    )
    casey = create_user(
        app, email="axe-accounts-casey@example.gov.uk", forms=["badger-sett-development-licence"]
    )
    coded = create_user(app, email="axe-accounts-coded@example.gov.uk", totp_secret=SECRET)
    locked = create_user(app, email="axe-accounts-locked@example.gov.uk", organisation="NE")
    lock_account(live_server, locked)
    page = new_context(bypass_csp=True).new_page()
    sign_in_admin(page, "axe-accounts-admin@example.gov.uk")
    press(page, "#manage-accounts a")
    assert path_of(page) == "/caseworker/accounts"
    axe.check(page, "accounts")
    page.goto(f"/caseworker/accounts/{casey}")
    axe.check(page, "an account")
    page.goto(f"/caseworker/accounts/{locked}")
    axe.check(page, "a locked account")

    page.goto("/caseworker/accounts/new")
    axe.check(page, "create an account")
    press(page)
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, "create an account (nothing entered)")
    page.fill("#email", "AXE-accounts-casey@example.gov.uk")
    page.check('main form [name="role"][value="caseworker"]')
    page.check('main form [name="organisation"][value="NE"]')
    page.check('main form [name="forms"][value="register-land-rural-payments"]')
    press(page)
    assert page.title().startswith("Error: ")
    axe.check(page, "create an account (address in use)")
    page.fill("#email", "axe-accounts-new@example.gov.uk")
    press(page)
    assert page.locator("#temporary-password").count() == 1
    axe.check(page, "account created (temporary password)")

    page.goto(f"/caseworker/accounts/{casey}/edit")
    axe.check(page, "change an account")
    # A browser cannot untick a radio: as if the page had been sent without a role.
    page.evaluate("document.querySelectorAll('input[name=role]').forEach(i => { i.checked = false; })")
    press(page)
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, "change an account (no role)")

    page.goto(f"/caseworker/accounts/{casey}/disable")
    axe.check(page, "disable an account")
    press(page)
    assert path_of(page) == f"/caseworker/accounts/{casey}"
    assert page.locator(".govuk-notification-banner--success").count() == 1
    axe.check(page, "an account (disabled, with a success banner)")
    page.goto(f"/caseworker/accounts/{casey}/enable")
    axe.check(page, "enable an account")
    page.goto(f"/caseworker/accounts/{locked}/enable")
    axe.check(page, "unlock an account")
    page.goto(f"/caseworker/accounts/{casey}/reset-password")
    axe.check(page, "reset a password")
    press(page)
    assert page.locator("#temporary-password").count() == 1
    axe.check(page, "password reset (temporary password)")
    page.goto(f"/caseworker/accounts/{coded}/reset-authenticator")
    axe.check(page, "reset an authenticator app")
    page.goto(f"/caseworker/accounts/{admin}/disable")
    assert page.locator("h1").inner_text() == "You cannot disable this account"
    axe.check(page, "disable your own account (refused)")
    axe.assert_clean()


def test_managing_accounts_works_without_javascript(
    live_server: LiveServer, new_context: Callable[..., Any], fresh_rate_limits: None
) -> None:
    create_user(
        live_server.app,
        email="nojs-accounts-admin@example.gov.uk",
        role="admin",
        organisation=None,
        totp_secret=SECRET,
    )
    page = new_context(java_script_enabled=False).new_page()
    sign_in_admin(page, "nojs-accounts-admin@example.gov.uk")
    assert "js-enabled" not in (page.locator("body").get_attribute("class") or "")
    press(page, "#manage-accounts a")
    press(page, "#create-account")
    page.fill("#email", "nojs-accounts-new@example.gov.uk")
    page.check('main form [name="role"][value="caseworker"]')
    page.check('main form [name="organisation"][value="none"]')
    page.check('main form [name="forms"][value="badger-sett-development-licence"]')
    press(page)
    password = str(page.locator("#temporary-password").text_content()).strip()

    other = new_context(java_script_enabled=False).new_page()
    sign_in(other, "nojs-accounts-new@example.gov.uk", password)
    assert path_of(other) == "/caseworker/"

    press(page, "main a.govuk-button")  # Continue, to the account
    press(page, 'main a[href$="/edit#organisation"]')
    page.check('main form [name="organisation"][value="APHA"]')
    press(page)
    assert "changed" in page.locator(".govuk-notification-banner").inner_text()
    press(page, 'main a[href$="/disable"]')
    press(page)
    assert "disabled" in page.locator(".govuk-notification-banner").inner_text()
    other.goto("/caseworker/")
    assert path_of(other).startswith("/caseworker/sign-in?reason=ended")


# -- the audit log -------------------------------------------------------------------------------


def _sign_in_audit_admin(live_server: LiveServer, page: Any, email: str) -> None:
    """An admin with an authenticator app, signed in, and enough log entries for several pages."""
    from datetime import timedelta

    from forms_engine.caseworker.models import AuditEvent
    from forms_engine.extensions import db

    create_user(live_server.app, email=email, role="admin", organisation=None, totp_secret=SECRET)
    with live_server.app.app_context():
        now = clock.now()
        db.session.add_all(
            AuditEvent(
                at=now - timedelta(minutes=n + 1),
                action="view",
                actor_email="axe-audit-casey@example.gov.uk",
                object_type="submission",
                object_id=f"AXE{n:03d}-0000-0000",
                form_slug="register-poultry-fewer-than-50-birds",
                ip="192.0.2.1",
                detail={"n": n},
            )
            for n in range(60)
        )
        db.session.commit()
        db.session.remove()
    sign_in(page, email)
    assert path_of(page) == "/caseworker/sign-in/security-code"
    page.fill("#code", totp.code_at(SECRET, clock.now()))
    press(page)
    assert path_of(page) == "/caseworker/"


def test_the_audit_log_has_no_accessibility_violations(
    live_server: LiveServer, new_context: Callable[..., Any], axe: AxeChecker, fresh_rate_limits: None
) -> None:
    page = new_context(bypass_csp=True).new_page()
    _sign_in_audit_admin(live_server, page, "axe-audit-admin@example.gov.uk")
    press(page, "#audit-log-link a")
    assert path_of(page) == "/caseworker/audit"
    assert page.locator("#entries tbody tr").count() == 50
    axe.check(page, "audit log")
    page.select_option("#action", "view")
    page.fill("#email", "axe-audit-casey")
    press(page, "#apply-filters")
    press(page, ".govuk-pagination__next a")
    assert page.locator("#entries caption").inner_text().startswith("Page 2 of")
    axe.check(page, "audit log (filtered, page 2)")
    page.fill("#from-day", "31")
    page.fill("#from-month", "2")
    page.fill("#from-year", "2026")
    page.fill("#to-month", "4")
    press(page, "#apply-filters")
    assert page.title().startswith("Error: ")
    assert page.locator(".govuk-error-summary__list li").count() == 2
    axe.check(page, "audit log (wrong dates)")
    page.goto("/caseworker/audit?email=no-one-has-this-address")
    assert page.locator("#no-entries").count() == 1
    axe.check(page, "audit log (nothing matches)")
    axe.assert_clean()


def test_the_audit_log_works_without_javascript(
    live_server: LiveServer, new_context: Callable[..., Any], fresh_rate_limits: None
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    _sign_in_audit_admin(live_server, page, "nojs-audit-admin@example.gov.uk")
    press(page, "#audit-log-link a")
    page.select_option("#form", "register-poultry-fewer-than-50-birds")
    page.fill("#email", "axe-audit-casey")
    press(page, "#apply-filters")
    assert "email=axe-audit-casey" in path_of(page)
    assert page.locator("#entries [data-column=who]").first.inner_text() == "axe-audit-casey@example.gov.uk"
    with page.expect_download() as download:
        page.click("#download-csv")
    with open(download.value.path(), encoding="utf-8-sig") as file:
        text = file.read()
    assert text.startswith("When (UTC),Account,")
    assert text.count("axe-audit-casey@example.gov.uk") >= 60
