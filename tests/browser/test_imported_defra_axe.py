"""axe-core on every page of every imported sample Defra Forms definition (../shared/defra-forms/):
each is imported into a folder a live server of its own serves, then walked in headless Chromium
with the answers that reach every page (tests/designer/defra_samples.py): the start page, each
page as first shown and in its error state, each repeat's summary (and its error state and removal
page), exit pages, check answers and confirmation.

As in test_accessibility.py, axe is injected with Playwright's bypass_csp; no axe rule is disabled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from forms_engine import form_registry
from forms_engine.journey import journey_for

from ..conftest import make_app
from ..designer.defra_samples import NO_SAMPLES, import_samples, page_data, sample_files, sample_params
from ..designer.defra_samples import covering_walks as walks_through
from .conftest import ContextFactory, LiveServer, fill_page, path_of, serving, submit_form
from .test_accessibility import AxeChecker

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def imported_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    """The app on 127.0.0.1 serving the imported samples (and nothing else)."""
    if not sample_files():
        pytest.skip(NO_SAMPLES)
    folder = tmp_path_factory.mktemp("defra-browser")
    slugs = import_samples(folder / "definitions")
    app = make_app(f"sqlite:///{folder / 'browser.sqlite'}", FORM_DEFINITIONS_DIR=folder / "definitions")
    with serving(app, "defra-live-server") as url:
        yield LiveServer(app, url), slugs


@pytest.fixture
def new_imported_context(
    browser: Any, imported_server: tuple[LiveServer, dict[str, str]]
) -> Iterator[Callable[..., Any]]:
    factory = ContextFactory(browser, imported_server[0].url)
    yield factory
    factory.close()
    assert not factory.blocked, f"pages requested other hosts: {factory.blocked}"


def check_once(axe: AxeChecker, page: Any, label: str, checked: set[str]) -> bool:
    """Run axe on the page unless a page of this kind was checked already; True when it ran."""
    if label in checked:
        return False
    checked.add(label)
    axe.check(page, label)
    return True


def repeat_summary(page: Any, url: str, items: int, minimum: int, axe: AxeChecker, checked: set[str]) -> None:
    """Check the "add another" summary, its error state and the removal page once; then add
    another item until the repeat has its minimum."""
    if check_once(axe, page, url, checked):
        submit_form(page)
        assert page.locator(".govuk-error-summary").count() == 1, url
        axe.check(page, f"{url} (errors)")
        page.goto(f"{url}/remove/1")
        axe.check(page, f"{url}/remove/1")
        page.check('main form [name="confirm"][value="no"]')
        submit_form(page)
        assert path_of(page) == url
    page.check(f'main form [name="addAnother"][value="{"yes" if items < minimum else "no"}"]')
    submit_form(page)


@pytest.mark.parametrize("sample", sample_params())
def test_every_page_of_an_imported_sample_has_no_accessibility_violations(
    sample: Path,
    imported_server: tuple[LiveServer, dict[str, str]],
    new_imported_context: Callable[..., Any],
    axe_source: str,
) -> None:
    server, slugs = imported_server
    definition = form_registry(server.app).get(slugs[sample.name])
    assert definition is not None, sample.name
    journey = journey_for(definition)
    slug = definition.slug
    axe = AxeChecker(axe_source)
    checked: set[str] = set()
    for walk in walks_through(definition):
        page = new_imported_context(bypass_csp=True).new_page()
        assert page.goto(f"/{slug}/").status == 200
        check_once(axe, page, f"/{slug}/", checked)
        submit_form(page)
        items: dict[str, int] = {}
        for _ in range(4 * len(definition.pages) + 10):
            url = path_of(page)
            if url.endswith("/check-answers"):
                break
            parts = url.split("?")[0].split("/")
            if parts[2] == "repeat":
                section = journey.repeats[parts[3]]
                minimum = max(section.repeat.min_items, 1)
                repeat_summary(page, url, items.get(parts[3], 0), minimum, axe, checked)
                continue
            compiled = journey.page(parts[2])
            assert compiled is not None, url
            if parts[-1].isdigit():
                repeat_id = journey.section_of[compiled.page.slug].repeat.id
                items[repeat_id] = max(items.get(repeat_id, 0), int(parts[-1]))
            label = f"/{slug}/{compiled.page.slug}"
            if compiled.page.exit:
                check_once(axe, page, label, checked)
                assert page.locator("main form button").count() == 0, "an exit page has no Continue"
                break
            if check_once(axe, page, label, checked) and compiled.questions:
                submit_form(page)
                if path_of(page) == url and page.locator(".govuk-error-summary").count():
                    assert page.title().startswith("Error: "), url
                    axe.check(page, f"{label} (errors)")
                else:
                    page.goto(url)  # only optional questions: nothing to get wrong by leaving them
            fill_page(page, page_data(compiled, walk.overrides))
            submit_form(page)
            assert path_of(page) != url, (url, page.locator(".govuk-error-summary").all_inner_texts())
        else:
            raise AssertionError(f"{slug}: the walk did not end")
        if walk.complete:
            assert path_of(page) == f"/{slug}/check-answers"
            check_once(axe, page, f"/{slug}/check-answers", checked)
            submit_form(page)
            assert path_of(page) == f"/{slug}/confirmation"
            assert page.locator(".govuk-panel").count() == 1
            check_once(axe, page, f"/{slug}/confirmation", checked)
    every_page = {f"/{slug}/{p.page.slug}" for p in journey.pages}
    assert every_page <= checked, f"pages never checked: {sorted(every_page - checked)}"
    axe.assert_clean()
