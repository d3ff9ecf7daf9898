"""The PDF receipt: what it says (checked on the text pypdf extracts), who may download it, that it
is tagged for assistive technology, and that it comes from the stored submission only."""

# ruff: noqa: RUF001 - Welsh text is written with the typographic apostrophe (U+2019), as GOV.UK does.

from __future__ import annotations

import copy
import html
import io
import json
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from pypdf.generic import BooleanObject
from sqlalchemy import select

from forms_engine import form_registry
from forms_engine.config import ROOT
from forms_engine.definitions.loader import FormRegistry, load_definition, validate_definition_data
from forms_engine.definitions.model import FormDefinition, build_definition
from forms_engine.extensions import db
from forms_engine.i18n import format_date_time
from forms_engine.journey import RepeatSection, journey_for
from forms_engine.journey.repeats import done_key
from forms_engine.submissions import export
from forms_engine.submissions.models import Submission
from forms_engine.submissions.receipts import receipt_html, render_receipt

from .components import BASE
from .helpers import BrowserClient, Page, definitions, submit, walk_to_check_answers

POULTRY = "register-poultry-fewer-than-50-birds"
BADGER = "badger-sett-development-licence"
HOSTILE = "<script>alert(\"owned\")</script> & <b>bold</b> 'quoted'"


# -- helpers ---------------------------------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    """Every page's text, with runs of whitespace (line breaks where text wrapped) as one space."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def shown(markup: str) -> str:
    """Check-answers HTML (escaped text, <br> between lines) as the words a reader sees."""
    return " ".join(html.unescape(re.sub(r"<br\s*/?>|<[^>]+>", " ", str(markup))).split())


def expected_rows(submission: Submission, language: str) -> list[tuple[str | None, str, str]]:
    """(section title, question, answer) as check answers shows them for the stored answers."""
    definition = build_definition(submission.definition)
    return [
        (section.title, row.key, shown(row.value))
        for section in journey_for(definition).check_answer_sections(submission.answers, language)
        for row in section.rows
    ]


def stored(app: Flask, reference: str) -> Submission:
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.reference == reference))
        assert submission is not None
        db.session.expunge(submission)
        return submission


def reference_on(confirmation: Page) -> str:
    return confirmation.soup.select_one(".govuk-panel__body strong").get_text(strip=True)


def download(client: BrowserClient, slug: str) -> Any:
    return client.client.get(f"/{slug}/confirmation/receipt.pdf")


def send(client: BrowserClient, definition: FormDefinition) -> str:
    walk_to_check_answers(client, definition)
    return reference_on(submit(client, definition))


def example_answers(definition: FormDefinition, items: int = 1) -> dict[str, Any]:
    """Answers on the example path (each page's example answer; `items` items in each repeat)."""
    journey = journey_for(definition)
    answers: dict[str, Any] = {}
    for _ in range(len(journey.pages) + 1):
        step = journey.first_incomplete_page(answers)
        if step is None or step.page.exit:
            break
        if isinstance(step, RepeatSection):
            item: dict[str, Any] = {}
            for page in step.pages:
                item.update(page.validate(page.example(), {**answers, **item}).answers)
            answers[step.repeat.id] = [dict(item) for _ in range(items)]
            answers[done_key(step.repeat.id)] = True
        else:
            result = step.validate(step.example(), answers)
            assert result.is_valid, (step.page.id, result.errors)
            answers.update(result.answers)
    return journey.answers_on_path(answers)


def submission_of(
    definition: FormDefinition,
    answers: dict[str, Any],
    language: str = "en",
    submitted_at: datetime | None = None,
) -> Submission:
    """A Submission in memory, as store_submission makes it (SQLite hands times back naive)."""
    return Submission(
        reference="K7MP-3QXR-ZD4T",
        journey_id="journey",
        form_slug=definition.slug,
        form_version=definition.version,
        definition=copy.deepcopy(dict(definition.source)),
        answers=answers,
        language=language,
        submitted_at=submitted_at or datetime(2025, 3, 14, 9, 26, 53),
    )


# -- what it says ----------------------------------------------------------------------------------


