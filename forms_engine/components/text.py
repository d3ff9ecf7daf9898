"""Components answered by typing: text, long text, numbers, email addresses, telephone and NI numbers."""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation, localcontext
from typing import Any, ClassVar

from email_validator import EmailNotValidError, validate_email
from markupsafe import Markup, escape
from wtforms import StringField, TextAreaField
from wtforms.fields.core import UnboundField

from ..definitions.model import Text
from ..i18n import plural_categories, translate
from . import messages
from .base import Answer, ComponentHandler, FieldError, FieldView, not_answered, register


class _InputHandler(ComponentHandler):
    """A single-line govukInput."""

    macro = "input:govukInput"
    input_type: ClassVar[str] = "text"
    extra_params: ClassVar[dict[str, Any]] = {}

    def fields(self) -> dict[str, UnboundField]:
        return {self.name: StringField()}

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        options = self.component.options
        params: dict[str, Any] = {
            "id": self.name,
            "name": self.name,
            "type": self.input_type,
            "value": view.value(self.name),
            "label": self._label(language, is_page_heading),
            **self.extra_params,
            **self._common(language, error),
        }
        if options.get("classes"):
            params["classes"] = options["classes"]
        if options.get("autocomplete"):
            params["autocomplete"] = options["autocomplete"]
        return params


@register
class TextField(_InputHandler):
    type_name = "TextField"

    def check(self, value: str, language: str = "en") -> FieldError | None:
        options = self.component.options
        if "minLength" in options and len(value) < options["minLength"]:
            return self.error("minLength", messages.TOO_SHORT, language, count=options["minLength"])
        if "maxLength" in options and len(value) > options["maxLength"]:
            return self.error("maxLength", messages.TOO_LONG, language, count=options["maxLength"])
        if "regex" in options and not re.fullmatch(options["regex"], value):
            return self.error("format", messages.BAD_FORMAT, language)
        return None

    def example(self) -> dict[str, list[str]]:
        options = self.component.options
        if "example" in options:
            return {self.name: [options["example"]]}
        text = "Example answer"
        if "minLength" in options:
            text = text.ljust(options["minLength"], "x")
        if "maxLength" in options:
            text = text[: options["maxLength"]]
        return {self.name: [text]}

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        params = super().params(view, error, language, is_page_heading)
        if "spellcheck" in self.component.options:
            params["spellcheck"] = self.component.options["spellcheck"]
        return params


def _normalise_newlines(text: str) -> str:
    # Browsers post a textarea's line breaks as CRLF but count them as one character (as GOV.UK's
    # character count does): count and store them as "\n" so the server agrees with the page.
    return text.replace("\r\n", "\n").replace("\r", "\n")


@register
class MultilineTextField(ComponentHandler):
    """Long text: govukTextarea, or govukCharacterCount when a word or character limit is set."""

    type_name = "MultilineTextField"

    def macro_name(self) -> str:
        options = self.component.options
        if "maxWords" in options or "maxLength" in options:
            return "character-count:govukCharacterCount"
        return "textarea:govukTextarea"

    def fields(self) -> dict[str, UnboundField]:
        return {self.name: TextAreaField()}

    def check(self, value: str, language: str = "en") -> FieldError | None:
        options = self.component.options
        value = _normalise_newlines(value)
        if "maxWords" in options and len(value.split()) > options["maxWords"]:
            return self.error("maxWords", messages.TOO_MANY_WORDS, language, count=options["maxWords"])
        if "maxLength" in options and len(value) > options["maxLength"]:
            return self.error("maxLength", messages.TOO_LONG, language, count=options["maxLength"])
        return None

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        options = self.component.options
        params: dict[str, Any] = {
            "id": self.name,
            "name": self.name,
            "value": view.value(self.name),
            "rows": options.get("rows", 5),
            "label": self._label(language, is_page_heading),
            **self._common(language, error),
        }
        if "maxWords" in options:
            params["maxwords"] = options["maxWords"]
        elif "maxLength" in options:
            params["maxlength"] = options["maxLength"]
        if params.get("maxwords") or params.get("maxlength"):
            params.update(_character_count_texts(language, "words" if "maxwords" in params else "characters"))
        return params

    def answer(self, form: Any) -> Answer:
        text = _normalise_newlines(form[self.name].data or "").strip()
        return text or None

    def example(self) -> dict[str, list[str]]:
        options = self.component.options
        text = "First line of a longer answer.\nSecond line."
        if "maxWords" in options:
            text = " ".join(text.split()[: options["maxWords"]])
        if "maxLength" in options:
            text = text[: options["maxLength"]].strip()
        return {self.name: [text]}

    def display(self, answer: Answer, language: str = "en") -> Markup:
        if not self.is_answered(answer):
            return not_answered(language)
        return Markup("<br>").join(escape(line) for line in str(answer).splitlines())


