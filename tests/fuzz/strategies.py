"""Hypothesis strategies for the fuzzing tests: arbitrary JSON, schema-shaped form definitions and
hostile answers.

How definitions are made (`definitions()`): the published schema
(forms_engine/definitions/schema/form-definition.schema.json) is too large and too cross-referenced
for one `hypothesis_jsonschema.from_schema` call, so it is cut into parts and each part is generated
from its own piece of that schema:

- the form-level objects `paperForm`, `service`, `startPage`, `checkAnswers`, `deliveries` and
  `retention`: `from_schema` on the schema's own property schema for each (with the schema's `$defs`);
- each component: for a component type drawn from the schema's enum, a sub-schema is derived from
  `$defs/component` by applying the `allOf` if/then clauses that match that type (its `options`
  schema, required and not-allowed properties); `from_schema` then generates the component's
  text properties (title, hint, content, errors...) and its options. `id`, `name`, `list` and
  `condition` are left out of that sub-schema and filled in by hand;
- the parts the schema cannot express are hand-written: unique page ids, paths and component
  names, one list (items from `$defs/list`, values made unique) for each choice question, sections,
  conditions that refer to questions on earlier pages with an operator and value that fit the
  question (sometimes grouped with all/any, negated, or named and referred to by `ref`), at most
  one repeat of one page, an exit page, the confirmation email question;
- options that the cross-reference checks reject (minLength above maxLength, minSelected above the
  list's length, date bounds that are not real dates or come in the wrong order, a webhook on plain
  http, list values with spaces at either end...) are repaired most of the time and left alone sometimes,
  and with a small probability a deliberate cross-reference mistake is made (a duplicate name, a
  reserved path or name, an unknown list or section, a condition on a later page), so the
  validator's reference checks see bad input too.

`hostile_text()` and friends make the answers: markup and script payloads, spreadsheet formulas,
control, zero-width and bidirectional override characters, and long strings.
"""

from __future__ import annotations

import copy
import string
from datetime import date
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from forms_engine.definitions.loader import RESERVED_NAMES, RESERVED_PATHS, definition_schema
from forms_engine.definitions.model import resolve_date_bound

SCHEMA = definition_schema()
DEFS = SCHEMA["$defs"]
PROPERTIES = SCHEMA["properties"]
COMPONENT_TYPES: list[str] = DEFS["component"]["properties"]["type"]["enum"]
CONTENT_TYPES = {"Html", "Markdown", "InsetText", "Details", "WarningText"}
CHOICE_TYPES = {"RadiosField", "CheckboxesField", "SelectField"}
QUESTION_TYPES = [t for t in COMPONENT_TYPES if t not in CONTENT_TYPES]

#: Any JSON value: what a definition file might hold when it is not a definition at all.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=30,
)


def component_schema(type_name: str) -> dict[str, Any]:
    """`$defs/component` narrowed to one type: its if/then clauses applied, hand-filled keys removed."""
    base = DEFS["component"]
    hand_filled = {"id", "name", "type", "list", "condition"}
    properties = {k: v for k, v in base["properties"].items() if k not in hand_filled}
    required = set()
    for clause in base["allOf"]:
        test = clause["if"]["properties"]["type"]
        if type_name not in test.get("enum", [test.get("const")]):
            continue
        then = clause["then"]
        required.update(r for r in then.get("required", []) if r not in hand_filled)
        for key, value in then.get("properties", {}).items():
            if key in hand_filled:
                continue
            if value == {"$ref": "#/$defs/notAllowed"}:
                properties.pop(key, None)
            else:
                properties[key] = value
    options = properties.get("options")
    if options == {"$ref": "#/$defs/textOptions"}:
        # Regexes are drawn by hand with a matching example (a random regex never has one).
        text_options = copy.deepcopy(DEFS["textOptions"])
        del text_options["properties"]["regex"], text_options["properties"]["example"]
        properties["options"] = text_options
    return {
        "type": "object",
        "required": sorted(required),
        "properties": properties,
        "additionalProperties": False,
    }


