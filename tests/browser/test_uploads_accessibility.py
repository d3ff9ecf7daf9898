"""The file upload page in a real browser: axe finds no violations with nothing uploaded, in its error
states and with files uploaded; and files can be uploaded and removed with JavaScript switched off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from forms_engine.extensions import db
from forms_engine.journey import journey_for
from forms_engine.submissions.models import UploadedFile

from ..helpers import EXAMPLE_PDF
from .conftest import LiveServer, example_definition, fill_page, path_of, submit_form
from .test_accessibility import AxeChecker

SLUG = "badger-sett-development-licence"
UPLOAD_PAGE = f"/{SLUG}/survey-report"
FIELD = "surveyDocuments"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)

pytestmark = pytest.mark.browser


def pdf(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": EXAMPLE_PDF}


def go_to_upload_page(page: Any, live_server: LiveServer) -> None:
    """Start the form and answer every page before the upload page with its example."""
    journey = journey_for(example_definition(live_server, SLUG))
    page.goto(f"/{SLUG}/")
    submit_form(page)
    for _ in journey.pages:
        if path_of(page) == UPLOAD_PAGE:
            return
        compiled = journey.page(path_of(page).rsplit("/", 1)[1])
        assert compiled is not None, path_of(page)
        fill_page(page, compiled.example())
        submit_form(page)
    raise AssertionError(f"never reached {UPLOAD_PAGE}")


def uploaded_names(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("main .govuk-summary-list__key").all_inner_texts()]


def test_the_upload_page_has_no_accessibility_violations_in_any_state(
    live_server: LiveServer, new_context: Callable[..., Any], axe_source: str
) -> None:
    axe = AxeChecker(axe_source)
    page = new_context(bypass_csp=True).new_page()
    go_to_upload_page(page, live_server)
    axe.check(page, "upload page, empty")

    submit_form(page)
    assert path_of(page) == UPLOAD_PAGE
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, "upload page, nothing chosen")

    page.set_input_files(
        f'[name="{FIELD}"]', {"name": "map.pdf", "mimeType": "application/pdf", "buffer": PNG}
    )
    submit_form(page)
    assert (
        page.locator(".govuk-error-message")
        .inner_text()
        .endswith("The selected file must be a PDF, JPG or PNG")
    )
    axe.check(page, "upload page, wrong type")

    page.set_input_files(f'[name="{FIELD}"]', [pdf("survey report.pdf"), pdf("site map.pdf")])
    submit_form(page)
    assert path_of(page) != UPLOAD_PAGE
    page.goto(UPLOAD_PAGE)
    assert uploaded_names(page) == ["survey report.pdf", "site map.pdf"]
    axe.check(page, "upload page, with files")

    page.set_input_files(f'[name="{FIELD}"]', [pdf(f"extra {i}.pdf") for i in range(4)])
    submit_form(page)
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, "upload page, with files and too many chosen")
    axe.assert_clean()


def test_files_can_be_uploaded_and_removed_without_javascript(
    live_server: LiveServer, new_context: Callable[..., Any]
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    go_to_upload_page(page, live_server)
    page.set_input_files(f'[name="{FIELD}"]', [pdf("no-js report.pdf"), pdf("no-js map.pdf")])
    submit_form(page)
    assert path_of(page) != UPLOAD_PAGE

    page.goto(UPLOAD_PAGE)
    assert uploaded_names(page) == ["no-js report.pdf", "no-js map.pdf"]
    with page.expect_navigation():
        page.get_by_role("button", name="Remove no-js report.pdf").click()
    assert path_of(page) == UPLOAD_PAGE
    assert uploaded_names(page) == ["no-js map.pdf"]

    submit_form(page)
    assert path_of(page) != UPLOAD_PAGE
    with live_server.app.app_context():
        names = db.session.scalars(
            select(UploadedFile.filename)
            .where(UploadedFile.component == FIELD)
            .order_by(UploadedFile.created_at)
        ).all()
        db.session.remove()
    assert [n for n in names if n.startswith("no-js")] == ["no-js map.pdf"]
