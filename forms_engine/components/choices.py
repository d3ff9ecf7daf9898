"""Components answered by choosing: yes/no, radios, checkboxes, select and the declaration."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

from markupsafe import Markup, escape
from wtforms import Form, RadioField, SelectMultipleField
from wtforms import SelectField as WTFSelectField
from wtforms.fields.core import UnboundField

from ..content import render_markdown
from ..definitions.conditions import evaluate
from ..definitions.model import ItemList, ListItem, Text
from ..i18n import LANGUAGES, translate
from . import messages
from .base import Answer, ComponentHandler, FieldError, FieldView, not_answered, register


class _ListHandler(ComponentHandler):
    """A question whose answer is one of the values of a list in the definition."""

    required_template = messages.REQUIRED_CHOICE

    @property
    def item_list(self) -> ItemList:
        assert self.component.list_id is not None
        return self.definition.lists[self.component.list_id]

    #: Items offered given earlier answers, when some items have conditions (set by with_answers).
    _offered: tuple[ListItem, ...] | None = None

    def items(self) -> tuple[ListItem, ...]:
        return self._offered if self._offered is not None else self.item_list.items

    def item_conditions(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(item.condition for item in self.item_list.items if item.condition is not None)

    def with_answers(self, answers: Mapping[str, Any]) -> ComponentHandler:
        if not self.item_conditions():
            return self
        named = self.definition.conditions
        counts = {r: len(answers.get(r) or []) for r in self.definition.repeats}
        offered = copy.copy(self)
        offered._offered = tuple(
            item
            for item in self.item_list.items
            if item.condition is None or evaluate(item.condition, answers, named, counts=counts)
        )
        return offered

    def values(self) -> set[str]:
        return {item.value for item in self.items()}

    def fields(self) -> dict[str, UnboundField]:
        return {self.name: RadioField(choices=[], validate_choice=False)}

    def check(self, value: Any, language: str = "en") -> FieldError | None:
        if value not in self.values():
            return self.error("format", messages.CHOICE_INVALID, language)
        return None

    def example(self) -> dict[str, list[str]]:
        return {self.name: [self.items()[0].value]}

    def item_params(self, view: FieldView, language: str, flag: str = "checked") -> list[dict]:
        params = []
        for index, item in enumerate(self.items()):
            entry: dict[str, Any] = {"value": item.value, "text": item.text.in_language(language)}
            if item.hint is not None:
                entry["hint"] = {"text": item.hint.in_language(language)}
            entry.update(view.choice(self.name, index, item.value, flag))
            params.append(entry)
        return params

    def text_for(self, value: str, language: str = "en") -> str:
        for item in self.item_list.items:
            if item.value == value:
                return item.text.in_language(language)
        return value

    def display(self, answer: Answer, language: str = "en") -> Markup:
        if not self.is_answered(answer):
            return not_answered(language)
        return escape(self.text_for(answer, language))

    def export(self, answer: Answer) -> str:
        return self.text_for(answer) if self.is_answered(answer) else ""


@register
class RadiosField(_ListHandler):
    type_name = "RadiosField"
    macro = "radios:govukRadios"
    uses_fieldset = True

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        options = self.component.options
        classes = " ".join(
            c
            for c, on in (
                ("govuk-radios--inline", options.get("inline")),
                ("govuk-radios--small", options.get("small")),
            )
            if on
        )
        params: dict[str, Any] = {
            "idPrefix": self.name,
            "name": self.name,
            "fieldset": self._legend(language, is_page_heading),
            "items": self.item_params(view, language),
            **self._common(language, error),
        }
        if classes:
            params["classes"] = classes
        return params


def _engine_text(message: str) -> Text:
    """One of the engine's messages as definition text, carrying its translation in every language."""
    return Text({language: translate(message, language) for language in LANGUAGES})


YES_NO = ItemList(
    "yes-no", None, (ListItem(_engine_text(messages.YES), "yes"), ListItem(_engine_text(messages.NO), "no"))
)


@register
class YesNoField(RadiosField):
    """Radios offering Yes and No, stored as true or false."""

    type_name = "YesNoField"

    @property
    def item_list(self) -> ItemList:
        return YES_NO

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        params = super().params(view, error, language, is_page_heading)
        params["classes"] = "govuk-radios--inline"
        return params

    def answer(self, form: Form) -> Answer:
        value = form[self.name].data
        return {"yes": True, "no": False}.get(value) if value else None

    def formdata(self, answer: Answer) -> dict[str, list[str]]:
        if answer is None:
            return {}
        return {self.name: ["yes" if answer else "no"]}

    def is_answered(self, answer: Answer) -> bool:
        return isinstance(answer, bool)

    def display(self, answer: Answer, language: str = "en") -> Markup:
        if not self.is_answered(answer):
            return not_answered(language)
        return escape(translate(messages.YES if answer else messages.NO, language))

    def export(self, answer: Answer) -> str:
        return (messages.YES if answer else messages.NO) if self.is_answered(answer) else ""