def test_every_example_form_receipt_shows_the_reference_form_paper_form_time_and_every_answer(
    any_db_app: Flask,
) -> None:
    forms = definitions(any_db_app)
    assert len(forms) >= 3
    for definition in forms:
        client = BrowserClient(any_db_app)
        reference = send(client, definition)
        response = download(client, definition.slug)
        assert response.status_code == 200
        text = pdf_text(response.data)
        submission = stored(any_db_app, reference)

        assert text.count(reference) >= 2  # in the body and at the top of every page
        assert " ".join(str(definition.title).split()) in text
        assert definition.paper_form.reference in text
        assert " ".join(definition.paper_form.title.split()) in text
        assert format_date_time(submission.submitted_at, "en") in text
        assert "What happens next" in text and "Get help" in text
        assert str(definition.service.contact.name) in text
        assert definition.service.contact.email is None or definition.service.contact.email in text
        rows = expected_rows(submission, "en")
        assert len(rows) >= 10
        for section, question, answer in rows:
            assert " ".join(question.split()) in text, (definition.slug, question)
            assert answer in text, (definition.slug, question, answer)
            assert section is None or " ".join(section.split()) in text


def test_a_receipt_shows_each_repeat_item_and_the_names_of_uploaded_files(client: BrowserClient) -> None:
    definition = next(d for d in definitions(client.app) if d.slug == BADGER)
    reference = send(client, definition)
    text = pdf_text(download(client, BADGER).data)
    assert "Sett 1" in text
    assert "example-1.pdf" in text  # the walk attaches example-1.pdf to the survey report question
    submission = stored(client.app, reference)
    assert any(r[0] == "Sett 1" for r in expected_rows(submission, "en"))


def test_a_receipt_lists_every_item_of_a_long_repeat_over_several_pages() -> None:
    definition = load_definition(ROOT / "form_definitions" / f"{BADGER}.json")
    pdf = render_receipt(submission_of(definition, example_answers(definition, items=12)))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 4
    text = pdf_text(pdf)
    for item in range(1, 13):
        assert f"Sett {item} " in text
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    for number, page in enumerate(pages, start=1):
        assert "Reference number: K7MP-3QXR-ZD4T" in page
        assert f"Page {number} of {len(pages)}" in page


def test_a_welsh_journey_gets_a_welsh_receipt(client: BrowserClient) -> None:
    definition = next(d for d in definitions(client.app) if d.slug == POULTRY)
    client.get(f"/{POULTRY}/?lang=cy")
    reference = send(client, definition)
    response = download(client, POULTRY)
    assert response.status_code == 200
    text = pdf_text(response.data)
    submission = stored(client.app, reference)
    assert submission.language == "cy"

    assert " ".join(definition.title.in_language("cy").split()) in text
    for welsh in ("Eich cyfeirnod", "Anfonwyd", "Ffurflen bapur", "Eich atebion", "Beth sy’n digwydd nesaf"):
        assert welsh in text, welsh
    assert "Cael help" in text and "Tîm Cofrestru Cwsmeriaid APHA" in text
    assert "Tudalen 1 o " in text and f"Cyfeirnod: {reference}" in text
    assert format_date_time(submission.submitted_at, "cy") in text
    assert re.search(r" am \d{1,2}(:\d\d)?(yb|yp)|am (canol dydd|hanner nos)", text)
    for _section, question, answer in expected_rows(submission, "cy"):
        assert question in text and answer in text, (question, answer)
    assert "Your answers" not in text and "What happens next" not in text

    catalog = pypdf.PdfReader(io.BytesIO(response.data)).trailer["/Root"]
    assert catalog["/Lang"] == "cy"


def test_the_submitted_time_is_uk_time_in_summer_and_winter() -> None:
    definition = load_definition(ROOT / "form_definitions" / f"{POULTRY}.json")
    answers = example_answers(definition)
    summer = pdf_text(
        render_receipt(submission_of(definition, answers, submitted_at=datetime(2025, 7, 1, 23, 30)))
    )
    assert "2 July 2025 at 12:30am" in summer  # 23:30 UTC is 00:30 British Summer Time
    winter = submission_of(definition, answers, submitted_at=datetime(2025, 1, 6, 14, 5, tzinfo=UTC))
    assert "6 January 2025 at 2:05pm" in pdf_text(render_receipt(winter))


