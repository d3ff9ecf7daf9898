"""Designer-written Markdown and HTML turned into safe HTML with GOV.UK typography classes.

Everything passes through an allow-list sanitiser (nh3), so a definition can never inject script,
styles or event handlers into a page.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "abbr",
    "span",
    "div",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "caption",
    "details",
    "summary",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "*": {"class", "lang"},
    "th": {"scope"},
}
#: GOV.UK classes added to plain Markdown output, so designer content looks like the rest of the page.
GOVUK_CLASSES = {
    "p": "govuk-body",
    "h2": "govuk-heading-m",
    "h3": "govuk-heading-s",
    "h4": "govuk-heading-s",
    "ul": "govuk-list govuk-list--bullet",
    "ol": "govuk-list govuk-list--number",
    "a": "govuk-link",
    "table": "govuk-table",
    "tr": "govuk-table__row",
    "th": "govuk-table__header",
    "td": "govuk-table__cell",
}
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_OPEN_TAG = re.compile(r"<(p|h[2-4]|ul|ol|a|table|tr|th|td)(?=[\s>])")


def sanitise_html(html: str) -> Markup:
    """Keep only allow-listed tags and attributes; links get rel=noopener noreferrer."""
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"https", "http", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )
    return Markup(cleaned)


def _add_govuk_classes(html: str) -> str:
    return _OPEN_TAG.sub(lambda m: f'<{m[1]} class="{GOVUK_CLASSES[m[1]]}"', html)


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> Markup:
    """Markdown (raw HTML disabled) to sanitised HTML with GOV.UK classes. Cached: text is static."""
    return sanitise_html(_add_govuk_classes(_markdown.render(text)))


@lru_cache(maxsize=4096)
def render_html(text: str) -> Markup:
    """Designer HTML, sanitised. Cached: text is static per definition version."""
    return sanitise_html(text)
