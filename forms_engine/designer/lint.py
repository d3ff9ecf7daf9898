"""Content and accessibility rules for form definitions, in the spirit of the GOV.UK Design System.

`lint_definition` runs every rule on a definition that passes validation and returns findings, each with
a rule id, a level, the JSON path, what is wrong and how to fix it. `check_definition` and `lint_file`
validate first, so they take anything (the preview, the designer pages and `forms-engine lint` use them).
A definition silences a rule, where a finding is a considered choice, under `lint.silence` with a reason.

Levels: the accessibility rules (FE1xx), the journey rules (FE2xx) and unfilled TODOs (FE401) are errors;
content advice (FE3xx) and unused silences (FE402) are warnings. `RULES` lists them all.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal

from ..definitions import conditions
from ..definitions.loader import (
    TOO_DEEP,
    DefinitionError,
    Problem,
    definition_warnings,
    parse_definition_file,
    validate_definition_data,
)
from ..definitions.model import CONTENT_TYPES, QUESTION_TYPES, resolve_date_bound

Level = Literal["error", "warning"]
Data = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Rule:
    """A lint rule: its id ("FE101"), short name, level and category, and what it checks."""

    id: str
    name: str
    level: Level
    #: "accessibility", "journey", "scaffold" (errors); "content", "lint" (warnings); "validation".
    category: str
    summary: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing lint found in a definition, at a JSON path such as `$.pages[2].components[0].hint`."""

    rule: str
    level: Level
    category: str
    path: str
    message: str
    fix: str
    #: The reason given in the definition's `lint.silence` when it silences this finding, else None.
    silenced: str | None = None

    def __str__(self) -> str:
        if self.silenced is not None:
            return f"{self.path}: {self.rule} silenced: {self.message} (reason: {self.silenced})"
        return f"{self.path}: {self.rule} {self.level}: {self.message} (fix: {self.fix})"

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "level": self.level,
            "category": self.category,
            "path": self.path,
            "message": self.message,
            "fix": self.fix,
            "silenced": self.silenced,
        }


_RULE_LIST = (
    Rule(
        "FE000",
        "invalid-definition",
        "error",
        "validation",
        "The definition fails `forms-engine validate` (JSON Schema or cross references); no other rule runs.",
    ),
    Rule(
        "FE101",
        "hint-as-label",
        "error",
        "accessibility",
        "A hint that repeats the label, or carries the question while the label does not.",
    ),
    Rule(
        "FE102",
        "placeholder-text",
        "error",
        "accessibility",
        "Placeholder text in a field: it disappears when the user types and is not read by every screen "
        "reader. Put the help in the hint.",
    ),
    Rule(
        "FE103",
        "vague-validation-message",
        "error",
        "accessibility",
        "A custom validation (regex) or custom error message that does not say how to put the answer "
        "right, such as 'Invalid'.",
    ),
    Rule(
        "FE104",
        "label-needs-heading",
        "error",
        "accessibility",
        "A question under a page heading whose label ('Name', 'Date') only makes sense with that "
        "heading: the engine does not group a page's questions in a fieldset, so the heading is not "
        "read out with the label.",
    ),
    Rule(
        "FE105", "duplicate-label", "error", "accessibility", "Two questions on one page with the same label."
    ),
    Rule(
        "FE106",
        "duplicate-answer-name",
        "error",
        "accessibility",
        "Two questions with the same short title (or title): check your answers and its Change links "
        "cannot be told apart.",
    ),
    Rule(
        "FE107",
        "missing-translation",
        "error",
        "accessibility",
        "Text without a Welsh translation in a form that declares Welsh: Welsh pages would show it in "
        "English, marked as Welsh.",
    ),
    Rule(
        "FE108",
        "vague-link-text",
        "error",
        "accessibility",
        "Link text such as 'click here' or 'read more' that does not say where the link goes.",
    ),
    Rule(
        "FE109",
        "all-caps",
        "error",
        "accessibility",
        "A title in capital letters: harder to read, and screen readers may spell it out.",
    ),
    Rule(
        "FE201", "unreachable-page", "error", "journey", "A page no combination of answers puts on the path."
    ),
    Rule(
        "FE202",
        "dead-end-page",
        "error",
        "journey",
        "A page every route through which ends at an exit page: the user answers it for nothing.",
    ),
    Rule(
        "FE203",
        "form-never-sent",
        "error",
        "journey",
        "Every route through the form ends at an exit page: nobody can send it.",
    ),
    Rule(
        "FE204",
        "empty-exit-page",
        "error",
        "journey",
        "An exit page that may show nothing but its title: it must say why the user cannot go on and "
        "what to do instead.",
    ),
    Rule(
        "FE301",
        "heading-not-a-question",
        "warning",
        "content",
        "The question of a one-question page (its heading) is neither a question nor an instruction "
        "such as 'Enter…', 'Upload…' or 'Select…'.",
    ),
    Rule(
        "FE302",
        "one-thing-per-page",
        "warning",
        "content",
        "More than one question on a page: the engine asks each under the page heading, not grouped in a "
        "fieldset.",
    ),
    Rule(
        "FE303",
        "long-question",
        "warning",
        "content",
        "A question longer than 120 characters: move the explanation into the hint or content.",
    ),
    Rule(
        "FE304",
        "missing-short-title",
        "warning",
        "content",
        "A question without a short title whose title is itself a question or long: error messages "
        "('Enter …') and check your answers read badly.",
    ),
    Rule(
        "FE401",
        "unfilled-placeholder",
        "error",
        "scaffold",
        "A 'TODO' left from `forms-engine new` (or by a designer): fill it in before publishing.",
    ),
    Rule(
        "FE402",
        "unused-silence",
        "warning",
        "lint",
        "A `lint.silence` entry that names an unknown rule or silences nothing.",
    ),
)
#: Every rule by id, in the order the documentation lists them.
RULES: Mapping[str, Rule] = {rule.id: rule for rule in _RULE_LIST}

