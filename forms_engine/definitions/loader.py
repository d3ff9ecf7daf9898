"""Read form definitions, validate them (JSON Schema, then cross references) and keep the valid ones by slug.

Every problem is reported with the JSON path where it lies, so a designer can act on all of them at once.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal, localcontext
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from . import conditions
from .model import FormDefinition, build_definition, resolve_date_bound

log = logging.getLogger(__name__)

#: Page paths the runner uses for its own pages; a definition page may not take them.
RESERVED_PATHS = frozenset(
    {
        "/start",
        "/check-answers",
        "/confirmation",
        "/submit",
        "/assets",
        "/save",
        "/resume",
        "/repeat",
        "/feedback",
    }
)
#: Top-level paths the service uses itself: a form's slug may not take them.
RESERVED_SLUGS = frozenset(
    {"assets", "healthz", "readyz", "schemas", "caseworker", "designer", "reports", "static", "api", "admin"}
)
CHOICE_TYPES = frozenset({"RadiosField", "CheckboxesField", "SelectField"})
#: Component names a page form cannot have: the CSRF field, the question page's buttons (`action`),
#: and the attributes of the WTForms form class a page's fields become attributes of (a field called
#: `meta` or `process` breaks the form).
RESERVED_NAMES = frozenset(
    {
        "action",
        "csrf_token",
        "data",
        "errors",
        "form_errors",
        "meta",
        "Meta",
        "populate_obj",
        "post_process",
        "process",
        "validate",
    }
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition, at a JSON path such as `$.pages[2].components[0].list`."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class DefinitionError(Exception):
    """A definition that cannot be used, with every problem found in it."""

    def __init__(self, source: str, problems: list[Problem]):
        super().__init__(f"{source}: {len(problems)} problem(s)")
        self.source = source
        self.problems = problems


@cache
def definition_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) for form definitions."""
    text = resources.files(__package__).joinpath("schema/form-definition.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    schema = definition_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def _schema_message(error: ValidationError) -> str:
    # oneOf failures of a text are clearer said plainly than as jsonschema's repr of the value.
    if error.validator == "oneOf" and error.schema.get("description", "").startswith("Text a user"):
        return "must be a non-empty string or an object of translations with an 'en' string"
    if error.validator == "not" and error.validator_value == {} and error.path:
        return f"'{error.path[-1]}' is not allowed for this component type"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties", "Unknown properties")
    return error.message


def _leaf_errors(errors: Iterable[ValidationError]) -> Iterator[ValidationError]:
    """Flatten if/then failures so the reported path points into the offending option."""
    for error in errors:
        if error.validator in ("allOf", "then") and error.context:
            yield from _leaf_errors(error.context)
        else:
            yield error


def _path_order(error: ValidationError) -> list[tuple[int, str]]:
    # Array indexes compare as numbers, so pages[2] comes before pages[10].
    return [(p, "") if isinstance(p, int) else (-1, p) for p in error.absolute_path]


def schema_problems(data: Any) -> list[Problem]:
    """Every JSON Schema violation in `data`, in document order."""
    errors = sorted(_validator().iter_errors(data), key=_path_order)
    return [Problem(e.json_path, _schema_message(e)) for e in _leaf_errors(errors)]


def _duplicates(items: Iterable[tuple[str, str]], what: str, problems: list[Problem]) -> dict[str, str]:
    """Record a problem for each repeated key; return the first path seen for each key."""
    seen: dict[str, str] = {}
    for key, path in items:
        if key in seen:
            problems.append(Problem(path, f"duplicate {what} '{key}' (first used at {seen[key]})"))
        else:
            seen[key] = path
    return seen


def _date_bound_problems(options: Mapping[str, Any], path: str, by_month: bool = False) -> list[Problem]:
    """Absolute bounds must be real dates (the schema only checks their shape), and earliest must not
    be after latest: always, when both are absolute or both relative to today; today, when one is
    absolute and the other relative (no date could be accepted now). `by_month` compares the months
    only, as a MonthYearField does."""
    problems: list[Problem] = []
    bounds: dict[str, date] = {}
    for key in ("earliest", "latest"):
        bound = options.get(key)
        if not isinstance(bound, str):
            continue
        try:
            bounds[key] = resolve_date_bound(bound, date.today())
        except ValueError:
            problems.append(Problem(f"{path}.options.{key}", f"'{bound}' is not a real date"))
    if "latest" in bounds and bounds["latest"].year < 1000:
        problems.append(
            Problem(
                f"{path}.options.latest",
                f"'{options['latest']}' is before the year 1000: years are typed with 4 digits, "
                "so no date could be accepted",
            )
        )
    if len(bounds) < 2:
        return problems
    earliest, latest = bounds["earliest"], bounds["latest"]
    if by_month:
        earliest, latest = earliest.replace(day=1), latest.replace(day=1)
    if earliest <= latest:
        return problems
    if _is_absolute(options["earliest"]) == _is_absolute(options["latest"]):
        problems.append(Problem(f"{path}.options.earliest", "earliest is after latest"))
    else:
        problems.append(
            Problem(
                f"{path}.options.earliest",
                f"earliest ('{options['earliest']}', {bounds['earliest'].isoformat()} today) is after "
                f"latest ('{options['latest']}', {bounds['latest'].isoformat()} today): "
                "no date could be accepted",
            )
        )
    return problems


def _number_range_problems(options: Mapping[str, Any], path: str) -> list[Problem]:
    """A NumberField whose range holds no number with its decimal places (min 0.15, max 0.16,
    decimals 1) could never be answered."""
    low, high = options.get("min"), options.get("max")
    if low is None or high is None or low > high:
        return []
    decimals = options.get("decimals", 0)
    with localcontext() as context:
        context.prec = 700  # enough digits for any JSON number (see NumberField.example)
        least = Decimal(str(low)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_CEILING)
        if least <= Decimal(str(high)):
            return []
    kind = "whole number" if decimals == 0 else f"number with {decimals} decimal place{'s' * (decimals > 1)}"
    return [
        Problem(
            f"{path}.options",
            f"no {kind} is between min {low} and max {high}: the question could never be answered",
        )
    ]


def _is_absolute(bound: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", bound))


def reference_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Problems a schema cannot express: uniqueness and references between parts of the definition."""
    problems: list[Problem] = []
    pages = data["pages"]
    lists = {lst["id"]: lst for lst in data.get("lists", [])}
    _duplicates(
        ((lst["id"], f"$.lists[{i}].id") for i, lst in enumerate(data.get("lists", []))), "list id", problems
    )
    for i, lst in enumerate(data.get("lists", [])):
        _duplicates(
            ((item["value"], f"$.lists[{i}].items[{j}].value") for j, item in enumerate(lst["items"])),
            "list item value",
            problems,
        )
        for j, item in enumerate(lst["items"]):
            # Answers are trimmed before they are checked, so such an item could never be chosen.
            if item["value"] != item["value"].strip():
                problems.append(
                    Problem(
                        f"$.lists[{i}].items[{j}].value", "a list item value cannot start or end with a space"
                    )
                )
    sections = {s["id"] for s in data.get("sections", [])}
    _duplicates(
        ((s["id"], f"$.sections[{i}].id") for i, s in enumerate(data.get("sections", []))),
        "section id",
        problems,
    )
    _duplicates(((p["id"], f"$.pages[{i}].id") for i, p in enumerate(pages)), "page id", problems)
    _duplicates(((p["path"], f"$.pages[{i}].path") for i, p in enumerate(pages)), "page path", problems)
    components = [
        (c, f"$.pages[{i}].components[{j}]")
        for i, p in enumerate(pages)
        for j, c in enumerate(p["components"])
    ]
    _duplicates(((c["id"], f"{path}.id") for c, path in components), "component id", problems)
    names = _duplicates(((c["name"], f"{path}.name") for c, path in components), "component name", problems)
    by_name = {c["name"]: c for c, _ in components}

    for i, page in enumerate(pages):
        if page["path"] in RESERVED_PATHS:
            problems.append(
                Problem(f"$.pages[{i}].path", f"'{page['path']}' is used by the engine; choose another path")
            )
        if "section" in page and page["section"] not in sections:
            problems.append(Problem(f"$.pages[{i}].section", f"unknown section '{page['section']}'"))

    for component, path in components:
        if component["name"] in RESERVED_NAMES:
            problems.append(
                Problem(f"{path}.name", f"'{component['name']}' is used by the engine; choose another name")
            )
        list_id = component.get("list")
        if list_id is not None and list_id not in lists:
            problems.append(Problem(f"{path}.list", f"unknown list '{list_id}'"))
        if list_id is not None and component["type"] not in CHOICE_TYPES:
            problems.append(Problem(f"{path}.list", f"{component['type']} does not use a list"))
        options = component.get("options", {})
        if "regex" in options:
            try:
                re.compile(options["regex"])
            except re.error as exc:
                problems.append(Problem(f"{path}.options.regex", f"not a valid pattern: {exc}"))
            else:
                example = options.get("example")
                if example is None:
                    problems.append(Problem(f"{path}.options", "a regex needs an example of a valid answer"))
                elif not re.fullmatch(options["regex"], example):
                    problems.append(
                        Problem(f"{path}.options.example", "the example does not match the regex")
                    )
            if "format" not in component.get("errors", {}):
                problems.append(
                    Problem(f"{path}.errors", "a regex needs an error message under errors.format")
                )
        for low, high in (("min", "max"), ("minLength", "maxLength"), ("minSelected", "maxSelected")):
            if low in options and high in options and options[low] > options[high]:
                problems.append(Problem(f"{path}.options.{low}", f"{low} is greater than {high}"))
        if component["type"] == "FileUploadField" and options.get("minFiles", 1) > options.get("maxFiles", 1):
            problems.append(
                Problem(f"{path}.options.minFiles", "minFiles is greater than maxFiles (default 1)")
            )
        problems.extend(_date_bound_problems(options, path, by_month=component["type"] == "MonthYearField"))
        if component["type"] == "TextField" and options.get("minLength", 0) > TEXT_FIELD_MOST:
            problems.append(
                Problem(
                    f"{path}.options.minLength",
                    f"minLength cannot be more than {TEXT_FIELD_MOST:,}, the largest maxLength a "
                    "TextField may have",
                )
            )
        if component["type"] in NUMBER_TYPES:
            problems.extend(_number_range_problems(options, path))
        if component["type"] == "CheckboxesField" and list_id in lists:
            count = len(lists[list_id]["items"])
            if options.get("minSelected", 0) > count:
                problems.append(
                    Problem(
                        f"{path}.options.minSelected",
                        f"minSelected is more than the {count} items in the list",
                    )
                )

    email = data.get("confirmationEmailComponent")
    if email is not None:
        if email not in names:
            problems.append(Problem("$.confirmationEmailComponent", f"unknown component '{email}'"))
        elif by_name[email]["type"] != "EmailAddressField":
            problems.append(
                Problem(
                    "$.confirmationEmailComponent",
                    f"'{email}' is a {by_name[email]['type']}, not an EmailAddressField",
                )
            )

    if data.get("slug") in RESERVED_SLUGS:
        problems.append(
            Problem("$.slug", f"'{data['slug']}' is used by the service itself: choose another slug")
        )

    webhook = data.get("deliveries", {}).get("webhook")
    if webhook is not None and not _webhook_url_allowed(webhook["url"]):
        problems.append(
            Problem(
                "$.deliveries.webhook.url",
                "a webhook URL must use https (plain http only to localhost or 127.0.0.1, for testing)",
            )
        )

    languages = data.get("languages", ["en"])
    if languages and languages[0] != "en":
        problems.append(Problem("$.languages[0]", "English ('en') must be the first language"))
    problems.extend(condition_problems(data))
    return problems


def _webhook_url_allowed(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # such as an unbalanced "[" or "]" (urlsplit takes it for an IPv6 address)
        return False
    if not parts.hostname:
        return False
    return parts.scheme == "https" or (
        parts.scheme == "http" and parts.hostname in {"localhost", "127.0.0.1", "::1"}
    )


#: The largest maxLength a TextField may have (the schema's maximum): no answer can be required longer.
TEXT_FIELD_MOST: int = definition_schema()["$defs"]["textOptions"]["properties"]["maxLength"]["maximum"]
CONTENT_ONLY = frozenset({"Html", "Markdown", "InsetText", "Details", "WarningText"})
NUMBER_TYPES = frozenset({"NumberField"})
DATE_TYPES = frozenset({"DatePartsField", "MonthYearField"})
DATE_VALUE = re.compile(r"^(\d{4}-\d{2}-\d{2}|\d{4}-\d{2}|today|[+-]\d{1,4}[dmy])$")


def _leaf_problems(
    leaf: Mapping[str, Any],
    path: str,
    data: Mapping[str, Any],
    components: Mapping[str, Any],
    lists: Mapping[str, Any],
) -> list[Problem]:
    """Problems in one comparison: unknown component, operator that does not fit, value of a wrong kind."""
    if "component" not in leaf:
        return []
    name, op, value = leaf["component"], leaf["op"], leaf.get("value")
    component = components.get(name)
    if component is None or component["type"] in CONTENT_ONLY:
        return [Problem(f"{path}.component", f"unknown question '{name}'")]
    kind = component["type"]
    if op in conditions.PRESENCE_OPS:
        return [Problem(f"{path}.value", f"'{op}' takes no value")] if "value" in leaf else []
    if "value" not in leaf:
        return [Problem(f"{path}.value", f"'{op}' needs a value")]
    if op in ("anyOf", "noneOf"):
        if not isinstance(value, list) or not value:
            return [Problem(f"{path}.value", f"'{op}' needs a non-empty list of values")]
        candidates = value
    else:
        candidates = [value]
    if op in conditions.NUMBER_OPS:
        if kind not in NUMBER_TYPES or isinstance(value, bool) or not isinstance(value, (int, float)):
            return [Problem(f"{path}.op", f"'{op}' compares numbers: use it on a NumberField with a number")]
    elif op in conditions.DATE_OPS:
        if kind not in DATE_TYPES or not isinstance(value, str) or not DATE_VALUE.match(value):
            return [
                Problem(
                    f"{path}.op",
                    f"'{op}' compares dates: use it on a date field with a date "
                    "(YYYY-MM-DD) or a relative date such as '-30d'",
                )
            ]
    elif op in conditions.LENGTH_OPS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return [Problem(f"{path}.value", f"'{op}' needs a whole number")]
    elif kind == "YesNoField" and op != "contains":
        if not all(isinstance(v, bool) for v in candidates):
            return [Problem(f"{path}.value", "a YesNoField answer is true or false")]
    elif kind in CHOICE_TYPES and op != "contains":
        allowed = {item["value"] for item in lists.get(component.get("list"), {}).get("items", [])}
        for candidate in candidates:
            if candidate not in allowed:
                return [
                    Problem(
                        f"{path}.value", f"'{candidate}' is not a value of list '{component.get('list')}'"
                    )
                ]
    return []


def condition_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Conditions refer to known questions and conditions, never to later pages, without cycles; and
    every page can be reached."""
    problems: list[Problem] = []
    named_list = data.get("conditions", [])
    named = {c["id"]: c["condition"] for c in named_list}
    _duplicates(
        ((c["id"], f"$.conditions[{i}].id") for i, c in enumerate(named_list)), "condition id", problems
    )
    pages = data["pages"]
    components: dict[str, Any] = {}
    page_of: dict[str, int] = {}
    for index, page in enumerate(pages):
        for component in page["components"]:
            components.setdefault(component["name"], component)
            page_of.setdefault(component["name"], index)
    lists = {lst["id"]: lst for lst in data.get("lists", [])}

    def check(condition: Mapping[str, Any], path: str) -> None:
        for leaf, leaf_path in conditions.walk(condition, path):
            if "ref" in leaf and leaf["ref"] not in named:
                problems.append(Problem(f"{leaf_path}.ref", f"unknown condition '{leaf['ref']}'"))
            problems.extend(_leaf_problems(leaf, leaf_path, data, components, lists))

    for index, item in enumerate(named_list):
        check(item["condition"], f"$.conditions[{index}].condition")
    cycle = conditions.reference_cycle(named)
    if cycle:
        problems.append(
            Problem("$.conditions", "conditions refer to each other in a cycle: " + " -> ".join(cycle))
        )
        return problems

    def guard(condition: Mapping[str, Any], path: str, page_index: int, what: str) -> None:
        check(condition, path)
        for name in sorted(conditions.referenced_components(condition, named)):
            if name in page_of and page_of[name] >= page_index:
                problems.append(
                    Problem(
                        path,
                        f"{what} depends on '{name}', which is asked on "
                        f"{'the same' if page_of[name] == page_index else 'a later'} "
                        "page; a condition can only use answers from earlier pages",
                    )
                )

    first_use: dict[str, int] = {}
    for index, page in enumerate(pages):
        for component in page["components"]:
            if component.get("list"):
                first_use.setdefault(component["list"], index)
    for index, page in enumerate(pages):
        if "condition" in page:
            guard(page["condition"], f"$.pages[{index}].condition", index, "the page's condition")
        for j, component in enumerate(page["components"]):
            if "condition" in component:
                path = f"$.pages[{index}].components[{j}].condition"
                if component["type"] not in CONTENT_ONLY:
                    problems.append(
                        Problem(
                            path,
                            "only content components can have a condition; "
                            "put the question on a page of its own with a condition",
                        )
                    )
                guard(component["condition"], path, index, "the content's condition")
        if page.get("exit"):
            for j, component in enumerate(page["components"]):
                if component["type"] not in CONTENT_ONLY:
                    problems.append(
                        Problem(f"$.pages[{index}].components[{j}]", "an exit page can only hold content")
                    )
    for i, lst in enumerate(data.get("lists", [])):
        for j, item in enumerate(lst["items"]):
            if "condition" in item:
                guard(
                    item["condition"],
                    f"$.lists[{i}].items[{j}].condition",
                    first_use.get(lst["id"], len(pages)),
                    "the list item's condition",
                )
    problems.extend(_unreachable_pages(pages, named))
    problems.extend(repeat_problems(data, named))
    return problems


def repeat_problems(data: Mapping[str, Any], named: Mapping[str, Any]) -> list[Problem]:
    """Repeats group consecutive known pages; their questions are per item, so conditions outside
    the repeat use the number of items instead; counts refer to known repeats asked earlier."""
    problems: list[Problem] = []
    repeats = data.get("repeats", [])
    pages = data["pages"]
    index_of = {page["id"]: i for i, page in enumerate(pages)}
    _duplicates(((r["id"], f"$.repeats[{i}].id") for i, r in enumerate(repeats)), "repeat id", problems)
    owner: dict[int, str] = {}
    end_of: dict[str, int] = {}
    for i, repeat in enumerate(repeats):
        path = f"$.repeats[{i}]"
        if repeat.get("min", 1) > repeat.get("max", 50):
            problems.append(Problem(f"{path}.min", "min is greater than max"))
        found = []
        for j, page_id in enumerate(repeat["pages"]):
            if page_id not in index_of:
                problems.append(Problem(f"{path}.pages[{j}]", f"unknown page '{page_id}'"))
                continue
            index = index_of[page_id]
            if index in owner:
                problems.append(
                    Problem(f"{path}.pages[{j}]", f"page '{page_id}' is already in repeat '{owner[index]}'")
                )
            owner[index] = repeat["id"]
            found.append(index)
            if pages[index].get("exit"):
                problems.append(Problem(f"{path}.pages[{j}]", "an exit page cannot be repeated"))
            if any(c["type"] == "FileUploadField" for c in pages[index]["components"]):
                # Uploads are taken by the question page view, not by a repeat's item pages.
                problems.append(Problem(f"{path}.pages[{j}]", "a page with a file upload cannot be repeated"))
        if found and sorted(found) != list(range(min(found), max(found) + 1)):
            problems.append(Problem(f"{path}.pages", "the pages of a repeat must follow each other"))
        if found and not any(c["type"] not in CONTENT_ONLY for i2 in found for c in pages[i2]["components"]):
            problems.append(Problem(f"{path}.pages", "a repeat needs at least one question"))
        if found:
            end_of[repeat["id"]] = max(found)
    repeated_names = {
        c["name"]: owner[i] for i, page in enumerate(pages) if i in owner for c in page["components"]
    }

    def check(condition: Mapping[str, Any], path: str, where: int, inside: str | None) -> None:
        for name in conditions.referenced_components(condition, named):
            if name in repeated_names and repeated_names[name] != inside:
                problems.append(
                    Problem(
                        path,
                        f"'{name}' is answered once per item of repeat "
                        f"'{repeated_names[name]}': use a count condition instead",
                    )
                )
        for repeat_id in conditions.referenced_repeats(condition, named):
            if repeat_id not in end_of:
                problems.append(Problem(path, f"unknown repeat '{repeat_id}'"))
            elif end_of[repeat_id] >= where:
                problems.append(
                    Problem(
                        path,
                        f"the count of repeat '{repeat_id}' is only known after its "
                        "pages: a condition can only use it on later pages",
                    )
                )

    for i, page in enumerate(pages):
        if "condition" in page:
            check(page["condition"], f"$.pages[{i}].condition", i, owner.get(i))
        for j, component in enumerate(page["components"]):
            if "condition" in component:
                check(component["condition"], f"$.pages[{i}].components[{j}].condition", i, owner.get(i))
    for i, lst in enumerate(data.get("lists", [])):
        for j, item in enumerate(lst["items"]):
            if "condition" in item:
                check(item["condition"], f"$.lists[{i}].items[{j}].condition", len(pages), None)
    if data.get("confirmationEmailComponent") in repeated_names:
        problems.append(
            Problem(
                "$.confirmationEmailComponent", "the confirmation email cannot be a question inside a repeat"
            )
        )
    return problems


def _contradictory(condition: Mapping[str, Any], named: Mapping[str, Any]) -> bool:
    """True when an `all` group asks one question to be two different things at once."""
    if "ref" in condition:
        return _contradictory(named.get(condition["ref"], {}), named)
    if "all" not in condition:
        return False
    wanted: dict[str, Any] = {}
    for part in condition["all"]:
        if _contradictory(part, named):
            return True
        if part.get("op") == "is" and "component" in part and not isinstance(part.get("value"), list):
            name = part["component"]
            if name in wanted and wanted[name] != part["value"]:
                return True
            wanted[name] = part["value"]
    return False


def _unreachable_pages(pages: list[Any], named: Mapping[str, Any]) -> list[Problem]:
    problems = []
    stopped_by: str | None = None
    for index, page in enumerate(pages):
        if stopped_by is not None:
            problems.append(
                Problem(
                    f"$.pages[{index}]",
                    f"this page can never be reached: the exit page "
                    f"'{stopped_by}' before it always ends the journey",
                )
            )
            continue
        if "condition" in page and _contradictory(page["condition"], named):
            problems.append(
                Problem(
                    f"$.pages[{index}].condition",
                    "this page can never be reached: its condition can never hold",
                )
            )
        if page.get("exit") and "condition" not in page and index < len(pages) - 1:
            stopped_by = page["id"]
    return problems


def validate_definition_data(data: Any) -> list[Problem]:
    """All problems in a parsed definition: schema first, then references when the shape is right."""
    problems = schema_problems(data)
    if problems:
        return problems
    return reference_problems(data)


def parse_definition_file(path: Path) -> Any:
    """Parse a definition file's JSON, raising DefinitionError with the line of a syntax error."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DefinitionError(str(path), [Problem("$", f"not UTF-8 text: {exc.reason}")]) from exc
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            str(path), [Problem("$", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]
        ) from exc


#: What a definition nested hundreds of levels deep (JSON in JSON, conditions inside conditions) gets
#: instead of a RecursionError, which would otherwise stop the service loading its other forms.
TOO_DEEP = Problem("$", "nested too deeply to read or check (hundreds of levels): flatten it")


def load_definition(path: Path) -> FormDefinition:
    """Load one definition file, raising DefinitionError listing every problem."""
    try:
        data = parse_definition_file(path)
        problems = validate_definition_data(data)
        if problems:
            raise DefinitionError(str(path), problems)
        return build_definition(data)
    except RecursionError:
        raise DefinitionError(str(path), [TOO_DEEP]) from None


@dataclass
class FormRegistry:
    """The definitions a running service offers, and the ones it could not load."""

    forms: dict[str, FormDefinition]
    versions: dict[tuple[str, str], FormDefinition]
    unavailable: dict[str, list[Problem]]

    @classmethod
    def empty(cls) -> FormRegistry:
        return cls({}, {}, {})

    @classmethod
    def from_directory(cls, directory: Path) -> FormRegistry:
        """Load every `*.json` definition; a bad file is logged and listed, never fatal."""
        registry = cls.empty()
        for path in sorted(Path(directory).glob("*.json")):
            if path.name.endswith(".schema.json"):
                continue
            try:
                definition = load_definition(path)
            except DefinitionError as exc:
                log.error(
                    "form definition %s is unavailable: %s",
                    path.name,
                    "; ".join(str(p) for p in exc.problems),
                )
                registry.unavailable[path.stem] = exc.problems
                continue
            if definition.slug in registry.forms:
                problem = Problem("$.slug", f"slug '{definition.slug}' is already used by another file")
                log.error("form definition %s is unavailable: %s", path.name, problem)
                registry.unavailable[path.stem] = [problem]
                continue
            registry.add(definition)
        return registry

    def add(self, definition: FormDefinition) -> None:
        self.forms[definition.slug] = definition
        self.versions[(definition.slug, definition.version)] = definition

    def remember(self, definition: FormDefinition) -> None:
        """Keep an older version for the journeys started on it, without offering it to new ones."""
        self.versions[(definition.slug, definition.version)] = definition

    def get(self, slug: str, version: str | None = None) -> FormDefinition | None:
        if version is not None:
            return self.versions.get((slug, version))
        return self.forms.get(slug)


#: Names of the languages a definition may declare besides English, for warnings.
LANGUAGE_NAMES = {"cy": "Welsh"}
_TRANSLATION_CHECK = "forms-engine: text must carry this language"


@cache
def _translation_validator(language: str) -> Draft202012Validator:
    """The definition schema with its `text` type narrowed to translations that include `language`:
    run on a valid definition, every error from that type is a text missing the translation."""
    schema = definition_schema()
    narrowed = {"$comment": _TRANSLATION_CHECK, "type": "object", "required": [language]}
    return Draft202012Validator({**schema, "$defs": {**schema["$defs"], "text": narrowed}})


def _untranslated(errors: Iterable[ValidationError], found: dict[str, ValidationError]) -> None:
    for error in errors:
        if isinstance(error.schema, dict) and error.schema.get("$comment") == _TRANSLATION_CHECK:
            found.setdefault(error.json_path, error)
        if error.context:
            _untranslated(error.context, found)


def definition_warnings(data: Any) -> list[Problem]:
    """Problems that do not stop a definition being served: every text (anywhere the schema allows
    text) missing a translation into a language the form declares, such as `"languages": ["en", "cy"]`.

    For a definition that passes `validate_definition_data`; errors-only checks stay there.
    """
    if not isinstance(data, Mapping):
        return []
    warnings: list[Problem] = []
    for language in [lang for lang in data.get("languages", ["en"]) if lang != "en"]:
        found: dict[str, ValidationError] = {}
        _untranslated(_translation_validator(language).iter_errors(data), found)
        name = LANGUAGE_NAMES.get(language, language)
        for error in sorted(found.values(), key=_path_order):
            warnings.append(
                Problem(error.json_path, f"no {name} ('{language}') translation: the form declares {name}")
            )
    return warnings
