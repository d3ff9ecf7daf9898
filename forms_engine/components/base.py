"""The contract every component type fulfils, and the registry that maps JSON types to handlers.

A handler owns one component type end to end: its WTForms field(s), how they are validated, the GOV.UK
macro and parameters that render it, the normalised answer it stores, and how that answer is shown on
check answers and exported. Nothing here touches Flask or the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from markupsafe import Markup, escape
from wtforms import Form
from wtforms.fields.core import UnboundField

from ..definitions.model import Component, FormDefinition
from ..i18n import translate
from . import messages

#: Calls a GOV.UK macro by "component-folder:macroName" with its parameters.
MacroCaller = Callable[[str, dict[str, Any]], Markup]
#: JSON-serialisable answer stored for a component (None when not answered).
Answer = Any
#: Raw form data as posted: field name -> list of strings.
FormData = Mapping[str, list[str]]


@dataclass(frozen=True, slots=True)
class FieldError:
    """The one error shown for a component: the message, the element the summary links to, and
    which date parts (if any) to highlight."""

    message: str
    target: str
    parts: frozenset[str] = field(default_factory=frozenset)
    #: Further (target, message) pairs for components with several inputs, such as an address.
    others: tuple[tuple[str, str], ...] = ()

    def summary_items(self) -> list[tuple[str, str]]:
        """(element id, message) for each line of the error summary."""
        return [(self.target, self.message), *self.others]


def error_message_params(message: str, language: str) -> dict[str, str]:
    """A GOV.UK macro's `errorMessage`, with its visually hidden "Error:" in `language`."""
    return {"text": message, "visuallyHiddenText": translate(messages.ERROR_HIDDEN_PREFIX, language)}


def not_answered(language: str) -> Markup:
    """What check answers shows for a question left blank."""
    return escape(translate(messages.NOT_ANSWERED, language))


class FieldView:
    """What a handler asks about current values while building macro parameters.

    `LiteralView` answers with the user's values. The runner also uses a view that answers with
    placeholders, so a component's markup can be rendered once per definition version and then filled
    with values per request.
    """

    def value(self, name: str) -> str:
        raise NotImplementedError

    def choice(self, name: str, index: int, item_value: str, flag: str = "checked") -> dict[str, Any]:
        """Macro item parameters marking item `index` of field `name` as chosen (or not)."""
        raise NotImplementedError


class LiteralView(FieldView):
    """Values taken straight from form data."""

    def __init__(self, formdata: FormData):
        self.formdata = formdata

    def value(self, name: str) -> str:
        values = self.formdata.get(name) or [""]
        return values[0]

    def choice(self, name: str, index: int, item_value: str, flag: str = "checked") -> dict[str, Any]:
        return {flag: True} if item_value in (self.formdata.get(name) or []) else {}


