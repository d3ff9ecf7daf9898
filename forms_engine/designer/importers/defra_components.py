"""Components for the Defra Forms importer: each Defra component type as native components, with
its options, validation settings and custom messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...definitions.loader import RESERVED_NAMES
from .defra_base import INFO, WARNING, ConverterBase, SourceField, SourceList, SourcePage, is_empty
from .defra_conditions import FieldInfo
from .defra_text import demote_html_headings, example_for_pattern, identifier

QUESTION_TYPES = {
    "TextField": "TextField",
    "MultilineTextField": "MultilineTextField",
    "NumberField": "NumberField",
    "EmailAddressField": "EmailAddressField",
    "TelephoneNumberField": "TelephoneNumberField",
    "DatePartsField": "DatePartsField",
    "DateField": "DatePartsField",
    "MonthYearField": "MonthYearField",
    "YesNoField": "YesNoField",
    "RadiosField": "RadiosField",
    "CheckboxesField": "CheckboxesField",
    "SelectField": "SelectField",
    "AutocompleteField": "SelectField",
    "UkAddressField": "UkAddressField",
    "DeclarationField": "DeclarationField",
    "FileUploadField": "FileUploadField",
    "WebsiteField": "TextField",
}

CONTENT_TYPES = frozenset({"Html", "Markdown", "InsetText", "Details", "List"})

CHOICE_TYPES = frozenset({"RadiosField", "CheckboxesField", "SelectField"})

#: Location questions asked as two numbers, as Defra's engine asks them: (part, title, min, max, decimals).
SPLIT_FIELDS: dict[str, tuple[tuple[str, str, float, float, int], ...]] = {
    "EastingNorthingField": (
        ("Easting", "Easting", 0, 700000, 0),
        ("Northing", "Northing", 0, 1300000, 0),
    ),
    "LatLongField": (
        ("Latitude", "Latitude", 49.85, 60.859, 6),
        ("Longitude", "Longitude", -13.687, 1.767, 6),
    ),
}

#: Location references checked by a pattern: (pattern, example, error message).
PATTERN_FIELDS = {
    "OsGridRefField": (
        r"[A-Za-z]{2} ?([0-9]{3} ?[0-9]{3}|[0-9]{4} ?[0-9]{4}|[0-9]{5} ?[0-9]{5})",
        "ST 678 678",
        "Enter an Ordnance Survey grid reference in the correct format, like ST 678 678",
    ),
    "NationalGridFieldNumberField": (
        r"[A-Za-z]{2} ?[0-9]{4} ?[0-9]{4}",
        "NG 1234 5678",
        "Enter a National Grid field number in the correct format, like NG 1234 5678",
    ),
}

#: Native `classes` values (widths) a component may keep.
WIDTH_CLASSES = frozenset(
    {
        "govuk-!-width-full",
        "govuk-!-width-three-quarters",
        "govuk-!-width-two-thirds",
        "govuk-!-width-one-half",
        "govuk-!-width-one-third",
        "govuk-!-width-one-quarter",
    }
)

#: Native types whose options take `classes`.
CLASSES_TYPES = frozenset(
    {"TextField", "NumberField", "RadiosField", "CheckboxesField", "SelectField", "EmailAddressField"}
    | {"TelephoneNumberField", "YesNoField", "UkAddressField", "DeclarationField"}
)

#: Native types that have a format error (for a Defra `customValidationMessage`).
FORMAT_ERROR_TYPES = frozenset(
    {"NumberField", "EmailAddressField", "TelephoneNumberField", "DatePartsField", "MonthYearField"}
)

#: File types by MIME type; the native engine checks files by content and knows these.
MIME_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/png": "png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/csv": "csv",
    "text/plain": "txt",
}

ALL_FILE_TYPES = ["pdf", "jpeg", "png", "docx", "xlsx", "csv", "txt"]

#: Joi message keys of Defra's `customValidationMessages` and the native error kind of each.
JOI_ERRORS = {
    "any.required": "required",
    "string.empty": "required",
    "array.base": "required",
    "string.min": "minLength",
    "string.max": "maxLength",
    "string.pattern.base": "format",
    "string.email": "format",
    "number.base": "format",
    "number.integer": "format",
    "number.precision": "format",
    "number.min": "min",
    "number.max": "max",
    "date.base": "format",
    "date.min": "earliest",
    "date.max": "latest",
}

COMPONENT_HANDLED = frozenset(
    {"id", "type", "name", "title", "hint", "content", "options", "schema", "list", "shortDescription"}
)


class ComponentConverter(ConverterBase):
    """Converts the components of a page."""

    # -- components -------------------------------------------------------------------------------
    def claim_name(self, source_name: str, path: str, fallback: str) -> str:
        base = identifier(source_name, fallback, hyphens=False) if source_name else fallback
        if base in RESERVED_NAMES:
            base = f"{base}Field"
        name = self.names.claim(base)
        if source_name and name != source_name:
            self.note(
                f"{path}.name",
                INFO,
                f"the answer name '{source_name}' is '{name}' here (names must be unique)",
            )
        return name

    def register(self, page: SourcePage, component: Mapping[str, Any], info: FieldInfo, title: Any) -> None:
        self.fields.append(
            SourceField(
                source_name=str(component.get("name") or ""),
                source_id=str(component.get("id") or ""),
                section=str(page.source.get("section") or ""),
                title=self.english(title).strip().lower(),
                page_key=page.key,
                info=info,
            )
        )

    def convert_component(
        self, page: SourcePage, component: Mapping[str, Any], path: str
    ) -> list[dict[str, Any]]:
        ctype = str(component.get("type") or "")
        source_name = str(component.get("name") or "")
        repeat_id = page.repeat["id"] if page.repeat else None
        if ctype in CONTENT_TYPES:
            return self.convert_content(component, path)
        if ctype in SPLIT_FIELDS:
            return self.convert_split(page, component, path, repeat_id)
        if ctype in PATTERN_FIELDS:
            pattern, example, message = PATTERN_FIELDS[ctype]
            self.note(
                path,
                INFO,
                f"a {ctype} is a TextField checked against a pattern here (the native engine has no {ctype})",
            )
            native = self.question(page, component, path, "TextField", repeat_id)
            if native is None:
                return []
            native["options"] = {**native.get("options", {}), "regex": pattern, "example": example}
            native["errors"] = {**native.get("errors", {}), "format": message}
            return [native]
        if ctype not in QUESTION_TYPES:
            self.note(
                path,
                WARNING,
                f"the component type '{ctype or '(none)'}' has no native equivalent: '{source_name}' is not "
                "carried over",
            )
            self.fields.append(
                SourceField(
                    source_name,
                    str(component.get("id") or ""),
                    str(page.source.get("section") or ""),
                    str(component.get("title") or "").lower(),
                    page.key,
                    FieldInfo(
                        source_name, ctype, ctype, not_comparable=f"'{source_name}' was not carried over"
                    ),
                )
            )
            return []
        native_type = QUESTION_TYPES[ctype]
        if native_type != ctype:
            self.note(path, INFO, f"a {ctype} is a native {native_type}")
        native = self.question(page, component, path, native_type, repeat_id)
        return [native] if native is not None else []

    def convert_content(self, component: Mapping[str, Any], path: str) -> list[dict[str, Any]]:
        ctype = str(component["type"])
        options = self.as_mapping(component.get("options"), f"{path}.options")
        name = self.claim_name(str(component.get("name") or ""), path, "content")
        native: dict[str, Any] = {"id": name, "type": ctype, "name": name}
        keys = self.component_keys(component, "content")
        if ctype == "Html":
            content = self.text(component.get("content"), keys)
            changed = [False]

            def demote(html: str) -> str:
                new, did = demote_html_headings(html)
                changed[0] = changed[0] or did
                return new

            content = self.map_text(content, demote) if content is not None else None
            if changed[0]:
                self.note(
                    path, INFO, "headings moved down a level: the page's title is its only level-1 heading"
                )
        elif ctype == "List":
            content = self.list_content(component, path)
            native["type"] = "Markdown"
        else:
            content = self.markdown(component.get("content"), keys, f"{path}.content")
        if content is None:
            self.note(path, WARNING, f"a {ctype} without content is not carried over")
            return []
        native["content"] = content
        if ctype == "Details":
            title = self.plain(
                component.get("title"), self.component_keys(component, "title"), f"{path}.title"
            )
            native["title"] = title or "More information"
            if title is None:
                self.note(f"{path}.title", WARNING, "details without a summary: it reads 'More information'")
        if not is_empty(options.get("condition")):
            self.pending.append((native, str(options["condition"]), f"{path}.options.condition", "content"))
        self.leftovers(
            options, {"condition", "required", "type", "bold", "hideTitle"}, f"{path}.options", "option"
        )
        self.leftovers(component, COMPONENT_HANDLED, path, "component setting")
        return [native]

    def list_content(self, component: Mapping[str, Any], path: str) -> Any:
        found = self.list_of(component.get("list"), f"{path}.list")
        if found is None:
            return None
        numbered = self.as_mapping(component.get("options"), f"{path}.options").get("type") == "numbered"
        self.note(path, INFO, "a List component is Markdown listing the list's items here")
        languages = ["en", "cy"] if any(isinstance(i["text"], Mapping) for i in found.items) else ["en"]
        texts = {}
        for language in languages:
            lines = []
            for number, item in enumerate(found.items, start=1):
                text = item["text"]
                value = text.get(language, text["en"]) if isinstance(text, Mapping) else text
                lines.append(f"{number}. {value}" if numbered else f"- {value}")
            texts[language] = "\n".join(lines)
        return texts if len(texts) > 1 else texts["en"]

    def question(
        self,
        page: SourcePage,
        component: Mapping[str, Any],
        path: str,
        native_type: str,
        repeat_id: str | None,
    ) -> dict[str, Any] | None:
        ctype = str(component.get("type"))
        options = self.as_mapping(component.get("options"), f"{path}.options")
        schema = self.as_mapping(component.get("schema"), f"{path}.schema")
        if not isinstance(options, Mapping) or not isinstance(schema, Mapping):
            self.note(path, WARNING, "options or schema is not an object: not carried over")
            options = options if isinstance(options, Mapping) else {}
            schema = schema if isinstance(schema, Mapping) else {}
        source_name = str(component.get("name") or "")
        list_info: SourceList | None = None
        if native_type in CHOICE_TYPES:
            list_info = self.list_of(component.get("list"), f"{path}.list")
            if list_info is None:
                self.register(
                    page,
                    component,
                    FieldInfo(
                        source_name,
                        native_type,
                        ctype,
                        not_comparable=f"'{source_name}' was not carried over",
                    ),
                    component.get("title"),
                )
                return None
        name = self.claim_name(source_name, path, "answer")
        native: dict[str, Any] = {"id": name, "type": native_type, "name": name}
        title = self.plain(component.get("title"), self.component_keys(component, "title"), f"{path}.title")
        if title is None:
            title = re.sub(r"(?<!^)(?=[A-Z])", " ", name).capitalize()
            self.note(
                f"{path}.title", WARNING, f"the question has no title: it reads '{title}' until you give one"
            )
        native["title"] = title
        short = self.plain(
            component.get("shortDescription"), self.component_keys(component, "shortDescription"), path
        )
        if short is not None:
            native["shortTitle"] = short
        hint = self.plain(component.get("hint"), self.component_keys(component, "hint"), f"{path}.hint")
        if hint is not None:
            native["hint"] = hint
        if native_type == "DeclarationField":
            content = self.markdown(component.get("content"), self.component_keys(component, "content"), path)
            native["content"] = content or title
        if list_info is not None:
            native["list"] = list_info.id
        if options.get("required") is False:
            native["optional"] = True
        handled_options = {"required", "condition"}
        handled_schema: set[str] = set()
        native_options: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        self.question_options(
            native_type,
            component,
            options,
            schema,
            path,
            native_options,
            errors,
            handled_options,
            handled_schema,
        )
        if not is_empty(options.get("condition")):
            self.note(
                f"{path}.options.condition",
                WARNING,
                "a condition on a question is not carried over: put the question on a page of its own "
                "with a page condition",
            )
        if options.get("optionalText") is False:
            handled_options.add("optionalText")
            self.note(
                f"{path}.options.optionalText", INFO, "the native journey always marks optional questions"
            )
        self.custom_messages(native_type, options, path, errors, handled_options)
        if native_options:
            native["options"] = native_options
        if errors:
            native["errors"] = errors
        self.leftovers(options, handled_options, f"{path}.options", "option")
        self.leftovers(schema, handled_schema, f"{path}.schema", "validation setting")
        if component.get("values") and ctype == "YesNoField":
            self.note(
                f"{path}.values", INFO, "the legacy 'values' setting is not needed: Yes and No are built in"
            )
        self.leftovers(component, COMPONENT_HANDLED | {"values"}, path, "component setting")
        info = FieldInfo(
            name=name,
            type=native_type,
            source_type=ctype,
            values=tuple(item["value"] for item in list_info.items) if list_info else (),
            by_source_value=list_info.by_source_value if list_info else {},
            by_text=list_info.by_text if list_info else {},
            repeat=repeat_id,
        )
        self.register(page, component, info, title)
        return native

    def question_options(
        self,
        native_type: str,
        component: Mapping[str, Any],
        options: Mapping[str, Any],
        schema: Mapping[str, Any],
        path: str,
        out: dict[str, Any],
        errors: dict[str, Any],
        handled_options: set[str],
        handled_schema: set[str],
    ) -> None:
        """The native options of a question from Defra's `options` and `schema`."""

        def integer(value: Any) -> int | None:
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        def number(value: Any) -> float | int | None:
            return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

        classes = options.get("classes")
        if isinstance(classes, str) and native_type in CLASSES_TYPES and classes in WIDTH_CLASSES:
            out["classes"] = classes
            handled_options.add("classes")
        autocomplete = options.get("autocomplete")
        if (
            isinstance(autocomplete, str)
            and re.fullmatch(r"[a-z -]+", autocomplete)
            and native_type in ("TextField", "EmailAddressField", "TelephoneNumberField", "YesNoField")
        ):
            out["autocomplete"] = autocomplete
            handled_options.add("autocomplete")
        if native_type == "TextField":
            length = integer(schema.get("length"))
            low = integer(schema.get("min")) if length is None else length
            high = integer(schema.get("max")) if length is None else length
            if low is not None and low > 0:
                out["minLength"] = low
            if high is not None and high >= 1:
                out["maxLength"] = min(high, 10000)
            handled_schema.update({"length", "min", "max"})
            if schema.get("regex"):
                handled_schema.add("regex")
                self.regex(str(schema["regex"]), f"{path}.schema.regex", out, errors)
            if component.get("type") == "WebsiteField":
                self.note(path, INFO, "a WebsiteField is a TextField here: the address is not checked")
        elif native_type == "MultilineTextField":
            words = integer(options.get("maxWords"))
            if words is not None and words >= 1:
                out["maxWords"] = min(words, 20000)
                handled_options.add("maxWords")
            high = (
                integer(schema.get("max")) if schema.get("length") is None else integer(schema.get("length"))
            )
            if high is not None and high >= 1:
                if "maxWords" in out:
                    self.note(
                        f"{path}.schema.max",
                        WARNING,
                        "a word limit and a character limit: the word limit is kept",
                    )
                else:
                    out["maxLength"] = min(high, 100000)
                handled_schema.update({"max", "length"})
            rows = integer(options.get("rows"))
            if rows is not None:
                out["rows"] = min(max(rows, 2), 30)
                handled_options.add("rows")
        elif native_type == "NumberField":
            bottom, top = number(schema.get("min")), number(schema.get("max"))
            if bottom is not None:
                out["min"] = bottom
            if top is not None:
                out["max"] = top
            handled_schema.update({"min", "max"})
            precision = integer(schema.get("precision"))
            if precision is not None:
                out["decimals"] = min(max(precision, 0), 6)
                handled_schema.add("precision")
            else:
                self.note(
                    path,
                    INFO,
                    "Defra takes any number of decimal places unless a precision is set; the native field "
                    "takes whole numbers: set options.decimals if decimals are needed",
                )
            for key, limit in (("prefix", 5), ("suffix", 20)):
                text = self.text(options.get(key), self.component_keys(component, key))
                if text is not None and all(
                    len(t) <= limit for t in ([text] if isinstance(text, str) else text.values())
                ):
                    out[key] = text
                    handled_options.add(key)
        elif native_type in ("DatePartsField", "MonthYearField"):
            for key, bound, sign in (("maxDaysInPast", "earliest", "-"), ("maxDaysInFuture", "latest", "+")):
                days = integer(options.get(key))
                if days is not None and days >= 0:
                    out[bound] = "today" if days == 0 else f"{sign}{min(days, 9999)}d"
                    handled_options.add(key)
        elif native_type == "CheckboxesField":
            length = integer(schema.get("length"))
            low = integer(schema.get("min")) if length is None else length
            high = integer(schema.get("max")) if length is None else length
            found = self.lists.get(str(component.get("list")))
            count = len(found.items) if found else None
            if low is not None and low >= 1:
                out["minSelected"] = min(low, count) if count else low
            if high is not None and high >= 1:
                out["maxSelected"] = high
            handled_schema.update({"min", "max", "length"})
        elif native_type == "FileUploadField":
            out["accept"] = self.file_types(options.get("accept"), f"{path}.options.accept")
            handled_options.add("accept")
            length = integer(schema.get("length"))
            low = integer(schema.get("min")) if length is None else length
            high = integer(schema.get("max")) if length is None else length
            if high is not None and high >= 1:
                if high > 20:
                    self.note(f"{path}.schema.max", INFO, "the native upload takes at most 20 files")
                out["maxFiles"] = min(high, 20)
            if low is not None and low >= 1:
                out["minFiles"] = min(low, out.get("maxFiles", 1) if high is not None else 20)
                out.setdefault("maxFiles", max(out["minFiles"], 1))
            handled_schema.update({"min", "max", "length"})
            self.note(
                path,
                INFO,
                "each file may be at most 10MB (the native default): set options.maxSizeMb for another limit",
            )
        if native_type in ("RadiosField", "CheckboxesField") and "bold" in options:
            handled_options.add("bold")
            self.note(f"{path}.options.bold", INFO, "bold item labels are not carried over")
        if native_type == "UkAddressField" and options.get("usePostcodeLookup"):
            handled_options.add("usePostcodeLookup")
            self.note(
                f"{path}.options.usePostcodeLookup",
                INFO,
                "the native address question has no postcode lookup: users type the address",
            )

    def regex(self, pattern: str, path: str, out: dict[str, Any], errors: dict[str, Any]) -> None:
        """A Defra (JavaScript) pattern as a native regex with its example answer."""
        anchored = pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$")
        python = pattern if anchored else f"(?s).*(?:{pattern}).*"
        try:
            re.compile(python)
        except re.error as exc:
            self.note(path, WARNING, f"the pattern is not carried over: Python cannot read it ({exc})")
            return
        example = example_for_pattern(python)
        if example is None:
            self.note(
                path, WARNING, "the pattern is not carried over: no example answer for it could be made"
            )
            return
        if not anchored:
            self.note(path, INFO, "the pattern may match anywhere in the answer, as in Defra's engine")
        out["regex"] = python
        out["example"] = example
        errors.setdefault("format", "Enter {label} in the correct format")
        self.note(path, INFO, f"the example answer for the pattern is '{example}': check it reads well")

    def file_types(self, accept: Any, path: str) -> list[str]:
        if is_empty(accept):
            self.note(path, INFO, f"no file types given: the upload accepts {', '.join(ALL_FILE_TYPES)}")
            return list(ALL_FILE_TYPES)
        kinds: list[str] = []
        dropped: list[str] = []
        for mime in str(accept).split(","):
            mime = mime.strip().lower()
            kind = MIME_TYPES.get(mime)
            if kind is None:
                if mime:
                    dropped.append(mime)
            elif kind not in kinds:
                kinds.append(kind)
        if dropped:
            self.note(
                path,
                WARNING,
                "file types the native engine cannot check by their content are not accepted: "
                + ", ".join(dropped),
            )
        if not kinds:
            self.note(
                path, WARNING, f"none of the file types can be checked: the upload accepts {ALL_FILE_TYPES}"
            )
            return list(ALL_FILE_TYPES)
        return kinds

    def custom_messages(
        self,
        native_type: str,
        options: Mapping[str, Any],
        path: str,
        errors: dict[str, Any],
        handled: set[str],
    ) -> None:
        message = options.get("customValidationMessage")
        if isinstance(message, str) and message.strip():
            handled.add("customValidationMessage")
            errors["required"] = message.strip()
            kinds = ["required"]
            if native_type in FORMAT_ERROR_TYPES or "regex" in errors or "format" in errors:
                errors["format"] = message.strip()
                kinds.append("format")
            self.note(
                f"{path}.options.customValidationMessage",
                INFO,
                f"the custom message is used for the {' and '.join(kinds)} error(s)",
            )
        messages = options.get("customValidationMessages")
        if isinstance(messages, Mapping) and messages:
            handled.add("customValidationMessages")
            for key, text in messages.items():
                kind = JOI_ERRORS.get(str(key))
                if native_type == "CheckboxesField" and key in ("array.min", "array.max"):
                    kind = "minSelected" if key == "array.min" else "maxSelected"
                if kind is None or not isinstance(text, str) or not text.strip():
                    self.note(
                        f"{path}.options.customValidationMessages.{key}",
                        WARNING,
                        "this custom message has no native error kind: not carried over",
                    )
                    continue
                limit = (
                    "{count}" if kind in ("minLength", "maxLength", "minSelected", "maxSelected") else "{min}"
                )
                if kind == "max":
                    limit = "{max}"
                native = re.sub(r"\{\{\s*#label\s*\}\}", "{label}", text)
                native = re.sub(r"\{\{\s*#limit\s*\}\}", limit, native)
                native = re.sub(r"\{\{[^}]*\}\}", "", native).strip()
                errors[kind] = native

    def convert_split(
        self, page: SourcePage, component: Mapping[str, Any], path: str, repeat_id: str | None
    ) -> list[dict[str, Any]]:
        ctype = str(component["type"])
        source_name = str(component.get("name") or "")
        title = self.plain(component.get("title"), self.component_keys(component, "title"), f"{path}.title")
        title_en = self.english(title) or ctype
        options = self.as_mapping(component.get("options"), f"{path}.options")
        out = []
        parts = SPLIT_FIELDS[ctype]
        for part, part_title, low, high, decimals in parts:
            name = self.claim_name(f"{source_name or 'location'}{part}", path, "location")
            native: dict[str, Any] = {
                "id": name,
                "type": "NumberField",
                "name": name,
                "title": self.map_text(title, lambda t, p=part_title: f"{t}: {p.lower()}")
                if title is not None
                else part_title,
                "options": {"min": low, "max": high, **({"decimals": decimals} if decimals else {})},
            }
            hint = self.plain(component.get("hint"), self.component_keys(component, "hint"), f"{path}.hint")
            if hint is not None and part == parts[0][0]:
                native["hint"] = hint
            if options.get("required") is False:
                native["optional"] = True
            out.append(native)
        self.note(
            path,
            INFO,
            f"a {ctype} ('{title_en}') is asked as two number questions here, "
            f"{' and '.join(n['name'] for n in out)} (the native engine has no {ctype})",
        )
        self.register(
            page,
            component,
            FieldInfo(
                source_name,
                ctype,
                ctype,
                repeat=repeat_id,
                not_comparable=f"'{source_name}' is asked as two numbers: compare them in a condition of "
                "your own",
            ),
            title_en,
        )
        self.leftovers(options, {"required"}, f"{path}.options", "option")
        self.leftovers(component, COMPONENT_HANDLED, path, "component setting")
        return out
