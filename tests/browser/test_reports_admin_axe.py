"""The register and paper-count screens in Chromium: axe-core (WCAG 2.2 AA and best-practice tags,
no rule disabled) on every screen and its error states, and the work done with JavaScript off."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from forms_engine.extensions import db, limiter
from forms_engine.reporting import register
from tests.caseworker.conftest import PASSWORD, create_user
from tests.conftest import make_app
from tests.reporting.staff import entry_id

from .conftest import ContextFactory, path_of, serving
from .test_accessibility import AxeChecker

pytestmark = pytest.mark.browser

ADMIN = "register-admin@example.gov.uk"
CASEWORKER = "counts-caseworker@example.gov.uk"


@pytest.fixture
def axe(axe_source: str) -> AxeChecker:
    return AxeChecker(axe_source)


@pytest.fixture(scope="module")
def staff_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    folder = tmp_path_factory.mktemp("reports-admin")
    app = make_app(f"sqlite:///{folder / 'staff.sqlite'}", CASEWORKER_TOTP_REQUIRED_ROLES="")
    with app.app_context():
        register.import_register(register.load_register(register.DEFAULT_REGISTER), actor="test")
        db.session.remove()
    create_user(app, email=ADMIN, role="admin", organisation=None)
    create_user(app, email=CASEWORKER, role="caseworker", organisation="RPA")
    with serving(app, "reports-admin-server") as url:
        yield app, url


@pytest.fixture
def contexts(browser: Any, staff_server: tuple[Flask, str]) -> Iterator[Callable[..., Any]]:
    factory = ContextFactory(browser, staff_server[1])
    yield factory
    factory.close()
    assert not factory.blocked, f"pages requested other hosts: {factory.blocked}"


def sign_in(page: Any, email: str) -> None:
    limiter.reset()
    page.goto("/caseworker/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    press(page, "main form button[type=submit]")
    assert path_of(page) == "/caseworker/", path_of(page)


def press(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


SAVE = "main form[method=post] button.govuk-button"


def test_the_register_screens_have_no_accessibility_violations(
    staff_server: tuple[Flask, str], contexts: Callable[..., Any], axe: AxeChecker
) -> None:
    app, _url = staff_server
    page = contexts(bypass_csp=True).new_page()
    sign_in(page, ADMIN)
    page.goto("/reports/register")
    axe.check(page, "register")
    page.goto("/reports/register?organisation=NE&status=live-digital")
    axe.check(page, "register, filtered")
    page.goto("/reports/register?organisation=nowhere")
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, "register, filter error")
    page.goto("/reports/register/new")
    axe.check(page, "add")
    page.fill("#live-date-month", "13")
    press(page, SAVE)
    assert page.title().startswith("Error: ")
    axe.check(page, "add, errors")
    page.goto(f"/reports/register/{entry_id(app, 'IRA82')}")
    axe.check(page, "change")
    axe.assert_clean()


def test_the_paper_count_screens_have_no_accessibility_violations(
    staff_server: tuple[Flask, str], contexts: Callable[..., Any], axe: AxeChecker, tmp_path: Any
) -> None:
    app, _url = staff_server
    page = contexts(bypass_csp=True).new_page()
    sign_in(page, CASEWORKER)
    page.goto("/reports/paper-counts")
    axe.check(page, "paper counts")
    page.goto(f"/reports/paper-counts/{entry_id(app, 'RLE1')}")
    axe.check(page, "record a count")
    page.fill("#month-month", "14")
    press(page, SAVE)
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, "record a count, errors")
    page.fill("#month-month", "4")
    page.fill("#month-year", "2025")
    page.fill("#count", "12")
    press(page, SAVE)
    assert page.locator(".govuk-notification-banner").count() == 1
    assert page.locator("tbody tr").count() >= 1
    axe.check(page, "record a count, recorded")
    page.goto("/reports/paper-counts/upload")
    axe.check(page, "upload")
    bad = tmp_path / "bad.csv"
    bad.write_text("reference,month,count\nRLE1,2025-13,1\nNOPE,2025-01,1\n", encoding="utf-8")
    page.set_input_files("#file", str(bad))
    press(page, SAVE)
    assert page.locator(".govuk-error-summary__list li").count() == 2
    axe.check(page, "upload, problems")
    axe.assert_clean()


def test_registering_and_counting_work_with_javascript_off(
    staff_server: tuple[Flask, str], contexts: Callable[..., Any], tmp_path: Any
) -> None:
    page = contexts(java_script_enabled=False).new_page()
    sign_in(page, ADMIN)
    page.goto("/reports/register/new")
    page.fill("#reference", "NOJS1")
    page.fill("#title", "A form added without JavaScript")
    page.select_option("#organisation", "MMO")
    page.fill("#annual-volume", "10")
    page.check("#status")  # the first status: paper only
    press(page, SAVE)
    assert path_of(page) == "/reports/register"
    assert "NOJS1 added to the register" in page.locator(".govuk-notification-banner").inner_text()
    good = tmp_path / "counts.csv"
    good.write_text("reference,month,count\nNOJS1,2025-02,3\n", encoding="utf-8")
    page.goto("/reports/paper-counts/upload")
    page.set_input_files("#file", str(good))
    press(page, SAVE)
    assert path_of(page) == "/reports/paper-counts"
    assert "1 recorded" in page.locator(".govuk-notification-banner").inner_text()