def test_hostile_answer_text_is_shown_literally_and_never_as_markup() -> None:
    definition = load_definition(ROOT / "form_definitions" / f"{BADGER}.json")
    answers = example_answers(definition)
    name_question = next(
        h.name for p in journey_for(definition).pages for h in p.questions if h.component.type == "TextField"
    )
    answers[name_question] = HOSTILE
    submission = submission_of(definition, answers)

    source = BeautifulSoup(receipt_html(submission), "html.parser")
    assert source.find("script") is None and source.select("td b") == []
    assert HOSTILE in [td.get_text() for td in source.select("td")]
    assert " ".join(HOSTILE.split()) in pdf_text(render_receipt(submission))


# -- accessible and reproducible -------------------------------------------------------------------


def test_the_receipt_is_a_tagged_pdf_ua_document_with_a_language_and_a_title() -> None:
    definition = load_definition(ROOT / "form_definitions" / f"{POULTRY}.json")
    pdf = render_receipt(submission_of(definition, example_answers(definition)))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog
    assert catalog["/MarkInfo"]["/Marked"] == BooleanObject(True)
    assert catalog["/Lang"] == "en"
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"] == BooleanObject(True)
    assert reader.metadata is not None and reader.metadata.title is not None
    assert reader.metadata.title.startswith(str(definition.title))
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert re.search(r'pdfuaid:part="1"|<pdfuaid:part>1</pdfuaid:part>', xmp), xmp

    structure: set[str] = set()

    def walk(element: Any) -> None:
        element = element.get_object()
        if isinstance(element, dict):
            if "/S" in element:
                structure.add(str(element["/S"]))
            kids = element.get("/K", [])
            for kid in kids if isinstance(kids, list) else [kids]:
                walk(kid)

    walk(catalog["/StructTreeRoot"])
    assert {"/H1", "/H2", "/Table", "/TR", "/TH", "/TD", "/P"} <= structure


def test_the_same_submission_gives_the_same_bytes_dated_when_it_was_sent() -> None:
    definition = load_definition(ROOT / "form_definitions" / f"{BADGER}.json")
    submission = submission_of(
        definition, example_answers(definition), submitted_at=datetime(2025, 3, 14, 9, 26, 53)
    )
    first = render_receipt(submission)
    export._definitions.clear()
    assert render_receipt(submission) == first
    info = pypdf.PdfReader(io.BytesIO(first)).metadata
    assert info is not None
    assert info["/CreationDate"] == info["/ModDate"] == "D:20250314092653Z"


# -- who may download it ---------------------------------------------------------------------------


def test_the_download_is_a_pdf_attachment_that_is_never_cached(client: BrowserClient) -> None:
    definition = next(d for d in definitions(client.app) if d.slug == POULTRY)
    reference = send(client, definition)
    response = download(client, POULTRY)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{POULTRY}-{reference}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF-1.7")


def test_the_confirmation_page_links_to_the_receipt_in_the_page_language(client: BrowserClient) -> None:
    definition = next(d for d in definitions(client.app) if d.slug == POULTRY)
    walk_to_check_answers(client, definition)
    confirmation = submit(client, definition)
    link = confirmation.soup.select_one("main a.govuk-link[href$='/confirmation/receipt.pdf']")
    assert link is not None
    assert link["href"] == f"/{POULTRY}/confirmation/receipt.pdf"
    assert link.get_text(strip=True) == "Download a copy of your answers (PDF)"
    welsh = client.get(f"/{POULTRY}/confirmation?lang=cy")
    link = welsh.soup.select_one(f"main a.govuk-link[href='/{POULTRY}/confirmation/receipt.pdf']")
    assert link is not None and link.get_text(strip=True) == "Lawrlwytho copi o’ch atebion (PDF)"


def assert_not_found(response: Any) -> None:
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    soup = BeautifulSoup(response.data, "html.parser")
    assert soup.select_one("main h1").get_text(strip=True) == "Page not found"


def test_only_the_browser_that_sent_the_form_can_download_its_receipt(any_db_app: Flask) -> None:
    definition = next(d for d in definitions(any_db_app) if d.slug == POULTRY)
    sender = BrowserClient(any_db_app)
    send(sender, definition)
    assert download(sender, POULTRY).status_code == 200

    assert_not_found(download(BrowserClient(any_db_app), POULTRY))  # no session at all
    other = BrowserClient(any_db_app)
    walk_to_check_answers(other, definition)  # a journey of its own, not sent yet
    assert_not_found(download(other, POULTRY))
    started = BrowserClient(any_db_app)
    started.get(f"/{POULTRY}/")
    started.post(f"/{POULTRY}/start")
    assert_not_found(download(started, POULTRY))
    # The sender's session does not open another form's receipt, nor an unknown form's.
    assert_not_found(download(sender, BADGER))
    assert_not_found(download(sender, "no-such-form"))


