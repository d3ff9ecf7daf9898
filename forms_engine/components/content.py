"""Content components: guidance between questions. They take no answer."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ..content import render_html, render_markdown
from ..i18n import translate
from . import messages
from .base import ContentHandler, FieldError, FieldView, MacroCaller, register


def _content(handler: ContentHandler, language: str) -> str:
    assert handler.component.content is not None
    return handler.component.content.in_language(language)


@register
class Html(ContentHandler):
    type_name = "Html"
    macro = ""

    def render(
        self,
        call_macro: MacroCaller,
        view: FieldView,
        error: FieldError | None,
        language: str,
        is_page_heading: bool,
    ) -> Markup:
        return render_html(_content(self, language))


@register
class Markdown(ContentHandler):
    type_name = "Markdown"
    macro = ""

    def render(
        self,
        call_macro: MacroCaller,
        view: FieldView,
        error: FieldError | None,
        language: str,
        is_page_heading: bool,
    ) -> Markup:
        return render_markdown(_content(self, language))


@register
class InsetText(ContentHandler):
    type_name = "InsetText"
    macro = "inset-text:govukInsetText"

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        return {"html": render_markdown(_content(self, language))}


@register
class Details(ContentHandler):
    type_name = "Details"
    macro = "details:govukDetails"

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        return {"summaryText": self.title(language), "html": render_markdown(_content(self, language))}


@register
class WarningText(ContentHandler):
    type_name = "WarningText"
    macro = "warning-text:govukWarningText"

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        return {"text": _content(self, language), "iconFallbackText": translate(messages.WARNING, language)}
