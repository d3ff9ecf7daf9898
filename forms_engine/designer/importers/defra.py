"""Import Defra Forms definitions (the `@defra/forms-model` format run by Defra's forms engine, engine
V1 and V2, JSON or YAML) as native form definitions, with a report of everything a designer must look
at: placeholders for what the Defra format does not hold, and every part not carried over, each at its
JSON path in the source.

`convert_defra(data, source_name)` does the work; `forms-engine import defra FILE...` runs it.
Components are converted in `defra_components`, conditions in `defra_conditions`, the page flow in
`defra_flow`; `defra_base` holds the findings and texts, `defra_text` the text helpers.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import yaml

from ...definitions import conditions as native_conditions
from ...definitions.loader import RESERVED_SLUGS, definition_warnings, validate_definition_data
from .defra_base import (
    INFO,
    WARNING,
    DefraImportError,
    Finding,
    ImportResult,
    SourceList,
    SourcePage,
    is_empty,
    normalise_path,
)
from .defra_components import CONTENT_TYPES, ComponentConverter
from .defra_conditions import Context, FieldInfo, Unsupported, convert_v1, convert_v2
from .defra_flow import (
    FALSE,
    TRUE,
    Formula,
    Link,
    atom,
    link_conditions,
    reach_conditions,
    to_condition,
    topological_order,
)
from .defra_text import PATH_MAX, UniqueNames, camel_case, identifier, slugify

__all__ = [
    "DefraImportError",
    "Finding",
    "ImportResult",
    "convert_defra",
    "defra_command",
    "load_defra_file",
]


# -- placeholders for what the native format needs and Defra's does not hold -------------------------
#: A file nested past Python's recursion limit: refused with this, never a traceback.
TOO_DEEP = "nested too deeply to read or convert (hundreds of levels): not a Defra Forms definition"
PLACEHOLDER_REFERENCE = "TODO-REF"
PLACEHOLDER_ORGANISATION = "Defra"
PLACEHOLDER_CONTACT_NAME = "TODO: the team that answers questions about this form"
PLACEHOLDER_CONTACT_EMAIL = "todo@example.gov.uk"
PLACEHOLDER_PRIVACY_URL = "https://example.gov.uk/todo-privacy-notice"
PLACEHOLDER_WHAT_HAPPENS_NEXT = (
    "TODO: tell users what happens after they send the form, and how long it takes."
)
PLACEHOLDER_START = "TODO: say what this service is for, who can use it and what they need before they start."

ORGANISATIONS = {
    "APHA": "APHA",
    "ANIMAL AND PLANT HEALTH AGENCY": "APHA",
    "EA": "EA",
    "ENVIRONMENT AGENCY": "EA",
    "NE": "NE",
    "NATURAL ENGLAND": "NE",
    "RPA": "RPA",
    "RURAL PAYMENTS AGENCY": "RPA",
    "MMO": "MMO",
    "MARINE MANAGEMENT ORGANISATION": "MMO",
    "DEFRA": "Defra",
}
TOP_LEVEL_HANDLED = frozenset(
    {"name", "engine", "schema", "startPage", "pages", "lists", "sections", "conditions", "declaration"}
    | {"metadata", "specialPages"}
)
PAGE_HANDLED = frozenset({"id", "title", "path", "components", "next", "section", "controller", "condition"})


def load_defra_file(path: Path) -> Any:
    """Parse a Defra definition file: YAML for .yaml/.yml, JSON otherwise (and YAML when a file of
    another name is not JSON)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DefraImportError(f"cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise DefraImportError(f"not UTF-8 text: {exc.reason}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        return _parse_yaml(text)
    try:
        return json.loads(text)
    except RecursionError:
        raise DefraImportError(TOO_DEEP) from None
    except json.JSONDecodeError as exc:
        json_problem = f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        if path.suffix.lower() == ".json":
            raise DefraImportError(json_problem) from None
    try:
        return _parse_yaml(text)
    except DefraImportError as exc:
        raise DefraImportError(f"neither JSON nor YAML ({json_problem}; {exc})") from None


def _parse_yaml(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except RecursionError:
        raise DefraImportError(TOO_DEEP) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefraImportError(f"invalid YAML{where}: {problem}") from None


def convert_defra(data: Mapping[str, Any], source_name: str) -> ImportResult:
    """A native definition drafted from a Defra Forms definition, with the report of what needs a
    designer's eye. Raises DefraImportError when `data` is not a Defra Forms definition at all.

    `source_name` (usually the file's name) gives the slug when the definition's metadata has none."""
    return _Converter(data, source_name).convert()


class _Converter(ComponentConverter):
    """A whole Defra definition: form, sections, lists, pages, conditions and flow."""

    # -- the whole conversion ---------------------------------------------------------------------
    def convert(self) -> ImportResult:
        data = self.data
        self.leftovers(data, TOP_LEVEL_HANDLED, "$", "the form's")
        used = {"translations", "slug", "title", "organisation", "contact", "privacyNoticeUrl"}
        self.leftovers(self.metadata, used | {"submissionGuidance"}, "$.metadata", "metadata")
        slug = self.slug()
        title = self.text(data.get("name") or self.metadata.get("title"), ["form.title"])
        if title is None:
            title = slug.replace("-", " ").capitalize()
            self.note("$.name", WARNING, f"the form has no name: its title is '{title}' until you give one")
        self.convert_sections()
        self.convert_lists()
        self.classify_pages()
        for page in self.pages:
            if page.kind not in ("summary", "status"):
                self.convert_page(page)
        self.convert_conditions()
        self.resolve_pending()
        pages = self.flow()
        if not pages:
            raise DefraImportError(
                "no page could be carried over: "
                + "; ".join(str(f) for f in self.report if f.level == WARNING)[:500]
            )
        repeats = self.convert_repeats(pages)
        definition: dict[str, Any] = {
            "schemaVersion": 1,
            "slug": slug,
            "title": title,
            "languages": ["en"],
            "paperForm": self.paper_form(title),
            "service": self.service(),
            "startPage": {"content": self.start_content()},
        }
        check_answers = self.check_answers()
        if check_answers:
            definition["checkAnswers"] = check_answers
        used_sections = {p.native.get("section") for p in pages}
        sections = [s for s in self.section_defs if s["id"] in used_sections]
        if sections:
            definition["sections"] = sections
        if self.list_defs:
            definition["lists"] = self.list_defs
        definition["pages"] = [p.native for p in pages]
        if repeats:
            definition["repeats"] = repeats
        self.prune_conditions(definition)
        if self.uses_welsh:
            definition["languages"] = ["en", "cy"]
        self.report_translations(definition)
        self.report_email(definition)
        order = ["schemaVersion", "slug", "title", "languages", "paperForm", "service", "startPage"]
        order += ["checkAnswers", "sections", "lists", "conditions", "repeats", "pages"]
        ordered = {key: definition[key] for key in order if key in definition}
        return ImportResult(ordered, self.report)

    # -- identity ---------------------------------------------------------------------------------
    def slug(self) -> str:
        candidates = [
            ("$.metadata.slug", self.metadata.get("slug")),
            ("file name", Path(self.source_name).stem if self.source_name else None),
            ("$.name", self.data.get("name") if isinstance(self.data.get("name"), str) else None),
        ]
        for _where, value in candidates:
            slug = slugify(str(value)) if value else ""
            if slug:
                break
        else:
            slug = "imported-form"
        if slug in RESERVED_SLUGS:
            self.note("$", INFO, f"'{slug}' is used by the service itself: the slug is '{slug}-form'")
            slug = f"{slug}-form"
        return slug

    def paper_form(self, title: Any) -> dict[str, Any]:
        organisation = self.organisation()
        self.note(
            "$",
            WARNING,
            f"placeholder: paperForm.reference is '{PLACEHOLDER_REFERENCE}': give the reference of the "
            "paper form this form replaces (Defra's format does not record it)",
        )
        if organisation is None:
            organisation = PLACEHOLDER_ORGANISATION
            self.note(
                "$",
                WARNING,
                f"placeholder: paperForm.organisation is '{PLACEHOLDER_ORGANISATION}': give the organisation "
                "that owns the form (APHA, EA, NE, RPA, MMO or Defra)",
            )
        return {
            "reference": PLACEHOLDER_REFERENCE,
            "title": self.english(title),
            "organisation": organisation,
        }

    def organisation(self) -> str | None:
        value = self.metadata.get("organisation")
        if not isinstance(value, str):
            return None
        upper = value.upper()
        for name in sorted(ORGANISATIONS, key=len, reverse=True):
            if re.search(rf"\b{re.escape(name)}\b", upper):
                return ORGANISATIONS[name]
        return None

    def service(self) -> dict[str, Any]:
        contact: dict[str, Any] = {}
        source = self.metadata.get("contact")
        if isinstance(source, Mapping):
            email = source.get("email")
            address = email.get("address") if isinstance(email, Mapping) else email
            if isinstance(address, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
                contact["email"] = address
            phone = source.get("phone")
            if isinstance(phone, str) and re.fullmatch(r"[0-9 +()]{6,20}", phone.strip()):
                contact["phone"] = phone.strip()
            online = source.get("online")
            url = online.get("url") if isinstance(online, Mapping) else None
            if isinstance(url, str) and url.startswith("https://"):
                contact["url"] = url
            path = "$.metadata.contact"
            for key, kept, value in (
                ("email", "email", address),
                ("phone", "phone", phone),
                ("online", "url", url),
            ):
                if not is_empty(source.get(key)) and kept not in contact:
                    self.note(
                        f"{path}.{key}", WARNING, f"'{value}' is not a valid contact {kept}: not carried over"
                    )
            if isinstance(email, Mapping):
                reason = {
                    "responseTime": "the native contact details have no response time: add it to the hours"
                }
                self.leftovers(email, {"address"}, f"{path}.email", "contact detail", reason)
            if isinstance(online, Mapping):
                reason = {"text": "the native contact link is shown with its address"}
                self.leftovers(online, {"url"}, f"{path}.online", "contact detail", reason)
            self.leftovers(source, {"email", "phone", "online"}, path, "contact detail")
        contact["name"] = PLACEHOLDER_CONTACT_NAME
        self.note(
            "$", WARNING, "placeholder: service.contact.name: give the name of the team users can contact"
        )
        if len(contact) < 2:
            contact["email"] = PLACEHOLDER_CONTACT_EMAIL
            self.note(
                "$",
                WARNING,
                f"placeholder: service.contact.email is '{PLACEHOLDER_CONTACT_EMAIL}': give the team's "
                "email address, phone number or both",
            )
        privacy = self.metadata.get("privacyNoticeUrl")
        if not (isinstance(privacy, str) and privacy.startswith("https://")):
            privacy = PLACEHOLDER_PRIVACY_URL
            self.note(
                "$",
                WARNING,
                f"placeholder: service.privacyNoticeUrl is '{PLACEHOLDER_PRIVACY_URL}': give the address "
                "of the form's privacy notice",
            )
        service = {
            "contact": {k: contact[k] for k in ("name", "email", "phone", "url") if k in contact},
            "privacyNoticeUrl": privacy,
            "whatHappensNext": self.what_happens_next(),
        }
        return service

    def what_happens_next(self) -> Any:
        parts: list[str] = []
        welsh: list[str] = []
        for page in self.pages:
            if page.kind == "status":
                for index, component in enumerate(
                    self.as_list(page.source.get("components"), f"{page.path}.components")
                ):
                    path = f"{page.path}.components[{index}]"
                    if not isinstance(component, Mapping):
                        continue
                    if str(component.get("type")) in CONTENT_TYPES - {"List"}:
                        text = self.markdown(
                            component.get("content"), self.component_keys(component, "content"), path
                        )
                        if text is not None:
                            parts.append(self.english(text))
                            if isinstance(text, Mapping) and "cy" in text:
                                welsh.append(text["cy"])
                            self.note(
                                path,
                                INFO,
                                "the confirmation page's content is the form's 'what happens next'",
                            )
                    else:
                        self.note(path, WARNING, "only content is carried over from the confirmation page")
        special = self.data.get("specialPages")
        if isinstance(special, Mapping):
            custom = (special.get("confirmationPage") or {}).get("customText") or {}
            if isinstance(custom, Mapping) and custom.get("nextSteps"):
                path = "$.specialPages.confirmationPage.customText.nextSteps"
                text = self.markdown(custom.get("nextSteps"), [], path)
                if text is not None:
                    parts.append(self.english(text))
                    self.note(path, INFO, "carried over as the form's 'what happens next'")
            others = {k: v for k, v in special.items() if k != "confirmationPage"}
            self.leftovers(others, (), "$.specialPages", "special page")
            if isinstance(custom, Mapping):
                self.leftovers(
                    custom, {"nextSteps"}, "$.specialPages.confirmationPage.customText", "confirmation text"
                )
        guidance = self.metadata.get("submissionGuidance")
        if isinstance(guidance, str) and guidance.strip():
            parts.append(guidance.strip())
            self.note("$.metadata.submissionGuidance", INFO, "carried over as the form's 'what happens next'")
        if not parts:
            self.note(
                "$",
                WARNING,
                "placeholder: service.whatHappensNext: say what happens after users send the form "
                "(the source has no confirmation page content)",
            )
            return PLACEHOLDER_WHAT_HAPPENS_NEXT
        english = "\n\n".join(parts)
        if welsh and len(welsh) == len(parts):
            self.uses_welsh = True
            return {"en": english, "cy": "\n\n".join(welsh)}
        return english

    def start_content(self) -> Any:
        for page in self.pages:
            if page.kind != "start":
                continue
            parts = []
            for index, component in enumerate(
                self.as_list(page.source.get("components"), f"{page.path}.components")
            ):
                path = f"{page.path}.components[{index}]"
                if isinstance(component, Mapping):
                    text = self.markdown(
                        component.get("content"), self.component_keys(component, "content"), path
                    )
                    if text is not None:
                        parts.append(text)
            if parts and all(isinstance(p, str) for p in parts):
                return "\n\n".join(parts)
            if parts:
                return {
                    "en": "\n\n".join(self.english(p) for p in parts),
                    "cy": "\n\n".join(p.get("cy", p["en"]) if isinstance(p, Mapping) else p for p in parts),
                }
        self.note(
            "$",
            WARNING,
            "placeholder: startPage.content: say what the service is for, who can use it and what users "
            "need (Defra's format has no start page content)",
        )
        return PLACEHOLDER_START

    def check_answers(self) -> dict[str, Any]:
        parts: list[Any] = []
        declaration = self.data.get("declaration")
        if not is_empty(declaration):
            text = self.markdown(declaration, ["declaration"], "$.declaration")
            if text is not None:
                parts.append(text)
                self.note("$.declaration", INFO, "the form's declaration is shown on check answers")
        for page in self.pages:
            if page.kind != "summary":
                continue
            for index, component in enumerate(
                self.as_list(page.source.get("components"), f"{page.path}.components")
            ):
                path = f"{page.path}.components[{index}]"
                if not isinstance(component, Mapping):
                    continue
                if component.get("type") == "DeclarationField":
                    text = self.markdown(
                        component.get("content"), self.component_keys(component, "content"), path
                    )
                    if text is not None:
                        parts.append(text)
                        self.note(path, INFO, "the summary page's declaration is shown on check answers")
                else:
                    self.note(path, WARNING, "only a declaration is carried over from the summary page")
        if not parts:
            return {}
        if all(isinstance(p, str) for p in parts):
            return {"declaration": "\n\n".join(parts)}
        return {
            "declaration": {
                "en": "\n\n".join(self.english(p) for p in parts),
                "cy": "\n\n".join(p.get("cy", p["en"]) if isinstance(p, Mapping) else p for p in parts),
            }
        }

    # -- sections and lists -----------------------------------------------------------------------
    def convert_sections(self) -> None:
        ids = UniqueNames()
        for index, section in enumerate(self.as_list(self.data.get("sections"), "$.sections")):
            path = f"$.sections[{index}]"
            if not isinstance(section, Mapping):
                self.note(path, WARNING, "not an object: not carried over")
                continue
            name = str(section.get("name") or section.get("id") or f"section{index + 1}")
            native_id = ids.claim(identifier(name, "section", hyphens=True))
            keys = [f"sections.{k}.title" for k in (section.get("id"), section.get("name")) if k]
            title = self.text(section.get("title"), keys) or name
            for key in (section.get("name"), section.get("id")):
                if key:
                    self.sections[str(key)] = native_id
            self.section_defs.append({"id": native_id, "title": title})
            if section.get("hideTitle") is True:
                self.note(f"{path}.hideTitle", INFO, "the native journey always shows a page's section title")
            self.leftovers(section, {"name", "id", "title", "hideTitle"}, path, "section")

    def convert_lists(self) -> None:
        ids = UniqueNames()
        for index, source in enumerate(self.as_list(self.data.get("lists"), "$.lists")):
            path = f"$.lists[{index}]"
            if not isinstance(source, Mapping):
                self.note(path, WARNING, "not an object: not carried over")
                continue
            name = str(source.get("name") or source.get("id") or f"list{index + 1}")
            native_id = ids.claim(identifier(name, "list", hyphens=True))
            list_keys = [k for k in (source.get("id"), source.get("name")) if k]
            items: list[dict[str, Any]] = []
            info = SourceList(native_id, path, items, {}, {}, {})
            seen: set[str] = set()
            for j, item in enumerate(self.as_list(source.get("items"), f"{path}.items")):
                item_path = f"{path}.items[{j}]"
                if not isinstance(item, Mapping):
                    self.note(item_path, WARNING, "not an object: not carried over")
                    continue
                raw = item.get("value")
                value = str(raw).lower() if isinstance(raw, bool) else ("" if raw is None else str(raw))
                if not value.strip():
                    self.note(item_path, WARNING, "an item without a value is not carried over")
                    continue
                if len(value) > 200:
                    self.note(f"{item_path}.value", WARNING, "value longer than 200 characters: shortened")
                    value = value[:200]
                if value in seen:
                    self.note(
                        f"{item_path}.value",
                        WARNING,
                        f"a second item with the value '{value}': not carried over",
                    )
                    continue
                seen.add(value)
                item_keys = [
                    f"lists.{lk}.items.{ik}"
                    for lk in list_keys
                    for ik in (item.get("id"), value)
                    if ik is not None
                ]
                text = self.plain(item.get("text"), [f"{k}.text" for k in item_keys], f"{item_path}.text")
                if text is None:
                    text = value
                    self.note(
                        f"{item_path}.text", WARNING, f"an item without text: shown as its value '{value}'"
                    )
                native: dict[str, Any] = {"text": text, "value": value}
                hint_source = item.get("hint")
                if isinstance(hint_source, Mapping) and "text" in hint_source:
                    hint_source = hint_source["text"]
                if is_empty(hint_source):
                    hint_source = item.get("description")
                hint = self.plain(hint_source, [f"{k}.hint" for k in item_keys], f"{item_path}.hint")
                if hint is not None:
                    native["hint"] = hint
                if not is_empty(item.get("condition")):
                    self.pending.append((native, str(item["condition"]), f"{item_path}.condition", "item"))
                if not is_empty(item.get("conditional")):
                    self.note(
                        f"{item_path}.conditional",
                        WARNING,
                        "questions revealed by choosing this item are not carried over: ask them on a page "
                        "of their own with a condition on this answer",
                    )
                self.leftovers(
                    item,
                    {"id", "text", "value", "hint", "description", "condition", "conditional"},
                    item_path,
                    "list item",
                )
                items.append(native)
                info.by_source_value[value] = value
                info.by_text[self.english(text).strip().lower()] = value
                if item.get("id") is not None:
                    info.by_item_id[str(item["id"])] = raw
            if not items:
                self.note(path, WARNING, "a list without items is not carried over")
                continue
            native_list: dict[str, Any] = {"id": native_id}
            title = self.text(source.get("title"), [f"lists.{k}.title" for k in list_keys])
            if title is not None:
                native_list["title"] = title
            native_list["items"] = items
            self.list_defs.append(native_list)
            for key in list_keys:
                self.lists[str(key)] = info
            self.leftovers(source, {"id", "name", "title", "type", "items"}, path, "list")

    # -- pages ------------------------------------------------------------------------------------
    def classify_pages(self) -> None:
        for index, source in enumerate(self.data.get("pages") or []):
            path = f"$.pages[{index}]"
            if not isinstance(source, Mapping) or "path" not in source:
                self.note(path, WARNING, "a page without a path is not carried over")
                continue
            controller = str(source.get("controller") or "")
            name = controller.rsplit("/", 1)[-1].removesuffix(".js").lower()
            if "summary" in name:
                kind = "summary"
            elif "status" in name or "confirmation" in name:
                kind = "status"
            elif name in ("startpagecontroller", "start", "homepagecontroller", "home"):
                kind = "start"
            elif "terminal" in name:
                kind = "exit"
            elif "repeat" in name:
                kind = "repeat"
            else:
                kind = "question"
                if name and name not in (
                    "questionpagecontroller",
                    "pagecontroller",
                    "fileuploadpagecontroller",
                ):
                    self.note(
                        f"{path}.controller",
                        WARNING,
                        f"the custom page controller '{controller}' is not carried over: the page is an "
                        "ordinary question page",
                    )
            if kind == "start" and any(
                isinstance(c, Mapping) and str(c.get("type")) not in CONTENT_TYPES
                for c in self.as_list(source.get("components"), f"{path}.components")
            ):
                kind = "question"
            page = SourcePage(index, path, source, normalise_path(source["path"]), kind)
            if any(p.key == page.key for p in self.pages):
                self.note(
                    f"{path}.path",
                    WARNING,
                    f"a second page with the path '{source['path']}': not carried over",
                )
                continue
            self.pages.append(page)
            if kind == "start":
                self.note(path, INFO, "the start page's content is the native start page")
            elif kind == "summary":
                self.note(path, INFO, "the summary page is the native check your answers page")
            elif kind == "status":
                self.note(path, INFO, "the confirmation page is the native confirmation page")

    def convert_page(self, page: SourcePage) -> None:
        source = page.source
        handled = set(PAGE_HANDLED) | {"repeat"}
        if page.kind == "start":
            self.leftovers(source, handled, page.path, "start page")
            return
        slug = slugify(page.key.replace("/", "-"), PATH_MAX - 10) or "page"
        path_slug = self.page_paths.claim(slug, PATH_MAX - 1, sep="-")
        if path_slug != slug:
            self.note(
                f"{page.path}.path", INFO, f"the path '/{slug}' is taken: the page's path is '/{path_slug}'"
            )
        page_id = self.page_ids.claim(identifier(path_slug, "page", hyphens=True), sep="-")
        native: dict[str, Any] = {"id": page_id, "path": f"/{path_slug}"}
        components: list[dict[str, Any]] = []
        if page.kind == "repeat":
            page.repeat = self.repeat_of(page)
        for index, component in enumerate(self.as_list(source.get("components"), f"{page.path}.components")):
            cpath = f"{page.path}.components[{index}]"
            if not isinstance(component, Mapping):
                self.note(cpath, WARNING, "not an object: not carried over")
                continue
            components.extend(self.convert_component(page, component, cpath))
        page.questions = [c["name"] for c in components if c["type"] not in CONTENT_TYPES | {"WarningText"}]
        title = self.text(source.get("title"), self.page_keys(page, "title"))
        if title is None:
            first = next((c.get("title") for c in components if c.get("title")), None)
            title = first or "Information"
            self.note(f"{page.path}.title", WARNING, f"the page has no title: it is '{self.english(title)}'")
        native["title"] = title
        section = self.section_of(source.get("section"), f"{page.path}.section")
        if section is not None:
            native["section"] = section
        if not components:
            components.append(
                {"id": self.names.claim("content"), "type": "Markdown", "name": "", "content": "-"}
            )
            components[-1]["name"] = components[-1]["id"]
            components[-1]["content"] = title if isinstance(title, str) else title["en"]
            self.note(
                page.path, WARNING, "the page has no components: it shows its title until you add content"
            )
        if page.kind == "exit" and page.questions:
            # Defra shows an end page's questions without a way to answer them; a native exit page
            # holds content only.
            self.note(
                page.path,
                WARNING,
                f"the questions of an end page are not carried over: {', '.join(page.questions)}",
            )
            components = [c for c in components if c["name"] not in page.questions] or components[:0]
            page.questions = []
            if not components:
                components.append({"id": self.names.claim("content"), "type": "Markdown"})
                components[-1].update(name=components[-1]["id"], content=self.english(title))
        native["components"] = components
        if page.kind == "exit":
            native["exit"] = True
        page.native = native
        self.leftovers(source, handled, page.path, "page")

    def repeat_of(self, page: SourcePage) -> dict[str, Any] | None:
        repeat = page.source.get("repeat")
        path = f"{page.path}.repeat"
        if not isinstance(repeat, Mapping):
            self.note(page.path, WARNING, "a repeat page without 'repeat' settings: asked once")
            return None
        options = self.as_mapping(repeat.get("options"), f"{path}.options")
        schema = self.as_mapping(repeat.get("schema"), f"{path}.schema")
        name = str(options.get("name") or page.key or "items")
        repeat_id = self.names.claim(identifier(name, "repeat", hyphens=False))
        title = (
            self.text(options.get("title"), [f"pages.{page.source.get('id')}.repeat.options.title"]) or "Item"
        )
        item_name = self.map_text(title, lambda t: t[:1].lower() + t[1:])
        native: dict[str, Any] = {"id": repeat_id, "title": title, "itemName": item_name}
        low, high = schema.get("min"), schema.get("max")
        if isinstance(low, int) and not isinstance(low, bool):
            native["min"] = max(low, 0)
        if isinstance(high, int) and not isinstance(high, bool):
            if high > 500:
                self.note(f"{path}.schema.max", INFO, "the native journey takes at most 500 items")
            native["max"] = min(max(high, 1), 500)
        if native.get("min", 1) > native.get("max", 50):
            self.note(
                f"{path}.schema.min", WARNING, "the minimum is more than the maximum: it is the maximum"
            )
            native["min"] = native.get("max", 50)
        self.leftovers(options, {"name", "title"}, f"{path}.options", "repeat option")
        self.leftovers(schema, {"min", "max"}, f"{path}.schema", "repeat setting")
        self.leftovers(repeat, {"options", "schema"}, path, "repeat setting")
        return native

    # -- conditions -------------------------------------------------------------------------------
    def convert_conditions(self) -> None:
        for index, source in enumerate(self.as_list(self.data.get("conditions"), "$.conditions")):
            if not isinstance(source, Mapping):
                self.note(f"$.conditions[{index}]", WARNING, "not an object: not carried over")
                continue
            for key in (source.get("name"), source.get("id")):
                if key:
                    self.source_conditions.setdefault(str(key), (index, source))
            display = source.get("displayName")
            if display:
                self.source_conditions.setdefault(f"display:{display}", (index, source))
        for index, source in enumerate(self.as_list(self.data.get("conditions"), "$.conditions")):
            if isinstance(source, Mapping):
                self.condition(index, source)

    def condition(self, index: int, source: Mapping[str, Any]) -> str | None:
        """The native id of a source condition, converting it on first use (None if it cannot be)."""
        if index in self.converted:
            return self.converted[index]
        path = f"$.conditions[{index}]"
        if index in self.converting:
            raise Unsupported("conditions refer to each other in a cycle")
        self.converting.add(index)
        context = Context(question=self.field_for, reference=self.reference, list_item=self.list_item)
        display = str(source.get("displayName") or "")
        try:
            if "items" in source:
                condition = convert_v2(source, path, context)
            elif isinstance(source.get("value"), Mapping):
                condition = convert_v1(source["value"], f"{path}.value", context)
            else:
                raise Unsupported("neither a V1 'value' nor V2 'items'")
        except Unsupported as exc:
            self.note(
                path,
                WARNING,
                f"the condition '{display or source.get('name') or source.get('id')}' is not carried "
                f"over: {exc}",
            )
            self.converted[index] = None
            self.converting.discard(index)
            return None
        for note_path, message in context.notes:
            self.note(note_path, INFO, message)
        name = source.get("name") if not self.v2 else None
        base = (
            identifier(str(name), "condition", hyphens=True) if name else camel_case(display) or "condition"
        )
        native_id = self.condition_ids.claim(identifier(base, "condition", hyphens=True))
        entry: dict[str, Any] = {"id": native_id}
        if display:
            entry["description"] = display
        entry["condition"] = condition
        self.named[native_id] = entry
        self.converted[index] = native_id
        self.converting.discard(index)
        self.leftovers(
            source, {"name", "id", "displayName", "value", "items", "coordinator"}, path, "condition setting"
        )
        return native_id

    def reference(self, key: str, path: str) -> str:
        found = self.source_conditions.get(key) or self.source_conditions.get(f"display:{key}")
        if found is None:
            raise Unsupported(f"there is no condition '{key}'")
        native_id = self.condition(*found)
        if native_id is None:
            raise Unsupported(f"the condition '{key}' it refers to could not be carried over")
        return native_id

    def list_item(self, list_id: str, item_id: str) -> Any:
        found = self.lists.get(list_id)
        if found is None or item_id not in found.by_item_id:
            raise Unsupported(f"no item '{item_id}' in list '{list_id}'")
        return found.by_item_id[item_id]

    def field_for(self, reference: str, display: str, path: str) -> FieldInfo:
        """The question a condition compares, by Defra's reference to it (a name, `section.name`, or
        a V2 component id); near misses are matched and reported."""
        by_id = [f for f in self.fields if f.source_id and f.source_id == reference]
        if by_id:
            return by_id[0].info
        exact = [f for f in self.fields if f.source_name == reference]
        if len(exact) > 1:
            self.note(path, WARNING, f"several questions are named '{reference}': the first is used")
        if exact:
            return exact[0].info
        section, _, bare = reference.rpartition(".")
        if section:
            scoped = [f for f in self.fields if f.source_name == bare and f.section == section]
            scoped = scoped or [f for f in self.fields if f.source_name == bare]
            if scoped:
                return scoped[0].info
        title = re.sub(r"\s+in\s+\S+$", "", display).strip().lower() if display else ""
        if title:
            titled = [f for f in self.fields if f.title == title]
            if len(titled) == 1:
                self.note(
                    path,
                    WARNING,
                    f"no question '{reference}': taken to be '{titled[0].source_name}', whose title is "
                    f"'{display}': check it",
                )
                return titled[0].info
        names = [f.source_name for f in self.fields if f.source_name]
        close = difflib.get_close_matches(bare or reference, names, n=1, cutoff=0.6)
        if close:
            self.note(
                path,
                WARNING,
                f"no question '{reference}': taken to be '{close[0]}', the closest name: check it",
            )
            return next(f.info for f in self.fields if f.source_name == close[0])
        raise Unsupported(f"there is no question '{reference}'")

    def resolve_pending(self) -> None:
        for target, key, path, what in self.pending:
            try:
                native_id = self.reference(key, path)
            except Unsupported as exc:
                shown = "always offered" if what == "item" else "always shown"
                self.note(path, WARNING, f"the condition is not carried over ({exc}): the {what} is {shown}")
                continue
            target["condition"] = {"ref": native_id}

    # -- flow and order ---------------------------------------------------------------------------
    def flow(self) -> list[SourcePage]:
        """The pages to keep, in order, each with the condition under which it is on the path."""
        candidates = [p for p in self.pages if p.kind not in ("summary", "status")]
        if self.v2:
            return self.flow_v2(candidates)
        return self.flow_v1(candidates)

    def flow_v2(self, pages: list[SourcePage]) -> list[SourcePage]:
        kept = []
        for page in pages:
            if page.kind == "start":
                continue
            reference = page.source.get("condition")
            if not is_empty(reference):
                try:
                    page.native["condition"] = {
                        "ref": self.reference(str(reference), f"{page.path}.condition")
                    }
                except Unsupported as exc:
                    self.note(
                        f"{page.path}.condition",
                        WARNING,
                        f"the page's condition is not carried over ({exc}): the page is always shown",
                    )
            kept.append(page)
        kept = self.drop_after_exits(kept)
        self.check_order(kept)
        return kept

    def drop_after_exits(self, pages: list[SourcePage]) -> list[SourcePage]:
        for position, page in enumerate(pages):
            if page.kind == "exit" and "condition" not in page.native and position < len(pages) - 1:
                for later in pages[position + 1 :]:
                    self.note(
                        later.path,
                        WARNING,
                        f"never reached: the page '{page.source.get('path')}' before it ends the journey",
                    )
                return pages[: position + 1]
        return pages

    def flow_v1(self, pages: list[SourcePage]) -> list[SourcePage]:
        by_key = {p.key: p for p in self.pages}
        start_key = normalise_path(self.data.get("startPage"))
        if start_key not in by_key or by_key[start_key].is_end:
            first = next((p for p in pages), None)
            if first is None:
                return []
            if start_key:
                self.note(
                    "$.startPage",
                    WARNING,
                    f"no page '{self.data.get('startPage')}': the journey starts at '{first.source['path']}'",
                )
            start_key = first.key
        links: dict[str, list[Link]] = {}
        for page in pages:
            links[page.key] = self.page_links(page, by_key)
        flow = reach_conditions(start_key, [p.key for p in self.pages], links)
        for link in flow.back_links:
            source = by_key[link.source]
            self.note(
                f"{source.path}.next",
                WARNING,
                f"the link back to '{by_key[link.target].source['path'] if link.target else ''}' is not "
                "carried over: the native journey only goes forward (users use the back link or change "
                "their answers)",
            )
        kept = []
        for page in pages:
            formula = flow.reach.get(page.key)
            if formula is None or formula == FALSE:
                if page.kind != "start":
                    self.note(
                        page.path, WARNING, "the page cannot be reached from the start page: not carried over"
                    )
                continue
            if page.kind == "start":
                continue
            if formula != TRUE:
                page.native["condition"] = to_condition(formula)
            kept.append(page)
        position = {p.key: i for i, p in enumerate(self.pages)}
        keys = [p.key for p in kept]
        order_links: list[Link | tuple[str, str]] = list(flow.links)
        order_links += self.dependency_links(kept)
        try:
            ordered = topological_order(keys, order_links, position)
        except ValueError:
            ordered = topological_order(keys, flow.links, position)
        by_kept = {p.key: p for p in kept}
        result = [by_kept[k] for k in ordered]
        self.check_order(result)
        return result

    def page_links(self, page: SourcePage, by_key: Mapping[str, SourcePage]) -> list[Link]:
        source_links = page.source.get("next")
        path = f"{page.path}.next"
        if source_links is not None and not isinstance(source_links, list):
            self.note(path, WARNING, "'next' is not a list: ignored")
            source_links = []
        targets: list[str | None] = []
        conditions: list[Formula | None] = []
        paths: list[str] = []
        for index, link in enumerate(source_links or []):
            link_path = f"{path}[{index}]"
            if not isinstance(link, Mapping):
                self.note(link_path, WARNING, "not an object: ignored")
                continue
            if not is_empty(link.get("redirect")):
                self.note(link_path, WARNING, f"the redirect to {link['redirect']} is not carried over")
            target = by_key.get(normalise_path(link.get("path")))
            if target is None:
                self.note(
                    link_path,
                    WARNING,
                    f"no page '{link.get('path')}': the link is ignored, as Defra's engine does",
                )
                continue
            reference = link.get("condition")
            condition: Formula | None = None
            if not is_empty(reference):
                try:
                    condition = atom({"ref": self.reference(str(reference), f"{link_path}.condition")})
                except Unsupported as exc:
                    self.note(
                        f"{link_path}.condition",
                        WARNING,
                        f"the link is never followed: {exc} (as in Defra's engine)",
                    )
                    condition = FALSE
            targets.append(None if target.is_end else target.key)
            conditions.append(condition)
            paths.append(link_path)
            self.leftovers(link, {"path", "condition", "redirect"}, link_path, "link setting")
        if not targets:
            if page.kind == "start":
                self.note(page.path, WARNING, "the start page links nowhere: no page can be reached")
                return [Link(page.key, None, TRUE)]
            if page.kind == "exit" or not page.questions:
                page.kind = "exit"
                page.native["exit"] = True
                self.note(
                    page.path,
                    INFO,
                    "no links onward: an exit page ('You cannot use this service' style) here",
                )
                return []
            self.note(
                page.path,
                WARNING,
                "no links onward (Defra's engine shows no continue button): the page leads to check answers",
            )
            return [Link(page.key, None, TRUE)]
        taken = link_conditions(conditions)
        for link_path, condition, when in zip(paths, conditions, taken, strict=True):
            if condition is None and when == FALSE:
                self.note(
                    link_path, WARNING, "never followed: a later link without a condition is the default"
                )
        return [Link(page.key, t, w) for t, w in zip(targets, taken, strict=True)]

    def dependency_links(self, pages: list[SourcePage]) -> list[tuple[str, str]]:
        """(earlier, later) pairs: a page asking a question comes before pages whose condition uses it."""
        asked_on = {name: p.key for p in pages for name in p.questions}
        named = {k: v["condition"] for k, v in self.named.items()}
        pairs = []
        for page in pages:
            condition = page.native.get("condition")
            if condition is None:
                continue
            for name in native_conditions.referenced_components(condition, named):
                if name in asked_on and asked_on[name] != page.key:
                    pairs.append((asked_on[name], page.key))
        return pairs

    def check_order(self, pages: list[SourcePage]) -> None:
        """Drop page conditions and content conditions that use answers from the same or later pages
        (the native journey cannot)."""
        named = {k: v["condition"] for k, v in self.named.items()}
        asked_at: dict[str, int] = {}
        for position, page in enumerate(pages):
            for name in page.questions:
                asked_at.setdefault(name, position)
        for position, page in enumerate(pages):
            condition = page.native.get("condition")
            if condition is not None:
                late = [
                    n
                    for n in native_conditions.referenced_components(condition, named)
                    if asked_at.get(n, -1) >= position
                ]
                if late:
                    del page.native["condition"]
                    self.note(
                        f"{page.path}.condition",
                        WARNING,
                        f"the page's condition uses '{late[0]}', asked on this page or a later one: not "
                        "carried over, the page is always shown",
                    )
            for index, component in enumerate(page.native.get("components", [])):
                condition = component.get("condition")
                if condition is None:
                    continue
                late = [
                    n
                    for n in native_conditions.referenced_components(condition, named)
                    if asked_at.get(n, -1) >= position
                ]
                if late:
                    del component["condition"]
                    self.note(
                        f"{page.path}.components",
                        WARNING,
                        f"the condition of '{component['name']}' uses '{late[0]}', asked on this page or a "
                        "later one: not carried over, the content is always shown",
                    )
                    del index

    def convert_repeats(self, pages: list[SourcePage]) -> list[dict[str, Any]]:
        repeats = []
        for page in pages:
            if page.repeat is None:
                continue
            if any(c["type"] == "FileUploadField" for c in page.native["components"]):
                self.note(
                    page.path, WARNING, "a page with a file upload cannot be repeated here: it is asked once"
                )
                continue
            if not page.questions:
                self.note(page.path, WARNING, "a repeat needs a question: the page is asked once")
                continue
            if "condition" in page.native:
                del page.native["condition"]
                self.note(
                    page.path,
                    WARNING,
                    "a repeated page's condition is not carried over: the native journey always asks a "
                    "repeat",
                )
            repeats.append({**page.repeat, "pages": [page.native["id"]]})
            self.note(
                page.path, INFO, f"the repeat page is the native repeat '{page.repeat['id']}' (add another)"
            )
        return repeats

    def prune_conditions(self, definition: dict[str, Any]) -> None:
        """Keep the named conditions the definition can use: each refers to questions it asks
        (outside repeats) and to conditions it keeps."""
        names = {c["name"] for p in definition["pages"] for c in p["components"]}
        repeated = {
            name
            for r in definition.get("repeats", [])
            for p in definition["pages"]
            if p["id"] in r["pages"]
            for name in (c["name"] for c in p["components"])
        }
        kept = dict(self.named)
        changed = True
        while changed:
            changed = False
            for native_id, entry in list(kept.items()):
                problem = None
                for leaf, _ in native_conditions.walk(entry["condition"], "$"):
                    if "component" in leaf and (
                        leaf["component"] not in names or leaf["component"] in repeated
                    ):
                        problem = f"its question '{leaf['component']}' is not in the imported form"
                    elif "ref" in leaf and leaf["ref"] not in kept:
                        problem = f"the condition '{leaf['ref']}' it refers to is not carried over"
                if problem:
                    del kept[native_id]
                    changed = True
                    self.note(
                        "$.conditions", WARNING, f"the condition '{native_id}' is not carried over: {problem}"
                    )
        self.drop_references(definition, set(kept))
        if kept:
            definition["conditions"] = list(kept.values())

    def drop_references(self, definition: dict[str, Any], kept: set[str]) -> None:
        def broken(condition: Mapping[str, Any]) -> bool:
            return any(
                "ref" in leaf and leaf["ref"] not in kept
                for leaf, _ in native_conditions.walk(condition, "$")
            )

        for page in definition["pages"]:
            if "condition" in page and broken(page["condition"]):
                del page["condition"]
                self.note(
                    "$.pages", WARNING, f"the page '{page['path']}' loses its condition: it is always shown"
                )
            for component in page["components"]:
                if "condition" in component and broken(component["condition"]):
                    del component["condition"]
        for lst in definition.get("lists", []):
            for item in lst["items"]:
                if "condition" in item and broken(item["condition"]):
                    del item["condition"]

    # -- report -----------------------------------------------------------------------------------
    def report_translations(self, definition: dict[str, Any]) -> None:
        for key in self.welsh:
            if key not in self.used_translations:
                self.note(
                    "$.metadata.translations.cy",
                    WARNING,
                    f"the Welsh text '{key}' is not carried over: the English text it translates is "
                    "not in the imported form",
                )
        if "cy" in definition["languages"] and not validate_definition_data(definition):
            missing = definition_warnings(definition)
            if missing:
                self.note(
                    "$.metadata.translations.cy",
                    WARNING,
                    f"the form is offered in Welsh and {len(missing)} text(s) have no Welsh translation "
                    "(`forms-engine validate` lists them)",
                )

    def report_email(self, definition: dict[str, Any]) -> None:
        emails = [
            c["name"]
            for p in definition["pages"]
            for c in p["components"]
            if c["type"] == "EmailAddressField"
        ]
        if emails:
            self.note(
                "$",
                INFO,
                f"to send users a confirmation email, set confirmationEmailComponent to '{emails[0]}' "
                "(the question asking for their email address)",
            )


# -- the command -----------------------------------------------------------------------------------


@click.command("defra")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each definition to DIR/<slug>.json (without it, one FILE's definition goes to stdout).",
)
@click.option("--force", is_flag=True, help="Overwrite definitions already in the output folder.")
def defra_command(files: tuple[Path, ...], output_dir: Path | None, force: bool) -> None:
    """Draft native definitions from Defra Forms definitions (engine V1 or V2, JSON or YAML).

    Prints, for each FILE, what needs a designer's eye as `PATH: level: message` (PATH is the JSON
    path in the source): placeholders to fill in and everything not carried over. Exits 1 when a file
    could not be imported at all."""
    if output_dir is None and len(files) > 1:
        raise click.UsageError("give --output-dir to import several files")
    # Without --output-dir the definition is stdout's only content, so the report goes to stderr.
    report_to_stderr = output_dir is None
    failed = False
    written: set[Path] = set()
    for path in files:
        try:
            result = convert_defra(load_defra_file(path), path.name)
            problems = validate_definition_data(result.definition)
        except RecursionError:
            click.echo(f"{path}: error: {TOO_DEEP}", err=True)
            failed = True
            continue
        except DefraImportError as exc:
            click.echo(f"{path}: error: {exc}", err=True)
            failed = True
            continue
        if problems:
            click.echo(
                f"{path}: error: the importer made a definition that is not valid (please report this):",
                err=True,
            )
            for problem in problems:
                click.echo(f"  {problem}", err=True)
            failed = True
            continue
        text = json.dumps(result.definition, indent=2, ensure_ascii=False) + "\n"
        slug = result.definition["slug"]
        if output_dir is None:
            destination = "stdout"
        else:
            target = output_dir / f"{slug}.json"
            if target in written or (target.exists() and not force):
                reason = (
                    "was written by an earlier file"
                    if target in written
                    else "exists: use --force to overwrite it"
                )
                click.echo(f"{path}: error: {target} {reason}", err=True)
                failed = True
                continue
            try:
                output_dir.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            except OSError as exc:
                click.echo(f"{path}: error: cannot write {target}: {exc.strerror or exc}", err=True)
                failed = True
                continue
            written.add(target)
            destination = str(target)
        counts = {level: len(result.findings(level)) for level in (WARNING, INFO)}
        pages = len(result.definition["pages"])
        click.echo(
            f"{path}: imported as '{slug}' ({pages} pages) -> {destination}: "
            f"{counts[WARNING]} warning(s), {counts[INFO]} note(s)",
            err=report_to_stderr,
        )
        for finding in result.report:
            click.echo(str(finding), err=report_to_stderr)
        if output_dir is None:
            sys.stdout.write(text)
    sys.exit(1 if failed else 0)