def _character_count_texts(language: str, unit: str) -> dict[str, Any]:
    """GOV.UK Frontend's character count texts in `language` (its own English ones are the default),
    with a form for each of the language's plural categories, as its JavaScript picks them."""
    if language == "en":
        return {}
    params: dict[str, Any] = {
        "textareaDescriptionText": translate(messages.CHARACTER_COUNT_DESCRIPTION[unit], language)
    }
    for name, text in messages.CHARACTER_COUNT_TEXTS.items():
        translated = translate(text, language)
        # The "at limit" text is one message; the others have a form per plural category.
        params[name] = (
            translated if "AtLimit" in name else dict.fromkeys(plural_categories(language), translated)
        )
    return params


def _parse_number(text: str) -> Decimal | None:
    cleaned = text.replace(",", "").replace(" ", "")
    if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)", cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def _format_number(number: int | float | Decimal) -> str:
    return f"{number:,}" if isinstance(number, int) else f"{Decimal(str(number)):,}"


@register
class NumberField(_InputHandler):
    type_name = "NumberField"
    extra_params: ClassVar[dict[str, Any]] = {"spellcheck": False}

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        params = super().params(view, error, language, is_page_heading)
        options = self.component.options
        params["inputmode"] = "decimal" if options.get("decimals") else "numeric"
        params.setdefault("classes", "govuk-input--width-10")
        if options.get("prefix"):
            params["prefix"] = {"text": Text(options["prefix"]).in_language(language)}
        if options.get("suffix"):
            params["suffix"] = {"text": Text(options["suffix"]).in_language(language)}
        return params

    def check(self, value: str, language: str = "en") -> FieldError | None:
        options = self.component.options
        number = _parse_number(value)
        if number is None:
            return self.error("format", messages.NUMBER_NOT_NUMBER, language)
        decimals = options.get("decimals", 0)
        exponent = number.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if places > decimals:
            if decimals == 0:
                return self.error("format", messages.NUMBER_NOT_WHOLE, language)
            return self.error("format", messages.NUMBER_TOO_MANY_DECIMALS, language, count=decimals)
        low, high = options.get("min"), options.get("max")
        out_of_range = (low is not None and number < Decimal(str(low))) or (
            high is not None and number > Decimal(str(high))
        )
        if out_of_range:
            if low is not None and high is not None:
                return self.error(
                    "range",
                    messages.NUMBER_BETWEEN,
                    language,
                    min=_format_number(low),
                    max=_format_number(high),
                )
            if low is not None:
                return self.error("min", messages.NUMBER_MIN, language, min=_format_number(low))
            return self.error("max", messages.NUMBER_MAX, language, max=_format_number(high))  # type: ignore[arg-type]
        return None

    def answer(self, form: Any) -> Answer:
        text = (form[self.name].data or "").strip()
        number = _parse_number(text) if text else None
        if number is None:
            return None
        return int(number) if self.component.options.get("decimals", 0) == 0 else float(number)

    def example(self) -> dict[str, list[str]]:
        options = self.component.options
        low, high = options.get("min"), options.get("max")
        # JSON numbers go up to about 1e308 and down to 5e-324: with the default 28 digits the sum or
        # the rounding to `decimals` places could fail or lose the limits, so work with enough digits
        # for any of them (about 330 before the point, 330 after).
        with localcontext() as context:
            context.prec = 700
            if low is not None and high is not None:
                value = Decimal(str(low)) + (Decimal(str(high)) - Decimal(str(low))) / 2
            elif low is not None:
                value = Decimal(str(low)) + 1
            elif high is not None:
                value = Decimal(str(high)) - 1
            else:
                value = Decimal(12)
            decimals = options.get("decimals", 0)
            # Down towards minus infinity, not towards zero: -0.18 to 1 place is -0.2, since -0.1 could
            # be above a maximum of -0.11. Only when that falls below the minimum, the minimum rounded up.
            value = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_FLOOR)
            if low is not None and value < Decimal(str(low)):
                value = Decimal(str(low)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_CEILING)
            value = abs(value) if value == 0 else value  # "-0" is not a number a person types
        return {self.name: [format(value, "f")]}

    def formdata(self, answer: Answer) -> dict[str, list[str]]:
        if answer is None:
            return {}
        # str() of a float can be "1e-05", which is not something a person types (nor parses here).
        return {self.name: [format(Decimal(str(answer)), "f")]}

    def display(self, answer: Answer, language: str = "en") -> Markup:
        if not self.is_answered(answer):
            return not_answered(language)
        options = self.component.options
        prefix = Text(options["prefix"]).in_language(language) if options.get("prefix") else ""
        text = f"{prefix}{self.export(answer)}"
        if options.get("suffix"):
            text = f"{text} {Text(options['suffix']).in_language(language)}"
        return escape(text)

    def export(self, answer: Answer) -> str:
        if not self.is_answered(answer):
            return ""
        decimals = self.component.options.get("decimals", 0)
        return f"{answer:.{decimals}f}" if decimals else str(answer)


