"""Fuzzing the runner with generated definitions: every valid one renders each of its pages as a
GOV.UK page.

Definitions come from `definitions(mistakes=False)` (tests/fuzz/strategies.py: parts generated with
hypothesis-jsonschema `from_schema` from the schema's own pieces, cross references by hand, options
repaired), so most are valid; the share is counted and reported. Each valid one is added to the
app's registry under a slug of its own and:
- its start page is fetched, the journey started, and every page on the path fetched through the
  Flask test client with the journey state built by answering each page with its example answer,
  up to check answers (or an exit page), in Welsh for every other form that offers Welsh;
- from check answers one Change link is followed and its page's example sent again (back to check
  answers), then the form is sent (every answer re-validated), the confirmation page fetched,
  the stored submission exported as CSV, XLSX, JSON and ZIP, and for every third definition the PDF
  receipt downloaded;
- every page the example path does not reach (behind a condition, after an exit page) is rendered
  directly from its compiled page view, blank and with the errors of an empty post.
Every page must be a 200 with the GOV.UK template's structure.
"""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from hypothesis import given, settings
from sqlalchemy import select

from forms_engine import form_registry
from forms_engine.definitions.loader import validate_definition_data
from forms_engine.definitions.model import build_definition
from forms_engine.extensions import db
from forms_engine.journey import journey_for
from forms_engine.runner.pages import page_view
from forms_engine.submissions.exporting import EXPORT_FORMATS, export
from forms_engine.submissions.models import Submission

from ..helpers import EXAMPLE_PDF, BrowserClient, location
from .conftest import FUZZ, Tally
from .strategies import definitions

_slugs = itertools.count(1)


@pytest.fixture(scope="module", autouse=True)
def _required(tally: Tally) -> None:
    tally.require("rendered definitions", 50)
    tally.require("forms sent", 30)
    tally.require("receipts", 10)


def assert_govuk_page(html: str | bytes, where: str) -> BeautifulSoup:
    """The GOV.UK template's structure: language, title, skip link to the main content, header,
    one h1 in main, footer, no duplicate ids and no traceback."""
    text = html.decode("utf-8", "replace") if isinstance(html, bytes) else html
    assert "Traceback" not in text, where
    soup = BeautifulSoup(text, "html.parser")
    assert soup.html is not None and soup.html.get("lang") in ("en", "cy"), where
    assert soup.title is not None and soup.title.get_text(strip=True), where
    skip = soup.select_one("a.govuk-skip-link")
    assert skip is not None and skip["href"] == "#main-content", where
    assert soup.select_one("header.govuk-template__header") is not None, where
    assert soup.select_one("footer.govuk-template__footer") is not None, where
    main = soup.select_one("main#main-content")
    assert main is not None, where
    assert len(soup.find_all("h1")) == 1 and main.find("h1") is not None, where
    ids = [element["id"] for element in soup.find_all(id=True)]
    assert len(ids) == len(set(ids)), (where, sorted({i for i in ids if ids.count(i) > 1}))
    return soup


def render_directly(app: Flask, definition: Any, compiled: Any) -> None:
    """A page the example path does not reach, from its compiled view: blank, then with errors."""
    view_path = f"/{definition.slug}/{compiled.page.slug}"
    with app.test_request_context(view_path):
        view = page_view(definition, compiled, "en", app.extensions["forms_engine.chrome"])
        html = view.render(compiled.example(), {}, "nonce", "token", f"/{definition.slug}/", {})
        assert_govuk_page(html, f"{view_path} (direct)")
        errors = compiled.validate({}, {}).errors
        if errors:
            soup = assert_govuk_page(
                view.render({}, errors, "nonce", "token", f"/{definition.slug}/", {}), f"{view_path} (errors)"
            )
            assert soup.select(".govuk-error-summary__list a"), view_path


