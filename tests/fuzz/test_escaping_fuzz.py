"""Fuzzing the escaping of answers: answers made of HTML, script and template payloads and spreadsheet
formulas (`markup_text()` in tests/fuzz/strategies.py, with plain words between them) are shown as
the text typed, never as markup, on the check-answers page, in the CSV, XLSX and JSON exports (CSV
and XLSX cells also neutralised, so a spreadsheet never runs a formula) and in the PDF receipt (the
text pypdf extracts is the answer's text).

The form is a small definition of its own: a text question and a long-text question, which accept
any text, so every payload gets to check answers.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from hypothesis import given, settings

from forms_engine import form_registry
from forms_engine.definitions.loader import validate_definition_data
from forms_engine.definitions.model import FormDefinition, build_definition
from forms_engine.submissions.export import columns
from forms_engine.submissions.exporting import export
from forms_engine.submissions.models import Submission
from forms_engine.submissions.receipts import receipt_html, render_receipt

from ..helpers import BrowserClient, location
from ..test_exports_formats import sheet_rows
from ..test_receipts import pdf_text
from .conftest import FUZZ, Tally
from .strategies import markup_text

ESCAPING_FORM: dict[str, Any] = {
    "schemaVersion": 1,
    "slug": "fuzz-escaping",
    "title": "Tell us about your birds",
    "paperForm": {"reference": "FZ1", "title": "Escaping", "organisation": "APHA"},
    "service": {
        "contact": {"name": "Birds team", "email": "birds@example.gov.uk"},
        "privacyNoticeUrl": "https://example.gov.uk/privacy",
        "whatHappensNext": "We will read your answers.",
    },
    "startPage": {"content": "Tell us about your birds."},
    "pages": [
        {
            "id": "name",
            "path": "/name",
            "title": "Your name",
            "components": [
                {"id": "c1", "type": "TextField", "name": "fullName", "title": "What is your name?"}
            ],
        },
        {
            "id": "details",
            "path": "/details",
            "title": "Your birds",
            "components": [
                {"id": "c2", "type": "MultilineTextField", "name": "details", "title": "Describe your birds"}
            ],
        },
    ],
}
FORMULA_START = "=+-@\t\r\n\uff1d\uff0b\uff0d\uff20"
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


def neutralised(text: str) -> str:
    """What a spreadsheet cell must hold for an answer: a text starting (after spaces) like a formula
    gets a quote in front, unless it is wholly a plain number (OWASP CSV injection)."""
    if text.lstrip(" ")[:1] and text.lstrip(" ")[0] in FORMULA_START and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


@pytest.fixture(scope="module")
def definition(fuzz_app: Flask) -> FormDefinition:
    assert validate_definition_data(ESCAPING_FORM) == []
    made = build_definition(ESCAPING_FORM)
    form_registry(fuzz_app).add(made)
    return made


def submission_of(definition: FormDefinition, name: str, details: str) -> Submission:
    return Submission(
        reference="FZ12-ESC4-PE00",
        journey_id="journey-escaping",
        form_slug=definition.slug,
        form_version=definition.version,
        definition=copy.deepcopy(dict(definition.source)),
        answers={"fullName": name, "details": details},
        language="en",
        submitted_at=datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC),
    )


def exported(format: str, definition: FormDefinition, submission: Submission) -> bytes:
    out = io.BytesIO()
    assert export(format, definition, [submission], out) == 1
    return out.getvalue()


@settings(FUZZ, max_examples=30)
@given(name=markup_text(), details=markup_text())
def test_check_answers_shows_markup_answers_as_text(
    fuzz_app: Flask, definition: FormDefinition, tally: Tally, name: str, details: str
) -> None:
    tally.add("answer sets")
    client = BrowserClient(fuzz_app)
    client.get("/fuzz-escaping/")
    response = client.post("/fuzz-escaping/start")
    for field, value in (("fullName", name), ("details", details)):
        target = location(response)
        client.get(target)
        response = client.post(target, data={field: value})
        assert response.status == 302, (field, response.error_summary())
    page = client.get(location(response))
    assert page.status == 200 and page.response.request.path == "/fuzz-escaping/check-answers"

    rows = {
        row.select_one(".govuk-summary-list__key").get_text(strip=True): row.select_one(
            ".govuk-summary-list__value"
        )
        for row in page.soup.select("main .govuk-summary-list__row")
    }
    for label, answer in (("What is your name?", name), ("Describe your birds", details)):
        cell = rows[label]
        assert cell.get_text().strip() == answer
        assert cell.find(True) is None, f"markup inside the answer: {cell}"
    main = page.soup.select_one("main")
    assert main.find(["script", "img", "b", "iframe"]) is None
    assert not [a for element in page.soup.find_all(True) for a in element.attrs if a.startswith("on")]


@settings(FUZZ, max_examples=100)
@given(name=markup_text(), details=markup_text())
def test_exports_keep_markup_answers_as_text_and_neutralise_formulas(
    definition: FormDefinition, tally: Tally, name: str, details: str
) -> None:
    tally.add("answer sets")
    submission = submission_of(definition, name, details)
    keys = [column.key for column in columns(definition)]
    expected = {"fullName": neutralised(name), "details": neutralised(details)}

    rows = list(
        csv.reader(io.StringIO(exported("csv", definition, submission).decode("utf-8-sig"), newline=""))
    )
    assert len(rows) == 2
    for key, cell in expected.items():
        assert rows[1][keys.index(key)] == cell

    sheet = sheet_rows(zipfile.ZipFile(io.BytesIO(exported("xlsx", definition, submission))), 1)
    for key, cell in expected.items():
        assert sheet[1][keys.index(key)] == cell

    (payload,) = json.loads(exported("json", definition, submission))
    assert payload["answers"] == {"fullName": name, "details": details}


@settings(FUZZ, max_examples=8)
@given(name=markup_text(), details=markup_text())
def test_the_pdf_receipt_shows_markup_answers_as_their_text(
    definition: FormDefinition, tally: Tally, name: str, details: str
) -> None:
    tally.add("answer sets")
    submission = submission_of(definition, name, details)
    source = BeautifulSoup(receipt_html(submission), "html.parser")
    assert source.find(["script", "img", "b", "iframe"]) is None
    cells = [td.get_text() for td in source.select("td")]
    assert name in cells and details in cells
    # Compared without white space: where a long word wraps (after "/" or "("), the extracted text
    # has a line break the answer does not. Markup read as markup would lose its "<b>", "<script>".
    text = "".join(pdf_text(render_receipt(submission)).split())
    assert "".join(name.split()) in text
    assert "".join(details.split()) in text


def test_the_oracle_neutralises_what_a_spreadsheet_would_run() -> None:
    assert neutralised("=1+1") == "'=1+1"
    assert neutralised("  @cmd") == "'  @cmd"
    assert neutralised("-12.5") == "-12.5"
    assert neutralised("<b>x</b>") == "<b>x</b>"
