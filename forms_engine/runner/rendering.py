"""Fast page rendering: render what is the same for every user once, fill in values per request.

Rendering a GOV.UK page through the govuk-frontend-jinja macros costs milliseconds. Most of a
question page depends only on the definition version: the layout, headings, labels, hints, items.
So each page is rendered once with placeholders ("slots") where per-request values go (CSRF token,
CSP nonce, typed values, which radio is checked, error summary), split into static strings and slot
names, and then filled with a join per request. Components in an error state are rendered in full
through their macro, since errors change their structure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

from ..components import ComponentHandler, FieldView

SLOT_OPEN, SLOT_CLOSE = "\ue000", "\ue001"
SLOT_ATTRIBUTE = "data-fe-slot"
_SLOT = re.compile(f' {SLOT_ATTRIBUTE}="([^"]+)"|{SLOT_OPEN}([^{SLOT_CLOSE}]+){SLOT_CLOSE}')


def slot(name: str) -> Markup:
    """A placeholder to render in place of a per-request value."""
    return Markup(f"{SLOT_OPEN}{name}{SLOT_CLOSE}")


class Compiled:
    """Rendered HTML split into static strings and the slots between them."""

    __slots__ = ("slots", "static")

    def __init__(self, html: str):
        pieces = _SLOT.split(html)
        # split() with two groups yields: text, attr-slot, text-slot, text, ...
        self.static: list[str] = pieces[0::3]
        self.slots: list[str] = [a or b for a, b in zip(pieces[1::3], pieces[2::3], strict=True)]

    def fill(self, values: Mapping[str, str]) -> Markup:
        """Join the static parts with each slot's value (values must already be safe HTML)."""
        out = [self.static[0]]
        for name, text in zip(self.slots, self.static[1:], strict=True):
            out.append(values.get(name, ""))
            out.append(text)
        return Markup("".join(out))


class SlotView(FieldView):
    """Answers a handler's questions about values with slots, recording what each choice slot means."""

    def __init__(self) -> None:
        self.choices: dict[str, tuple[str, str, str]] = {}

    def value(self, name: str) -> str:
        return slot(f"v:{name}")

    def choice(self, name: str, index: int, item_value: str, flag: str = "checked") -> dict[str, Any]:
        key = f"c:{name}:{index}"
        self.choices[key] = (name, item_value, flag)
        return {"attributes": {SLOT_ATTRIBUTE: key}}


class ComponentTemplate:
    """A component's markup for one language with no error, compiled with slots for its values."""

    def __init__(
        self, handler: ComponentHandler, call_macro: MacroCaller, language: str, is_page_heading: bool
    ):
        view = SlotView()
        self.compiled = Compiled(handler.render(call_macro, view, None, language, is_page_heading))
        self.choices = view.choices

    def fill(self, formdata: Mapping[str, list[str]]) -> Markup:
        values: dict[str, str] = {}
        for name in self.compiled.slots:
            if name in self.choices:
                field, item_value, flag = self.choices[name]
                values[name] = f" {flag}" if item_value in (formdata.get(field) or ()) else ""
            else:
                field = name[2:]
                given = formdata.get(field) or [""]
                values[name] = str(escape(given[0]))
        return self.compiled.fill(values)


MacroCaller = Callable[[str, dict[str, Any]], Markup]


def macro_caller(env: Environment) -> MacroCaller:
    """A function calling GOV.UK macros by "component-folder:macroName" in `env`."""

    @cache
    def find(name: str) -> Callable[..., Markup]:
        folder, macro = name.split(":")
        module = env.get_template(f"govuk_frontend_jinja/components/{folder}/macro.html").module
        return getattr(module, macro)

    def call(name: str, params: dict[str, Any]) -> Markup:
        return Markup(find(name)(params))

    return call