def _office(main_type: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", f'<Types><Override ContentType="{main_type}"/></Types>')
    return out.getvalue()


#: A small file of each type a file upload question may accept, with its extension.
EXAMPLE_FILES = {
    "pdf": (EXAMPLE_PDF, "pdf"),
    "png": (b"\x89PNG\r\n\x1a\n" + bytes(24), "png"),
    "jpeg": (b"\xff\xd8\xff\xe0" + bytes(24), "jpg"),
    "csv": (b"name,count\nhens,4\n", "csv"),
    "txt": (b"A note\n", "txt"),
    "docx": (
        _office("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
        "docx",
    ),
    "xlsx": (_office("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"), "xlsx"),
}


def example_post(compiled: Any) -> dict[str, Any]:
    """The page's example form data, with a file of an accepted type for each file it needs."""
    data: dict[str, Any] = dict(compiled.example())
    for handler in compiled.questions:
        if handler.takes_files and handler.name in data:
            content, extension = EXAMPLE_FILES[handler.component.options["accept"][0]]
            count = len(json.loads(data[handler.name][0]))
            data[handler.name] = [(io.BytesIO(content), f"example-{i}.{extension}") for i in range(count)]
    return data


def walk(
    app: Flask, definition: Any, tally: Tally, language: str = "en"
) -> tuple[set[str], BrowserClient | None]:
    """Start the form and answer each page on the path with its example: the page slugs fetched,
    and the browser if the walk reached check answers (None if it ended on an exit page)."""
    journey = journey_for(definition)
    client = BrowserClient(app)
    slug = definition.slug
    start = assert_govuk_page(client.get(f"/{slug}/?lang={language}").response.data, f"/{slug}/")
    assert start.html is not None and start.html["lang"] == language, language
    if language != "en":
        tally.add(f"walks in {language}")
    response = client.post(f"/{slug}/start")
    assert response.status == 302
    fetched: set[str] = set()
    for _ in range(3 * len(definition.pages) + 3):
        target = location(response)
        page = client.get(target)
        if page.status == 302:  # a repeat's summary sends the walk on to its item page
            response = page
            continue
        assert page.status == 200, (target, page.status)
        soup = assert_govuk_page(page.response.data, target)
        assert soup.html is not None and soup.html["lang"] == language, (target, language)
        if target.endswith("/check-answers"):
            tally.add("pages fetched")
            change_and_return(client, journey, soup, tally)
            return fetched, client
        parts = target.split("?")[0].split("/")
        if parts[2] == "repeat":
            # One item is enough unless the repeat needs more: then add another.
            response = client.post(target, data={"addAnother": "no"})
            if response.status == 200:
                response = client.post(target, data={"addAnother": "yes"})
            continue
        compiled = journey.page(parts[2] if parts[-1].isdigit() else parts[-1])
        assert compiled is not None, target
        fetched.add(compiled.page.slug)
        tally.add("pages fetched")
        if compiled.page.exit:
            return fetched, None
        response = client.post(target, data=example_post(compiled))
        assert response.status == 302, (target, response.status, response.error_summary())
    raise AssertionError("the walk did not reach check answers or an exit page")


def change_and_return(client: BrowserClient, journey: Any, check: BeautifulSoup, tally: Tally) -> None:
    """Follow one of check answers' Change links and send that page's example answers again: the
    answers unchanged, the browser goes back to check answers."""
    links = [a["href"] for a in check.select("main .govuk-summary-list__actions a")]
    parts_of = [link.split("?")[0].split("/") for link in links]
    pages = [journey.page(p[2] if p[-1].isdigit() else p[-1]) for p in parts_of]
    changes = [(link, page) for link, page in zip(links, pages, strict=True) if page is not None]
    if not changes:
        return
    link, compiled = changes[tally.counts["pages fetched"] % len(changes)]
    page = client.get(link)
    assert page.status == 200, (link, page.status)
    assert_govuk_page(page.response.data, link)
    # Files uploaded before are kept (listed on the page): sending them again would add to them.
    kept = {handler.name for handler in compiled.questions if handler.takes_files}
    data = {name: value for name, value in example_post(compiled).items() if name not in kept}
    response = client.post(link, data=data)
    assert response.status == 302, (link, response.status, response.error_summary())
    assert location(response).split("?")[0].endswith("/check-answers"), (link, location(response))
    tally.add("answers changed")


def send(app: Flask, definition: Any, client: BrowserClient, tally: Tally, receipt: bool) -> None:
    """Send the form from check answers: a confirmation with a reference, one stored submission that
    every export format writes, and (if `receipt`) a PDF receipt."""
    slug = definition.slug
    response = client.post(f"/{slug}/check-answers")
    assert response.status == 303, (response.status, location(response) if response.status == 302 else "")
    page = client.get(location(response))
    assert page.status == 200, page.status
    soup = assert_govuk_page(page.response.data, f"/{slug}/confirmation")
    reference = soup.select_one(".govuk-panel__body strong")
    assert reference is not None
    tally.add("forms sent")
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.form_slug == slug))
        assert submission is not None and submission.reference == reference.get_text(strip=True)
        for format in EXPORT_FORMATS:
            out = io.BytesIO()
            assert export(format, definition, [submission], out) == 1, format
        (payload,) = json.loads(exported_json(definition, submission))
        assert payload["reference"] == submission.reference
    if receipt:
        pdf = client.client.get(f"/{slug}/confirmation/receipt.pdf")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF"), pdf.status_code
        tally.add("receipts")


def exported_json(definition: Any, submission: Submission) -> bytes:
    out = io.BytesIO()
    export("json", definition, [submission], out)
    return out.getvalue()


@settings(FUZZ, max_examples=80)
@given(definitions(mistakes=False))
def test_every_valid_generated_definition_renders_each_of_its_pages(
    fuzz_app: Flask, tally: Tally, data: dict[str, Any]
) -> None:
    tally.add("definitions")
    data = {**data, "slug": f"fuzzed-{next(_slugs)}"}
    if validate_definition_data(data):
        return
    tally.add("rendered definitions")
    definition = build_definition(data)
    form_registry(fuzz_app).add(definition)
    # Every other form that offers Welsh is walked in Welsh (the choice is kept for its pages).
    welsh = "cy" in definition.languages and tally.counts["rendered definitions"] % 2 == 0
    fetched, client = walk(fuzz_app, definition, tally, "cy" if welsh else "en")
    if client is not None:
        send(fuzz_app, definition, client, tally, receipt=tally.counts["rendered definitions"] % 3 == 0)
    for compiled in journey_for(definition).pages:
        if compiled.page.slug not in fetched:
            render_directly(fuzz_app, definition, compiled)
            tally.add("pages rendered directly")


def test_most_generated_definitions_were_valid_and_rendered(tally: Tally) -> None:
    generated, rendered = tally.counts["definitions"], tally.counts["rendered definitions"]
    print(f"rendered {rendered} of {generated} generated definitions ({rendered / generated:.0%} valid)")
    assert rendered / generated >= 0.6
