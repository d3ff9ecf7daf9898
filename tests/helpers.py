"""Test helpers: a client that acts like a browser, and a walker that completes a form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from flask import Flask
from werkzeug.test import TestResponse

from forms_engine import form_registry
from forms_engine.definitions.model import FormDefinition
from forms_engine.journey import journey_for


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


def walk_to_check_answers(client: BrowserClient, definition: FormDefinition) -> Page:
    """Start the form and answer every page with each component's example answer."""
    journey = journey_for(definition)
    client.get(f"/{definition.slug}/")
    response = client.post(f"/{definition.slug}/start")
    for _ in range(len(definition.pages) + 1):
        target = location(response)
        if target.endswith("/check-answers"):
            return client.get(target)
        page = client.get(target)
        assert page.status == 200, (target, page.status)
        compiled = journey.page(target.rsplit("/", 1)[1])
        assert compiled is not None
        response = client.post(target, data=compiled.example())
        assert response.status == 302, (target, response.error_summary())
    raise AssertionError("the journey did not reach check answers")


def submit(client: BrowserClient, definition: FormDefinition) -> Page:
    """Send the form from check answers and return the confirmation page."""
    response = client.post(f"/{definition.slug}/check-answers")
    assert response.status == 303, response.status
    return client.follow(response)
