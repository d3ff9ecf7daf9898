"""The form definition reference, docs/reference.md, generated from the JSON Schema (descriptions,
properties, types, enumerations, required) and the lint rules: `forms-engine reference` writes it, and a
test fails while the committed file differs from what the command would write."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click

from ..config import ROOT
from ..definitions.loader import CHOICE_TYPES, definition_schema
from ..definitions.model import CONTENT_TYPES
from .lint import RULES

#: Where the reference is kept in the repository.
REFERENCE_PATH = ROOT / "docs" / "reference.md"
SCHEMA_FILE = "forms_engine/definitions/schema/form-definition.schema.json"
Schema = Mapping[str, Any]

#: $defs rendered as sections of their own under the definition, by the property holding them.
INLINE_DEFS = frozenset({"list", "page"})
#: $defs with a chapter of their own.
CHAPTERS = {"component": "Components", "condition": "Condition language"}
#: $defs listed under "Shared types".
SHARED = ("text", "id", "name", "slug", "organisation", "dateBound", "errors")
#: Component properties the validator allows only on some types (see definitions.loader).
ONLY_FOR = {
    "list": CHOICE_TYPES,
    "condition": CONTENT_TYPES,
    "content": CONTENT_TYPES | {"DeclarationField"},
    "title": None,  # every question type, and Details
    "shortTitle": None,  # question types
}


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.lower())
    return text.replace(" ", "-")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _code(value: Any) -> str:
    return f"`{value if isinstance(value, str) else json.dumps(value)}`"


def _def_name(schema: Schema) -> str | None:
    """The name of the $defs entry a schema refers to (not for references into one)."""
    ref = schema.get("$ref")
    match = re.fullmatch(r"#/\$defs/([^/]+)", ref) if isinstance(ref, str) else None
    return match[1] if match else None


class _Writer:
    def __init__(self, schema: Schema):
        self.schema = schema
        self.defs: Mapping[str, Any] = schema["$defs"]
        self.lines: list[str] = []
        #: Object sections still to write: (heading, schema).
        self.queue: list[tuple[str, Schema]] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def resolve(self, schema: Schema) -> Schema:
        """A reference into a $defs entry, such as `#/$defs/plainOptions/properties/classes`, replaced
        by what it points at (with the referring schema's own keywords kept)."""
        ref = schema.get("$ref")
        if not isinstance(ref, str) or _def_name(schema) or not ref.startswith("#/"):
            return schema
        target: Any = self.schema
        for part in ref[2:].split("/"):
            target = target[part]
        return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}

    # -- types ------------------------------------------------------------------------------------
    def link(self, name: str, section: str | None = None) -> str:
        heading = section or (f"`{name}`" if name in SHARED else CHAPTERS.get(name, name))
        return f"[{name}](#{_anchor(heading)})"

    def type_of(self, schema: Schema, section: str | None = None) -> str:
        """The type of a property, as read in a table: its kind, then its constraints."""
        schema = self.resolve(schema)
        name = _def_name(schema)
        if name is not None:
            target = self.defs[name]
            if name in INLINE_DEFS and section:
                kind = self.link("object", section)
            elif name in SHARED or name in CHAPTERS:
                kind = self.link(name)
            else:
                kind = self.type_of(target, section)
        elif "const" in schema:
            kind = _code(schema["const"])
        elif "enum" in schema:
            kind = "one of " + ", ".join(_code(v) for v in schema["enum"])
        elif schema.get("type") == "array":
            items = schema.get("items", {})
            item_section = f"{section}[]" if section else None
            kind = f"array of {self.type_of(items, item_section)}"
        elif schema.get("type") == "object" and section:
            kind = self.link("object", section)
        elif schema.get("type") == "object" and "properties" in schema:
            keys = [
                f"`{k}`" + (" (required)" if k in schema.get("required", ()) else "")
                for k in schema["properties"]
            ]
            kind = "object of " + ", ".join(keys)
        elif "type" in schema:
            kind = str(schema["type"])
        elif "oneOf" in schema:
            kind = " or ".join(self.type_of(option) for option in schema["oneOf"])
        else:
            kind = "any JSON value"
        rules = list(self.constraints(schema))
        return kind + (f" ({'; '.join(rules)})" if rules else "")

    @staticmethod
    def constraints(schema: Schema) -> Iterator[str]:
        words = {
            "minLength": "at least {} character{}",
            "maxLength": "at most {} character{}",
            "minimum": "at least {}",
            "maximum": "at most {}",
            "exclusiveMinimum": "more than {}",
            "minItems": "at least {} item{}",
            "maxItems": "at most {} item{}",
            "minProperties": "at least {} propert{}",
            "format": "format {}",
        }
        for key, template in words.items():
            if key in schema:
                value = schema[key]
                plural = ("ies" if key == "minProperties" else "s") if value != 1 else ""
                if key == "minProperties" and value == 1:
                    plural = "y"
                yield template.format(value, plural)
        if "pattern" in schema:
            yield f"matches {_code(schema['pattern'])}"
        if schema.get("uniqueItems"):
            yield "no repeats"
        if "default" in schema:
            yield f"default {_code(schema['default'])}"

    @staticmethod
    def description(schema: Schema, target: Schema | None = None) -> str:
        text = schema.get("description") or (target or {}).get("description", "")
        return _cell(str(text))

    def enum_notes(self, schema: Schema) -> str:
        """' `a`: what a is; `b`: …' for enumerations whose values the schema describes."""
        target = schema
        if _def_name(schema):
            target = self.defs[str(_def_name(schema))]
        items = target.get("items", {}) if target.get("type") == "array" else target
        notes = items.get("enumDescriptions")
        if not notes:
            return ""
        pairs = zip(items["enum"], notes, strict=True)
        return " " + "; ".join(f"{_code(v)}: {n.rstrip('.')}" for v, n in pairs) + "."

    # -- sections ---------------------------------------------------------------------------------
    def nested(self, heading: str, schema: Schema) -> Schema | None:
        """The object schema a property leads to that gets a section of its own, if any."""
        name = _def_name(schema)
        if name in INLINE_DEFS:
            return self.nested(heading, self.defs[str(name)])
        if schema.get("type") == "array":
            return self.nested(f"{heading}[]", schema.get("items", {}))
        if schema.get("type") == "object" and "properties" in schema:
            return schema
        return None

    def section_of(self, heading: str, schema: Schema) -> str:
        """The heading of the section describing the object `schema` leads to (arrays: its items)."""
        name = _def_name(schema)
        if name in INLINE_DEFS:
            return self.section_of(heading, self.defs[str(name)])
        if schema.get("type") == "array":
            return self.section_of(f"{heading}[]", schema.get("items", {}))
        return heading

    def table(
        self,
        properties: Mapping[str, Schema],
        required: set[str],
        prefix: str,
        queue: bool = True,
        notes: bool = True,
        links: Mapping[str, str] | None = None,
    ) -> None:
        self.add("| Property | Type | Required | Description |", "|---|---|---|---|")
        for key, schema in properties.items():
            schema = self.resolve(schema)
            name = _def_name(schema)
            target = self.defs[name] if name else None
            heading = f"{prefix}{key}" if prefix else key
            section = None
            if queue and self.nested(heading, schema) is not None:
                section = f"`{self.section_of(heading, schema)}`"
                self.queue.append((section, self.nested(heading, schema) or {}))
            description = self.description(schema, target) + (self.enum_notes(schema) if notes else "")
            if links and key in links:
                section = links[key]
            self.add(
                f"| `{key}` | {_cell(self.type_of(schema, section))} | {'yes' if key in required else ''} "
                f"| {description} |"
            )
        self.add("")

    def object_section(self, heading: str, schema: Schema) -> None:
        self.add(f"### {heading}", "")
        if schema.get("description"):
            self.add(_cell(schema["description"]), "")
        path = heading.strip("`")
        self.table(schema["properties"], set(schema.get("required", ())), f"{path}.")

    # -- chapters ---------------------------------------------------------------------------------
    def definition(self) -> None:
        schema = self.schema
        self.add("## The definition", "", _cell(schema["description"]), "")
        self.table(schema["properties"], set(schema["required"]), "")
        while self.queue:
            heading, nested = self.queue.pop(0)
            self.object_section(heading, nested)

    def components(self) -> None:
        component = self.defs["component"]
        types: list[str] = component["properties"]["type"]["enum"]
        notes: list[str] = component["properties"]["type"]["enumDescriptions"]
        self.add("## Components", "", _cell(component["description"]), "")
        self.add("| Type | Kind | What it is |", "|---|---|---|")
        for kind, note in zip(types, notes, strict=True):
            what = "content" if kind in CONTENT_TYPES else "question"
            self.add(f"| [{kind}](#{_anchor(kind)}) | {what} | {_cell(note)} |")
        self.add("")
        for kind, note in zip(types, notes, strict=True):
            self.component_type(kind, note)

    def component_type(self, kind: str, note: str) -> None:
        component = self.defs["component"]
        required = set(component["required"])
        options: Schema | None = None
        excluded: set[str] = set()
        for rule in component["allOf"]:
            condition = rule["if"]["properties"]["type"]
            if kind not in condition.get("enum", [condition.get("const")]):
                continue
            then = rule["then"]
            required |= set(then.get("required", ()))
            for key, schema in then.get("properties", {}).items():
                if _def_name(schema) == "notAllowed":
                    excluded.add(key)
                elif key == "options" and options is None:
                    options = schema
        properties: dict[str, Schema] = {}
        for key, schema in component["properties"].items():
            if key in excluded or not self.applies(key, kind):
                continue
            properties[key] = (
                {"const": kind, "description": "The component type."} if key == "type" else schema
            )
        self.add(f"### {kind}", "", _cell(note), "")
        options_heading = f"{kind} options"
        links = {"options": options_heading} if options is not None else None
        self.table(properties, required, "", queue=False, links=links)
        if options is not None:
            target = self.defs[str(_def_name(options))]
            self.add(f"#### {options_heading}", "", self.description(target), "")
            self.table(target["properties"], set(target.get("required", ())), "", queue=False)

    @staticmethod
    def applies(key: str, kind: str) -> bool:
        """Whether the engine uses property `key` on component type `kind`."""
        question = kind not in CONTENT_TYPES
        if key == "title":
            return question or kind == "Details"
        if key == "shortTitle":
            return question
        allowed = ONLY_FOR.get(key)
        return allowed is None or kind in allowed

    def conditions(self) -> None:
        condition = self.defs["condition"]
        self.add(f"## {CHAPTERS['condition']}", "", _cell(condition["description"]), "")
        self.add(
            "Conditions decide whether a page is on the path (`pages[].condition`), whether content is "
            "shown (a content component's `condition`), which list items are offered "
            "(`lists[].items[].condition`); named conditions (`conditions[]`) are reused with "
            '`{"ref": "id"}`. They are JSON, evaluated by the engine\'s own code: never `eval`.',
            "",
            "| Form | Shape | Meaning |",
            "|---|---|---|",
        )
        forms = condition["oneOf"]
        for form in forms:
            keys = list(form["required"])
            shape = ", ".join(f'"{key}": {self.placeholder(form["properties"][key])}' for key in keys)
            self.add(f"| `{keys[0]}` | `{{{shape}}}` | {self.description(form)} |")
        self.add("")
        for form in forms:
            if "op" not in form["properties"]:
                continue
            subject = "count" if "count" in form["properties"] else "component"
            title = "Count operators" if subject == "count" else "Comparison operators"
            self.add(f"### {title}", "", self.description(form), "")
            self.table(form["properties"], set(form["required"]), "", queue=False, notes=False)
            op = form["properties"]["op"]
            self.add("| `op` | Meaning |", "|---|---|")
            for value, meaning in zip(op["enum"], op["enumDescriptions"], strict=True):
                self.add(f"| `{value}` | {_cell(meaning)} |")
            self.add("")

    def placeholder(self, schema: Schema) -> str:
        name = _def_name(schema)
        if name == "condition":
            return "condition"
        if schema.get("type") == "array":
            return "[condition, …]"
        if name:
            return f'"{name}"'
        return "…"

    def shared(self) -> None:
        self.add("## Shared types", "")
        for name in SHARED:
            schema = self.defs[name]
            self.add(f"### `{name}`", "")
            if schema.get("description"):
                self.add(_cell(schema["description"]), "")
            self.add(f"Type: {_cell(self.type_of(schema))}.", "")
            if name == "errors":
                self.add(
                    "Keys are error kinds (letters only); values are [text](#text). Each component type "
                    "lists its kinds under [Components](#components).",
                    "",
                )

    def lint_rules(self) -> None:
        self.add(
            "## Lint rules",
            "",
            "`forms-engine lint PATH...` checks a valid definition against these rules (validation problems "
            "are reported as FE000 first). Errors make it exit 1; warnings only with `--strict`. Errors "
            "of the accessibility kind are what the conversion report counts. A definition can silence "
            "a finding it has considered under [`lint`](#lint) with a reason.",
            "",
            "| Rule | Name | Level | Kind | What it finds |",
            "|---|---|---|---|---|",
        )
        for rule in RULES.values():
            self.add(
                f"| {rule.id} | `{rule.name}` | {rule.level} | {rule.category} | {_cell(rule.summary)} |"
            )
        self.add("")


