"""axe-core on every kind of page a citizen sees, for every example form: the list of forms, start
page, each question page (empty and in its error state), check answers, confirmation and a 404.

axe is injected with a script tag, which the app's strict CSP would refuse, so these contexts use
Playwright's bypass_csp: a concession to the test tool only; no axe rule is disabled. The last test
runs with the CSP in force, to show GOV.UK Frontend's own JavaScript still works under it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from forms_engine.components import REGISTRY
from forms_engine.config import ROOT
from forms_engine.definitions.loader import FormRegistry
from forms_engine.journey import RepeatSection, journey_for

from ..helpers import example_path
from .conftest import LiveServer, example_definition, fill_page, path_of, submit_form

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
EXAMPLE_FORMS = sorted(path.stem for path in (ROOT / "form_definitions").glob("*.json"))
TEXT_BOXES = (
    "main form input:not([type=hidden]):not([type=radio]):not([type=checkbox]):not([type=file]),"
    " main form textarea"
)
#: Too long for any maxLength in the examples, and not a number, date, email, phone or reference.
NOT_AN_ANSWER = "!" * 3001


class AxeChecker:
    """Runs axe on a page and keeps the violations found, labelled by where they were found."""

    def __init__(self, source: str):
        self.source = source
        self.checked: list[str] = []
        self.violations: list[tuple[str, dict[str, Any]]] = []

    def check(self, page: Any, label: str) -> None:
        page.add_script_tag(content=self.source)
        result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        self.checked.append(label)
        self.violations.extend((label, v) for v in result["violations"])

    def report(self) -> str:
        lines = [f"{len(self.violations)} axe violation(s) on {len(self.checked)} page state(s):"]
        for label, violation in self.violations:
            lines.append(
                f"\n[{label}] {violation['id']} ({violation['impact']}): {violation['help']}"
                f"\n  {violation['helpUrl']}"
            )
            for node in violation["nodes"]:
                lines.append(f"  - {json.dumps(node['target'])}: {node['html'][:200]}")
                if node.get("failureSummary"):
                    lines.append("    " + node["failureSummary"].replace("\n", "\n    "))
        return "\n".join(lines)

    def assert_clean(self) -> None:
        assert not self.violations, self.report()


@pytest.fixture
def axe(axe_source: str) -> AxeChecker:
    return AxeChecker(axe_source)


@pytest.fixture
def axe_page(new_context: Callable[..., Any]) -> Any:
    return new_context(bypass_csp=True).new_page()


def _start(page: Any, slug: str) -> None:
    page.goto(f"/{slug}/")
    submit_form(page)


def test_the_example_forms_use_every_component_type() -> None:
    used = set()
    for path in (ROOT / "form_definitions").glob("*.json"):
        for form_page in json.loads(Path(path).read_text(encoding="utf-8"))["pages"]:
            used.update(component["type"] for component in form_page.get("components", []))
    assert used == set(REGISTRY), f"not used by any example form: {set(REGISTRY) - used}"
    assert len(REGISTRY) == 20


@pytest.mark.browser
def test_the_list_of_forms_and_a_missing_page_have_no_accessibility_violations(
    axe_page: Any, axe: AxeChecker
) -> None:
    response = axe_page.goto("/")
    assert response.status == 200
    axe.check(axe_page, "/")
    response = axe_page.goto("/no-such-form/")
    assert response.status == 404
    axe.check(axe_page, "404 /no-such-form/")
    axe.assert_clean()


def form_registry_for_examples() -> FormRegistry:
    return FormRegistry.from_directory(ROOT / "form_definitions")


#: Answers that differ from the components' examples, so that walks reach the conditional pages.
OTHER_ANSWERS: dict[str, dict[str, list[str]]] = {
    "register-land-rural-payments": {"landAction": ["B"], "parcelArea": ["150"], "role": ["agent"]},
}
WALKS = [(slug, {}) for slug in EXAMPLE_FORMS] + list(OTHER_ANSWERS.items())


def page_answers(compiled: Any, overrides: dict[str, list[str]]) -> dict[str, list[str]]:
    example = compiled.example()
    return {**example, **{k: v for k, v in overrides.items() if k in example}}


def expected_path(journey: Any, overrides: dict[str, list[str]]) -> list[Any]:
    """The steps a walk with these answers goes through, worked out by the journey core."""
    return example_path(journey.definition, overrides)


def expected_urls(journey: Any, overrides: dict[str, list[str]]) -> list[str]:
    """The URLs the browser walk visits: a repeat's pages for its one item, then its summary."""
    slug = journey.definition.slug
    urls = []
    for step in expected_path(journey, overrides):
        if isinstance(step, RepeatSection):
            urls += [f"/{slug}/{p.page.slug}/1" for p in step.pages]
            urls.append(f"/{slug}/repeat/{step.repeat.id}")
        else:
            urls.append(f"/{slug}/{step.page.slug}")
    return urls


