"""Text helpers for the Defra Forms importer: names, ids, slugs and paths the native schema accepts;
HTML turned into Markdown or plain text; headings moved under the page's own h1; and an example answer
for a validation pattern (the native format needs one beside every regex)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

NAME_MAX = 64
PATH_MAX = 100
SLUG_MAX = 80


def words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", text)


def camel_case(text: str) -> str:
    """'is Bob AND over 18' -> 'isBobANDOver18'; a single word keeps its own capitals."""
    parts = words(text)
    if not parts:
        return ""
    first, rest = parts[0], parts[1:]
    return first[:1].lower() + first[1:] + "".join(p[:1].upper() + p[1:] for p in rest)


def identifier(text: str, fallback: str, hyphens: bool) -> str:
    """Text made into a native id (letters, digits, `_`, and `-` when `hyphens`) or answer name,
    starting with a letter and at most 64 characters."""
    pattern = r"[^A-Za-z0-9_-]+" if hyphens else r"[^A-Za-z0-9_]+"
    cleaned = re.sub(pattern, "_", text.strip()).strip("_-")
    if not cleaned or not cleaned[0].isalpha():
        cleaned = f"{fallback}{cleaned[:1].upper()}{cleaned[1:]}" if cleaned else fallback
    return cleaned[:NAME_MAX]


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """'Register as a Unicorn breeder!' -> 'register-as-a-unicorn-breeder'."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_length].rstrip("-")


class UniqueNames:
    """Hands out names not used before: 'address', then 'address2', 'address3'..."""

    def __init__(self, taken: Iterable[str] = ()):
        self.taken = set(taken)

    def claim(self, base: str, limit: int = NAME_MAX, sep: str = "") -> str:
        candidate = base[:limit]
        number = 2
        while candidate in self.taken:
            suffix = f"{sep}{number}"
            candidate = base[: limit - len(suffix)] + suffix
            number += 1
        self.taken.add(candidate)
        return candidate

    def __contains__(self, name: object) -> bool:
        return name in self.taken


TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def looks_like_html(text: str) -> bool:
    return bool(TAG.search(text))


