"""The PDF receipt of a submission: what the applicant keeps instead of a copy of the paper form.

Made only from the stored submission (its definition snapshot, answers, language and time), so the
same submission gives the same receipt, byte for byte, tomorrow and after the form's definition
has changed. Tagged PDF/UA-1 with WeasyPrint, in the applicant's language. No Flask here: the
confirmation page and the delivery worker both call `render_receipt`.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from ..config import ROOT
from ..content import render_markdown
from ..definitions.model import FormDefinition
from ..i18n import DEFAULT_LANGUAGE, LANGUAGES, SERVICE_TIME_ZONE, format_date_time, localise, translate
from ..journey.core import Journey, journey_for
from .export import submission_definition
from .models import Submission, as_utc

TEMPLATES = ROOT / "templates" / "receipt"
#: Tagged, with the PDF/UA identification in its XMP metadata (WeasyPrint turns on the tags).
PDF_VARIANT = "pdf/ua-1"
PAGE_NUMBER = re.compile(r"\{(page|pages)\}")

# The FontConfiguration and parsed stylesheets are made once and shared (about 30 ms less per
# receipt); a lock keeps threads (gthread workers) from laying out with them at the same time.
_render_lock = threading.Lock()


@cache
def _environment() -> Environment:
    """Templates for receipts: autoescaped, as answers are whatever the applicant typed."""
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _font_config() -> FontConfiguration:
    return FontConfiguration()


@cache
def _url_fetcher() -> URLFetcher:
    """Fetches nothing: a receipt needs no image or stylesheet from anywhere, and designer
    content must not make the server fetch URLs."""
    return URLFetcher(allowed_protocols=frozenset())


@cache
def _stylesheet() -> CSS:
    return CSS(filename=str(TEMPLATES / "receipt.css"), font_config=_font_config())


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


@cache
def _page_numbers(language: str) -> CSS:
    """'Page 1 of 2' at the foot of each page, in `language` (CSS counters, so per language)."""
    label = translate("Page {page} of {pages}", language)
    parts = [
        f"counter({piece})" if index % 2 else _css_string(piece)
        for index, piece in enumerate(PAGE_NUMBER.split(label))
        if piece or index % 2
    ]
    return CSS(
        string=f"@page {{ @bottom-right {{ content: {' '.join(parts)}; }} }}",
        font_config=_font_config(),
    )


def receipt_definition(submission: Submission) -> tuple[FormDefinition, Journey]:
    """The definition the submission was made on (from its snapshot, never the registry), and its
    journey: the same cached models the exports and deliveries use."""
    definition = submission_definition(submission)
    return definition, journey_for(definition)


def receipt_html(submission: Submission) -> str:
    """The receipt as HTML (the PDF's source)."""
    definition, journey = receipt_definition(submission)
    language = submission.language if submission.language in LANGUAGES else DEFAULT_LANGUAGE
    submitted_at = as_utc(submission.submitted_at)
    local = submitted_at.astimezone(SERVICE_TIME_ZONE)
    # Relative dates in conditions count from the day it was sent, so the path (and the rows) stay.
    sections = journey.check_answer_sections(submission.answers, language, today=local.date())
    contact = definition.service.contact

    def _(message: str) -> str:
        return translate(message, language)

    context: dict[str, Any] = {
        "_": _,
        "language": language,
        "title": definition.title.in_language(language),
        "reference": submission.reference,
        "submitted": format_date_time(submitted_at, language),
        # Second precision in UTC: WeasyPrint writes it as the PDF's creation and modification date.
        "created": submitted_at.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "paper_form": definition.paper_form,
        "sections": sections,
        "what_happens_next": render_markdown(definition.service.what_happens_next.in_language(language)),
        "contact": {
            "name": localise(contact.name, language),
            "email": contact.email,
            "phone": contact.phone,
            "hours": localise(contact.hours, language) if contact.hours else None,
            "address": localise(contact.address, language) if contact.address else None,
            "url": contact.url,
        },
        "privacy_notice_url": definition.service.privacy_notice_url,
    }
    return _environment().get_template("receipt.html").render(context)


def render_receipt(submission: Submission) -> bytes:
    """The submission's receipt as a tagged, accessible PDF (PDF/UA-1), in the applicant's language."""
    html = receipt_html(submission)
    language = submission.language if submission.language in LANGUAGES else DEFAULT_LANGUAGE
    with _render_lock:
        font_config = _font_config()
        document = HTML(string=html, base_url=str(TEMPLATES), url_fetcher=_url_fetcher())
        return bytes(
            document.write_pdf(
                stylesheets=[_stylesheet(), _page_numbers(language)],
                font_config=font_config,
                pdf_variant=PDF_VARIANT,
                pdf_tags=True,
                # No random file identifier: the same submission gives the same bytes.
                pdf_identifier=False,
            )
        )