def _resolve(schema: Any) -> Any:
    """The schema with each `{"$ref": "#/$defs/x"}` replaced by the definition it names (the schema's
    references are not recursive except conditions, which the parts generated here leave out)."""
    if isinstance(schema, dict):
        if "$ref" in schema and schema["$ref"].startswith("#/$defs/"):
            target: Any = DEFS
            for part in schema["$ref"].removeprefix("#/$defs/").split("/"):
                target = target[part]
            return _resolve({**target, **{k: v for k, v in schema.items() if k != "$ref"}})
        return {k: _resolve(v) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_resolve(v) for v in schema]
    return schema


_OBJECT_KEYS = {"type", "required", "properties", "additionalProperties", "minProperties", "description"}


def strategy_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """`from_schema` for the schema, with objects of known properties split into one `from_schema`
    per property (hypothesis-jsonschema re-canonicalises an object's property schemas on every draw,
    which made a whole definition take seconds)."""
    schema = _resolve(schema)
    if (
        schema.get("type") == "object"
        and schema.get("additionalProperties") is False
        and set(schema) <= _OBJECT_KEYS
    ):
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        strategy = st.fixed_dictionaries(
            {k: strategy_for(v) for k, v in properties.items() if k in required},
            optional={k: strategy_for(v) for k, v in properties.items() if k not in required},
        )
        least = schema.get("minProperties", 0)
        return strategy.filter(lambda value: len(value) >= least) if least else strategy
    if "oneOf" in schema and set(schema) <= {"oneOf", "description", "maxLength"}:
        # The text type: a string or an object of translations (the branches never overlap).
        extra = {k: v for k, v in schema.items() if k not in ("oneOf", "description")}
        return st.one_of([strategy_for({**branch, **extra}) for branch in schema["oneOf"]])
    if (
        schema.get("type") == "object"
        and isinstance(schema.get("additionalProperties"), dict)
        and set(schema) <= {"type", "additionalProperties", "propertyNames", "description"}
    ):
        # A map such as a component's `errors`: names from `propertyNames`, values from the rest.
        names = from_schema({"type": "string", **schema.get("propertyNames", {})})
        return st.dictionaries(names, strategy_for(schema["additionalProperties"]), max_size=3)
    return from_schema(schema)


_COMPONENT_PARTS = {t: strategy_for(component_schema(t)) for t in COMPONENT_TYPES}
_FORM_PARTS = {
    key: strategy_for(PROPERTIES[key])
    for key in ("paperForm", "service", "startPage", "checkAnswers", "retention", "deliveries")
}
_LIST_ITEM = strategy_for(
    {
        **DEFS["list"]["properties"]["items"]["items"],
        "properties": {
            k: v
            for k, v in DEFS["list"]["properties"]["items"]["items"]["properties"].items()
            if k != "condition"
        },
    }
)
_TEXT = strategy_for({"$ref": "#/$defs/text"})
_REGEXES = [
    (r"[A-Z]{2}[0-9]{4}", "AB1234"),
    (r"\d{2}/\d{3}/\d{4}", "12/345/6789"),
    (r"[a-z ]+", "plain words"),
    (r"(CPH )?\d{2}/\d{3}/\d{4}", "CPH 12/345/6789"),
]


def _real_bound(bound: str, draw: Any) -> str:
    """A date bound the validator accepts: an absolute one a real date with 4 digits in its year (the
    pattern alone allows 2024-99-99), a relative one within those years (it allows -9999y)."""
    if bound[:1].isdigit():
        return draw(st.dates(date(1000, 1, 1), date(9999, 12, 31))).isoformat()
    try:
        if resolve_date_bound(bound, date.today()).year >= 1000:
            return bound
    except ValueError:
        pass
    return draw(st.sampled_from(["today", "-30y", "+30y", "-6m", "+10d"]))


