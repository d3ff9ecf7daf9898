"""Navigation over (definition, answers): pages on the path, next and previous page, the first page
still to complete, check-answers rows and re-validation at submit. Pure code: no Flask, no database.

Answers are a mapping from component name to the normalised answer. A question the user saw and left
blank (optional) is stored as None, so "present in answers" means "the user has been past it".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, Union

from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Form

from ..components import ComponentHandler, FieldError, handler_for
from ..definitions.conditions import evaluate, referenced_components
from ..definitions.model import FormDefinition, Page
from .repeats import RepeatSection

Answers = Mapping[str, Any]
#: A step of the path: a page, or a repeating section standing for its pages.
Step = Union["CompiledPage", RepeatSection]
#: Distinct answer sets remembered per page before the memo is emptied.
COMPLETENESS_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class PageResult:
    """Outcome of validating one page's form data."""

    answers: dict[str, Any]
    errors: dict[str, FieldError]

    @property
    def is_valid(self) -> bool:
        return not self.errors


def repeat_counts(definition: FormDefinition, answers: Answers) -> dict[str, int]:
    """How many items each repeat has, for conditions on counts."""
    counts = {}
    for repeat_id in definition.repeats:
        items = answers.get(repeat_id)
        counts[repeat_id] = len(items) if isinstance(items, list) else 0
    return counts


class CompiledPage:
    """A page with its component handlers and WTForms form class, built once per definition version."""

    def __init__(self, page: Page, definition: FormDefinition):
        self.page = page
        self.handlers: tuple[ComponentHandler, ...] = tuple(
            handler_for(c, definition) for c in page.components
        )
        self.questions = tuple(h for h in self.handlers if h.is_question)
        fields: dict[str, Any] = {}
        for handler in self.questions:
            fields.update(handler.fields())
        self.form_class: type[Form] = type(f"PageForm_{page.id}", (Form,), fields)
        self._completeness: dict[tuple[object, ...], bool] = {}
        #: Earlier answers this page's validation depends on (conditional list items).
        self.depends_on: tuple[str, ...] = tuple(
            sorted(
                {
                    name
                    for handler in self.questions
                    for condition in handler.item_conditions()
                    for name in referenced_components(condition, definition.conditions)
                }
            )
        )

    @property
    def heading_handler(self) -> ComponentHandler | None:
        """On a page with a single question, that question's label or legend is the page heading,
        unless content comes before it: then the page title is the heading, above that content."""
        if len(self.questions) == 1 and self.handlers[0] is self.questions[0]:
            return self.questions[0]
        return None

    def form(self, formdata: Mapping[str, list[str]]) -> Form:
        data: MultiDict[str, str] = MultiDict(dict(formdata))
        return self.form_class(formdata=data)

    def validate(
        self,
        formdata: Mapping[str, list[str]],
        answers_so_far: Answers | None = None,
        language: str = "en",
    ) -> PageResult:
        """Validate posted data; answers are only meaningful when there are no errors.

        `answers_so_far` (earlier answers) decides which conditional list items are offered;
        error messages are in `language`.
        """
        form = self.form(formdata)
        errors: dict[str, FieldError] = {}
        answers: dict[str, Any] = {}
        for handler in self.questions:
            if answers_so_far is not None:
                handler = handler.with_answers(answers_so_far)
            error = handler.validate(form, language)
            if error is not None:
                errors[handler.name] = error
            else:
                answers[handler.name] = handler.answer(form)
        return PageResult(answers, errors)

    def formdata(self, answers: Answers) -> dict[str, list[str]]:
        """Form data reproducing the stored answers: pre-fills the page and re-validates it."""
        data: dict[str, list[str]] = {}
        for handler in self.questions:
            if handler.name in answers:
                data.update(handler.formdata(answers[handler.name]))
        return data

    def example(self) -> dict[str, list[str]]:
        """Valid form data for every question on the page."""
        data: dict[str, list[str]] = {}
        for handler in self.questions:
            data.update(handler.example())
        return data

    def shows(self, handler: ComponentHandler, answers: Answers) -> bool:
        """Whether a component is shown given earlier answers (content can have a condition)."""
        condition = handler.component.condition
        if condition is None:
            return True
        definition = handler.definition
        return evaluate(condition, answers, definition.conditions, counts=repeat_counts(definition, answers))

    def is_complete(self, answers: Answers) -> bool:
        """Every question on the page has been answered (or passed, if optional) and still validates.

        Pages before the one asked for are checked on every request, so the outcome is remembered per
        distinct set of this page's answers (and per day, as date bounds can be relative to today).
        """
        if self.page.exit:
            return False
        if not all(h.name in answers for h in self.questions):
            return False
        if not self.questions:
            return True
        key = (
            date.today().toordinal(),
            *(json.dumps(answers[h.name], sort_keys=True) for h in self.questions),
            *(json.dumps(answers.get(name), sort_keys=True) for name in self.depends_on),
        )
        complete = self._completeness.get(key)
        if complete is None:
            if len(self._completeness) >= COMPLETENESS_CACHE_SIZE:
                self._completeness.clear()
            complete = self._completeness[key] = self.validate(self.formdata(answers), answers).is_valid
        return complete


