"""The designer pages and the preview server in Chromium: axe-core (WCAG 2.2 AA and best-practice
tags, no rule disabled) on the designer index, a form's page, the journey map of every example form,
the read-only preview of every example form, and the preview server's list of forms, a page with its
banner of problems, a broken form's problems and its journey map; the designer pages with
JavaScript off.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from forms_engine.config import ROOT
from forms_engine.designer.preview import create_preview_app
from forms_engine.extensions import limiter
from tests.caseworker.conftest import PASSWORD, create_user

from .conftest import LiveServer, example_definition, path_of, serving, submit_form
from .test_accessibility import AxeChecker

pytestmark = pytest.mark.browser

EXAMPLES = ROOT / "form_definitions"
EXAMPLE_FORMS = sorted(path.stem for path in EXAMPLES.glob("*.json"))
LAND = "register-land-rural-payments"
POULTRY = "register-poultry-fewer-than-50-birds"


@pytest.fixture
def axe(axe_source: str) -> AxeChecker:
    return AxeChecker(axe_source)


def sign_in_as_designer(live_server: LiveServer, page: Any, email: str) -> None:
    limiter.reset()
    create_user(live_server.app, email=email, role="designer", organisation=None)
    page.goto("/caseworker/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert path_of(page) == "/caseworker/"


def test_the_designer_pages_have_no_accessibility_violations(
    live_server: LiveServer, new_context: Callable[..., Any], axe: AxeChecker
) -> None:
    page = new_context(bypass_csp=True).new_page()
    sign_in_as_designer(live_server, page, "axe-designer@example.gov.uk")

    assert page.goto("/designer/").status == 200
    axe.check(page, "designer index")
    assert page.goto(f"/designer/{LAND}/").status == 200
    assert page.locator("#findings, #status").count() >= 1
    axe.check(page, "a form's page")
    for slug in EXAMPLE_FORMS:
        assert page.goto(f"/designer/{slug}/map").status == 200
        assert page.locator("#map svg[role=img]").count() == 1
        axe.check(page, f"journey map of {slug}")
        version = example_definition(live_server, slug).version
        assert page.goto(f"/designer/{slug}/versions/{version}/preview").status == 200
        axe.check(page, f"preview of {slug}")
    axe.assert_clean()


def test_the_designer_pages_work_without_javascript(
    live_server: LiveServer, new_context: Callable[..., Any]
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    sign_in_as_designer(live_server, page, "nojs-designer@example.gov.uk")
    page.goto("/designer/")
    assert "js-enabled" not in (page.locator("body").get_attribute("class") or "")
    with page.expect_navigation():
        page.click(f'#forms tr[data-slug="{LAND}"] th a')
    with page.expect_navigation():
        page.click("#map-link")
    assert path_of(page) == f"/designer/{LAND}/map"
    box = page.locator("#map svg").bounding_box()
    assert box is not None and box["height"] > 500
    assert page.locator("#routes tbody tr").count() > 20
    page.goto(f"/designer/{LAND}/")
    with page.expect_navigation():
        page.click("#preview-link")
    assert page.locator(".app-preview-page").count() > 20


@pytest.fixture
def preview_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str, Path]]:
    """A preview server on 127.0.0.1 over a folder of its own: an example form with findings and a
    broken file."""
    base = tmp_path_factory.mktemp("preview")
    folder = base / "definitions"
    folder.mkdir()
    shutil.copy(EXAMPLES / f"{LAND}.json", folder / f"{LAND}.json")
    data = json.loads((EXAMPLES / f"{POULTRY}.json").read_text(encoding="utf-8"))
    data["pages"][0]["title"] = "What is your full name?"  # English only in a form declaring Welsh
    (folder / f"{POULTRY}.json").write_text(json.dumps(data), encoding="utf-8")
    broken = dict(data, slug="broken-form")
    del broken["pages"]
    (folder / "broken-form.json").write_text(json.dumps(broken), encoding="utf-8")
    app = create_preview_app(folder, base / "instance")
    with serving(app, "preview-server") as url:
        yield app, url, folder


def test_the_preview_server_pages_have_no_accessibility_violations(
    preview_server: tuple[Flask, str, Path], new_context: Callable[..., Any], axe: AxeChecker
) -> None:
    _, url, _ = preview_server
    page = new_context(bypass_csp=True).new_page()
    assert page.goto(f"{url}/").status == 200
    assert page.locator("#unavailable").count() == 1
    axe.check(page, "preview: list of forms")
    assert page.goto(f"{url}/{POULTRY}/").status == 200
    assert page.locator("#design-problems").count() == 1
    axe.check(page, "preview: start page with its problems")
    page.click("#design-problems summary")
    axe.check(page, "preview: start page with its problems shown")
    submit_form(page)
    assert page.locator("#design-problems").count() == 1
    axe.check(page, "preview: question page with its problems")
    submit_form(page)  # nothing entered: the error summary and the banner together
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, "preview: question page in error with its problems")
    assert page.goto(f"{url}/broken-form/").status == 200
    assert page.locator("#problems").count() == 1
    axe.check(page, "preview: a broken form's problems")
    assert page.goto(f"{url}/_preview/{LAND}/map").status == 200
    axe.check(page, "preview: journey map")
    axe.assert_clean()