#: Question types whose "required" error message starts "Select" rather than "Enter".
SELECT_TYPES = frozenset({"RadiosField", "CheckboxesField", "SelectField", "YesNoField", "FileUploadField"})
#: Longest question title before FE303 warns.
LONG_QUESTION = 120
#: A title longer than this needs a short title (FE304).
SHORT_TITLE_NEEDED = 40


def _make(rule_id: str, path: str, message: str, fix: str) -> Finding:
    rule = RULES[rule_id]
    return Finding(rule.id, rule.level, rule.category, path, message, fix)


# -- text helpers ---------------------------------------------------------------------------------

LANGUAGE_NAMES = {"en": "English", "cy": "Welsh"}


def _texts(value: Any) -> list[tuple[str, str]]:
    """(language, string) for each translation of a text."""
    if isinstance(value, str):
        return [("en", value)]
    if isinstance(value, Mapping):
        return [(lang, text) for lang, text in value.items() if isinstance(text, str)]
    return []


def _en(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("en"), str):
        return str(value["en"])
    return ""


def _in(language: str) -> str:
    """' (Welsh)' after a message about a translation, nothing for English."""
    return "" if language == "en" else f" ({LANGUAGE_NAMES.get(language, language)})"


def _normal(text: str) -> str:
    """Text compared as a reader hears it: case, spacing and end punctuation ignored."""
    return re.sub(r"\s+", " ", text).strip().strip("?.:!").strip().casefold()


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrases(text: str) -> frozenset[str]:
    """A set of phrases written one after another, separated by '|'."""
    return frozenset(text.split("|"))


_CLOSING = "\"'\u201d\u2019)] "
#: Words a GOV.UK question page may start with instead of asking a question.
INSTRUCTIONS = _words(
    "add answer attach check choose confirm declare describe enter explain give list provide read select "
    "send tell type upload write"
)


def _is_question(text: str) -> bool:
    return text.rstrip(_CLOSING).endswith("?")


def _is_instruction(text: str) -> bool:
    words = re.findall(r"[A-Za-z]+", text)
    return bool(words) and words[0].casefold() in INSTRUCTIONS


# -- the definition as the rules see it ------------------------------------------------------------


@dataclass
class _Question:
    page: int
    index: int
    data: Mapping[str, Any]

    @property
    def path(self) -> str:
        return f"$.pages[{self.page}].components[{self.index}]"


class _Context:
    def __init__(self, data: Data):
        self.data = data
        self.pages: list[Mapping[str, Any]] = list(data["pages"])
        self.languages: list[str] = list(data.get("languages", ["en"]))
        self.named: dict[str, Any] = {c["id"]: c["condition"] for c in data.get("conditions", [])}
        self.lists: dict[str, Any] = {lst["id"]: lst for lst in data.get("lists", [])}
        self.components: dict[str, Mapping[str, Any]] = {
            c["name"]: c for page in self.pages for c in page["components"]
        }

    def questions(self, page_index: int | None = None) -> list[_Question]:
        found = []
        for i, page in enumerate(self.pages):
            if page_index is not None and i != page_index:
                continue
            for j, component in enumerate(page["components"]):
                if component["type"] in QUESTION_TYPES:
                    found.append(_Question(i, j, component))
        return found

    def heading_question(self, page_index: int) -> _Question | None:
        """As the runner decides: the page's only question is its heading when it comes first."""
        questions = self.questions(page_index)
        if len(questions) == 1 and questions[0].index == 0:
            return questions[0]
        return None


Check = Callable[[_Context], Iterable[Finding]]
_CHECKS: list[Check] = []


def _check(function: Check) -> Check:
    _CHECKS.append(function)
    return function


# -- accessibility ----------------------------------------------------------------------------------


@_check
def _hint_as_label(ctx: _Context) -> Iterator[Finding]:
    for q in ctx.questions():
        if "hint" not in q.data or "title" not in q.data:
            continue
        titles = dict(_texts(q.data["title"]))
        for language, hint in _texts(q.data["hint"]):
            label = titles.get(language, "")
            path = f"{q.path}.hint"
            if not re.search(r"\w", label):
                yield _make(
                    "FE101",
                    f"{q.path}.title",
                    f"the label{_in(language)} is empty and the question is left to the hint",
                    "put the question in the title and keep the hint for help answering it",
                )
            elif _normal(hint) == _normal(label):
                yield _make(
                    "FE101",
                    path,
                    f"the hint{_in(language)} repeats the label: screen readers read both",
                    "remove the hint, or use it for help answering the question (format, where to find "
                    "the information)",
                )
            elif _is_question(hint) and not (_is_question(label) or _is_instruction(label)):
                yield _make(
                    "FE101",
                    path,
                    f"the hint{_in(language)} asks the question ('{hint.strip()}') while the label does not",
                    "put the question in the title; a hint only helps the user answer it",
                )


