"""A UK address: building and street, town or city, county and a postcode checked against UK formats."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape
from wtforms import Form, StringField
from wtforms.fields.core import UnboundField

from ..i18n import translate
from . import messages
from .base import (
    Answer,
    ComponentHandler,
    FieldError,
    FieldView,
    MacroCaller,
    error_message_params,
    not_answered,
    register,
)

POSTCODE = re.compile(
    r"^(GIR0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]([0-9ABEHMNPRV-Y])?|[0-9][A-HJKPS-UW])"
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)
#: part, label (without "(optional)"), autocomplete, width class, required
PARTS = (
    ("line1", messages.ADDRESS_LINE_1, "address-line1", None, True),
    ("line2", messages.ADDRESS_LINE_2, "address-line2", None, False),
    ("town", messages.ADDRESS_TOWN, "address-level2", "govuk-!-width-two-thirds", True),
    ("county", messages.ADDRESS_COUNTY, None, "govuk-!-width-two-thirds", False),
    ("postcode", messages.ADDRESS_POSTCODE, "postal-code", "govuk-input--width-10", True),
)
MAX_LINE = 200


def normalise_postcode(text: str) -> str:
    """'sw1a2aa' -> 'SW1A 2AA'."""
    compact = re.sub(r"\s+", "", text).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def is_uk_postcode(text: str) -> bool:
    return bool(POSTCODE.match(re.sub(r"\s+", "", text).upper()))


@register
class UkAddressField(ComponentHandler):
    type_name = "UkAddressField"
    macro = "fieldset:govukFieldset"
    uses_fieldset = True

    def part_name(self, part: str) -> str:
        return f"{self.name}-{part}"

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(self.part_name(p[0]) for p in PARTS)

    @property
    def target_id(self) -> str:
        return self.part_name("line1")

    def fields(self) -> dict[str, UnboundField]:
        return {name: StringField() for name in self.field_names}

    def _raw(self, form: Form) -> dict[str, str]:
        return {p[0]: (form[self.part_name(p[0])].data or "").strip() for p in PARTS}

    def validate(self, form: Form, language: str = "en") -> FieldError | None:
        raw = self._raw(form)
        if self.component.optional and not any(raw.values()):
            return None
        found: list[tuple[str, str]] = []
        for part, label, *_ in PARTS:
            if len(raw[part]) > MAX_LINE:
                template = translate(messages.ADDRESS_LINE_TOO_LONG, language)
                name = translate(label, language)
                found.append(
                    (part, template.format(Part=name, part=messages.lower_first(name), count=MAX_LINE))
                )
        if not raw["line1"]:
            found.append(("line1", self.error_message("line1", messages.ADDRESS_LINE_1_REQUIRED, language)))
        if not raw["town"]:
            found.append(("town", self.error_message("town", messages.ADDRESS_TOWN_REQUIRED, language)))
        if not raw["postcode"]:
            found.append(("postcode", self.error_message("postcode", messages.POSTCODE_REQUIRED, language)))
        elif not is_uk_postcode(raw["postcode"]):
            found.append(("postcode", self.error_message("format", messages.POSTCODE_FORMAT, language)))
        if not found:
            return None
        order = [p[0] for p in PARTS]
        found.sort(key=lambda item: order.index(item[0]))
        first_part, first_message = found[0]
        return FieldError(
            first_message,
            self.part_name(first_part),
            frozenset(part for part, _ in found),
            tuple((self.part_name(part), message) for part, message in found[1:]),
        )

    def answer(self, form: Form) -> Answer:
        raw = self._raw(form)
        if not any(raw.values()):
            return None
        raw["postcode"] = normalise_postcode(raw["postcode"])
        return raw

    def formdata(self, answer: Answer) -> dict[str, list[str]]:
        if not answer:
            return {}
        return {self.part_name(part): [answer.get(part, "")] for part, *_ in PARTS}

    def example(self) -> dict[str, list[str]]:
        return self.formdata(
            {"line1": "1 Example Street", "line2": "", "town": "York", "county": "", "postcode": "YO1 7HH"}
        )

    def is_answered(self, answer: Answer) -> bool:
        return isinstance(answer, dict) and any(answer.values())

    def render(
        self,
        call_macro: MacroCaller,
        view: FieldView,
        error: FieldError | None,
        language: str,
        is_page_heading: bool,
    ) -> Markup:
        messages_by_target = dict(error.summary_items()) if error else {}
        inputs = []
        for part, label, autocomplete, width, required in PARTS:
            name = self.part_name(part)
            text = translate(label, language)
            if not required:
                text = f"{text} {translate(messages.OPTIONAL_SUFFIX, language)}"
            params: dict[str, Any] = {
                "id": name,
                "name": name,
                "label": {"text": text},
                "value": view.value(name),
            }
            if autocomplete:
                params["autocomplete"] = autocomplete
            if width:
                params["classes"] = width
            if name in messages_by_target:
                params["errorMessage"] = error_message_params(messages_by_target[name], language)
            inputs.append(call_macro("input:govukInput", params))
        fieldset = self._legend(language, is_page_heading)["legend"]
        hint = self.hint(language)
        body = Markup("").join(inputs)
        if hint:
            hint_html = call_macro("hint:govukHint", {"id": f"{self.name}-hint", "text": hint})
            body = hint_html + body
        html = call_macro(
            "fieldset:govukFieldset",
            {
                "legend": fieldset,
                "describedBy": f"{self.name}-hint" if hint else None,
                "html": body,
            },
        )
        classes = "govuk-form-group govuk-form-group--error" if error else "govuk-form-group"
        return Markup(f'<div class="{classes}">{html}</div>')

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        raise NotImplementedError("UkAddressField renders itself")

    def _lines(self, answer: dict[str, str]) -> list[str]:
        return [answer[p] for p, *_ in PARTS if answer.get(p)]

    def display(self, answer: Answer, language: str = "en") -> Markup:
        if not self.is_answered(answer):
            return not_answered(language)
        return Markup("<br>").join(escape(line) for line in self._lines(answer))

    def export(self, answer: Answer) -> str:
        return ", ".join(self._lines(answer)) if self.is_answered(answer) else ""