class ComponentHandler:
    """Base for every component type. Subclasses set `type_name` and `macro` and override what differs."""

    type_name: ClassVar[str]
    #: GOV.UK macro as "component-folder:macroName", e.g. "input:govukInput".
    macro: ClassVar[str]
    is_question: ClassVar[bool] = True
    #: Rendered inside a fieldset with a legend (radios, checkboxes, dates, address) rather than a label.
    uses_fieldset: ClassVar[bool] = False
    #: Takes files: its page's form is sent as multipart/form-data (FileUploadField).
    takes_files: ClassVar[bool] = False
    #: Rendered in full for every request instead of compiled once with slots, because its values
    #: change the markup's shape (such as a list of uploaded files).
    per_request: ClassVar[bool] = False

    def __init__(self, component: Component, definition: FormDefinition):
        self.component = component
        self.definition = definition

    # -- identity -------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.component.name

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of the form fields this component posts."""
        return (self.name,)

    @property
    def target_id(self) -> str:
        """Id of the element the error summary links to (the first input)."""
        return self.name

    def title(self, language: str = "en") -> str:
        title = self.component.title
        text = title.in_language(language) if title is not None else ""
        if self.component.optional and self.is_question:
            text = f"{text} {translate(messages.OPTIONAL_SUFFIX, language)}"
        return text

    def hint(self, language: str = "en") -> str | None:
        hint = self.component.hint
        return hint.in_language(language) if hint is not None else None

    def error_message(self, kind: str, template: str, language: str = "en", **values: Any) -> str:
        """A designer's custom message for `kind` if there is one, else the GOV.UK default, filled in;
        both in `language` (the default is translated first, then its `{label}` etc. filled in)."""
        custom = self.component.errors.get(kind)
        text = custom.in_language(language) if custom is not None else translate(template, language)
        label = self.label_in(language)
        values = {"label": label, "Label": messages.upper_first(label), **values}
        try:
            return text.format_map(values)
        except (KeyError, ValueError, IndexError):
            # A designer's message with stray braces is shown as written.
            return text

    def error(self, kind: str, template: str, language: str = "en", **values: Any) -> FieldError:
        return FieldError(self.error_message(kind, template, language, **values), self.target_id)

    @property
    def label_text(self) -> str:
        """How the question is named inside error messages: 'Enter [label]'."""
        return self.label_in("en")

    def label_in(self, language: str) -> str:
        """The question's name inside error messages in `language`, lower-cased: 'Enter [label]'."""
        label = self.component.short_title or self.component.title
        text = label.in_language(language) if label is not None else self.component.name
        return messages.lower_first(text)

    # -- conditions ---------------------------------------------------------------------------
    def item_conditions(self) -> tuple[Mapping[str, Any], ...]:
        """Conditions deciding which of this component's options are offered (list items)."""
        return ()

    def with_answers(self, answers: Mapping[str, Any]) -> ComponentHandler:
        """This handler as it applies given earlier answers: itself, unless what it offers depends
        on them (then a copy offering only what applies)."""
        return self

    # -- form -------------------------------------------------------------------------------------
    def fields(self) -> dict[str, UnboundField]:
        """WTForms fields (unbound), keyed by form field name."""
        return {}

    def validate(self, form: Form, language: str = "en") -> FieldError | None:
        """The error to show for this component (its message in `language`), or None when the
        answer is acceptable.

        The default reads the single field's text and hands it to `check`.
        """
        raw = form[self.name].data
        value = raw.strip() if isinstance(raw, str) else raw
        if isinstance(value, list):
            # An empty value among several (as from a hidden "none" input) is not a choice.
            value = [v for v in value if not isinstance(v, str) or v.strip()]
        if value in ("", None, []):
            if self.component.optional:
                return None
            return self.error("required", self.required_template, language)
        return self.check(value, language)

    #: Message when a required question is left blank.
    required_template: ClassVar[str] = messages.REQUIRED

    def check(self, value: Any, language: str = "en") -> FieldError | None:
        """Type-specific checks of a non-blank value."""
        return None

    def answer(self, form: Form) -> Answer:
        """The normalised answer from a validated form; None when an optional question is blank."""
        data = form[self.name].data
        if isinstance(data, str):
            data = data.strip()
        return data if data not in ("", None, []) else None

    def formdata(self, answer: Answer) -> dict[str, list[str]]:
        """Form data that, posted back, gives `answer` again: used to pre-fill and to re-validate."""
        if answer is None:
            return {}
        return {self.name: [str(answer)]}

    def is_answered(self, answer: Answer) -> bool:
        return answer not in (None, "", [])

    def example(self) -> dict[str, list[str]]:
        """Form data of a valid answer: used to preview, walk and benchmark a form automatically."""
        return {self.name: ["Example answer"]}

    # -- rendering --------------------------------------------------------------------------------
    def macro_name(self) -> str:
        return self.macro

    def render(
        self,
        call_macro: MacroCaller,
        view: FieldView,
        error: FieldError | None,
        language: str,
        is_page_heading: bool,
    ) -> Markup:
        """This component's HTML, through its GOV.UK macro."""
        return call_macro(self.macro_name(), self.params(view, error, language, is_page_heading))

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        """Parameters for `macro`."""
        raise NotImplementedError

    def _label(self, language: str, is_page_heading: bool) -> dict[str, Any]:
        label: dict[str, Any] = {"text": self.title(language)}
        if is_page_heading:
            label.update(classes="govuk-label--l", isPageHeading=True)
        else:
            label.update(classes="govuk-label--m")
        return label

    def _legend(self, language: str, is_page_heading: bool) -> dict[str, Any]:
        legend: dict[str, Any] = {"text": self.title(language)}
        if is_page_heading:
            legend.update(classes="govuk-fieldset__legend--l", isPageHeading=True)
        else:
            legend.update(classes="govuk-fieldset__legend--m")
        return {"legend": legend}

    def _common(self, language: str, error: FieldError | None) -> dict[str, Any]:
        params: dict[str, Any] = {}
        hint = self.hint(language)
        if hint:
            params["hint"] = {"text": hint}
        if error is not None:
            params["errorMessage"] = error_message_params(error.message, language)
        return params

    # -- showing the answer -----------------------------------------------------------------------
    def display(self, answer: Answer, language: str = "en") -> Markup:
        """The answer as shown on check answers (HTML, escaped)."""
        if not self.is_answered(answer):
            return not_answered(language)
        return escape(str(answer))

    def export(self, answer: Answer) -> str:
        """The answer as one plain-text cell (CSV, email)."""
        if not self.is_answered(answer):
            return ""
        return str(answer)


class ContentHandler(ComponentHandler):
    """Base for components that show content and take no answer."""

    is_question = False

    @property
    def field_names(self) -> tuple[str, ...]:
        return ()

    def validate(self, form: Form, language: str = "en") -> FieldError | None:
        return None

    def answer(self, form: Form) -> Answer:
        return None

    def example(self) -> dict[str, list[str]]:
        return {}


HandlerT = TypeVar("HandlerT", bound=type[ComponentHandler])
REGISTRY: dict[str, type[ComponentHandler]] = {}


def register(cls: HandlerT) -> HandlerT:
    """Class decorator adding a handler to the registry under its `type_name`."""
    if cls.type_name in REGISTRY:
        raise ValueError(f"component type {cls.type_name} registered twice")
    REGISTRY[cls.type_name] = cls
    return cls


def handler_for(component: Component, definition: FormDefinition) -> ComponentHandler:
    """The handler for a component; unknown types fail here, at definition load, never at render."""
    try:
        cls = REGISTRY[component.type]
    except KeyError:
        raise KeyError(f"unknown component type {component.type!r}") from None
    return cls(component, definition)