_PLACEHOLDER_KEYS = ("placeholder", "placeHolder")


def placeholder_findings(data: Any) -> list[Finding]:
    """FE102 over any parsed JSON, valid or not: a placeholder makes the schema fail too, and this
    says why the engine has none and what to do instead."""
    found: list[Finding] = []
    pages = data.get("pages") if isinstance(data, Mapping) else None
    if not isinstance(pages, list):
        return found
    for i, page in enumerate(pages):
        components = page.get("components") if isinstance(page, Mapping) else None
        for j, component in enumerate(components if isinstance(components, list) else []):
            if not isinstance(component, Mapping):
                continue
            options = component.get("options")
            places = [(component, f"$.pages[{i}].components[{j}]")]
            if isinstance(options, Mapping):
                places.append((options, f"$.pages[{i}].components[{j}].options"))
            for where, path in places:
                for key in _PLACEHOLDER_KEYS:
                    if key in where:
                        found.append(
                            _make(
                                "FE102",
                                f"{path}.{key}",
                                "placeholder text disappears when the user types, is low contrast and "
                                "is not read by every screen reader",
                                "remove it; put help, such as an example answer, in the hint",
                            )
                        )
    return found


@_check
def _placeholders(ctx: _Context) -> list[Finding]:
    return placeholder_findings(ctx.data)


_VAGUE_MESSAGES = _phrases(
    "invalid|invalid input|invalid value|invalid format|invalid entry|not valid|error|incorrect|"
    "incorrect format|wrong|wrong format|bad format|format|required|please try again|try again|"
    "this field is required|annilys|gwall|anghywir"
)


def _vague_message(text: str) -> bool:
    normal = _normal(text)
    return normal in _VAGUE_MESSAGES or len(normal.split()) < 3


@_check
def _vague_validation(ctx: _Context) -> Iterator[Finding]:
    for q in ctx.questions():
        errors = q.data.get("errors", {})
        for kind, message in errors.items():
            for language, text in _texts(message):
                if not _vague_message(text):
                    continue
                custom = kind == "format" and "regex" in q.data.get("options", {})
                what = "the custom format's error message" if custom else f"the '{kind}' error message"
                yield _make(
                    "FE103",
                    f"{q.path}.errors.{kind}",
                    f"{what}{_in(language)} '{text}' does not say what went wrong or how to fix it",
                    "say what to enter, like 'Enter a grid reference in the correct format, like SU 1234 "
                    "5678' (GOV.UK error message guidance)",
                )


#: Words that do not say on their own what is asked: a label made only of them needs its heading.
_GENERIC_WORDS = _words(
    "name full first last middle given family surname names address line 1 2 3 town city county postcode "
    "post code phone telephone mobile landline number email e-mail date day month year time reference ref "
    "details detail other company organisation organization description amount type yes no title value "
    "comments notes information info contact and or of the a an no."
)


def _needs_heading(label: str) -> bool:
    words = [w.casefold() for w in re.findall(r"[\w.'-]+", label)]
    return 0 < len(words) <= 4 and all(w in _GENERIC_WORDS for w in words)


@_check
def _label_needs_heading(ctx: _Context) -> Iterator[Finding]:
    for i, page in enumerate(ctx.pages):
        if ctx.heading_question(i) is not None:
            continue
        heading = _en(page["title"])
        for q in ctx.questions(i):
            label = _en(q.data.get("title"))
            if _needs_heading(label):
                yield _make(
                    "FE104",
                    f"{q.path}.title",
                    f"the label '{label}' only makes sense with the page heading '{heading}', which is "
                    "not part of the question (the engine does not group a page's questions in a "
                    "fieldset)",
                    "make the label say what it asks for on its own, like 'Ecologist's full name', or "
                    "ask the question on a page of its own",
                )


@_check
def _duplicate_labels(ctx: _Context) -> Iterator[Finding]:
    for i in range(len(ctx.pages)):
        seen: dict[tuple[str, str], _Question] = {}
        for q in ctx.questions(i):
            for language, label in _texts(q.data.get("title")):
                key = (language, _normal(label))
                if key in seen:
                    yield _make(
                        "FE105",
                        f"{q.path}.title",
                        f"the label '{label}'{_in(language)} is also used by {seen[key].path} on this page",
                        "give each question a label that says what is different about it",
                    )
                else:
                    seen[key] = q


@_check
def _duplicate_answer_names(ctx: _Context) -> Iterator[Finding]:
    seen: dict[tuple[str, str], _Question] = {}
    for q in ctx.questions():
        if q.data["type"] == "DeclarationField" and "shortTitle" not in q.data:
            continue
        key_name = "shortTitle" if "shortTitle" in q.data else "title"
        for language, text in _texts(q.data.get(key_name)):
            key = (language, _normal(text))
            if key in seen:
                yield _make(
                    "FE106",
                    f"{q.path}.{key_name}",
                    f"check your answers would show '{text}'{_in(language)} for this question and for "
                    f"{seen[key].path}: the rows and their Change links cannot be told apart",
                    "give one of them a short title (shortTitle) that says how it differs",
                )
            else:
                seen[key] = q


