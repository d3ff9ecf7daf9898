"""Question pages compiled once per (definition version, page, language) and filled per request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Flask, render_template
from markupsafe import Markup, escape

from ..components import FieldError, LiteralView
from ..components.files import FILE_ID_FIELD, REMOVE_ACTION, FileUploadField, remove_form_id
from ..definitions.model import FormDefinition
from ..i18n import LANGUAGES, N_, translate
from ..journey import CompiledPage
from .language import language_switcher
from .rendering import Compiled, ComponentTemplate, MacroCaller, macro_caller, slot

ERROR_PREFIX = N_("Error: ")
CONTINUE = N_("Continue")
BACK = N_("Back")
ERROR_SUMMARY_TITLE = N_("There is a problem")
SERVICE_INFORMATION = N_("Service information")
#: GOV.UK Frontend's footer texts (its macro's defaults in English), with the licence in each language.
LICENCE_HTML = N_(
    'All content is available under the <a class="govuk-footer__link" href="{url}" rel="license">'
    "Open Government Licence v3.0</a>, except where otherwise stated"
)
LICENCE_URL = N_("https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")
COPYRIGHT = N_("© Crown copyright")


@dataclass
class Chrome:
    """Parts of the layout that never change: rendered once per app (the footer once per language)."""

    header: Markup
    footers: dict[str, Markup]
    call_macro: MacroCaller

    def footer(self, language: str) -> Markup:
        return self.footers.get(language) or self.footers["en"]

    def service_navigation(self, title: str, url: str, language: str = "en") -> Markup:
        return _service_navigation(self.call_macro, title, url, language)


@lru_cache(maxsize=256)
def _service_navigation(call_macro: MacroCaller, title: str, url: str, language: str) -> Markup:
    return call_macro(
        "service-navigation:govukServiceNavigation",
        {"serviceName": title, "serviceUrl": url, "ariaLabel": translate(SERVICE_INFORMATION, language)},
    )


def _footer(call: MacroCaller, language: str) -> Markup:
    licence = translate(LICENCE_HTML, language).format(url=escape(translate(LICENCE_URL, language)))
    return call(
        "footer:govukFooter",
        {"contentLicence": {"html": Markup(licence)}, "copyright": {"text": translate(COPYRIGHT, language)}},
    )


def init_chrome(app: Flask) -> Chrome:
    call = macro_caller(app.jinja_env)
    chrome = Chrome(
        header=call("header:govukHeader", {}),
        footers={language: _footer(call, language) for language in LANGUAGES},
        call_macro=call,
    )
    app.jinja_env.globals["chrome"] = chrome
    return chrome


def back_link_html(href: str | None, language: str = "en") -> str:
    if href is None:
        return ""
    return f'<a href="{escape(href)}" class="govuk-back-link">{escape(translate(BACK, language))}</a>'


def remove_file_forms(page: CompiledPage, view: LiteralView, csrf: str) -> Markup:
    """A small form per uploaded file, for its Remove button (inside the page's form, which cannot
    hold other forms) to submit: `action=remove-file` and the file's id, to the same URL."""
    forms = [
        Markup(
            '<form id="{form_id}" method="post" novalidate>'
            '<input type="hidden" name="csrf_token" value="{csrf}">'
            '<input type="hidden" name="action" value="{action}">'
            '<input type="hidden" name="{field}" value="{file_id}"></form>'
        ).format(
            form_id=remove_form_id(str(record["id"])),
            csrf=Markup(csrf),
            action=REMOVE_ACTION,
            field=FILE_ID_FIELD,
            file_id=str(record["id"]),
        )
        for handler in page.questions
        if isinstance(handler, FileUploadField)
        for record in handler.listed(view)
    ]
    return Markup("").join(forms)