@register
class EmailAddressField(_InputHandler):
    type_name = "EmailAddressField"
    input_type = "email"
    extra_params: ClassVar[dict[str, Any]] = {"spellcheck": False, "autocomplete": "email"}

    def check(self, value: str, language: str = "en") -> FieldError | None:
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            return self.error("format", messages.EMAIL_FORMAT, language)
        return None

    def example(self) -> dict[str, list[str]]:
        return {self.name: ["applicant@example.com"]}


PHONE_ALLOWED = re.compile(r"^\+?[\d\s()\-]+$")


@register
class TelephoneNumberField(_InputHandler):
    type_name = "TelephoneNumberField"
    input_type = "tel"
    extra_params: ClassVar[dict[str, Any]] = {"autocomplete": "tel", "classes": "govuk-input--width-20"}

    def check(self, value: str, language: str = "en") -> FieldError | None:
        digits = re.sub(r"\D", "", value)
        if not PHONE_ALLOWED.match(value) or not 10 <= len(digits) <= 15:
            return self.error("format", messages.PHONE_FORMAT, language)
        return None

    def example(self) -> dict[str, list[str]]:
        return {self.name: ["01632 960 001"]}


NINO = re.compile(r"^(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")


def _normalise_nino(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


@register
class NationalInsuranceNumberField(_InputHandler):
    type_name = "NationalInsuranceNumberField"
    required_template = messages.NINO_REQUIRED
    extra_params: ClassVar[dict[str, Any]] = {
        "spellcheck": False,
        "classes": "govuk-input--width-10 govuk-input--extra-letter-spacing",
    }

    def check(self, value: str, language: str = "en") -> FieldError | None:
        if not NINO.match(_normalise_nino(value)):
            return self.error("format", messages.NINO_FORMAT, language)
        return None

    def example(self) -> dict[str, list[str]]:
        return {self.name: ["AB 12 34 56 C"]}

    def answer(self, form: Any) -> Answer:
        text = (form[self.name].data or "").strip()
        return _normalise_nino(text) or None

    def export(self, answer: Answer) -> str:
        if not self.is_answered(answer):
            return ""
        text = str(answer)
        return f"{text[0:2]} {text[2:4]} {text[4:6]} {text[6:8]} {text[8:]}"

    def display(self, answer: Answer, language: str = "en") -> Markup:
        return escape(self.export(answer)) if self.is_answered(answer) else super().display(answer, language)