def _repair(component: dict[str, Any], list_length: int, draw: Any) -> None:
    """Make options the cross-reference checks accept (low <= high and the like)."""
    options = component.get("options")
    if not isinstance(options, dict):
        return
    for low, high in (("min", "max"), ("minLength", "maxLength"), ("minSelected", "maxSelected")):
        if low in options and high in options and options[low] > options[high]:
            if low == "minLength":  # maxLength has a maximum (10,000) that a swapped minLength may pass
                options[low] = options[high]
            else:
                options[low], options[high] = options[high], options[low]
    if component["type"] == "FileUploadField" and options.get("minFiles", 1) > options.get("maxFiles", 1):
        options["maxFiles"] = options.get("minFiles", 1)
    if options.get("minLength", 0) > 1000:
        # The schema sets no maximum: minLength 2,000,000 passes, but no answer that long fits in a
        # request body (MAX_FORM_MEMORY_SIZE), so the walk could not answer (a 413).
        options["minLength"] = 1000
    if "maxSizeMb" in options:
        # The schema allows 5e-324 MB: a limit no file can meet (the walk could not answer).
        options["maxSizeMb"] = max(options["maxSizeMb"], 1)
    if component["type"] == "CheckboxesField":
        for key in ("minSelected", "maxSelected"):
            if key in options:
                options[key] = min(options[key], list_length)
    for key in ("earliest", "latest"):
        if isinstance(options.get(key), str):
            options[key] = _real_bound(options[key], draw)
    if "earliest" in options and "latest" in options:
        today = date.today()
        earliest, latest = (resolve_date_bound(options[k], today) for k in ("earliest", "latest"))
        if earliest > latest:
            options["earliest"], options["latest"] = options["latest"], options["earliest"]


def _condition_on(component: dict[str, Any], lists: dict[str, list[str]], draw: Any) -> dict[str, Any]:
    """A condition that fits the component's type (the loader's leaf checks)."""
    name, kind = component["name"], component["type"]
    presence = {"component": name, "op": draw(st.sampled_from(["answered", "notAnswered"]))}
    if kind in CHOICE_TYPES:
        values = lists[component["list"]]
        return draw(
            st.sampled_from(
                [
                    presence,
                    {"component": name, "op": "is", "value": values[0]},
                    {"component": name, "op": "noneOf", "value": values[:2]},
                ]
            )
        )
    if kind == "YesNoField":
        return {"component": name, "op": "is", "value": draw(st.booleans())}
    if kind == "NumberField":
        return {"component": name, "op": "greaterThan", "value": draw(st.integers(-100, 100))}
    if kind in ("DatePartsField", "MonthYearField"):
        return {
            "component": name,
            "op": "before",
            "value": draw(st.sampled_from(["today", "-5y", "2000-01-01"])),
        }
    if kind in ("TextField", "MultilineTextField"):
        return {"component": name, "op": "lengthGreaterThan", "value": draw(st.integers(0, 20))}
    return presence


def _condition(
    asked: list[dict[str, Any]], lists: dict[str, list[str]], draw: Any, named: list[dict[str, Any]]
) -> dict[str, Any]:
    """A condition on questions asked earlier: mostly one comparison, sometimes a group (all, any),
    a negation or a reference to a named condition (added to `named`)."""

    def leaf() -> dict[str, Any]:
        return _condition_on(draw(st.sampled_from(asked)), lists, draw)

    shape = draw(st.sampled_from(["leaf"] * 4 + ["not", "all", "any", "ref"]))
    if shape == "not":
        return {"not": leaf()}
    if shape in ("all", "any"):
        return {shape: [leaf() for _ in range(draw(st.integers(1, 3)))]}
    if shape == "ref":
        named.append({"id": f"condition-{len(named)}", "condition": leaf()})
        return {"ref": named[-1]["id"]}
    return leaf()