@register
class SelectField(_ListHandler):
    type_name = "SelectField"
    macro = "select:govukSelect"

    def fields(self) -> dict[str, UnboundField]:
        return {self.name: WTFSelectField(choices=[], validate_choice=False)}

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        blank: dict[str, Any] = {"value": "", "text": ""}
        return {
            "id": self.name,
            "name": self.name,
            "label": self._label(language, is_page_heading),
            "items": [blank, *self.item_params(view, language, flag="selected")],
            **self._common(language, error),
        }


@register
class CheckboxesField(_ListHandler):
    """Several answers from a list, stored as a list of values in list order."""

    type_name = "CheckboxesField"
    macro = "checkboxes:govukCheckboxes"
    uses_fieldset = True

    def fields(self) -> dict[str, UnboundField]:
        return {self.name: SelectMultipleField(choices=[], validate_choice=False)}

    def check(self, value: Any, language: str = "en") -> FieldError | None:
        chosen = set(value)
        if not chosen <= self.values():
            return self.error("format", messages.CHOICE_INVALID, language)
        options = self.component.options
        if len(chosen) < options.get("minSelected", 1):
            return self.error("minSelected", messages.CHOICE_MIN, language, count=options["minSelected"])
        if "maxSelected" in options and len(chosen) > options["maxSelected"]:
            return self.error("maxSelected", messages.CHOICE_MAX, language, count=options["maxSelected"])
        return None

    def answer(self, form: Form) -> Answer:
        chosen = set(form[self.name].data or [])
        values = [item.value for item in self.items() if item.value in chosen]
        return values or None

    def formdata(self, answer: Answer) -> dict[str, list[str]]:
        return {self.name: list(answer)} if answer else {}

    def example(self) -> dict[str, list[str]]:
        count = max(self.component.options.get("minSelected", 1), 1)
        return {self.name: [item.value for item in self.items()[:count]]}

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "idPrefix": self.name,
            "name": self.name,
            "fieldset": self._legend(language, is_page_heading),
            "items": self.item_params(view, language),
            **self._common(language, error),
        }
        if self.component.options.get("small"):
            params["classes"] = "govuk-checkboxes--small"
        return params

    def display(self, answer: Answer, language: str = "en") -> Markup:
        if not self.is_answered(answer):
            return not_answered(language)
        return Markup("<br>").join(escape(self.text_for(v, language)) for v in answer)

    def export(self, answer: Answer) -> str:
        return "; ".join(self.text_for(v) for v in answer) if self.is_answered(answer) else ""


DECLARATION_VALUE = "confirmed"


@register
class DeclarationField(ComponentHandler):
    """A declaration the user must agree to: its text, then one checkbox."""

    type_name = "DeclarationField"
    macro = "checkboxes:govukCheckboxes"
    uses_fieldset = True
    required_template = messages.REQUIRED_DECLARATION
    confirm_text: ClassVar[str] = messages.DECLARATION_CONFIRM

    def fields(self) -> dict[str, UnboundField]:
        return {self.name: SelectMultipleField(choices=[], validate_choice=False)}

    def validate(self, form: Form, language: str = "en") -> FieldError | None:
        if DECLARATION_VALUE in (form[self.name].data or []):
            return None
        if self.component.optional:
            return None
        return self.error("required", self.required_template, language)

    def answer(self, form: Form) -> Answer:
        return True if DECLARATION_VALUE in (form[self.name].data or []) else None

    def formdata(self, answer: Answer) -> dict[str, list[str]]:
        return {self.name: [DECLARATION_VALUE]} if answer else {}

    def example(self) -> dict[str, list[str]]:
        return {self.name: [DECLARATION_VALUE]}

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        content = self.component.content
        params: dict[str, Any] = {
            "idPrefix": self.name,
            "name": self.name,
            "fieldset": self._legend(language, is_page_heading),
            "items": [
                {
                    "value": DECLARATION_VALUE,
                    "text": translate(self.confirm_text, language),
                    **view.choice(self.name, 0, DECLARATION_VALUE),
                }
            ],
            **self._common(language, error),
        }
        if content is not None:
            params["hint"] = {"html": render_markdown(content.in_language(language))}
        return params

    def display(self, answer: Answer, language: str = "en") -> Markup:
        return escape(translate(self.confirm_text, language)) if answer else not_answered(language)

    def export(self, answer: Answer) -> str:
        return messages.YES if answer else ""