def generate_reference(schema: Schema | None = None) -> str:
    """docs/reference.md as the schema (by default the published one) and the lint rules make it."""
    writer = _Writer(schema or definition_schema())
    writer.add(
        "# Form definition reference",
        "",
        f"Generated from [`{SCHEMA_FILE}`](../{SCHEMA_FILE}) and the lint rules by `forms-engine reference`. "
        "Do not edit this file: change the schema's descriptions (or the rules) and run the command again; "
        "a test fails while this file is out of date.",
        "",
        "- [The definition](#the-definition)",
        "- [Components](#components)",
        f"- [{CHAPTERS['condition']}](#{_anchor(CHAPTERS['condition'])})",
        "- [Shared types](#shared-types)",
        "- [Lint rules](#lint-rules)",
        "",
    )
    writer.definition()
    writer.components()
    writer.conditions()
    writer.shared()
    writer.lint_rules()
    while writer.lines and writer.lines[-1] == "":
        writer.lines.pop()
    return "\n".join(writer.lines) + "\n"


@click.command("reference")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=REFERENCE_PATH,
    show_default="docs/reference.md",
    help="Where to write the reference.",
)
@click.option("--check", is_flag=True, help="Write nothing: exit 1 when the file is out of date.")
def reference_command(output: Path, check: bool) -> None:
    """Write the form definition reference (components, conditions, every property, lint rules),
    generated from the definition JSON Schema."""
    text = generate_reference()
    current = output.read_text(encoding="utf-8") if output.is_file() else None
    if check:
        if current != text:
            click.echo(f"{output} is out of date: run `forms-engine reference`", err=True)
            sys.exit(1)
        click.echo(f"{output} is up to date")
        return
    if current == text:
        click.echo(f"{output} is up to date")
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"{output} written")
