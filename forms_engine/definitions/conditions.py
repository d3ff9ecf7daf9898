"""Declarative conditions: evaluated over answers by plain code. Never `eval`, never author code.

A condition is JSON:

- `{"component": "name", "op": "is", "value": "cattle"}` compares one answer;
- `{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}` combine conditions, nested as deep as needed;
- `{"ref": "conditionId"}` refers to a named condition in the definition's `conditions`;
- `{"count": "repeatId", "op": "greaterThan", "value": 2}` compares the number of items of a repeat.

An unanswered question makes every comparison false except `isNot`, `noneOf` and `notAnswered`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .model import resolve_date_bound

Condition = Mapping[str, Any]

EQUALITY_OPS = frozenset({"is", "isNot", "anyOf", "noneOf", "contains"})
PRESENCE_OPS = frozenset({"answered", "notAnswered"})
NUMBER_OPS = frozenset({"greaterThan", "lessThan", "greaterThanOrEqual", "lessThanOrEqual"})
DATE_OPS = frozenset({"before", "after", "onOrBefore", "onOrAfter"})
LENGTH_OPS = frozenset({"lengthIs", "lengthGreaterThan", "lengthLessThan"})
OPERATORS = EQUALITY_OPS | PRESENCE_OPS | NUMBER_OPS | DATE_OPS | LENGTH_OPS
#: Operators that hold when the question has no answer.
TRUE_WHEN_UNANSWERED = frozenset({"isNot", "noneOf", "notAnswered"})


def _answered(value: Any) -> bool:
    return value not in (None, "", [], {})


def _as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _as_date(value: Any, today: date) -> date | None:
    """Answers are ISO dates (YYYY-MM-DD) or months (YYYY-MM); values may also be relative."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 7:
            return date.fromisoformat(f"{value}-01")
        return resolve_date_bound(value, today)
    except ValueError:
        return None


def _same(answer: Any, expected: Any) -> bool:
    if isinstance(answer, list):
        return expected in answer
    if isinstance(answer, bool) or isinstance(expected, bool):
        return answer is expected
    if isinstance(expected, (int, float)) and not isinstance(answer, str):
        return _as_number(answer) == _as_number(expected)
    return bool(answer == expected)


def compare(op: str, answer: Any, expected: Any, today: date) -> bool:
    """Apply one operator to an answer."""
    if op == "answered":
        return _answered(answer)
    if op == "notAnswered":
        return not _answered(answer)
    if not _answered(answer):
        return op in TRUE_WHEN_UNANSWERED
    if op == "is":
        return _same(answer, expected)
    if op == "isNot":
        return not _same(answer, expected)
    if op in ("anyOf", "noneOf"):
        hit = any(_same(answer, item) for item in expected)
        return hit if op == "anyOf" else not hit
    if op == "contains":
        if isinstance(answer, list):
            return expected in answer
        return str(expected).casefold() in str(answer).casefold()
    if op in NUMBER_OPS:
        left, right = _as_number(answer), _as_number(expected)
        if left is None or right is None:
            return False
        return {
            "greaterThan": left > right,
            "lessThan": left < right,
            "greaterThanOrEqual": left >= right,
            "lessThanOrEqual": left <= right,
        }[op]
    if op in DATE_OPS:
        left_date, right_date = _as_date(answer, today), _as_date(expected, today)
        if left_date is None or right_date is None:
            return False
        return {
            "before": left_date < right_date,
            "after": left_date > right_date,
            "onOrBefore": left_date <= right_date,
            "onOrAfter": left_date >= right_date,
        }[op]
    if op in LENGTH_OPS:
        length = len(answer) if isinstance(answer, (str, list)) else len(str(answer))
        return {
            "lengthIs": length == expected,
            "lengthGreaterThan": length > expected,
            "lengthLessThan": length < expected,
        }[op]
    raise ValueError(f"unknown operator {op!r}")


def evaluate(
    condition: Condition,
    answers: Mapping[str, Any],
    named: Mapping[str, Condition],
    today: date | None = None,
    counts: Mapping[str, int] | None = None,
) -> bool:
    """Whether `condition` holds for `answers`. `named` holds the definition's named conditions
    (the validator has rejected cycles); `counts` the number of items per repeat."""
    today = today or date.today()
    if "all" in condition:
        return all(evaluate(c, answers, named, today, counts) for c in condition["all"])
    if "any" in condition:
        return any(evaluate(c, answers, named, today, counts) for c in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], answers, named, today, counts)
    if "ref" in condition:
        return evaluate(named[condition["ref"]], answers, named, today, counts)
    if "count" in condition:
        count = (counts or {}).get(condition["count"], 0)
        return compare(condition["op"], count, condition.get("value"), today)
    return compare(condition["op"], answers.get(condition["component"]), condition.get("value"), today)


def walk(condition: Condition, path: str) -> Iterator[tuple[Condition, str]]:
    """Every comparison and reference inside `condition`, with its JSON path."""
    for key in ("all", "any"):
        if key in condition:
            for index, inner in enumerate(condition[key]):
                yield from walk(inner, f"{path}.{key}[{index}]")
            return
    if "not" in condition:
        yield from walk(condition["not"], f"{path}.not")
        return
    yield condition, path


def _referenced(
    condition: Condition, named: Mapping[str, Condition], key: str, seen: frozenset[str] = frozenset()
) -> set[str]:
    """The values under `key` in every comparison of a condition, through named references (a
    cycle stops the walk)."""
    found: set[str] = set()
    for leaf, _ in walk(condition, "$"):
        if key in leaf:
            found.add(leaf[key])
        elif "ref" in leaf and leaf["ref"] in named and leaf["ref"] not in seen:
            found |= _referenced(named[leaf["ref"]], named, key, seen | {leaf["ref"]})
    return found


def referenced_components(condition: Condition, named: Mapping[str, Condition]) -> set[str]:
    """Component names a condition depends on."""
    return _referenced(condition, named, "component")


def referenced_repeats(condition: Condition, named: Mapping[str, Condition]) -> set[str]:
    """Repeat ids whose item count a condition depends on."""
    return _referenced(condition, named, "count")


def reference_cycle(named: Mapping[str, Condition]) -> list[str] | None:
    """A cycle of named conditions referring to each other, if there is one."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(name: str, stack: list[str]) -> list[str] | None:
        state[name] = 1
        for leaf, _ in walk(named[name], "$"):
            target = leaf.get("ref")
            if not isinstance(target, str) or target not in named:
                continue
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target] if target in stack else [name, target]
            if target not in state:
                found = visit(target, [*stack, target])
                if found:
                    return found
        state[name] = 2
        return None

    for name in named:
        if name not in state:
            found = visit(name, [name])
            if found:
                return found
    return None