@st.composite
def definitions(draw: Any, mistakes: bool = True) -> dict[str, Any]:
    """A schema-shaped form definition (see the module docstring); valid most of the time. Without
    `mistakes`, options are always repaired and no deliberate mistake is made."""
    data: dict[str, Any] = {"schemaVersion": 1, "slug": "fuzzed-form", "title": draw(_TEXT)}
    for key in ("paperForm", "service", "startPage"):
        data[key] = draw(_FORM_PARTS[key])
    for key in ("checkAnswers", "retention"):
        if draw(st.booleans()):
            data[key] = draw(_FORM_PARTS[key])
    if draw(st.integers(0, 4)) == 0:
        data["deliveries"] = draw(_FORM_PARTS["deliveries"])
        webhook = data["deliveries"].get("webhook")
        if webhook and (not mistakes or draw(st.integers(0, 9)) > 0):
            # The schema allows http://; the validator only to localhost.
            webhook["url"] = webhook["url"].replace("http://", "https://", 1)
    if draw(st.booleans()):
        data["languages"] = draw(st.sampled_from([["en"], ["en", "cy"]]))
    sections = [{"id": f"section-{i}", "title": draw(_TEXT)} for i in range(draw(st.integers(0, 2)))]
    if sections:
        data["sections"] = sections

    lists: dict[str, list[str]] = {}
    list_data: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    asked: list[dict[str, Any]] = []  # questions on earlier pages, for conditions
    named: list[dict[str, Any]] = []  # named conditions, referred to as {"ref": id}
    counter = 0
    page_count = draw(st.integers(1, 4))
    for index in range(page_count):
        is_exit = index == page_count - 1 and index > 0 and draw(st.integers(0, 4)) == 0
        allowed = sorted(CONTENT_TYPES) if is_exit else COMPONENT_TYPES
        types = draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=3))
        if not is_exit and draw(st.integers(0, 2)) > 0 and not any(t in QUESTION_TYPES for t in types):
            types.append(draw(st.sampled_from(QUESTION_TYPES)))
        components = []
        for type_name in types:
            counter += 1
            component: dict[str, Any] = {
                "id": f"c{counter}",
                "type": type_name,
                "name": f"answer{counter}",
                **draw(_COMPONENT_PARTS[type_name]),
            }
            length = 0
            if type_name in CHOICE_TYPES:
                items = draw(st.lists(_LIST_ITEM, min_size=1, max_size=4))
                if not mistakes or draw(st.integers(0, 9)) > 0:
                    # Answers are trimmed, so the validator refuses a value with spaces at either end.
                    items = [{**i, "value": i["value"].strip() or "value"} for i in items]
                seen: set[str] = set()
                items = [i for i in items if not (i["value"] in seen or seen.add(i["value"]))]  # type: ignore[func-returns-value]
                list_id = f"list{counter}"
                list_data.append({"id": list_id, "items": items})
                lists[list_id] = [i["value"] for i in items]
                component["list"] = list_id
                length = len(items)
            if type_name == "TextField" and draw(st.integers(0, 5)) == 0:
                regex, example = draw(st.sampled_from(_REGEXES))
                component.setdefault("options", {}).update(regex=regex, example=example)
                component["options"].pop("minLength", None)
                component["options"].pop("maxLength", None)
                component.setdefault("errors", {})["format"] = "Enter the reference in the right format"
            if not mistakes or draw(st.integers(0, 9)) > 0:
                _repair(component, length, draw)
            if type_name in CONTENT_TYPES and asked and draw(st.integers(0, 3)) == 0:
                component["condition"] = _condition(asked, lists, draw, named)
            components.append(component)
        page: dict[str, Any] = {
            "id": f"p{index}",
            "path": f"/page-{index}",
            "title": draw(_TEXT),
            "components": components,
        }
        if is_exit:
            page["exit"] = True
        if sections and draw(st.booleans()):
            page["section"] = draw(st.sampled_from(sections))["id"]
        if asked and draw(st.integers(0, 3)) == 0:
            page["condition"] = _condition(asked, lists, draw, named)
        pages.append(page)
        asked.extend(c for c in components if c["type"] not in CONTENT_TYPES)
    data["pages"] = pages
    if named:
        data["conditions"] = named
    if list_data:
        data["lists"] = list_data

    repeatable = [
        p
        for p in pages[1:]
        if not p.get("exit")
        and "condition" not in p
        and any(c["type"] not in CONTENT_TYPES for c in p["components"])
        and not any(c["type"] == "FileUploadField" for c in p["components"])
    ]
    repeated_names: set[str] = set()
    if repeatable and draw(st.integers(0, 4)) == 0:
        page = draw(st.sampled_from(repeatable))
        later = pages[pages.index(page) + 1 :]
        names = {c["name"] for c in page["components"]}
        # A condition after the repeat may not use its answers (a reference counts as its target).
        uses = [p.get("condition") for p in later]
        uses += [c.get("condition") for p in later for c in p["components"]]
        used = " ".join(str(u) + (str(named) if "ref" in str(u) else "") for u in uses if u)
        if not any(n in used for n in names):
            data["repeats"] = [
                {
                    "id": "items",
                    "title": draw(_TEXT),
                    "itemName": draw(_TEXT),
                    "pages": [page["id"]],
                    **draw(
                        st.fixed_dictionaries(
                            {}, optional={"min": st.integers(0, 2), "max": st.integers(2, 5)}
                        )
                    ),
                }
            ]
            repeated_names = names
    emails = [
        c["name"] for c in asked if c["type"] == "EmailAddressField" and c["name"] not in repeated_names
    ]
    if emails and draw(st.booleans()):
        data["confirmationEmailComponent"] = emails[0]

    if mistakes and draw(st.integers(0, 7)) == 0:
        _make_mistake(data, draw)
    return data