class _MarkdownWriter(HTMLParser):
    """Turns the small HTML designers write (paragraphs, headings, lists, links, emphasis) into
    Markdown; anything else keeps its text."""

    BLOCKS = frozenset({"p", "div", "section", "article", "table", "tr", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.lists: list[list[Any]] = []  # [tag, counter] per open list
        self.links: list[str] = []
        self.prefix = ""

    def _flush(self) -> None:
        text = re.sub(r"[ \t\r\n]+", " ", "".join(self.current)).strip()
        if text:
            self.blocks.append(self.prefix + text)
        self.current = []
        self.prefix = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self._flush()
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self.prefix = "#" * int(tag[1]) + " "
        elif tag in ("ul", "ol"):
            self._flush()
            self.lists.append([tag, 0])
        elif tag == "li":
            self._flush()
            if self.lists:
                self.lists[-1][1] += 1
                kind, count = self.lists[-1]
                marker = f"{count}." if kind == "ol" else "-"
            else:
                marker = "-"
            self.prefix = "  " * max(len(self.lists) - 1, 0) + marker + " "
        elif tag == "br":
            self.current.append("  \n")
        elif tag in ("strong", "b"):
            self.current.append("**")
        elif tag in ("em", "i"):
            self.current.append("_")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href)
            if href:
                self.current.append("[")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS or re.fullmatch(r"h[1-6]", tag) or tag == "li":
            self._flush()
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
        elif tag in ("strong", "b"):
            self.current.append("**")
        elif tag in ("em", "i"):
            self.current.append("_")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self.current.append(f"]({href})")

    def handle_data(self, data: str) -> None:
        self.current.append(data)

    def markdown(self) -> str:
        self._flush()
        # List items of one list stay together; other blocks are paragraphs.
        out: list[str] = []
        for block in self.blocks:
            is_item = bool(re.match(r"\s*(-|\d+\.) ", block))
            if out and not (is_item and re.match(r"\s*(-|\d+\.) ", out[-1].rsplit("\n", 1)[-1])):
                out.append("")
            out.append(block)
        return "\n".join(out).strip()


def html_to_markdown(html: str) -> str:
    """Designer HTML as Markdown, keeping paragraphs, headings, lists, links and emphasis."""
    writer = _MarkdownWriter()
    writer.feed(html)
    writer.close()
    return writer.markdown()


def plain_text(html: str) -> str:
    """The text of some HTML, with its white space collapsed."""

    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.parts.append(" ")

    parser = _Text()
    parser.feed(html)
    parser.close()
    return re.sub(r"\s+", " ", "".join(parser.parts)).strip()


MARKDOWN_HEADING = re.compile(r"^(#{1,6})(?=\s)", re.MULTILINE)
HTML_HEADING = re.compile(r"<(/?)\s*h([1-6])\b", re.IGNORECASE)


def demote_markdown_headings(text: str) -> tuple[str, bool]:
    """Move every ATX heading down a level when the text has a level-1 heading: the page's own
    title is its only h1. Returns the text and whether it changed."""
    if not re.search(r"^#(?=\s)", text, re.MULTILINE):
        return text, False
    return MARKDOWN_HEADING.sub(lambda m: "#" * min(len(m[1]) + 1, 6), text), True


def demote_html_headings(html: str) -> tuple[str, bool]:
    """As demote_markdown_headings, for <h1>...<h6> tags."""
    if not re.search(r"<\s*h1\b", html, re.IGNORECASE):
        return html, False
    return HTML_HEADING.sub(lambda m: f"<{m[1]}h{min(int(m[2]) + 1, 6)}", html), True


# -- an example answer for a pattern ---------------------------------------------------------------

_CATEGORY_EXAMPLES = {
    "CATEGORY_DIGIT": "1",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "-",
}
_CANDIDATES = "a1A -_.x0"


def example_for_pattern(pattern: str) -> str | None:
    """A short string the whole of which matches `pattern` (Python syntax), or None when none is
    found. Walks the pattern's parse tree choosing the first option everywhere."""
    try:
        parser = importlib.import_module("re._parser")
        tree = parser.parse(pattern)
    except Exception:
        return None
    groups: dict[int, str] = {}

    def one_char(items: list[Any]) -> str | None:
        negate = any(str(op) == "NEGATE" for op, _ in items)
        options: list[str] = []
        for op, value in items:
            name = str(op)
            if name == "LITERAL":
                options.append(chr(value))
            elif name == "RANGE":
                options.append(chr(value[0]))
            elif name == "CATEGORY":
                options.append(_CATEGORY_EXAMPLES.get(str(value), "a"))
        if not negate:
            return options[0] if options else None
        klass = re.compile(f"[{_char_class(items)}]")
        for candidate in _CANDIDATES:
            if not klass.match(candidate):
                return candidate
        return None

    def build(items: Any) -> str | None:
        out = []
        for op, value in items:
            part = build_one(str(op), value)
            if part is None:
                return None
            out.append(part)
        return "".join(out)

    def build_one(name: str, value: Any) -> str | None:
        if name == "LITERAL":
            return str(chr(value))
        if name == "NOT_LITERAL":
            return "a" if chr(value) != "a" else "b"
        if name == "ANY":
            return "a"
        if name == "IN":
            return one_char(value)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, inner = value
            part = build(inner)
            return None if part is None else part * low
        if name == "SUBPATTERN":
            group, _add, _del, inner = value
            part = build(inner)
            if part is not None and group is not None:
                groups[group] = part
            return part
        if name == "BRANCH":
            _, alternatives = value
            for alternative in alternatives:
                part = build(alternative)
                if part is not None:
                    return part
            return None
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            return ""
        if name == "GROUPREF":
            return groups.get(value, "")
        if name == "ATOMIC_GROUP":
            return build(value)
        return None

    try:
        example = build(tree)
    except Exception:
        return None
    if example is None:
        return None
    try:
        return example if re.fullmatch(pattern, example) else None
    except re.error:
        return None


def _char_class(items: list[Any]) -> str:
    """The inside of a [...] class rebuilt from its parsed items, without the negation."""
    out = []
    for op, value in items:
        name = str(op)
        if name == "LITERAL":
            out.append(re.escape(chr(value)))
        elif name == "RANGE":
            out.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
        elif name == "CATEGORY":
            out.append(
                {
                    "CATEGORY_DIGIT": r"\d",
                    "CATEGORY_NOT_DIGIT": r"\D",
                    "CATEGORY_SPACE": r"\s",
                    "CATEGORY_NOT_SPACE": r"\S",
                    "CATEGORY_WORD": r"\w",
                    "CATEGORY_NOT_WORD": r"\W",
                }.get(str(value), "")
            )
    return "".join(out)