def test_the_browser_walks_reach_every_page_but_exit_pages() -> None:
    for slug in EXAMPLE_FORMS:
        definition = form_registry_for_examples().get(slug)
        assert definition is not None
        journey = journey_for(definition)
        reached = {
            page.page.id
            for s, overrides in WALKS
            if s == slug
            for step in expected_path(journey, overrides)
            for page in (step.pages if isinstance(step, RepeatSection) else [step])
        }
        assert reached | {p.page.id for p in journey.pages if p.page.exit} == {
            p.page.id for p in journey.pages
        }


@pytest.mark.browser
@pytest.mark.parametrize(("slug", "overrides"), WALKS)
def test_every_page_of_an_example_form_has_no_accessibility_violations(
    slug: str, overrides: dict[str, list[str]], live_server: LiveServer, axe_page: Any, axe: AxeChecker
) -> None:
    """Walk the form in the browser: start page; each question page as first shown, after
    Continue with nothing entered, then answered with its example data; check answers; confirmation.
    """
    journey = journey_for(example_definition(live_server, slug))
    page = axe_page
    assert page.goto(f"/{slug}/").status == 200
    axe.check(page, f"start {path_of(page)}")
    submit_form(page)

    visited: list[str] = []
    while not path_of(page).endswith("/check-answers"):
        url = path_of(page)
        assert len(visited) <= 2 * len(journey.pages), f"journey does not end: {visited}"
        visited.append(url)
        if "/repeat/" in url:
            check_repeat_summary_and_removal(page, url, axe)
            continue
        parts = url.split("/")
        compiled = journey.page(parts[2] if parts[-1].isdigit() else parts[-1])
        assert compiled is not None, url
        axe.check(page, url)

        submit_form(page)
        if path_of(page) != url:
            # Only optional questions: a blank answer is accepted. Come back with wrong answers.
            page.goto(url)
            text_boxes = page.locator(TEXT_BOXES).all()
            for box in text_boxes:
                box.fill(NOT_AN_ANSWER)
            if text_boxes:
                submit_form(page)
        if path_of(page) == url and page.locator(".govuk-error-summary").count():
            assert page.title().startswith("Error: "), url
            axe.check(page, f"{url} (errors)")
        else:
            # Optional checkboxes: no wrong answer can be given in a browser.
            assert all(q.component.type == "CheckboxesField" for q in compiled.questions), url
            page.goto(url)

        fill_page(page, page_answers(compiled, overrides))
        submit_form(page)
        assert path_of(page) != url, (url, page.locator(".govuk-error-summary").all_inner_texts())

    # The walk went exactly through the pages the journey core puts on the path for these answers;
    # test_the_browser_walks_reach_every_page_but_exit_pages shows the walks cover every page.
    assert visited == expected_urls(journey, overrides)
    axe.check(page, path_of(page))
    submit_form(page)
    assert path_of(page) == f"/{slug}/confirmation"
    assert page.locator(".govuk-panel").count() == 1
    axe.check(page, path_of(page))
    axe.assert_clean()


@pytest.mark.browser
def test_gov_uk_frontend_javascript_runs_under_the_content_security_policy(
    new_context: Callable[..., Any],
) -> None:
    """With the CSP in force (no bypass): no refused scripts or errors, and after an empty
    Continue, GOV.UK Frontend's JavaScript moves focus to the error summary."""
    page = new_context().new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    _start(page, EXAMPLE_FORMS[0])
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    submit_form(page)
    page.wait_for_function("document.activeElement && document.activeElement.matches('.govuk-error-summary')")
    assert problems == []


def check_repeat_summary_and_removal(page: Any, url: str, axe: AxeChecker) -> None:
    """The "add another" summary, its error state, the remove confirmation and its error state;
    then carry on with the one item."""
    axe.check(page, url)
    submit_form(page)
    assert page.locator(".govuk-error-summary").count() == 1, url
    axe.check(page, f"{url} (errors)")
    page.goto(f"{url}/remove/1")
    axe.check(page, f"{url}/remove/1")
    submit_form(page)
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, f"{url}/remove/1 (errors)")
    page.check('main form [name="confirm"][value="no"]')
    submit_form(page)
    assert path_of(page) == url
    page.check('main form [name="addAnother"][value="no"]')
    submit_form(page)
    assert path_of(page) != url


@pytest.mark.browser
def test_an_exit_page_has_no_accessibility_violations_and_no_continue(
    live_server: LiveServer, axe_page: Any, axe: AxeChecker
) -> None:
    slug = "register-land-rural-payments"
    page = axe_page
    page.goto(f"/{slug}/")
    submit_form(page)
    assert path_of(page) == f"/{slug}/land-location"
    fill_page(page, {"landInEngland": ["no"]})
    submit_form(page)
    assert path_of(page) == f"/{slug}/cannot-use-this-service"
    assert page.locator("h1").inner_text() == "You cannot use this service"
    assert page.locator("main button").count() == 0
    axe.check(page, path_of(page))
    page.goto(f"/{slug}/check-answers")
    assert path_of(page) == f"/{slug}/cannot-use-this-service"
    axe.assert_clean()