def _make_mistake(data: dict[str, Any], draw: Any) -> None:
    """One deliberate cross-reference mistake, for the validator's reference checks."""
    pages = data["pages"]
    component = draw(st.sampled_from([c for p in pages for c in p["components"]]))
    mistake = draw(
        st.sampled_from(
            [
                "duplicate",
                "reserved-name",
                "reserved-path",
                "unknown-list",
                "unknown-section",
                "later",
                "slug",
            ]
        )
    )
    if mistake == "duplicate":
        pages[-1]["components"].append({**component, "id": "duplicate"})
    elif mistake == "reserved-name":
        component["name"] = draw(st.sampled_from(sorted(n for n in RESERVED_NAMES if n[0].isalpha())))
    elif mistake == "reserved-path":
        pages[0]["path"] = draw(st.sampled_from(sorted(RESERVED_PATHS)))
    elif mistake == "unknown-list":
        component["list"] = "nowhere"
    elif mistake == "unknown-section":
        pages[0]["section"] = "nowhere"
    elif mistake == "later":
        pages[0]["condition"] = {"component": pages[-1]["components"][0]["name"], "op": "answered"}
    else:
        data["slug"] = draw(st.sampled_from(["caseworker", "assets", "healthz"]))


@st.composite
def mutated_definitions(draw: Any) -> Any:
    """A generated definition with one part replaced by arbitrary JSON (or removed)."""
    data: Any = draw(definitions())
    path: list[Any] = []
    node = data
    while isinstance(node, (dict, list)) and node and draw(st.integers(0, 3)) > 0:
        key = draw(st.sampled_from(sorted(node)) if isinstance(node, dict) else st.integers(0, len(node) - 1))
        path.append(key)
        node = node[key]
    if not path:
        return draw(json_values)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_values)
    return data


# -- hostile answers -------------------------------------------------------------------------------

MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<b>bold</b>",
    "</textarea><script>alert(2)</script>",
    "{{ 7*7 }}",
    "{% for x in range(9) %}x{% endfor %}",
    "&amp; &lt; &#x3C;",
    "javascript:alert(3)",
    "<!-- comment -->",
    "]]><![CDATA[",
    "' OR 1=1 --",
    "\\u003cscript\\u003e",
]
FORMULAS = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "=cmd|' /C calc'!A0", "\t=1", "\r=1"]
SPECIAL = [
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\ufeff",  # byte order mark
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u0000",
    "\u0007",
    "\u001b[31m",
    "\u0085",
    "\u2028",
    "\ud83e\udda1",  # a badger, as a surrogate pair: never valid in UTF-8
    "🦡",
    "Siân Ó Briain",
    "\u0301\u0301\u0301",
]

#: Pieces of printable text that every backend keeps as they are.
_PLAIN = st.text(alphabet=string.ascii_letters + string.digits + " .,'-", max_size=20)


def markup_text() -> st.SearchStrategy[str]:
    """Text made of markup, script and formula payloads with plain words between them: printable,
    with no leading or trailing spaces (the engine strips those from answers)."""
    return (
        st.lists(st.sampled_from(MARKUP + FORMULAS[:5]) | _PLAIN, min_size=1, max_size=6)
        .map(lambda parts: "".join(parts).strip())
        .filter(bool)
    )


def hostile_text() -> st.SearchStrategy[str]:
    """Any text a hostile client might send in a field (str, so lone surrogates included)."""
    return st.one_of(
        markup_text(),
        st.lists(st.sampled_from(SPECIAL + MARKUP + FORMULAS) | _PLAIN, max_size=8).map("".join),
        st.text(max_size=50),
        st.text(st.characters(codec=None, categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Mn"]), max_size=30),
        st.integers(1, 5).map(lambda n: "9" * (n * 400)),  # numbers far past any float
        st.sampled_from(["-1e9999", "NaN", "Infinity", "0x1F", "1_000", "1e-400", "٣", "Ⅻ", "31/02/2024"]),
    )
