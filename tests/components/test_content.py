"""Content components (Html, Markdown, InsetText, Details, WarningText): designer content is
sanitised, so script and event handlers in a definition never reach a page, and links get
rel="noopener noreferrer"."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from markupsafe import Markup

from forms_engine import form_registry
from forms_engine.components import LiteralView
from forms_engine.extensions import db
from tests.conftest import make_app
from tests.helpers import BrowserClient, walk_to_check_answers

from . import component, page_with

DATA = Path(__file__).parent.parent / "data"

HOSTILE = [
    '<script>alert("x")</script><p>After</p>',
    '<p onclick="alert(1)">Click</p>',
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">Link</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<p style="background:url(javascript:alert(1))">Styled</p>',
    "<svg><script>alert(1)</script></svg>",
    '<a href="https://www.gov.uk/" target="_blank" onmouseover="alert(1)">GOV.UK</a>',
]


def no_macros(name: str, params: dict[str, Any]) -> Markup:
    raise AssertionError(f"{name} should not be called")


def rendered(type_: str, content: str) -> BeautifulSoup:
    page = page_with(
        {"id": "content", "type": type_, "name": "content", "content": content},
        component("TextField"),
    )
    handler = page.handlers[0]
    html = handler.render(no_macros, LiteralView({}), None, "en", False)
    return BeautifulSoup(html, "html.parser")


def assert_harmless(soup: BeautifulSoup | Tag) -> None:
    assert not soup.select("script, iframe, img, svg, style")
    for element in soup.find_all(True):
        for attribute in element.attrs:
            assert not attribute.startswith("on"), (element.name, attribute)
            assert attribute != "style", element.name
        assert not str(element.get("href", "")).lower().startswith("javascript:")


@pytest.mark.parametrize("content", HOSTILE)
def test_html_content_is_sanitised(content: str) -> None:
    assert_harmless(rendered("Html", content))


@pytest.mark.parametrize("content", HOSTILE)
def test_markdown_content_shows_html_as_text(content: str) -> None:
    soup = rendered("Markdown", content)
    assert_harmless(soup)
    assert content in soup.get_text()


def test_html_content_keeps_allowed_markup_and_classes() -> None:
    soup = rendered(
        "Html",
        '<h2 class="govuk-heading-m">Fees</h2><ul class="govuk-list"><li><strong>£101</strong></li></ul>',
    )
    assert soup.select_one("h2.govuk-heading-m").get_text() == "Fees"
    assert soup.select_one("ul.govuk-list li strong").get_text() == "£101"


@pytest.mark.parametrize("type_", ["Html", "Markdown"])
def test_links_in_content_open_safely(type_: str) -> None:
    content = (
        '<a href="https://www.gov.uk/">GOV.UK</a>' if type_ == "Html" else "[GOV.UK](https://www.gov.uk/)"
    )
    link = rendered(type_, content).select_one("a")
    assert link is not None
    assert link["href"] == "https://www.gov.uk/"
    assert set(link["rel"]) == {"noopener", "noreferrer"}


def test_markdown_gets_govuk_typography_classes() -> None:
    soup = rendered("Markdown", "## Fees\n\nYou pay:\n\n- £101\n- [more](https://www.gov.uk/)")
    assert soup.select_one("h2.govuk-heading-m")
    assert soup.select_one("p.govuk-body")
    assert soup.select_one("ul.govuk-list.govuk-list--bullet")
    assert soup.select_one("a.govuk-link")


@pytest.mark.parametrize("type_", ["InsetText", "Details"])
def test_inset_text_and_details_take_sanitised_markdown(type_: str) -> None:
    fields = {"title": "Help"} if type_ == "Details" else {}
    page = page_with(
        {
            "id": "content",
            "type": type_,
            "name": "content",
            **fields,
            "content": 'See <script>alert(1)</script> [this](https://www.gov.uk/ "t")',
        },
        component("TextField"),
    )
    params = page.handlers[0].params(LiteralView({}), None, "en", False)
    soup = BeautifulSoup(str(params["html"]), "html.parser")
    assert_harmless(soup)
    assert set(soup.select_one("a")["rel"]) == {"noopener", "noreferrer"}


def test_warning_text_is_plain_text() -> None:
    page = page_with(
        {
            "id": "content",
            "type": "WarningText",
            "name": "content",
            "content": "You can be fined <script>alert(1)</script>",
        },
        component("TextField"),
    )
    params = page.handlers[0].params(LiteralView({}), None, "en", False)
    assert params == {"text": "You can be fined <script>alert(1)</script>", "iconFallbackText": "Warning"}
    assert "html" not in params


# -- through the app ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserClient]:
    folder = tmp_path_factory.mktemp("definitions")
    shutil.copy(DATA / "all-components.json", folder)
    app: Flask = make_app(f"sqlite:///{folder / 'test.sqlite'}", FORM_DEFINITIONS_DIR=folder)
    client = BrowserClient(app)
    definition = form_registry(app).get("all-components")
    assert definition is not None
    walk_to_check_answers(client, definition)
    yield client
    with app.app_context():
        db.engine.dispose()


def main_of(client: BrowserClient, slug: str) -> Tag:
    page = client.get(f"/all-components/{slug}")
    assert page.status == 200
    main = page.soup.find("main")
    assert isinstance(main, Tag)
    return main


@pytest.mark.parametrize("slug", ["several", "guidance"])
def test_script_in_a_definition_never_reaches_the_page(client: BrowserClient, slug: str) -> None:
    main = main_of(client, slug)
    assert_harmless(main)
    assert "alert(1)" not in str(main)


def test_html_content_on_a_page_keeps_its_text_without_the_handler(client: BrowserClient) -> None:
    main = main_of(client, "several")
    clicked = [p for p in main.select("p") if p.get_text(strip=True) == "Click"]
    assert len(clicked) == 1 and not clicked[0].attrs


@pytest.mark.parametrize("slug", ["several", "guidance"])
def test_every_content_link_on_a_page_has_noopener_noreferrer(client: BrowserClient, slug: str) -> None:
    links = main_of(client, slug).select("form a")
    assert links
    for link in links:
        assert set(link["rel"]) == {"noopener", "noreferrer"}, link


def test_every_content_type_renders_its_govuk_component(client: BrowserClient) -> None:
    main = main_of(client, "guidance")
    assert main.select_one(".govuk-inset-text a.govuk-link")
    assert (
        main.select_one("details.govuk-details .govuk-details__summary-text").get_text(strip=True)
        == "Help with this"
    )
    warning = main.select_one(".govuk-warning-text .govuk-warning-text__text")
    assert warning.get_text(" ", strip=True) == ("Warning You can be fined <script>alert(6)</script>")
    assert_harmless(warning)
