"""Test helpers: a client that acts like a browser, and a walker that completes a form."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from flask import Flask
from werkzeug.test import TestResponse

from forms_engine import form_registry
from forms_engine.definitions.model import FormDefinition
from forms_engine.journey import CompiledPage, RepeatSection, journey_for
from forms_engine.journey.repeats import done_key


@dataclass
class Page:
    response: TestResponse
    soup: BeautifulSoup

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def title(self) -> str:
        return self.soup.title.get_text(strip=True) if self.soup.title else ""

    @property
    def h1(self) -> str:
        heading = self.soup.find("h1")
        return heading.get_text(" ", strip=True) if heading else ""

    def error_summary(self) -> list[tuple[str, str]]:
        """(href, message) for each link in the GOV.UK error summary."""
        return [(a["href"], a.get_text(strip=True)) for a in self.soup.select(".govuk-error-summary__list a")]

    def error_messages(self) -> list[str]:
        return [
            e.get_text(" ", strip=True).removeprefix("Error:").strip()
            for e in self.soup.select(".govuk-error-message")
        ]


@dataclass
class BrowserClient:
    """Keeps cookies like a browser and posts the CSRF token of the last page it fetched."""

    app: Flask
    client: Any = field(init=False)
    csrf_token: str | None = None

    def __post_init__(self) -> None:
        self.client = self.app.test_client()

    def get(self, path: str, **kwargs: Any) -> Page:
        response = self.client.get(path, **kwargs)
        page = Page(response, BeautifulSoup(response.data, "html.parser"))
        token = page.soup.find("input", attrs={"name": "csrf_token"})
        if token is not None:
            self.csrf_token = token["value"]
        return page

    def post(self, path: str, data: dict[str, Any] | None = None, csrf: bool = True, **kwargs: Any) -> Page:
        payload = dict(data or {})
        if csrf and self.csrf_token is not None:
            payload.setdefault("csrf_token", self.csrf_token)
        response = self.client.post(path, data=payload, **kwargs)
        return Page(response, BeautifulSoup(response.data, "html.parser"))

    def follow(self, page: Page) -> Page:
        """GET the redirect target of a response."""
        assert page.response.status_code in (302, 303), page.response.status_code
        return self.get(location(page))


def location(page: Page) -> str:
    return urlsplit(page.response.headers["Location"]).path + (
        "?" + urlsplit(page.response.headers["Location"]).query
        if urlsplit(page.response.headers["Location"]).query
        else ""
    )


def definitions(app: Flask) -> list[FormDefinition]:
    return sorted(form_registry(app).forms.values(), key=lambda d: d.slug)


#: A small PDF: what walkers attach to a required file upload question, whose example answer
#: stands for files that must really be sent.
EXAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def example_post(compiled: CompiledPage) -> dict[str, Any]:
    """The page's example form data, with example PDFs attached for each file upload question that
    has an example answer (a required one)."""
    data: dict[str, Any] = dict(compiled.example())
    for handler in compiled.questions:
        if handler.takes_files and handler.name in data:
            count = len(json.loads(data[handler.name][0]))
            data[handler.name] = [(io.BytesIO(EXAMPLE_PDF), f"example-{i + 1}.pdf") for i in range(count)]
    return data


def walk_to_check_answers(client: BrowserClient, definition: FormDefinition) -> Page:
    """Start the form and answer every page with each component's example answer."""
    journey = journey_for(definition)
    client.get(f"/{definition.slug}/")
    response = client.post(f"/{definition.slug}/start")
    for _ in range(2 * len(definition.pages) + 2):
        target = location(response)
        if target.endswith("/check-answers"):
            return client.get(target)
        page = client.get(target)
        if page.status == 302:  # a repeat's summary sends the walk to the item page to answer
            response = page
            continue
        assert page.status == 200, (target, page.status)
        parts = target.split("?")[0].split("/")
        if parts[2] == "repeat":  # the "add another" summary: one item is enough
            response = client.post(target, data={"addAnother": "no"})
        else:
            compiled = journey.page(parts[2] if parts[-1].isdigit() else parts[-1])
            assert compiled is not None, target
            response = client.post(target, data=example_post(compiled))
        assert response.status == 302, (target, response.error_summary())
    raise AssertionError("the journey did not reach check answers")


def submit(client: BrowserClient, definition: FormDefinition) -> Page:
    """Send the form from check answers and return the confirmation page."""
    response = client.post(f"/{definition.slug}/check-answers")
    assert response.status == 303, response.status
    return client.follow(response)


def example_path(definition: FormDefinition, overrides: dict[str, list[str]] | None = None) -> list[Any]:
    """The steps a walk answering every page with its example (or `overrides`) goes through,
    as the journey core works them out. A repeat gets one item."""
    journey = journey_for(definition)
    overrides = overrides or {}
    answers: dict[str, Any] = {}

    def answer(page: Any, so_far: dict[str, Any]) -> dict[str, Any]:
        example = page.example()
        data = {**example, **{k: v for k, v in overrides.items() if k in example}}
        result = page.validate(data, so_far)
        assert result.is_valid, (page.page.id, result.errors)
        return dict(result.answers)

    for _ in range(len(journey.pages) + 1):
        step = journey.first_incomplete_page(answers)
        if step is None or step.page.exit:
            break
        if isinstance(step, RepeatSection):
            item: dict[str, Any] = {}
            for page in step.pages:
                item.update(answer(page, {**answers, **item}))
            answers[step.repeat.id] = [item]
            answers[done_key(step.repeat.id)] = True
        else:
            answers.update(answer(step, answers))
    return journey.pages_on_path(answers)
