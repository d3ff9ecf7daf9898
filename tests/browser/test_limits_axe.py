"""The abuse-limit pages in Chromium with axe-core: "There have been too many attempts" (429) and
"Your session has timed out" (answers deleted, and kept for a save-and-return link), English and Welsh."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from forms_engine import form_registry
from forms_engine.caseworker import clock
from forms_engine.definitions.model import FormDefinition
from tests.conftest import make_app
from tests.helpers import BrowserClient
from tests.test_save_return import answer_first_page, save_on, send_link

from .conftest import ContextFactory, serving, submit_form
from .test_accessibility import AxeChecker

pytestmark = pytest.mark.browser

POULTRY = "register-poultry-fewer-than-50-birds"  # fully bilingual
BADGER = "badger-sett-development-licence"


@pytest.fixture
def axe(axe_source: str) -> AxeChecker:
    return AxeChecker(axe_source)


@contextmanager
def served(tmp_path: Path, **config: Any) -> Iterator[tuple[Flask, str]]:
    """An app of its own (with `config`), served on 127.0.0.1."""
    app = make_app(f"sqlite:///{tmp_path / 'limits.sqlite'}", **config)
    with serving(app, "limits-server") as url:
        yield app, url


@contextmanager
def contexts_on(browser: Any, url: str) -> Iterator[ContextFactory]:
    factory = ContextFactory(browser, url)
    yield factory
    factory.close()
    assert not factory.blocked, f"pages requested other hosts: {factory.blocked}"


class Clock:
    def __init__(self) -> None:
        self.moment = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moving = Clock()
    monkeypatch.setattr(clock, "now", moving)
    return moving


def definition_of(app: Flask, slug: str) -> FormDefinition:
    definition = form_registry(app).get(slug)
    assert definition is not None
    return definition


TOO_MANY = [
    (BADGER, "", "There have been too many attempts"),
    (POULTRY, "?lang=cy", "Bu gormod o ymdrechion"),
]


@pytest.mark.parametrize(("slug", "query", "heading"), TOO_MANY)
def test_the_too_many_attempts_page_has_no_accessibility_violations(
    browser: Any, tmp_path: Path, axe: AxeChecker, slug: str, query: str, heading: str
) -> None:
    # One POST a minute per journey.
    with (
        served(tmp_path, POST_RATE_LIMIT_PER_JOURNEY="1 per minute") as (_, url),
        contexts_on(browser, url) as contexts,
    ):
        page = contexts(bypass_csp=True).new_page()
        page.goto(f"/{slug}/{query}")
        submit_form(page)  # Start now: the journey's first POST is counted by address
        submit_form(page)  # Continue with nothing filled in: the journey's one POST this minute
        assert page.locator(".govuk-error-summary").count() == 1
        with page.expect_navigation() as navigation:
            page.click("main form button.govuk-button:not([form])")
        assert navigation.value.status == 429
        assert page.locator("h1").inner_text() == heading
        axe.check(page, f"429 {slug}{query}")
    axe.assert_clean()


def _browser_with_cookie(contexts: ContextFactory, client: BrowserClient, url: str) -> Any:
    cookie = client.client.get_cookie(client.app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    context = contexts(bypass_csp=True)
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": url}])
    return context.new_page()


TIMED_OUT = {"Your session has timed out", "Mae eich sesiwn wedi dod i ben"}


@pytest.mark.parametrize("query", ["", "?lang=cy"])
def test_the_timed_out_pages_have_no_accessibility_violations(
    browser: Any, tmp_path: Path, axe: AxeChecker, frozen: Clock, query: str
) -> None:
    with served(tmp_path) as (app, url), contexts_on(browser, url) as contexts:
        definition = definition_of(app, POULTRY)
        # One journey left idle, one saved for its link first.
        deleted, kept = BrowserClient(app), BrowserClient(app)
        deleted.get(f"/{POULTRY}/{query}")
        kept.get(f"/{POULTRY}/{query}")
        deleted_page = answer_first_page(deleted, definition)
        kept_page = answer_first_page(kept, definition)
        save_on(kept, kept_page, {})
        send_link(kept, definition)
        frozen.moment += timedelta(hours=25)
        for label, client, path in (("deleted", deleted, deleted_page), ("kept", kept, kept_page)):
            page = _browser_with_cookie(contexts, client, url)
            assert page.goto(path).status == 200
            assert page.locator("h1").inner_text() in TIMED_OUT
            if query:
                assert page.locator("html").get_attribute("lang") == "cy"
            axe.check(page, f"timed out, {label}{query}")
    axe.assert_clean()
