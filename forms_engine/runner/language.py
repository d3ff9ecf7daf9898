"""Which language a page is shown in, and the switcher between languages on every page.

A form offers the languages its definition declares (`"languages": ["en", "cy"]`). `?lang=cy` on any
page chooses Welsh, and the choice is kept in the session so the pages after it stay Welsh. A form
that does not offer the chosen language is shown in English, without a switcher; the list of forms is
always in English. The engine's own text comes from the catalogues through flask-babel (templates) and
`i18n.translate` (components and compiled pages); definition text through `Text.in_language`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask, current_app, g, has_request_context, request, session
from markupsafe import Markup, escape

from ..extensions import babel
from ..i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, localise, translate

SESSION_KEY = "language"
QUERY_PARAMETER = "lang"
#: Pages only ever in English: the list of forms.
ENGLISH_ONLY_ENDPOINTS = frozenset({"runner.index", "health.healthz", "health.readyz"})
#: The switcher's navigation landmark label, in the page's language.
SWITCHER_LABEL = N_("Choose a language")


def offered_languages() -> tuple[str, ...]:
    """The languages this request's page can be shown in."""
    if request.endpoint in ENGLISH_ONLY_ENDPOINTS:
        return (DEFAULT_LANGUAGE,)
    slug = (request.view_args or {}).get("slug")
    if slug is not None:
        from .. import form_registry

        definition = form_registry(current_app).get(slug)
        if definition is not None:
            return tuple(lang for lang in definition.languages if lang in LANGUAGES) or (DEFAULT_LANGUAGE,)
    # Not a form's page (a missing page, an error): any language the engine speaks.
    return tuple(LANGUAGES)


def _resolve() -> str:
    chosen = request.args.get(QUERY_PARAMETER)
    if chosen in LANGUAGES and session.get(SESSION_KEY) != chosen:
        session[SESSION_KEY] = chosen
    preferred = session.get(SESSION_KEY, DEFAULT_LANGUAGE)
    return preferred if preferred in offered_languages() else DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of this request's page (decided once per request); English outside requests."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    language: str | None = g.get("language")
    if language is None:
        language = g.language = _resolve()
    return language


def _url_in(language: str) -> str:
    """This page's address asking for `language`, keeping its other query parameters."""
    query = [(k, v) for k, v in request.args.items(multi=True) if k != QUERY_PARAMETER]
    query.append((QUERY_PARAMETER, language))
    # Percent-encoded: a backslash in the path ("/\\evil.example/") would make a browser go to
    # another site ("//evil.example/").
    return f"{quote(request.path)}?{urlencode(query)}"


def language_switcher() -> Markup:
    """The GOV.UK language switcher ("English | Cymraeg"): the current language as text, each other
    one as a link in its own language. Empty when the page is offered in one language only."""
    offered = offered_languages()
    if len(offered) < 2:
        return Markup("")
    current = current_language()
    items = []
    for code in offered:
        name = escape(LANGUAGES[code])
        if code == current:
            entry = f'<span class="app-language-switcher__current" aria-current="true">{name}</span>'
        else:
            href = escape(_url_in(code))
            entry = (
                f'<a class="govuk-link" href="{href}" hreflang="{code}" lang="{code}" rel="alternate">'
                f"{name}</a>"
            )
        items.append(f'<li class="app-language-switcher__item">{entry}</li>')
    label = escape(translate(SWITCHER_LABEL, current))
    return Markup(
        f'<nav class="app-language-switcher" aria-label="{label}">'
        f'<ul class="app-language-switcher__list">{"".join(items)}</ul></nav>'
    )


def _template_context() -> dict[str, Any]:
    return {"language": current_language(), "language_switcher": language_switcher()}


def init_app(app: Flask) -> None:
    """flask-babel with the engine's catalogues and this module's language choice, for templates."""
    babel.init_app(app, default_locale=DEFAULT_LANGUAGE, locale_selector=current_language)

    @app.before_request
    def _choose_language() -> None:
        # Decide (and remember a ?lang= choice) on every request, even one that only redirects.
        current_language()

    app.context_processor(_template_context)
    app.jinja_env.filters["localise"] = lambda text: localise(text, current_language())