def test_a_new_journey_after_sending_keeps_the_receipt_of_the_last_one_sent(client: BrowserClient) -> None:
    definition = next(d for d in definitions(client.app) if d.slug == POULTRY)
    reference = send(client, definition)
    client.post(f"/{POULTRY}/start")  # "start again": a new journey replaces the sent one
    assert_not_found(download(client, POULTRY))
    second = send(client, definition)
    assert second != reference
    assert second in pdf_text(download(client, POULTRY).data)


# -- made from the stored submission only ----------------------------------------------------------


def test_the_receipt_is_unchanged_when_the_form_definition_changes_after_sending(
    app: Flask, tmp_path: Path
) -> None:
    folder = tmp_path / "defs"
    shutil.copytree(ROOT / "form_definitions", folder)
    app.extensions["forms_engine.registry"] = FormRegistry.from_directory(folder)
    definition = form_registry(app).get(POULTRY)
    assert definition is not None
    client = BrowserClient(app)
    send(client, definition)
    before = download(client, POULTRY).data

    path = folder / f"{POULTRY}.json"
    data = json.loads(path.read_text())
    data["title"] = {"en": "A renamed form", "cy": "Ffurflen ag enw newydd"}
    data["paperForm"]["reference"] = "NEW1"
    data["service"]["whatHappensNext"] = {"en": "Something else now.", "cy": "Rhywbeth arall nawr."}
    first_question = data["pages"][0]["components"][0]
    first_question["title"] = {"en": "A reworded question", "cy": "Cwestiwn newydd"}
    first_question.pop("shortTitle", None)
    path.write_text(json.dumps(data))
    app.extensions["forms_engine.registry"] = FormRegistry.from_directory(folder)
    assert form_registry(app).get(POULTRY).version != definition.version  # type: ignore[union-attr]
    export._definitions.clear()  # nothing kept from before: rebuilt from the stored snapshot

    after = download(client, POULTRY).data
    assert after == before
    text = pdf_text(after)
    for new in ("A renamed form", "NEW1", "Something else now.", "A reworded question"):
        assert new not in text
    assert str(definition.title) in text


def test_relative_dates_in_conditions_count_from_the_day_the_form_was_sent() -> None:
    """A page shown because an answered date was within 30 days of sending is still on the
    receipt a year later."""
    data = copy.deepcopy(BASE)
    data["slug"] = "recent-visit"
    data["pages"] = [
        {
            "id": "visit",
            "path": "/visit",
            "title": "Visit",
            "components": [
                {"id": "visited", "type": "DatePartsField", "name": "visited", "title": "Visit date"}
            ],
        },
        {
            "id": "details",
            "path": "/details",
            "title": "Details",
            "condition": {"component": "visited", "op": "after", "value": "-30d"},
            "components": [{"id": "what", "type": "TextField", "name": "what", "title": "What you saw"}],
        },
    ]
    assert not validate_definition_data(data)
    definition = build_definition(data)
    sent = datetime.now(UTC) - timedelta(days=400)
    visited = (sent - timedelta(days=3)).date()
    answers = {"visited": visited.isoformat(), "what": "Three badgers"}
    text = pdf_text(render_receipt(submission_of(definition, answers, submitted_at=sent)))
    assert "What you saw Three badgers" in text
    # Counted from today instead, the page would be off the path.
    today_rows = journey_for(definition).check_answer_sections(answers, "en", today=date.today())
    assert [r.key for s in today_rows for r in s.rows] == ["Visit date"]


@pytest.mark.parametrize("language", ["en", "cy", "fr"])
def test_a_receipt_in_any_stored_language_renders_falling_back_to_english(language: str) -> None:
    definition = load_definition(ROOT / "form_definitions" / f"{POULTRY}.json")
    text = pdf_text(render_receipt(submission_of(definition, example_answers(definition), language)))
    assert "K7MP-3QXR-ZD4T" in text
    assert ("Eich atebion" in text) == (language == "cy")
