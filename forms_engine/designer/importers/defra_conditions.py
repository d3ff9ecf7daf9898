"""Conditions for the Defra Forms importer: Defra's condition wrappers (engine V1 `value.conditions`
with `coordinator`s, nested groups and `conditionName` references; engine V2 `items` with
`componentId` or `conditionId` and one `coordinator`) turned into native conditions.

Operators follow Defra's forms-model: `is`, `is not`, `contains`, `does not contain`, `is longer than`,
`is shorter than`, `has length`, `is less than`, `is more than`, `is at least`, `is at most`,
`is before`, `is after`; dates may be compared with a date relative to today (`period`, `unit`,
`direction`). Mixing `and` and `or` groups the `and`s first, as Defra's ConditionsModel does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

Condition = dict[str, Any]

CHOICE_TYPES = frozenset({"RadiosField", "CheckboxesField", "SelectField"})
TEXT_TYPES = frozenset(
    {
        "TextField",
        "MultilineTextField",
        "EmailAddressField",
        "TelephoneNumberField",
        "NationalInsuranceNumberField",
    }
)
DATE_TYPES = frozenset({"DatePartsField", "MonthYearField"})
#: Defra number comparisons and the native operator for each.
NUMBER_OPERATORS = {
    "is more than": "greaterThan",
    "is less than": "lessThan",
    "is at least": "greaterThanOrEqual",
    "is at most": "lessThanOrEqual",
}
LENGTH_OPERATORS = {
    "is longer than": "lengthGreaterThan",
    "is shorter than": "lengthLessThan",
    "has length": "lengthIs",
}
#: For a date relative to today: Defra operator -> (native operator in the past, in the future).
#: "is at least 3 days in the past" means on or before 3 days ago; "in the future", on or after.
RELATIVE_OPERATORS = {
    "is at least": ("onOrBefore", "onOrAfter"),
    "is at most": ("onOrAfter", "onOrBefore"),
    "is less than": ("after", "before"),
    "is more than": ("before", "after"),
    "is before": ("before", "before"),
    "is after": ("after", "after"),
}
UNITS = {
    "day": "d",
    "days": "d",
    "d": "d",
    "month": "m",
    "months": "m",
    "m": "m",
    "year": "y",
    "years": "y",
    "y": "y",
}


class Unsupported(Exception):
    """A condition (or part of one) the native language cannot express; the message says why."""


@dataclass(frozen=True)
class FieldInfo:
    """A native question a condition can compare."""

    name: str
    type: str
    source_type: str
    #: Native list values, and the source value (as text) and item text (lower case) of each.
    values: tuple[str, ...] = ()
    by_source_value: Mapping[str, str] = field(default_factory=dict)
    by_text: Mapping[str, str] = field(default_factory=dict)
    #: Id of the native repeat the question is asked in, if any.
    repeat: str | None = None
    #: Why conditions cannot use it (a question split into several, say), if they cannot.
    not_comparable: str | None = None


@dataclass(frozen=True)
class Value:
    """What a comparison compares with: a plain value, or a date relative to today."""

    raw: Any = None
    relative: tuple[int, str, str] | None = None  # (period, unit, "past" | "future")


def relative_value(period: Any, unit: Any, direction: Any) -> Value:
    try:
        amount = int(str(period).strip())
    except ValueError:
        raise Unsupported(f"the relative date's period '{period}' is not a whole number") from None
    unit_key = str(unit).strip().lower()
    if unit_key in ("week", "weeks", "w"):
        amount, unit_key = amount * 7, "days"
    if unit_key not in UNITS:
        raise Unsupported(f"the relative date's unit '{unit}' is not days, months or years")
    text = str(direction).strip().lower()
    if "past" in text:
        way = "past"
    elif "future" in text:
        way = "future"
    else:
        raise Unsupported(
            f"the relative date's direction '{direction}' is not 'in the past' or 'in the future'"
        )
    return Value(relative=(abs(amount), UNITS[unit_key], way))


def relative_bound(period: int, unit: str, way: str) -> str:
    """A native relative date: 'today', '-3d', '+1y'."""
    if period == 0:
        return "today"
    return f"{'-' if way == 'past' else '+'}{period}{unit}"


def _number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise Unsupported(f"'{raw}' is not a number")
    try:
        number = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise Unsupported(f"'{raw}' is not a number") from None
    return int(number) if number == number.to_integral_value() else float(number)


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "yes"):
        return True
    if text in ("false", "no"):
        return False
    raise Unsupported(f"'{raw}' is not yes or no")


def _date_text(raw: Any, kind: str) -> str:
    if isinstance(raw, datetime):
        raw = raw.date()
    text = raw.isoformat() if isinstance(raw, date) else str(raw).strip()
    match = re.match(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", text)
    if match is None:
        raise Unsupported(f"'{raw}' is not a date (YYYY-MM-DD)")
    year, month, day = match[1], int(match[2]), match[3]
    if kind == "MonthYearField":
        return f"{year}-{month:02d}"
    if day is None:
        raise Unsupported(f"'{raw}' is not a full date (YYYY-MM-DD)")
    return f"{year}-{month:02d}-{int(day):02d}"


def choice_value(field_info: FieldInfo, raw: Any) -> str:
    """The native list value a Defra value stands for (its value, else its item's text)."""
    text = str(raw).lower() if isinstance(raw, bool) else str(raw)
    if text in field_info.by_source_value:
        return field_info.by_source_value[text]
    if text in field_info.values:
        return text
    by_text = field_info.by_text.get(text.strip().lower())
    if by_text is not None:
        return by_text
    raise Unsupported(f"'{raw}' is not one of the values of the list of '{field_info.name}'")


def compare(field_info: FieldInfo, operator: str, value: Value) -> Condition:
    """One Defra comparison as a native condition, or Unsupported."""
    op = " ".join(str(operator).strip().lower().split())
    name, kind = field_info.name, field_info.type
    if field_info.not_comparable:
        raise Unsupported(field_info.not_comparable)
    if field_info.repeat is not None:
        raise Unsupported(
            f"'{name}' is answered once per item of the repeat '{field_info.repeat}': a native condition "
            "outside the repeat can only use the number of items"
        )

    def leaf(native_op: str, expected: Any) -> Condition:
        return {"component": name, "op": native_op, "value": expected}

    if value.relative is not None:
        if kind not in DATE_TYPES:
            raise Unsupported(f"a relative date cannot be compared with a {field_info.source_type}")
        if op not in RELATIVE_OPERATORS:
            raise Unsupported(f"'{operator}' with a relative date is not supported")
        period, unit, way = value.relative
        native_op = RELATIVE_OPERATORS[op][0 if way == "past" else 1]
        return leaf(native_op, relative_bound(period, unit, way))

    raw = value.raw
    if kind == "YesNoField" and op in ("is", "is not"):
        return leaf("is" if op == "is" else "isNot", _boolean(raw))
    if kind in CHOICE_TYPES:
        if op in ("is", "is not", "contains", "does not contain"):
            expected = choice_value(field_info, raw)
            if kind == "CheckboxesField" and op in ("contains", "does not contain"):
                found = leaf("contains", expected)
                return found if op == "contains" else {"not": found}
            return leaf("is" if op in ("is", "contains") else "isNot", expected)
        if op in NUMBER_OPERATORS:
            # The native number operators take a NumberField: list the items that compare so.
            limit = _number(raw)
            python_op = {
                "greaterThan": lambda v: v > limit,
                "lessThan": lambda v: v < limit,
                "greaterThanOrEqual": lambda v: v >= limit,
                "lessThanOrEqual": lambda v: v <= limit,
            }[NUMBER_OPERATORS[op]]
            try:
                matching = [v for v in field_info.values if python_op(_number(v))]
            except Unsupported:
                raise Unsupported(
                    f"'{operator}' needs a list of numbers, and '{name}' has other values"
                ) from None
            if not matching:
                raise Unsupported(f"no item of the list of '{name}' {op} {raw}: the condition never holds")
            return (
                leaf("anyOf", matching)
                if kind != "CheckboxesField"
                else {"any": [leaf("contains", v) for v in matching]}
            )
    if kind == "NumberField":
        if op in ("is", "is not"):
            return leaf("is" if op == "is" else "isNot", _number(raw))
        if op in NUMBER_OPERATORS:
            return leaf(NUMBER_OPERATORS[op], _number(raw))
    if kind in DATE_TYPES and op in ("is", "is not", "is before", "is after"):
        native_op = {"is": "is", "is not": "isNot", "is before": "before", "is after": "after"}[op]
        return leaf(native_op, _date_text(raw, kind))
    if kind in TEXT_TYPES:
        if op in ("is", "is not"):
            return leaf("is" if op == "is" else "isNot", str(raw))
        if op in ("contains", "does not contain"):
            found = leaf("contains", str(raw))
            return found if op == "contains" else {"not": found}
        if op in LENGTH_OPERATORS:
            length = _number(raw)
            if not isinstance(length, int) or length < 0:
                raise Unsupported(f"'{operator}' needs a whole number, not '{raw}'")
            return leaf(LENGTH_OPERATORS[op], length)
    raise Unsupported(f"the operator '{operator}' is not supported on a {field_info.source_type}")


def combine(parts: Sequence[tuple[str | None, Condition]]) -> Condition:
    """Conditions joined by their coordinators ('and' binds tighter than 'or', as in Defra)."""
    groups: list[list[Condition]] = [[]]
    for index, (coordinator, condition) in enumerate(parts):
        if index > 0 and coordinator == "or":
            groups.append([])
        groups[-1].append(condition)
    alternatives = [g[0] if len(g) == 1 else {"all": g} for g in groups if g]
    return alternatives[0] if len(alternatives) == 1 else {"any": alternatives}


@dataclass
class Context:
    """What converting a condition needs from the rest of the import."""

    #: A field reference (V1 field name, V2 component id) and its display text -> the native question.
    question: Callable[[str, str, str], FieldInfo]
    #: A condition reference (V1 name, V2 id) -> the native condition id.
    reference: Callable[[str, str], str]
    #: A V2 list item reference (list id, item id) -> the item's source value.
    list_item: Callable[[str, str], Any]
    #: Problems found in parts the conversion could do without: (JSON path, message).
    notes: list[tuple[str, str]] = field(default_factory=list)


def _coordinator(item: Mapping[str, Any]) -> str | None:
    value = item.get("coordinator")
    if value is None and isinstance(item.get("conditions"), list) and item["conditions"]:
        first = item["conditions"][0]
        value = first.get("coordinator") if isinstance(first, Mapping) else None
    return str(value).lower() if value else None


def convert_v1(value: Mapping[str, Any], path: str, context: Context) -> Condition:
    """An engine V1 condition's `value` ({name, conditions: [...]}) as a native condition."""
    items = value.get("conditions")
    if not isinstance(items, list) or not items:
        raise Unsupported("the condition has no conditions")
    parts: list[tuple[str | None, Condition]] = []
    for index, item in enumerate(items):
        item_path = f"{path}.conditions[{index}]"
        if not isinstance(item, Mapping):
            raise Unsupported(f"{item_path} is not an object")
        coordinator = _coordinator(item)
        if index > 0 and coordinator not in ("and", "or"):
            context.notes.append((item_path, "no 'and'/'or' coordinator: read as 'and'"))
            coordinator = "and"
        if "conditionName" in item:
            parts.append(
                (
                    coordinator,
                    {"ref": context.reference(str(item["conditionName"]), f"{item_path}.conditionName")},
                )
            )
        elif "conditions" in item:
            parts.append((coordinator, convert_v1(item, item_path, context)))
        elif "field" in item:
            source_field = item.get("field")
            if not isinstance(source_field, Mapping):
                raise Unsupported(f"{item_path}.field is not an object")
            info = context.question(
                str(source_field.get("name", "")), str(source_field.get("display", "")), f"{item_path}.field"
            )
            parts.append(
                (coordinator, compare(info, str(item.get("operator", "")), _v1_value(item.get("value"))))
            )
        else:
            raise Unsupported(f"{item_path} is neither a comparison, a group nor a reference")
    return combine(parts)


def _v1_value(value: Any) -> Value:
    if isinstance(value, Mapping):
        kind = str(value.get("type", "Value"))
        if kind == "RelativeDate":
            return relative_value(value.get("period"), value.get("unit"), value.get("direction"))
        if kind == "RelativeTime":
            return relative_value(value.get("timePeriod"), value.get("timeUnit"), value.get("direction"))
        return Value(raw=value.get("value"))
    return Value(raw=value)


def convert_v2(wrapper: Mapping[str, Any], path: str, context: Context) -> Condition:
    """An engine V2 condition ({id, displayName, coordinator, items: [...]}) as a native condition."""
    items = wrapper.get("items")
    if not isinstance(items, list) or not items:
        raise Unsupported("the condition has no items")
    coordinator = str(wrapper.get("coordinator") or "and").lower()
    if len(items) > 1 and not wrapper.get("coordinator"):
        context.notes.append((f"{path}.coordinator", "several items but no coordinator: read as 'and'"))
    if coordinator not in ("and", "or"):
        raise Unsupported(f"the coordinator '{coordinator}' is not 'and' or 'or'")
    parts: list[tuple[str | None, Condition]] = []
    for index, item in enumerate(items):
        item_path = f"{path}.items[{index}]"
        if not isinstance(item, Mapping):
            raise Unsupported(f"{item_path} is not an object")
        if "conditionId" in item:
            parts.append(
                (
                    coordinator,
                    {"ref": context.reference(str(item["conditionId"]), f"{item_path}.conditionId")},
                )
            )
            continue
        info = context.question(str(item.get("componentId", "")), "", f"{item_path}.componentId")
        parts.append((coordinator, compare(info, str(item.get("operator", "")), _v2_value(item, context))))
    return combine(parts)


def _v2_value(item: Mapping[str, Any], context: Context) -> Value:
    kind = str(item.get("type", ""))
    raw = item.get("value")
    if isinstance(raw, Mapping) and "type" in raw and not kind:
        # An older shape: the value object carries its own type.
        kind, raw = str(raw["type"]), raw.get("value", raw)
    if kind == "RelativeDate":
        source = raw if isinstance(raw, Mapping) else item
        return relative_value(source.get("period"), source.get("unit"), source.get("direction"))
    if kind == "ListItemRef" or (isinstance(raw, Mapping) and "itemId" in raw):
        if not isinstance(raw, Mapping):
            raise Unsupported("a list item reference without listId and itemId")
        return Value(raw=context.list_item(str(raw.get("listId", "")), str(raw.get("itemId", ""))))
    return Value(raw=raw)
