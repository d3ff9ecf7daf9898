"""Date components: a full date (day, month, year) and a month and year, both as GOV.UK date inputs.

Only real dates pass (31 February is an error), month names are accepted ("jan", "March"), and dates
can be bounded by absolute dates or dates relative to today ("today", "-30d", "+1y", "-6m").
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from markupsafe import Markup, escape
from wtforms import Form, StringField
from wtforms.fields.core import UnboundField

from .. import i18n
from ..definitions.model import resolve_date_bound
from ..i18n import translate
from . import messages
from .base import Answer, ComponentHandler, FieldError, FieldView, not_answered, register

#: The first day a date can be typed as: years have 4 digits.
YEAR_1000 = date(1000, 1, 1).toordinal()


def format_date(value: date, language: str = "en") -> str:
    """GOV.UK style: 5 January 2024 (5 Ionawr 2024 in Welsh)."""
    return i18n.format_date(value, language)


def _parse_month(text: str) -> int | None:
    """A month's number from digits or from its name in English or Welsh ('mar', 'Mawrth')."""
    if text.isdigit():
        return int(text)
    return i18n.month_numbers().get(text.lower().rstrip("."))


class _DateHandler(ComponentHandler):
    macro = "date-input:govukDateInput"
    uses_fieldset = True
    parts: ClassVar[tuple[str, ...]] = ("day", "month", "year")
    widths: ClassVar[dict[str, str]] = {"day": "2", "month": "2", "year": "4"}

    #: Names of the parts' form fields: dob-day, dob-month, dob-year.
    def part_name(self, part: str) -> str:
        return f"{self.name}-{part}"

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(self.part_name(p) for p in self.parts)

    @property
    def target_id(self) -> str:
        return self.part_name(self.parts[0])

    def fields(self) -> dict[str, UnboundField]:
        return {self.part_name(p): StringField() for p in self.parts}

    def _raw(self, form: Form) -> dict[str, str]:
        return {p: (form[self.part_name(p)].data or "").strip() for p in self.parts}

    def _part_error(
        self, kind: str, template: str, highlight: list[str], language: str = "en", **values: Any
    ) -> FieldError:
        # `highlight` is not called `parts`: DATE_MISSING_PARTS fills a `{parts}` value.
        target = self.part_name(highlight[0]) if highlight else self.target_id
        return FieldError(
            self.error_message(kind, template, language, **values), target, frozenset(highlight)
        )

    def _to_date(self, raw: dict[str, str], language: str = "en") -> tuple[date | None, FieldError | None]:
        """Turn the parts into a date, or say which part is wrong."""
        day_text = raw.get("day", "1")
        month = _parse_month(raw["month"])
        bad = []
        if not day_text.isdigit() or not 1 <= int(day_text) <= 31:
            bad.append("day")
        if month is None or not 1 <= month <= 12:
            bad.append("month")
        if not raw["year"].isdigit():
            bad.append("year")
        if bad:
            return None, self._part_error("format", messages.DATE_NOT_REAL, bad, language)
        if len(raw["year"]) != 4:
            return None, self._part_error("format", messages.DATE_YEAR_DIGITS, ["year"], language)
        if int(raw["year"]) < 1:
            return None, self._part_error("format", messages.DATE_NOT_REAL, ["year"], language)
        try:
            return date(int(raw["year"]), month, int(day_text)), None  # type: ignore[arg-type]
        except ValueError:
            return None, self._part_error("format", messages.DATE_NOT_REAL, ["day"], language)

    def validate(self, form: Form, language: str = "en", today: date | None = None) -> FieldError | None:
        raw = self._raw(form)
        missing = [p for p in self.parts if not raw[p]]
        if len(missing) == len(self.parts):
            if self.component.optional:
                return None
            return self._part_error("required", messages.DATE_REQUIRED, list(self.parts), language)
        if missing:
            return self._part_error(
                "required",
                messages.DATE_MISSING_PARTS,
                missing,
                language,
                parts=messages.join_parts(missing, language),
            )
        value, error = self._to_date(raw, language)
        if error is not None or value is None:
            return error
        return self._check_bounds(value, today or date.today(), language)

    def _check_bounds(self, value: date, today: date, language: str = "en") -> FieldError | None:
        options = self.component.options
        whole = list(self.parts)
        if "earliest" in options:
            earliest = self._floor(resolve_date_bound(options["earliest"], today))
            if value < earliest:
                if options["earliest"] == "today":
                    return self._part_error("earliest", messages.DATE_IN_FUTURE, whole, language)
                return self._part_error(
                    "earliest",
                    messages.DATE_BEFORE_EARLIEST,
                    whole,
                    language,
                    date=self._show(earliest, language),
                )
        if "latest" in options:
            latest = self._floor(resolve_date_bound(options["latest"], today))
            if value > latest:
                if options["latest"] == "today":
                    return self._part_error("latest", messages.DATE_IN_PAST, whole, language)
                return self._part_error(
                    "latest", messages.DATE_AFTER_LATEST, whole, language, date=self._show(latest, language)
                )
        return None

    def _floor(self, value: date) -> date:
        return value

    def _show(self, value: date, language: str = "en") -> str:
        return format_date(value, language)

    def params(
        self, view: FieldView, error: FieldError | None, language: str, is_page_heading: bool
    ) -> dict[str, Any]:
        items = []
        for part in self.parts:
            classes = f"govuk-input--width-{self.widths[part]}"
            if error is not None and (not error.parts or part in error.parts):
                classes += " govuk-input--error"
            items.append(
                {
                    "name": part,
                    "label": translate(getattr(messages, part.upper()), language),
                    "classes": classes,
                    "value": view.value(self.part_name(part)),
                }
            )
        return {
            "id": self.name,
            "namePrefix": self.name,
            "fieldset": self._legend(language, is_page_heading),
            "items": items,
            **self._common(language, error),
        }

    def is_answered(self, answer: Answer) -> bool:
        return isinstance(answer, str) and bool(answer)

    def example_date(self, today: date | None = None) -> date:
        """A date inside the component's bounds."""
        today = today or date.today()
        options = self.component.options
        low = resolve_date_bound(options["earliest"], today) if "earliest" in options else None
        high = resolve_date_bound(options["latest"], today) if "latest" in options else None
        if low and high:
            ordinal = (low.toordinal() + high.toordinal()) // 2
        elif low:
            ordinal = low.toordinal() + 40
        elif high:
            ordinal = high.toordinal() - 40
        else:
            return today
        # Kept within the bounds and the years a person can type (4 digits): 40 days after an earliest
        # of 31 December 9999 is no date at all, and a year before 1000 is refused.
        lowest = max(low.toordinal() if low else 0, YEAR_1000)
        highest = min(high.toordinal() if high else date.max.toordinal(), date.max.toordinal())
        return date.fromordinal(max(min(ordinal, highest), lowest))

    def example(self) -> dict[str, list[str]]:
        value = self.example_date()
        parts = {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
        return {self.part_name(p): [parts[p]] for p in self.parts}


@register
class DatePartsField(_DateHandler):
    type_name = "DatePartsField"

    def answer(self, form: Form) -> Answer:
        value, error = self._to_date(self._raw(form))
        return value.isoformat() if value is not None and error is None else None

    def formdata(self, answer: Answer) -> dict[str, list[str]]:
        if not self.is_answered(answer):
            return {}
        value = date.fromisoformat(answer)
        return {
            self.part_name("day"): [str(value.day)],
            self.part_name("month"): [str(value.month)],
            self.part_name("year"): [str(value.year)],
        }

    def display(self, answer: Answer, language: str = "en") -> Markup:
        if not self.is_answered(answer):
            return not_answered(language)
        return escape(format_date(date.fromisoformat(answer), language))

    def export(self, answer: Answer) -> str:
        return str(answer) if self.is_answered(answer) else ""


@register
class MonthYearField(_DateHandler):
    type_name = "MonthYearField"
    parts = ("month", "year")

    def _floor(self, value: date) -> date:
        # Bounds compare by month: "latest: today" allows any day of this month.
        return value.replace(day=1)

    def _show(self, value: date, language: str = "en") -> str:
        return i18n.format_month_year(value, language)

    def answer(self, form: Form) -> Answer:
        value, error = self._to_date(self._raw(form))
        return f"{value.year:04d}-{value.month:02d}" if value is not None and error is None else None

    def formdata(self, answer: Answer) -> dict[str, list[str]]:
        if not self.is_answered(answer):
            return {}
        year, month = answer.split("-")
        return {self.part_name("month"): [str(int(month))], self.part_name("year"): [year]}

    def display(self, answer: Answer, language: str = "en") -> Markup:
        if not self.is_answered(answer):
            return not_answered(language)
        year, month = answer.split("-")
        return escape(i18n.format_month_year(date(int(year), int(month), 1), language))

    def export(self, answer: Answer) -> str:
        return str(answer) if self.is_answered(answer) else ""