@_check
def _missing_translations(ctx: _Context) -> Iterator[Finding]:
    for problem in definition_warnings(ctx.data):
        yield _make(
            "FE107",
            problem.path,
            f"{problem.message}; Welsh pages show this text in English, marked as Welsh",
            'give the text as {"en": "…", "cy": "…"}',
        )


_MARKDOWN_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(")
_HTML_LINK = re.compile(r"<a\b[^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
_VAGUE_LINKS = _phrases(
    "here|click here|click|click this link|this link|link|read more|more|more info|more information|"
    "find out more|learn more|see more|see here|this page|this|go|details|website|this website|"
    # Welsh: here, click here, more, read more, this link, more information
    "yma|cliciwch yma|cliciwch|mwy|darllen mwy|rhagor|y ddolen hon|dolen|rhagor o wybodaeth"
)


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(JSON path, string) for every string in `value` (keys of mappings are not strings here)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _strings(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _strings(inner, f"{path}[{index}]")


def _definition_strings(data: Data) -> Iterator[tuple[str, str]]:
    for key, value in data.items():
        if key != "lint":
            yield from _strings(value, f"$.{key}")


def _text_path(path: str) -> tuple[str, str]:
    """The path of the text a string belongs to and its language: `$.x.cy` -> (`$.x`, "cy")."""
    for language in ("en", "cy"):
        if path.endswith(f".{language}"):
            return path[: -len(language) - 1], language
    return path, "en"


@_check
def _vague_link_text(ctx: _Context) -> Iterator[Finding]:
    for path, text in _definition_strings(ctx.data):
        links = [m[1] for m in _MARKDOWN_LINK.finditer(text)]
        links += [re.sub(r"<[^>]+>", "", m[1]) for m in _HTML_LINK.finditer(text)]
        for link in links:
            normal = _normal(link)
            if normal in _VAGUE_LINKS or normal.startswith(("click here", "click on", "cliciwch")):
                text_path, language = _text_path(path)
                yield _make(
                    "FE108",
                    text_path,
                    f"the link text '{link}'{_in(language)} does not say where the link goes (screen "
                    "reader users often list a page's links on their own)",
                    "use the destination as the link text, like '[the badger survey guidance](https://…)'",
                )


def _all_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    words = [w for w in re.findall(r"[^\W\d_]+", text) if len(w) >= 2]
    cased = [c for c in letters if c.isupper() or c.islower()]
    return len(cased) >= 6 and len(words) >= 2 and all(c.isupper() for c in cased)


def _titles(ctx: _Context) -> Iterator[tuple[str, Any]]:
    yield "$.title", ctx.data["title"]
    for i, section in enumerate(ctx.data.get("sections", [])):
        yield f"$.sections[{i}].title", section["title"]
    for i, repeat in enumerate(ctx.data.get("repeats", [])):
        yield f"$.repeats[{i}].title", repeat["title"]
    for i, page in enumerate(ctx.pages):
        yield f"$.pages[{i}].title", page["title"]
        for j, component in enumerate(page["components"]):
            for key in ("title", "shortTitle"):
                if key in component:
                    yield f"$.pages[{i}].components[{j}].{key}", component[key]
    for i, lst in enumerate(ctx.data.get("lists", [])):
        for j, item in enumerate(lst["items"]):
            yield f"$.lists[{i}].items[{j}].text", item["text"]


@_check
def _capitals(ctx: _Context) -> Iterator[Finding]:
    for path, value in _titles(ctx):
        for language, text in _texts(value):
            if _all_caps(text):
                yield _make(
                    "FE109",
                    path,
                    f"'{text}'{_in(language)} is in capital letters: capitals are harder to read and "
                    "screen readers may spell them out",
                    "write it in sentence case, keeping capitals for proper nouns and abbreviations",
                )


# -- journey ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What can happen from one point of the journey on: the pages put on the path, whether some
    route reaches check answers, and the pages that lie on such a route."""

    reached: frozenset[int] = frozenset()
    finishes: bool = False
    finishing: frozenset[int] = frozenset()


_END = _Outcome(finishes=True)
#: Points of the journey explored at most, before the route analysis gives up (and says nothing).
ROUTE_BUDGET = 10_000


class _TooComplex(Exception):
    pass


def _flatten(values: Iterable[Any]) -> list[Any]:
    flat: list[Any] = []
    for value in values:
        flat.extend(value if isinstance(value, list) else [value])
    return flat


def _around(points: Iterable[float], step: float) -> list[float]:
    """Each point, either side of it, and between neighbours: one value in every region the
    comparisons with these points can tell apart."""
    ordered = sorted(set(points))
    found = set(ordered)
    for point in ordered:
        found |= {point - step, point + step}
    for low, high in itertools.pairwise(ordered):
        found.add((low + high) / 2)
    return sorted(found)


def _ordinal(bound: Any, today: date) -> int | None:
    """A date option or condition value as a day number; None when there is none."""
    if not isinstance(bound, str):
        return None
    try:
        return resolve_date_bound(f"{bound}-01" if len(bound) == 7 else bound, today).toordinal()
    except ValueError:
        return None


def _list_values(component: Mapping[str, Any], lists: Mapping[str, Any]) -> list[Any]:
    return [item["value"] for item in lists.get(str(component.get("list")), {}).get("items", [])]


def _candidates(
    component: Mapping[str, Any], leaves: list[Mapping[str, Any]], lists: Mapping[str, Any]
) -> list[Any]:
    """Answers standing for every answer a question can have, as far as the conditions on it can
    tell them apart."""
    kind = component["type"]
    values = _flatten(leaf["value"] for leaf in leaves if "value" in leaf)
    found: list[Any]
    if kind == "YesNoField":
        found = [True, False]
    elif kind in ("RadiosField", "SelectField"):
        found = _list_values(component, lists)
    elif kind == "CheckboxesField":
        items = _list_values(component, lists)
        mentioned = [v for v in items if v in values]
        base = mentioned + [v for v in items if v not in mentioned][:1]
        if len(base) <= 6:
            found = [list(c) for r in range(1, len(base) + 1) for c in itertools.combinations(base, r)]
        else:
            # Too many to combine every way: each one alone, all of them, and all but one.
            found = [[v] for v in items] + [items, mentioned]
            found += [[v for v in mentioned if v != left_out] for left_out in mentioned]
    elif kind == "NumberField":
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        options = component.get("options", {})
        low, high = options.get("min", float("-inf")), options.get("max", float("inf"))
        bounds = [b for b in (low, high) if abs(b) != float("inf")]
        found = [n for n in _around([*numbers, *bounds], 1) if low <= n <= high] or [1]
    elif kind in ("DatePartsField", "MonthYearField"):
        today = date.today()
        days = [d for d in (_ordinal(value, today) for value in values) if d is not None]
        step = 31 if kind == "MonthYearField" else 1
        limits = [_ordinal(component.get("options", {}).get(key), today) for key in ("earliest", "latest")]
        low_day, high_day = limits[0] or date.min.toordinal(), limits[1] or date.max.toordinal()
        points = [*days, *(d for d in limits if d is not None)]
        ordinals = [d for d in _around(points, step) if low_day <= d <= high_day] or [today.toordinal()]
        dates = [date.fromordinal(int(d)) for d in ordinals]
        found = [d.isoformat()[:7] if kind == "MonthYearField" else d.isoformat() for d in dates]
    else:
        strings = [v for v in values if isinstance(v, str)]
        contained = [
            leaf["value"]
            for leaf in leaves
            if leaf.get("op") == "contains" and isinstance(leaf.get("value"), str)
        ]
        lengths = [
            leaf["value"]
            for leaf in leaves
            if leaf.get("op") in conditions.LENGTH_OPS and isinstance(leaf.get("value"), int)
        ]
        found = [*strings, " ".join(contained) or "answer", "something else"]
        found += ["x" * int(n) for n in _around(lengths, 1) if n >= 1] if lengths else []
    if component.get("optional"):
        found.append(None)
    unique: dict[str, Any] = {}
    for value in found:
        unique.setdefault(json.dumps(value, sort_keys=True), value)
    return list(unique.values())


Residual = Any  # True, False, None (no condition) or a condition still waiting for answers


def _expand(condition: Mapping[str, Any], named: Mapping[str, Any]) -> Mapping[str, Any]:
    """A condition with its references to named conditions replaced by what they say (the validator
    has rejected cycles)."""
    if "ref" in condition:
        return _expand(named[condition["ref"]], named)
    for key in ("all", "any"):
        if key in condition:
            return {key: [_expand(part, named) for part in condition[key]]}
    if "not" in condition:
        return {"not": _expand(condition["not"], named)}
    return condition


def _reduce(condition: Residual, known: Callable[[Mapping[str, Any]], bool | None]) -> Residual:
    """What is left of a condition once the comparisons `known` can decide are decided."""
    if condition is None or isinstance(condition, bool):
        return condition
    for key, stop in (("all", False), ("any", True)):
        if key in condition:
            parts = []
            for part in condition[key]:
                left = _reduce(part, known)
                if left is stop:
                    return stop
                if left is not (not stop):
                    parts.append(left)
            if not parts:
                return not stop
            return parts[0] if len(parts) == 1 else {key: parts}
    if "not" in condition:
        inner = _reduce(condition["not"], known)
        return (not inner) if isinstance(inner, bool) else {"not": inner}
    decided = known(condition)
    return condition if decided is None else decided


class _Routes:
    """Every route through the journey, explored over answers that stand for all the others.

    The path is linear (pages in order, each with an optional condition), so a route is decided by
    the answers to the questions page conditions use. A point of the exploration is a page and what
    is left of the conditions of the pages from there on once the answers given so far are put in
    them: points that leave the same conditions behind have the same future, and are explored once.
    """

    def __init__(self, ctx: _Context):
        self.ctx = ctx
        self.pages = ctx.pages
        self.today = date.today()
        self.conditions: tuple[Residual, ...] = tuple(
            _expand(page["condition"], ctx.named) if "condition" in page else None for page in self.pages
        )
        leaves: dict[str, list[Mapping[str, Any]]] = {}
        counted: dict[str, list[Mapping[str, Any]]] = {}
        for condition in self.conditions:
            for leaf, _ in conditions.walk(condition or {}, "$"):
                if "component" in leaf:
                    leaves.setdefault(leaf["component"], []).append(leaf)
                elif "count" in leaf:
                    counted.setdefault(leaf["count"], []).append(leaf)
        #: For each deciding question, one answer per way the conditions can tell answers apart.
        self.candidates: dict[str, list[Any]] = {}
        for name, its_leaves in leaves.items():
            if name in ctx.components:
                by_outcome: dict[tuple[bool, ...], Any] = {}
                for answer in _candidates(ctx.components[name], its_leaves, ctx.lists):
                    outcome = tuple(self._holds(leaf, answer) for leaf in its_leaves)
                    by_outcome.setdefault(outcome, answer)
                self.candidates[name] = list(by_outcome.values())
        index = {page["id"]: i for i, page in enumerate(self.pages)}
        self.repeat_ends: dict[int, tuple[str, list[int]]] = {}
        for repeat in ctx.data.get("repeats", []):
            last = max((index[p] for p in repeat["pages"] if p in index), default=None)
            if last is None:
                continue
            low, high = repeat.get("min", 1), repeat.get("max", 50)
            wanted = [
                leaf["value"] for leaf in counted.get(repeat["id"], []) if isinstance(leaf.get("value"), int)
            ]
            counts = {c for c in _around(wanted, 1) if low <= c <= high} | {low, high}
            self.repeat_ends[last] = (repeat["id"], sorted(int(c) for c in counts))
        self.memo: dict[tuple[int, str], _Outcome] = {}
        self.explored = 0

    def _holds(self, leaf: Mapping[str, Any], answer: Any) -> bool:
        answers = {} if answer is None else {leaf["component"]: answer}
        return conditions.evaluate(leaf, answers, {}, self.today)

    def outcome(self) -> _Outcome:
        return self._from(0, self.conditions)

    def _from(self, i: int, residuals: tuple[Residual, ...]) -> _Outcome:
        if i >= len(self.pages):
            return _END
        key = (i, json.dumps(residuals[i:], sort_keys=True))
        known = self.memo.get(key)
        if known is not None:
            return known
        self.explored += 1
        if self.explored > ROUTE_BUDGET:
            raise _TooComplex
        page = self.pages[i]
        names = [c["name"] for c in page["components"] if c["type"] in QUESTION_TYPES]
        on = residuals[i]
        outcomes: list[_Outcome] = []
        if on is not True and on is not None:
            # Off the path (or, were the condition still open, possibly so): its questions unanswered.
            outcomes.append(self._after(i, self._answer(residuals, dict.fromkeys(names))))
        if on is False:
            result = outcomes[0]
        elif page.get("exit"):
            result = self._merge(_Outcome(reached=frozenset({i})), outcomes)
        else:
            deciding = [n for n in names if n in self.candidates]
            taken = [
                self._after(
                    i,
                    self._answer(
                        residuals, {**dict.fromkeys(names), **dict(zip(deciding, answers, strict=True))}
                    ),
                )
                for answers in itertools.product(*(self.candidates[n] for n in deciding))
            ]
            finishes = any(o.finishes for o in taken)
            here = _Outcome(
                reached=frozenset({i}).union(*(o.reached for o in taken)),
                finishes=finishes,
                finishing=frozenset({i} if finishes else ()).union(*(o.finishing for o in taken)),
            )
            result = self._merge(here, outcomes)
        self.memo[key] = result
        return result

    @staticmethod
    def _merge(first: _Outcome, others: list[_Outcome]) -> _Outcome:
        every = [first, *others]
        return _Outcome(
            reached=frozenset().union(*(o.reached for o in every)),
            finishes=any(o.finishes for o in every),
            finishing=frozenset().union(*(o.finishing for o in every)),
        )

    def _answer(self, residuals: tuple[Residual, ...], answers: Mapping[str, Any]) -> tuple[Residual, ...]:
        """The conditions left once a page's questions have these answers (None: not answered)."""

        def known(leaf: Mapping[str, Any]) -> bool | None:
            name = leaf.get("component")
            return self._holds(leaf, answers[name]) if isinstance(name, str) and name in answers else None

        return tuple(_reduce(condition, known) for condition in residuals)

    def _after(self, i: int, residuals: tuple[Residual, ...]) -> _Outcome:
        """Go on from after page `i`; at the end of a repeat, once per number of items that matters."""
        if i not in self.repeat_ends:
            return self._from(i + 1, residuals)
        repeat_id, options = self.repeat_ends[i]
        outcomes = []
        for count in options:

            def known(leaf: Mapping[str, Any], count: int = count) -> bool | None:
                if leaf.get("count") != repeat_id:
                    return None
                return conditions.evaluate(leaf, {}, {}, self.today, {repeat_id: count})

            outcomes.append(self._from(i + 1, tuple(_reduce(c, known) for c in residuals)))
        return self._merge(outcomes[0], outcomes[1:])


def _route_outcome(ctx: _Context) -> _Outcome | None:
    try:
        return _Routes(ctx).outcome()
    except (_TooComplex, RecursionError):
        return None


@_check
def _routes(ctx: _Context) -> Iterator[Finding]:
    outcome = _route_outcome(ctx)
    if outcome is None:
        return
    if not outcome.finishes:
        yield _make(
            "FE203",
            "$.pages",
            "every route through the form ends at an exit page, so nobody can reach check your answers "
            "and send it",
            "give the exit pages conditions that only hold for the people who cannot use the service",
        )
    for i, page in enumerate(ctx.pages):
        if i not in outcome.reached:
            if "condition" in page:
                yield _make(
                    "FE201",
                    f"$.pages[{i}].condition",
                    f"page '{page['id']}' is on no route through the form: no answers to the questions "
                    "before it make its condition hold where it is asked",
                    "correct the condition (the values it compares with, the questions it uses), or "
                    "remove the page",
                )
            else:
                yield _make(
                    "FE201",
                    f"$.pages[{i}]",
                    f"page '{page['id']}' is on no route through the form: every route ends at an exit "
                    "page before it",
                    "narrow the conditions of the exit pages before it, or remove the page",
                )
        elif outcome.finishes and i not in outcome.finishing and not page.get("exit"):
            yield _make(
                "FE202",
                f"$.pages[{i}]",
                f"every route through page '{page['id']}' ends at an exit page: users answer it and "
                "then cannot send the form",
                "ask whatever decides the exit before this page, or give the page a condition so only "
                "people who can go on see it",
            )


@_check
def _empty_exit_pages(ctx: _Context) -> Iterator[Finding]:
    for i, page in enumerate(ctx.pages):
        if not page.get("exit"):
            continue
        shown = [c for c in page["components"] if c["type"] in CONTENT_TYPES and "condition" not in c]
        if not shown:
            yield _make(
                "FE204",
                f"$.pages[{i}].components",
                "this exit page has no content shown whatever the answers: it may show only its title",
                "add content (without a condition) saying why the user cannot go on and what to do "
                "instead, such as another service or a contact",
            )


# -- content advice --------------------------------------------------------------------------------


@_check
def _heading_questions(ctx: _Context) -> Iterator[Finding]:
    for i in range(len(ctx.pages)):
        q = ctx.heading_question(i)
        if q is None or q.data["type"] == "DeclarationField":
            continue
        for language, title in _texts(q.data.get("title")):
            if language != "en":
                continue
            if not (_is_question(title) or _is_instruction(title)):
                yield _make(
                    "FE301",
                    f"{q.path}.title",
                    f"'{title}' is this page's heading but is not a question",
                    "ask a question ('What is your full name?') or start with an instruction such as "
                    "'Enter…', 'Upload…' or 'Select…'",
                )


@_check
def _one_thing_per_page(ctx: _Context) -> Iterator[Finding]:
    for i in range(len(ctx.pages)):
        questions = ctx.questions(i)
        if len(questions) > 1:
            yield _make(
                "FE302",
                f"$.pages[{i}].components",
                f"this page asks {len(questions)} questions, not grouped in a fieldset (the engine asks "
                "each under the page heading): one thing per page is easier to understand, to answer and "
                "to fix errors on",
                "put each question on a page of its own; if they are closely related parts of one answer "
                "asked together on paper, make each label make sense on its own (FE104) and silence this "
                "rule with that reason",
            )


@_check
def _long_questions(ctx: _Context) -> Iterator[Finding]:
    for q in ctx.questions():
        title = _en(q.data.get("title"))
        if len(title) > LONG_QUESTION:
            yield _make(
                "FE303",
                f"{q.path}.title",
                f"the question is {len(title)} characters long (more than {LONG_QUESTION})",
                "ask the question in a few words; move explanation into the hint or content before it",
            )


@_check
def _missing_short_titles(ctx: _Context) -> Iterator[Finding]:
    for q in ctx.questions():
        if "shortTitle" in q.data or q.data["type"] == "DeclarationField":
            continue
        title = _en(q.data.get("title"))
        if _is_question(title) or len(title) > SHORT_TITLE_NEEDED:
            verb = "Select" if q.data["type"] in SELECT_TYPES else "Enter"
            yield _make(
                "FE304",
                f"{q.path}.title",
                f"without a short title, check your answers shows '{title}' and error messages read "
                f"'{verb} {title[:1].lower()}{title[1:]}'",
                "add a shortTitle naming the answer, like 'Your name' or 'Date of birth'",
            )


# -- scaffold ----------------------------------------------------------------------------------------


def _excerpt(text: str, length: int = 60) -> str:
    """The start of a text on one line."""
    line = " ".join(text.split())
    return line if len(line) <= length else line[: length - 1].rstrip() + "…"


_TODO = re.compile(r"\bTODO\b", re.IGNORECASE)


@_check
def _unfilled_placeholders(ctx: _Context) -> Iterator[Finding]:
    for path, text in _definition_strings(ctx.data):
        if _TODO.search(text):
            yield _make(
                "FE401",
                path,
                f"'{_excerpt(text)}' is still to be filled in",
                "replace it with the real text, value or address (or remove what the form does not need)",
            )


# -- running the rules --------------------------------------------------------------------------------


def _document_order(value: Any, path: str = "$", order: dict[str, int] | None = None) -> dict[str, int]:
    """The position of every JSON path of a definition in its document, for sorting findings."""
    order = {} if order is None else order
    order.setdefault(path, len(order))
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _document_order(inner, f"{path}.{key}", order)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _document_order(inner, f"{path}[{index}]", order)
    return order


def _sorted(findings: Iterable[Finding], data: Any) -> list[Finding]:
    """Findings in the order of the places they point at in the definition (a path that is not in it,
    such as a missing property's, sorts with the nearest place that is)."""
    order = _document_order(data)

    def position(path: str) -> int:
        while path not in order and re.search(r"[.\[][^.\[]*$", path):
            path = re.sub(r"[.\[][^.\[]*$", "", path)
        return order.get(path, len(order))

    return sorted(findings, key=lambda f: (position(f.path), f.rule))


def _covers(silence_path: str | None, path: str) -> bool:
    if silence_path is None:
        return True
    return path == silence_path or path.startswith((f"{silence_path}.", f"{silence_path}["))


def _apply_silences(data: Data, findings: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(findings that count, silenced findings with their reasons), plus FE402 for silences that
    name an unknown rule or silence nothing (which counts)."""
    entries = data.get("lint", {}).get("silence", [])
    used = [False] * len(entries)
    active: list[Finding] = []
    silenced: list[Finding] = []
    for finding in findings:
        for k, entry in enumerate(entries):
            if entry["rule"] == finding.rule and _covers(entry.get("path"), finding.path):
                used[k] = True
                silenced.append(replace(finding, silenced=entry["reason"]))
                break
        else:
            active.append(finding)
    for k, entry in enumerate(entries):
        rule = entry["rule"]
        if rule not in RULES or rule in ("FE000", "FE402"):
            active.append(
                _make(
                    "FE402",
                    f"$.lint.silence[{k}].rule",
                    f"'{rule}' is not a rule that can be silenced",
                    "use a rule id from the lint reference (docs/reference.md), or remove the entry",
                )
            )
        elif not used[k]:
            where = f" at {entry['path']}" if "path" in entry else ""
            active.append(
                _make(
                    "FE402",
                    f"$.lint.silence[{k}]",
                    f"this silence of {rule}{where} silences nothing",
                    "remove the entry (the finding it was for has gone), or correct its path",
                )
            )
    return active, silenced


def _lint_valid(data: Data) -> tuple[list[Finding], list[Finding]]:
    ctx = _Context(data)
    findings = [finding for check in _CHECKS for finding in check(ctx)]
    active, silenced = _apply_silences(data, _sorted(findings, data))
    return _sorted(active, data), silenced


def lint_definition(data: Data, *, include_silenced: bool = False) -> list[Finding]:
    """Every lint finding in a definition, in document order: the ones that count, and with
    `include_silenced` also the ones its `lint.silence` silences (their `silenced` holds the reason).

    `data` must pass `validate_definition_data`: ValueError otherwise (`check_definition` takes
    anything)."""
    problems = validate_definition_data(data)
    if problems:
        raise ValueError(f"lint needs a valid definition; first problem: {problems[0]}")
    active, silenced = _lint_valid(data)
    return _sorted([*active, *silenced], data) if include_silenced else active


@dataclass
class LintResult:
    """What `forms-engine lint` reports for one definition."""

    #: Validation problems (FE000): when there are any, only FE102 of the lint rules has run.
    problems: list[Problem] = field(default_factory=list)
    #: Findings that count, validation problems included (as FE000 errors), in document order.
    findings: list[Finding] = field(default_factory=list)
    #: Findings the definition silences, each with its reason.
    silenced: list[Finding] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    def failed(self, strict: bool = False) -> bool:
        """Errors fail; with `strict`, warnings fail too."""
        return bool(self.errors or (strict and self.warnings))

    def accessibility_errors(self) -> list[Finding]:
        """Errors of the accessibility kind (what the conversion report counts)."""
        return [f for f in self.errors if f.category == "accessibility"]


def _invalid(problem: Problem) -> Finding:
    return _make(
        "FE000",
        problem.path,
        problem.message,
        "make the definition valid (forms-engine validate; docs/reference.md describes every property)",
    )


def check_definition(data: Any) -> LintResult:
    """Validate a parsed definition, then lint it when it is valid. Never raises for bad input."""
    try:
        problems = validate_definition_data(data)
        if problems:
            findings = [_invalid(p) for p in problems] + placeholder_findings(data)
            return LintResult(problems, _sorted(findings, data), [])
        active, silenced = _lint_valid(data)
    except RecursionError:
        return LintResult([TOO_DEEP], [_invalid(TOO_DEEP)], [])
    return LintResult([], active, silenced)


def lint_file(path: Path) -> LintResult:
    """`check_definition` on a definition file; a missing file or bad JSON is an FE000 problem."""
    if not path.is_file():
        problem = Problem("$", "file not found")
        return LintResult([problem], [_invalid(problem)], [])
    try:
        data = parse_definition_file(path)
    except DefinitionError as exc:
        return LintResult(list(exc.problems), [_invalid(p) for p in exc.problems], [])
    except RecursionError:
        return LintResult([TOO_DEEP], [_invalid(TOO_DEEP)], [])
    return check_definition(data)
