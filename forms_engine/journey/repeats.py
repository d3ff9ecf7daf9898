"""Repeating sections (GOV.UK "add another"): a group of pages answered once per item.

On the path a repeat is one step. Its answers are stored under the repeat's id as a list of items,
each a mapping of the repeat's question names to answers; `<id>__done` records that the user said
they have nothing more to add.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from ..definitions.conditions import evaluate
from ..definitions.model import FormDefinition, Page, Repeat

if TYPE_CHECKING:
    from .core import CompiledPage

Answers = Mapping[str, Any]


def done_key(repeat_id: str) -> str:
    return f"{repeat_id}__done"


class RepeatSection:
    """A repeat as one step of the path. Like a page it has a `page` (its summary page) and can say
    whether it is complete; it has no questions of its own."""

    questions: tuple[Any, ...] = ()
    handlers: tuple[Any, ...] = ()

    def __init__(self, repeat: Repeat, pages: tuple[CompiledPage, ...], definition: FormDefinition):
        self.repeat = repeat
        self.pages = pages
        self.definition = definition
        self.page = Page(
            id=repeat.id,
            path=f"/repeat/{repeat.id}",
            title=repeat.title,
            components=(),
            section_id=pages[0].page.section_id,
        )
        self.question_names = tuple(h.name for p in pages for h in p.questions)

    # -- items ------------------------------------------------------------------------------------
    def items(self, answers: Answers) -> list[dict[str, Any]]:
        value = answers.get(self.repeat.id)
        return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []

    def count(self, answers: Answers) -> int:
        return len(self.items(answers))

    def item_answers(self, answers: Answers, index: int) -> dict[str, Any]:
        """The answers a page of item `index` sees: everything outside the repeat, and that item's."""
        items = self.items(answers)
        own = items[index] if 0 <= index < len(items) else {}
        return {**answers, **own}

    def item_pages(self, answers: Answers, index: int, today: date | None = None) -> list[CompiledPage]:
        """The repeat's pages on the path for item `index` (pages can have conditions; relative
        dates in them count from `today`, by default the real today)."""
        merged = self.item_answers(answers, index)
        named = self.definition.conditions
        today = today or date.today()
        return [
            page
            for page in self.pages
            if page.page.condition is None or evaluate(page.page.condition, merged, named, today)
        ]

    def first_incomplete_in_item(self, answers: Answers, index: int) -> CompiledPage | None:
        merged = self.item_answers(answers, index)
        for page in self.item_pages(answers, index):
            if not page.is_complete(merged):
                return page
        return None

    def item_is_complete(self, answers: Answers, index: int) -> bool:
        return self.first_incomplete_in_item(answers, index) is None

    def is_done(self, answers: Answers) -> bool:
        count = self.count(answers)
        return count >= self.repeat.max_items or (
            answers.get(done_key(self.repeat.id)) is True and count >= self.repeat.min_items
        )

    def is_complete(self, answers: Answers) -> bool:
        return self.is_done(answers) and all(
            self.item_is_complete(answers, i) for i in range(self.count(answers))
        )

    def kept_answers(self, answers: Answers) -> list[dict[str, Any]]:
        """Each item's answers to questions on its path, for check answers and the submission."""
        kept = []
        for index, item in enumerate(self.items(answers)):
            names = {h.name for p in self.item_pages(answers, index) for h in p.questions}
            kept.append({name: value for name, value in item.items() if name in names})
        return kept