class PageView:
    """One question page for one language, as static HTML with slots."""

    def __init__(self, definition: FormDefinition, page: CompiledPage, language: str, chrome: Chrome):
        self.page = page
        self.language = language
        self.call_macro = chrome.call_macro
        heading_handler = page.heading_handler
        self.components = [
            ComponentTemplate(h, chrome.call_macro, language, h is heading_handler) for h in page.handlers
        ]
        title = page.page.title.in_language(language)
        section = definition.section_title(page.page)
        html = render_template(
            "runner/question.html",
            nonce=slot("nonce"),
            csrf_token=slot("csrf"),
            back_link=slot("back"),
            error_summary=slot("errors"),
            page_title=Markup(
                slot("title_prefix") + escape(heading_handler.title(language) if heading_handler else title)
            ),
            service_title=definition.title.in_language(language),
            service_url=f"/{definition.slug}/",
            single_question=heading_handler is not None,
            caption=section.in_language(language) if section else None,
            heading=title,
            components=[slot(f"component:{i}") for i in range(len(page.handlers))],
            button_text=translate(CONTINUE, language),
            language_switcher=slot("language_switcher"),
            exit_page=page.page.exit,
            multipart=any(h.takes_files for h in page.handlers),
            after_form=slot("after_form"),
        )
        self.compiled = Compiled(html)

    def render(
        self,
        formdata: Mapping[str, list[str]],
        errors: Mapping[str, FieldError],
        nonce: str,
        csrf_token: str,
        back_href: str | None,
        answers: Mapping[str, Any] | None = None,
    ) -> Markup:
        """Fill the page. `answers` (the journey's) decide conditional content and list items."""
        answers = answers or {}
        values: dict[str, Any] = {
            "nonce": nonce,
            "csrf": str(escape(csrf_token)),
            "back": back_link_html(back_href, self.language),
            "title_prefix": escape(translate(ERROR_PREFIX, self.language)) if errors else "",
            "language_switcher": language_switcher(),
            "errors": self._error_summary(errors) if errors else "",
        }
        heading_handler = self.page.heading_handler
        view = LiteralView(formdata)
        for index, (handler, template) in enumerate(zip(self.page.handlers, self.components, strict=True)):
            error = errors.get(handler.name) if handler.is_question else None
            if not self.page.shows(handler, answers):
                values[f"component:{index}"] = ""
                continue
            applied = handler.with_answers(answers)
            if applied is not handler:
                # What it offers depends on earlier answers: render it for this request.
                values[f"component:{index}"] = applied.render(
                    self.call_macro, view, error, self.language, handler is heading_handler
                )
            elif error is None and not handler.per_request:
                values[f"component:{index}"] = template.fill(formdata)
            else:
                values[f"component:{index}"] = handler.render(
                    self.call_macro, view, error, self.language, handler is heading_handler
                )
        values["after_form"] = remove_file_forms(self.page, view, values["csrf"])
        return self.compiled.fill(values)

    def _error_summary(self, errors: Mapping[str, FieldError]) -> Markup:
        items: list[dict[str, str]] = []
        for handler in self.page.questions:
            if handler.name in errors:
                items.extend(
                    {"text": message, "href": f"#{target}"}
                    for target, message in errors[handler.name].summary_items()
                )
        return self.call_macro(
            "error-summary:govukErrorSummary",
            {"titleText": translate(ERROR_SUMMARY_TITLE, self.language), "errorList": items},
        )


#: Compiled pages other than question pages, by a key naming the page and what its structure depends on.
_compiled_pages: dict[tuple[str, ...], Compiled] = {}
COMPILED_PAGES_LIMIT = 2_000


def render_compiled(
    key: tuple[str, ...],
    template: str,
    values: Mapping[str, str],
    nonce: str,
    csrf_token: str,
    **context: Any,
) -> Markup:
    """Render `template` once per `key` with slots for `values`, nonce and CSRF token; then fill.

    `context` must depend only on `key`; everything that varies per request goes in `values`, whose
    entries are named in the template as `slot(name)` and must be safe HTML.
    """
    compiled = _compiled_pages.get(key)
    if compiled is None:
        if len(_compiled_pages) >= COMPILED_PAGES_LIMIT:
            _compiled_pages.clear()
        html = render_template(
            template,
            nonce=slot("nonce"),
            csrf_token=slot("csrf"),
            language_switcher=slot("language_switcher"),
            **context,
        )
        compiled = _compiled_pages[key] = Compiled(html)
    return compiled.fill(
        {
            "nonce": nonce,
            "csrf": str(escape(csrf_token)),
            "language_switcher": language_switcher(),
            **values,
        }
    )


_page_views: dict[tuple[str, str, str, str], PageView] = {}


def page_view(definition: FormDefinition, page: CompiledPage, language: str, chrome: Chrome) -> PageView:
    """The compiled view of a page, built on first use and kept for the definition version."""
    key = (definition.slug, definition.version, page.page.id, language)
    view = _page_views.get(key)
    if view is None or view.page is not page:
        view = _page_views[key] = PageView(definition, page, language, chrome)
    return view