@dataclass(frozen=True)
class AnswerRow:
    """One row of check your answers."""

    page: Page
    handler: ComponentHandler
    key: str
    value: Markup
    #: For a question of a repeat: which item (1, 2, ...).
    item: int | None = None


@dataclass(frozen=True)
class SectionRows:
    title: str | None
    rows: list[AnswerRow]


class Journey:
    """Navigation for one definition version. Build with `journey_for(definition)`."""

    def __init__(self, definition: FormDefinition):
        self.definition = definition
        self.pages = tuple(CompiledPage(p, definition) for p in definition.pages)
        self._by_slug = {p.page.slug: p for p in self.pages}
        by_id = {p.page.id: p for p in self.pages}
        #: Repeating sections by id, and the section each repeated page belongs to.
        self.repeats: dict[str, RepeatSection] = {
            r.id: RepeatSection(r, tuple(by_id[i] for i in r.page_ids), definition)
            for r in definition.repeats.values()
        }
        self.section_of: dict[str, RepeatSection] = {
            page.page.slug: section for section in self.repeats.values() for page in section.pages
        }
        #: The steps of the journey in order: pages, and each repeat in place of its pages.
        steps: list[Step] = []
        for page in self.pages:
            section = self.section_of.get(page.page.slug)
            if section is None:
                steps.append(page)
            elif section not in steps:
                steps.append(section)
        self.steps: tuple[Step, ...] = tuple(steps)
        self.conditional = bool(self.repeats) or any(
            p.page.condition is not None or p.page.exit for p in self.pages
        )

    def page(self, slug: str) -> CompiledPage | None:
        return self._by_slug.get(slug)

    @cached_property
    def first_page(self) -> CompiledPage:
        return self.pages[0]

    def pages_on_path(self, answers: Answers, today: date | None = None) -> list[Step]:
        """Pages the user goes through given their answers, in order.

        A page with a condition is on the path only when it holds for the answers given on the path
        before it (answers left behind on pages no longer on the path do not count). An exit page
        on the path ends it. Relative dates in conditions count from `today` (default: the real
        today; a receipt passes the day the form was sent, so it reads the same later).
        """
        if not self.conditional:
            return list(self.steps)
        today = today or date.today()
        named = self.definition.conditions
        path: list[Step] = []
        taken: dict[str, Any] = {}
        counts: dict[str, int] = {}
        for step in self.steps:
            if isinstance(step, RepeatSection):
                path.append(step)
                counts[step.repeat.id] = step.count(answers)
                continue
            condition = step.page.condition
            if condition is not None and not evaluate(condition, taken, named, today, counts):
                continue
            path.append(step)
            if step.page.exit:
                break
            for handler in step.questions:
                if handler.name in answers:
                    taken[handler.name] = answers[handler.name]
        return path

    def next_page(self, current: Step, answers: Answers) -> Step | None:
        """The page after `current` on the path, or None when check answers comes next."""
        path = self.pages_on_path(answers)
        index = path.index(current) if current in path else -1
        return path[index + 1] if index + 1 < len(path) else None

    def previous_page(self, current: Step, answers: Answers) -> Step | None:
        """The page before `current` on the path, or None when it is the first page."""
        path = self.pages_on_path(answers)
        if current not in path:
            return None
        index = path.index(current)
        return path[index - 1] if index > 0 else None

    def first_incomplete_page(self, answers: Answers) -> Step | None:
        """The first page on the path not yet completed, or None when every page is."""
        for page in self.pages_on_path(answers):
            if not page.is_complete(answers):
                return page
        return None

    def can_visit(self, page: Step, answers: Answers) -> bool:
        """A page may be shown when it is on the path and every page before it is complete."""
        for earlier in self.pages_on_path(answers):
            if earlier is page:
                return True
            if not earlier.is_complete(answers):
                return False
        return False

    def answers_on_path(self, answers: Answers) -> dict[str, Any]:
        """Only the answers to questions on the path the user took."""
        kept: dict[str, Any] = {}
        for page in self.pages_on_path(answers):
            if isinstance(page, RepeatSection):
                kept[page.repeat.id] = page.kept_answers(answers)
                continue
            for handler in page.questions:
                if handler.name in answers:
                    kept[handler.name] = answers[handler.name]
        return kept

    def submission_errors(self, answers: Answers) -> dict[str, dict[str, FieldError]]:
        """Re-validate every page on the path: page slug -> errors. Empty when ready to submit."""
        problems: dict[str, dict[str, FieldError]] = {}
        for page in self.pages_on_path(answers):
            if isinstance(page, RepeatSection):
                if not page.is_complete(answers):
                    problems[page.page.slug] = {}
                continue
            missing = [h for h in page.questions if h.name not in answers]
            result = page.validate(page.formdata(answers), answers)
            if page.page.exit or missing or not result.is_valid:
                problems[page.page.slug] = result.errors or {
                    h.name: FieldError("Not answered", h.target_id) for h in missing
                }
        return problems

    def check_answer_sections(
        self, answers: Answers, language: str = "en", today: date | None = None
    ) -> list[SectionRows]:
        """Rows for check your answers, grouped by consecutive section (`today`: see pages_on_path)."""
        sections: list[SectionRows] = []
        for page in self.pages_on_path(answers, today):
            if isinstance(page, RepeatSection):
                sections.extend(self._repeat_rows(page, answers, language, today))
                continue
            title = self.definition.section_title(page.page)
            title_text = title.in_language(language) if title is not None else None
            if not sections or sections[-1].title != title_text:
                sections.append(SectionRows(title_text, []))
            for handler in page.questions:
                label = handler.component.short_title or handler.component.title
                key = label.in_language(language) if label is not None else handler.name
                sections[-1].rows.append(
                    AnswerRow(page.page, handler, key, handler.display(answers.get(handler.name), language))
                )
        return [s for s in sections if s.rows]

    def _repeat_rows(
        self, section: RepeatSection, answers: Answers, language: str, today: date | None = None
    ) -> list[SectionRows]:
        """One group of rows per item of a repeat, headed 'Sett 1', 'Sett 2'..."""
        groups = []
        name = section.repeat.item_name.in_language(language)
        for index, item in enumerate(section.items(answers)):
            rows = []
            for page in section.item_pages(answers, index, today):
                for handler in page.questions:
                    label = handler.component.short_title or handler.component.title
                    key = label.in_language(language) if label is not None else handler.name
                    value = handler.display(item.get(handler.name), language)
                    rows.append(AnswerRow(page.page, handler, key, value, index + 1))
            groups.append(SectionRows(f"{name[:1].upper()}{name[1:]} {index + 1}", rows))
        return groups


_journeys: dict[tuple[str, str], Journey] = {}


def journey_for(definition: FormDefinition) -> Journey:
    """The Journey for a definition version, built once and reused (keyed by slug and content hash)."""
    key = (definition.slug, definition.version)
    journey = _journeys.get(key)
    if journey is None or journey.definition is not definition:
        journey = _journeys[key] = Journey(definition)
    return journey
