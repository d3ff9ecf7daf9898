"""The /reports/ dashboard in Chromium: axe-core (WCAG 2.2 AA and best-practice tags, no rule
disabled) for an admin (the whole group and one organisation, and an error) and for a lead, with a
register full of data and with an empty one; and the dashboard used with JavaScript off."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from forms_engine.caseworker import totp
from forms_engine.extensions import limiter
from tests.caseworker.conftest import PASSWORD, create_user
from tests.conftest import make_app
from tests.reporting.test_dashboard import SECRET, seed_register

from .conftest import path_of, serving
from .test_accessibility import AxeChecker

pytestmark = pytest.mark.browser


@pytest.fixture
def axe(axe_source: str) -> AxeChecker:
    return AxeChecker(axe_source)


def _serve(folder: Path, seeded: bool) -> Iterator[tuple[Flask, str]]:
    app = make_app(f"sqlite:///{folder / 'reports.sqlite'}")
    if seeded:
        seed_register(app)
    create_user(app, email="admin@example.gov.uk", role="admin", organisation=None, totp_secret=SECRET)
    create_user(app, email="lead@example.gov.uk", role="lead", organisation="APHA")
    with serving(app, "reports-server") as url:
        yield app, url


@pytest.fixture(scope="module")
def with_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    yield from _serve(tmp_path_factory.mktemp("reports-data"), seeded=True)


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    yield from _serve(tmp_path_factory.mktemp("reports-empty"), seeded=False)


#: The last security-code step used per server and account: a code is accepted once, so a second
#: sign-in within the same 30 seconds must use the next step's code (accepted: clocks drift).
_last_steps: dict[tuple[str, str], int] = {}


def fresh_code(url: str, email: str) -> str:
    step = max(int(time.time() // 30), _last_steps.get((url, email), -1) + 1)
    while step > int(time.time() // 30) + 1:
        time.sleep(1)
    _last_steps[(url, email)] = step
    return totp.code_at(SECRET, datetime.fromtimestamp(step * 30, UTC))


def sign_in(page: Any, url: str, email: str) -> None:
    limiter.reset()
    page.goto(f"{url}/caseworker/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    if path_of(page) == "/caseworker/sign-in/security-code":
        page.fill("#code", fresh_code(url, email))
        with page.expect_navigation():
            page.click("main form button[type=submit]")
    assert path_of(page) == "/caseworker/", path_of(page)


def check_dashboards(page: Any, url: str, axe: AxeChecker, label: str, charts: int) -> None:
    sign_in(page, url, "admin@example.gov.uk")
    for path in ("/reports/", "/reports/?organisation=APHA", "/reports/?organisation=Defra"):
        assert page.goto(f"{url}{path}").status == 200
        axe.check(page, f"{label}: admin {path}")
    assert page.locator("main svg[role=img]").count() == 0  # Defra has no forms
    assert page.goto(f"{url}/reports/?organisation=nowhere").status == 200
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, f"{label}: admin, unknown organisation")
    assert page.goto(f"{url}/reports/").status == 200
    assert page.locator("main svg[role=img]").count() == charts
    page.context.clear_cookies()
    sign_in(page, url, "lead@example.gov.uk")
    assert page.goto(f"{url}/reports/").status == 200
    assert page.locator("main svg[role=img]").count() == charts
    axe.check(page, f"{label}: lead")


def test_the_dashboard_with_data_has_no_accessibility_violations(
    with_data: tuple[Flask, str], new_context: Callable[..., Any], axe: AxeChecker
) -> None:
    page = new_context(bypass_csp=True).new_page()
    check_dashboards(page, with_data[1], axe, "with data", charts=3)
    axe.assert_clean()


def test_the_dashboard_of_an_empty_register_has_no_accessibility_violations(
    empty: tuple[Flask, str], new_context: Callable[..., Any], axe: AxeChecker
) -> None:
    page = new_context(bypass_csp=True).new_page()
    check_dashboards(page, empty[1], axe, "empty register", charts=0)
    axe.assert_clean()


def test_the_dashboard_works_without_javascript(
    with_data: tuple[Flask, str], new_context: Callable[..., Any]
) -> None:
    _, url = with_data
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, url, "admin@example.gov.uk")
    with page.expect_navigation():
        page.click(".govuk-service-navigation__list a:text('Reports')")
    assert path_of(page) == "/reports/"
    box = page.locator("#chart-trajectory svg").bounding_box()
    assert box is not None and box["height"] > 250  # drawn by the server, at a readable size
    page.set_viewport_size({"width": 375, "height": 800})
    box = page.locator("#chart-trajectory svg").bounding_box()
    assert box is not None and box["width"] >= 759  # on a phone it scrolls rather than shrinks
    page.set_viewport_size({"width": 1280, "height": 800})
    page.select_option("#organisation", "NE")
    with page.expect_navigation():
        page.click("form#filter button")
    assert path_of(page) == "/reports/?organisation=NE"
    assert page.locator("#scope").inner_text() == "NE"
    with page.expect_download() as download:
        page.click("#downloads-per-form a:text('CSV')")
    assert download.value.suggested_filename.startswith("report-per-form-ne-")
