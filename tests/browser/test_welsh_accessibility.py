"""axe-core on the Welsh pages of the bilingual example form: start page, every question page (and
its error state), check answers, confirmation and a Welsh 404; and the same journey in Welsh with
JavaScript turned off, switching language with the switcher's links."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from forms_engine.journey import journey_for

from .conftest import LiveServer, example_definition, fill_page, path_of, submit_form
from .test_accessibility import AxeChecker

SLUG = "register-poultry-fewer-than-50-birds"


@pytest.fixture
def axe(axe_source: str) -> AxeChecker:
    return AxeChecker(axe_source)


def _assert_welsh(page: Any) -> None:
    assert page.evaluate("document.documentElement.lang") == "cy", page.url
    switcher = page.locator("nav.app-language-switcher")
    assert switcher.count() == 1, page.url
    assert switcher.locator("a[hreflang=en][lang=en]").inner_text() == "English"
    assert switcher.locator("[aria-current=true]").inner_text() == "Cymraeg"


@pytest.mark.browser
def test_the_welsh_pages_have_no_accessibility_violations(
    live_server: LiveServer, new_context: Callable[..., Any], axe: AxeChecker
) -> None:
    journey = journey_for(example_definition(live_server, SLUG))
    page = new_context(bypass_csp=True).new_page()
    assert page.goto(f"/{SLUG}/?lang=cy").status == 200
    _assert_welsh(page)
    axe.check(page, "start (cy)")
    submit_form(page)

    while not path_of(page).endswith("/check-answers"):
        url = path_of(page)
        compiled = journey.page(url.rsplit("/", 1)[1])
        assert compiled is not None, url
        _assert_welsh(page)
        axe.check(page, f"{url} (cy)")
        if any(not q.component.optional for q in compiled.questions):
            submit_form(page)
            assert path_of(page) == url
            assert page.title().startswith("Gwall: "), url
            assert page.locator(".govuk-error-summary__title").inner_text().strip() == "Mae problem wedi codi"
            axe.check(page, f"{url} (cy, errors)")
        fill_page(page, compiled.example())
        submit_form(page)
        assert path_of(page) != url, (url, page.locator(".govuk-error-summary").all_inner_texts())

    _assert_welsh(page)
    assert page.locator("h1").inner_text() == "Gwirio eich atebion cyn anfon eich ffurflen"
    axe.check(page, "check answers (cy)")
    submit_form(page)
    assert path_of(page) == f"/{SLUG}/confirmation"
    _assert_welsh(page)
    assert page.locator(".govuk-panel__title").inner_text().strip() == "Ffurflen wedi’i hanfon"  # noqa: RUF001
    axe.check(page, "confirmation (cy)")

    assert page.goto("/no-such-form/").status == 404
    assert page.evaluate("document.documentElement.lang") == "cy"
    axe.check(page, "404 (cy)")
    axe.assert_clean()


@pytest.mark.browser
def test_a_welsh_journey_works_with_javascript_off_and_the_switcher_changes_language(
    live_server: LiveServer, new_context: Callable[..., Any]
) -> None:
    journey = journey_for(example_definition(live_server, SLUG))
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"/{SLUG}/")
    assert page.evaluate("document.documentElement.lang") == "en"
    with page.expect_navigation():
        page.click("nav.app-language-switcher a[hreflang=cy]")
    _assert_welsh(page)
    submit_form(page)
    while not path_of(page).endswith("/check-answers"):
        url = path_of(page)
        compiled = journey.page(url.rsplit("/", 1)[1])
        assert compiled is not None, url
        _assert_welsh(page)
        fill_page(page, compiled.example())
        submit_form(page)
        assert path_of(page) != url, url
    _assert_welsh(page)
    with page.expect_navigation():
        page.click("nav.app-language-switcher a[hreflang=en]")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("h1").inner_text() == "Check your answers before sending your form"
