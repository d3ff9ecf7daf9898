"""The journey map: which page can follow which, and when, drawn as an SVG without JavaScript.

`journey_graph(definition)` follows the journey core's rules statically: a page is on the path when
its condition holds, an exit page ends the journey, and a repeat is one step whose pages are asked
once per item. `render_svg(graph)` lays it out top to bottom; `routes_text(graph)` lists every
route as text, the map's text alternative.
"""

from __future__ import annotations

import itertools
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import escape

from ..definitions.model import Component, FormDefinition, Page, Repeat

START = "start"
CHECK_ANSWERS = "check-answers"
ALWAYS = "always"

# -- the graph ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """A box on the map: the start, a page, a repeat section, an exit page or check answers."""

    id: str
    #: start | page | exit | repeat | check-answers
    kind: str
    title: str
    #: The page's path under the form (pages only), such as `/land-location`.
    path: str | None = None
    #: For a page asked once per item of a repeat: the repeat's id.
    repeat_id: str | None = None
    #: A line saying what kind of box this is, in words (never shown by colour alone).
    note: str = ""

    @property
    def is_exit(self) -> bool:
        return self.kind == "exit"

    @property
    def name(self) -> str:
        """How routes name this node in text."""
        if self.path:
            return f"{self.title} ({self.path})"
        return self.title


@dataclass(frozen=True, slots=True)
class Edge:
    """A route from one node to one that can follow it, with the condition in plain English."""

    source: str
    target: str
    condition: str = ALWAYS
    #: Goes back up the map: from a repeat's last page to its summary, to add another item.
    loop: bool = False


@dataclass(frozen=True)
class Graph:
    slug: str
    title: str
    version: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    _by_id: dict[str, Node] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {node.id: node for node in self.nodes})

    def node(self, node_id: str) -> Node:
        return self._by_id[node_id]

    def outgoing(self, node_id: str) -> list[Edge]:
        return [edge for edge in self.edges if edge.source == node_id]

    def incoming(self, node_id: str) -> list[Edge]:
        return [edge for edge in self.edges if edge.target == node_id]


# -- conditions in plain English ------------------------------------------------------------------

#: Operator -> (phrase when it holds, phrase when it does not).
_PHRASES: dict[str, tuple[str, str]] = {
    "is": ("is", "is not"),
    "isNot": ("is not", "is"),
    "anyOf": ("is", "is not"),
    "noneOf": ("is not", "is"),
    "contains": ("includes", "does not include"),
    "answered": ("is answered", "is not answered"),
    "notAnswered": ("is not answered", "is answered"),
    "greaterThan": ("is more than", "is not more than"),
    "lessThan": ("is less than", "is not less than"),
    "greaterThanOrEqual": ("is at least", "is less than"),
    "lessThanOrEqual": ("is at most", "is more than"),
    "before": ("is before", "is not before"),
    "after": ("is after", "is not after"),
    "onOrBefore": ("is on or before", "is after"),
    "onOrAfter": ("is on or after", "is before"),
    "lengthIs": ("has a length of exactly", "does not have a length of exactly"),
    "lengthGreaterThan": ("has a length of more than", "does not have a length of more than"),
    "lengthLessThan": ("has a length of less than", "does not have a length of less than"),
}
_UNITS = {"d": "day", "m": "month", "y": "year"}


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """'The applicant is…' -> 'the applicant is…', but 'SBI is…' stays as it is."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _date_text(value: str) -> str:
    if value == "today":
        return "today"
    match = re.fullmatch(r"([+-])(\d+)([dmy])", value)
    if match:
        amount = int(match[2])
        unit = _UNITS[match[3]] + ("" if amount == 1 else "s")
        return f"{amount} {unit} {'after' if match[1] == '+' else 'before'} today"
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return f"'{value}'"
    return f"{day.day} {day:%B %Y}"


class ConditionDescriber:
    """Turns native conditions into text: "'How many birds' is less than 50"."""

    def __init__(self, definition: FormDefinition):
        self.definition = definition
        self.components: dict[str, Component] = {
            component.name: component for page in definition.pages for component in page.components
        }
        self.descriptions: dict[str, str] = {}
        for named in definition.source.get("conditions", []):
            if isinstance(named, Mapping) and isinstance(named.get("description"), str):
                self.descriptions[named["id"]] = named["description"].strip().rstrip(".")

    # Each describer returns (text, is_compound): compound "or" texts get brackets inside "and".
    def describe(self, condition: Mapping[str, Any], negated: bool = False) -> str:
        """The condition as text ('If ' is not included); `negated` describes it not holding."""
        return self._describe(condition, negated)[0]

    def _describe(self, condition: Mapping[str, Any], negated: bool) -> tuple[str, str | None]:
        if "not" in condition:
            return self._describe(condition["not"], not negated)
        for key in ("all", "any"):
            if key in condition:
                # De Morgan: not (a and b) = not a or not b.
                joiner = "and" if (key == "all") != negated else "or"
                parts = [self._describe(inner, negated) for inner in condition[key]]
                if len(parts) == 1:
                    return parts[0]
                texts = [f"({text})" if kind not in (None, joiner) else text for text, kind in parts]
                return f" {joiner} ".join(texts), joiner
        if "ref" in condition:
            name = condition["ref"]
            description = self.descriptions.get(name)
            if description:
                text = _lower_first(description)
                return (f"it is not the case that {text}" if negated else text), None
            named = self.definition.conditions.get(name)
            if named is None:
                return f"condition '{name}' {'does not hold' if negated else 'holds'}", None
            return self._describe(named, negated)
        if "count" in condition:
            repeat = self.definition.repeats.get(condition["count"])
            subject = f"the number of items in '{repeat.title if repeat else condition['count']}'"
            return self._comparison(subject, condition, None, negated), None
        component = self.components.get(str(condition.get("component")))
        label = component.label if component is not None else str(condition.get("component"))
        return self._comparison(f"'{label}'", condition, component, negated), None

    def _comparison(
        self, subject: str, condition: Mapping[str, Any], component: Component | None, negated: bool
    ) -> str:
        op = str(condition.get("op"))
        holds, fails = _PHRASES.get(op, (op, f"not {op}"))
        phrase = fails if negated else holds
        if op in ("answered", "notAnswered"):
            return f"{subject} {phrase}"
        value = condition.get("value")
        if (
            negated
            and op in ("is", "isNot")
            and isinstance(value, bool)
            and component is not None
            and not component.optional
        ):
            # A required yes/no question on the way here has an answer: not "No" is "Yes".
            return f"{subject} {holds} {self._value(not value, component, op)}"
        if op in ("anyOf", "noneOf") and isinstance(value, list):
            values = [self._value(item, component, op) for item in value]
            listed = values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"
            return f"{subject} {phrase} {listed}"
        if op.startswith("length"):
            unit = "item" if component is not None and component.type == "CheckboxesField" else "character"
            return f"{subject} {phrase} {value} {unit}{'' if value == 1 else 's'}"
        return f"{subject} {phrase} {self._value(value, component, op)}"

    def _value(self, value: Any, component: Component | None, op: str) -> str:
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, (int, float)):
            return str(value)
        text = str(value)
        if op in ("before", "after", "onOrBefore", "onOrAfter"):
            return _date_text(text)
        if component is not None and component.list_id:
            item_list = self.definition.lists.get(component.list_id)
            item_text = item_list.text_for(text) if item_list is not None else None
            if item_text is not None:
                return f"'{item_text}'"
        return f"'{text}'"


def describe_condition(condition: Mapping[str, Any], definition: FormDefinition) -> str:
    """A condition in plain English, such as "'How many birds' is less than 50"."""
    return ConditionDescriber(definition).describe(condition)


# -- building the graph ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    """A step of a sequence of pages: its node, the condition putting it on the path, if it ends it."""

    node_id: str
    condition: Mapping[str, Any] | None
    exit: bool


def _page_node(page: Page, repeat: Repeat | None) -> Node:
    if page.exit:
        return Node(
            f"page:{page.id}",
            "exit",
            str(page.title),
            page.path,
            repeat.id if repeat else None,
            "Exit page: the journey ends here",
        )
    note = f"Page, asked for each {repeat.item_name}" if repeat else "Page"
    return Node(f"page:{page.id}", "page", str(page.title), page.path, repeat.id if repeat else None, note)


def _label(lead: str | None, pieces: Sequence[str]) -> str:
    unique = list(dict.fromkeys(pieces))
    joined = " and ".join(f"({p})" if " or " in p and len(unique) > 1 else p for p in unique)
    if lead and joined:
        return f"{lead}, if {joined}"
    if lead:
        return lead
    return f"If {joined}" if joined else ALWAYS


def _conjuncts(condition: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """A condition and, for an `all` group, each of its parts (each holds when it does)."""
    if condition is None:
        return []
    parts = [condition]
    for inner in condition.get("all", ()):
        parts.extend(_conjuncts(inner))
    return parts


def _following(
    entries: Sequence[_Entry], after: int, end: str, describer: ConditionDescriber
) -> list[tuple[str, list[str]]]:
    """The nodes that can come after entry `after` (-1: before the first), each with the pieces of its
    condition: the next page whose condition holds, every page between having been left out.

    What put entry `after` on the path still holds after it: conditions only depend on answers
    from earlier pages, so a later page with the same condition (or a part of it) is on the path too.
    """
    known = _conjuncts(entries[after].condition) if after >= 0 else []
    found: list[tuple[str, list[str]]] = []
    skipped: list[Mapping[str, Any]] = []
    for entry in entries[after + 1 :]:
        left_out = [describer.describe(s, negated=True) for s in skipped]
        if entry.condition is None or entry.condition in known:
            found.append((entry.node_id, left_out))
            return found
        if any(entry.condition == s for s in skipped):
            continue  # known not to hold: an earlier page with the same condition was left out
        found.append((entry.node_id, [describer.describe(entry.condition), *left_out]))
        skipped.append(entry.condition)
    found.append((end, [describer.describe(s, negated=True) for s in skipped]))
    return found


def _edges_from(
    entries: Sequence[_Entry],
    index: int,
    source: str,
    end: str,
    describer: ConditionDescriber,
    lead: str | None = None,
    loop_to: str | None = None,
) -> list[Edge]:
    if index >= 0 and entries[index].exit:
        return []  # an exit page ends the journey
    return [
        Edge(source, target, _label(lead, pieces), loop=target == loop_to)
        for target, pieces in _following(entries, index, end, describer)
    ]


def journey_graph(definition: FormDefinition) -> Graph:
    """The journey as a graph: start, each page, repeat sections, check answers; an edge from each
    node to every node that can follow it, labelled with its condition ('always' if none)."""
    describer = ConditionDescriber(definition)
    repeat_of = {page_id: repeat for repeat in definition.repeats.values() for page_id in repeat.page_ids}
    nodes: list[Node] = [Node(START, "start", f"Start: {definition.title}", note="Start page")]
    edges: list[Edge] = []
    top: list[_Entry] = []
    seen_repeats: set[str] = set()
    for page in definition.pages:
        repeat = repeat_of.get(page.id)
        if repeat is None:
            nodes.append(_page_node(page, None))
            top.append(_Entry(f"page:{page.id}", page.condition, page.exit))
            continue
        if repeat.id in seen_repeats:
            continue
        seen_repeats.add(repeat.id)
        summary = f"repeat:{repeat.id}"
        nodes.append(
            Node(
                summary,
                "repeat",
                str(repeat.title),
                f"/repeat/{repeat.id}",
                repeat.id,
                f"Repeated section: each {repeat.item_name}, {repeat.min_items} to {repeat.max_items}",
            )
        )
        top.append(_Entry(summary, None, False))
        pages = [p for page_id in repeat.page_ids if (p := definition.page_by_id(page_id)) is not None]
        nodes.extend(_page_node(p, repeat) for p in pages)
        items = [_Entry(f"page:{p.id}", p.condition, p.exit) for p in pages]
        edges.extend(_edges_from(items, -1, summary, summary, describer, f"For each {repeat.item_name}"))
        for index, entry in enumerate(items):
            edges.extend(_edges_from(items, index, entry.node_id, summary, describer, loop_to=summary))
    nodes.append(Node(CHECK_ANSWERS, "check-answers", "Check your answers", note="Then send the form"))

    edges.extend(_edges_from(top, -1, START, CHECK_ANSWERS, describer))
    for index, entry in enumerate(top):
        lead = None
        if entry.node_id.startswith("repeat:"):
            repeat = definition.repeats[entry.node_id.removeprefix("repeat:")]
            lead = f"When there is no other {repeat.item_name} to add"
        edges.extend(_edges_from(top, index, entry.node_id, CHECK_ANSWERS, describer, lead))
    order = {node.id: index for index, node in enumerate(nodes)}
    edges.sort(key=lambda e: (order[e.source], e.loop, order[e.target]))
    return Graph(definition.slug, str(definition.title), definition.version, tuple(nodes), tuple(edges))


# -- text alternative -----------------------------------------------------------------------------


def route_rows(graph: Graph) -> list[tuple[str, str, str]]:
    """(from, to, when) for every route, in the map's order."""
    rows = []
    for edge in graph.edges:
        target = graph.node(edge.target)
        to = target.name
        if target.is_exit:
            to += " – exit page, the journey ends"  # noqa: RUF001 - GOV.UK's en dash
        if edge.loop:
            to += " – back to the summary, to add another or go on"  # noqa: RUF001
        rows.append((graph.node(edge.source).name, to, edge.condition))
    return rows


def routes_text(graph: Graph) -> str:
    """Every route as a line of text: `from → to: condition`."""
    lines = [f"Routes through '{graph.title}' ({graph.slug}, version {graph.version[:12]}):"]
    for source, target, condition in route_rows(graph):
        lines.append(f"- {source} → {target}: {condition}")
    exits = [node.name for node in graph.nodes if node.is_exit]
    if exits:
        lines.append(f"Exit pages (the journey ends there): {'; '.join(exits)}")
    return "\n".join(lines) + "\n"


# -- layout ---------------------------------------------------------------------------------------

BOX_WIDTH = 280
COLUMN_GAP = 40
LAYER_GAP = 40
MARGIN = 20
PADDING = 10
LINE = 18
FONT_SIZE = 14
SMALL_FONT = 12
#: Characters per line: a generous average width for 14px GDS Transport or Arial.
CHARS = 30
TITLE_LINES = 3
LABEL_LINES = 4
LOOP_LANE = 18
LOOP_LABEL_WIDTH = 190
LOOP_CHARS = 24
FONT = "'GDS Transport', arial, sans-serif"
INK = "#0b0c0c"
GREY = "#505a5f"
#: Characters XML 1.0 does not allow, whatever a definition holds.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _wrap(text: str, width: int, lines: int) -> tuple[list[str], bool]:
    """Text wrapped to `width` characters, at most `lines` lines; True when some was cut."""
    wrapped = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=True) or [""]
    if len(wrapped) <= lines:
        return wrapped, False
    kept = wrapped[:lines]
    kept[-1] = kept[-1][: width - 1].rstrip() + "…"
    return kept, True


@dataclass
class _Vertex:
    """A thing placed on the grid: a node, a condition's label, or a point an edge passes through."""

    key: str
    kind: str  # node | label | dummy
    height: int
    rank: tuple[int, ...]
    layer: int = 0
    column: int = 0
    preds: list[str] = field(default_factory=list)
    #: Vertices that must be in layers above this one without an edge between them.
    after: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    cut: bool = False


@dataclass
class _Layout:
    vertices: dict[str, _Vertex]
    #: Each forward edge as the chain of vertex keys it passes through.
    chains: list[tuple[Edge, list[str]]]
    loops: list[Edge]
    layer_top: list[int]
    layer_height: list[int]
    columns: int
    #: x where each chain leaves its source and reaches its target, spread along the boxes' edges.
    ports: dict[int, tuple[int, int]] = field(default_factory=dict)

    def x(self, vertex: _Vertex) -> int:
        return MARGIN + vertex.column * (BOX_WIDTH + COLUMN_GAP)

    def top(self, vertex: _Vertex) -> int:
        return self.layer_top[vertex.layer]

    def centre(self, vertex: _Vertex) -> int:
        return self.x(vertex) + BOX_WIDTH // 2


def _node_lines(node: Node) -> tuple[list[str], bool]:
    return _wrap(node.title, CHARS, TITLE_LINES)


def _node_height(node: Node) -> int:
    lines, _ = _node_lines(node)
    extra = 1 + (1 if node.path else 0)  # the note line, and the path line
    return 2 * PADDING + LINE * (len(lines) + extra)


def _layout(graph: Graph) -> _Layout:
    order = {node.id: index for index, node in enumerate(graph.nodes)}
    vertices: dict[str, _Vertex] = {}
    for node in graph.nodes:
        vertices[node.id] = _Vertex(node.id, "node", _node_height(node), (order[node.id],))
    chains: list[tuple[Edge, list[str]]] = []
    loops: list[Edge] = []
    for index, edge in enumerate(graph.edges):
        if edge.loop or order[edge.target] <= order[edge.source]:
            loops.append(edge)
            continue
        chain = [edge.source]
        if edge.condition != ALWAYS:
            key = f"label:{index}"
            lines, cut = _wrap(edge.condition, CHARS, LABEL_LINES)
            exit_last = 1 if graph.node(edge.target).is_exit else 0
            vertices[key] = _Vertex(
                key,
                "label",
                2 * 6 + LINE * len(lines),
                (order[edge.source], exit_last, order[edge.target]),
                preds=[edge.source],
                lines=lines,
                cut=cut,
            )
            chain.append(key)
        chain.append(edge.target)
        vertices[edge.target].preds.append(chain[-2])
        source = graph.node(edge.source)
        if source.kind == "repeat" and graph.node(edge.target).repeat_id != source.repeat_id:
            # Leaving a repeat: below its pages, so the way back up to its summary crosses no box.
            inside = [node.id for node in graph.nodes if node.repeat_id == source.repeat_id]
            vertices[chain[1]].after.extend(key for key in inside if key != edge.source)
        chains.append((edge, chain))

    # Layers: the longest route from the start, in page order (every forward edge goes down).
    for vertex in sorted(vertices.values(), key=lambda v: v.rank):
        if vertex.kind == "node" and not vertex.preds and vertex.key != START:
            # Nothing leads here (a page after an exit page): just below the page before it.
            earlier = [v.layer for v in vertices.values() if v.kind == "node" and v.rank < vertex.rank]
            vertex.layer = max(earlier, default=0) + 1
    pending = sorted(vertices.values(), key=lambda v: (v.rank[0], 0 if v.kind == "node" else 1, v.rank))
    for vertex in pending:
        if vertex.kind == "label":
            vertex.layer = vertices[vertex.preds[0]].layer + 1
    for _ in range(len(vertices)):  # relax until stable (a DAG in page order settles quickly)
        changed = False
        for vertex in pending:
            if vertex.preds or vertex.after:
                layer = max(vertices[p].layer for p in [*vertex.preds, *vertex.after]) + 1
                if layer > vertex.layer:
                    vertex.layer, changed = layer, True
        if not changed:
            break

    # Points an edge passes through in the layers it crosses, so it never crosses a box.
    for number, (edge, chain) in enumerate(chains):
        expanded = [chain[0]]
        for key in chain[1:]:
            previous = vertices[expanded[-1]]
            for layer in range(previous.layer + 1, vertices[key].layer):
                dummy = f"dummy:{number}:{layer}"
                vertices[dummy] = _Vertex(
                    dummy, "dummy", 0, (order[edge.target], order[edge.source]), layer, preds=[expanded[-1]]
                )
                expanded.append(dummy)
            expanded.append(key)
        chain[:] = expanded

    # Columns: each vertex goes under the thing leading to it when that place is free; edges
    # already on their way down keep their column; exit pages branch off to the right.
    layers: dict[int, list[_Vertex]] = {}
    for vertex in vertices.values():
        layers.setdefault(vertex.layer, []).append(vertex)
    columns = 1
    for layer in sorted(layers):
        taken: set[int] = set()

        def wanted(vertex: _Vertex) -> int:
            return min((vertices[p].column for p in vertex.preds), default=0)

        for vertex in sorted(
            layers[layer], key=lambda v: (0 if v.kind == "dummy" else 1, wanted(v), v.rank, v.key)
        ):
            column = wanted(vertex)
            while column in taken:
                column += 1
            vertex.column = column
            taken.add(column)
            columns = max(columns, column + 1)

    count = max(layers) + 1
    heights = [max((v.height for v in layers.get(i, [])), default=0) for i in range(count)]
    tops, y = [], MARGIN
    for height in heights:
        tops.append(y)
        y += height + LAYER_GAP
    layout = _Layout(vertices, chains, loops, tops, heights, columns)
    leaving: dict[str, list[int]] = {}
    arriving: dict[str, list[int]] = {}
    for number, (_, chain) in enumerate(chains):
        leaving.setdefault(chain[0], []).append(number)
        arriving.setdefault(chain[-1], []).append(number)
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    for found, place, step in ((leaving, starts, 1), (arriving, ends, -2)):
        for key, numbers in found.items():
            numbers.sort(key=lambda n: (vertices[chains[n][1][step]].column, n))
            x = layout.x(vertices[key])
            for index, number in enumerate(numbers):
                place[number] = x + BOX_WIDTH * (index + 1) // (len(numbers) + 1)
    layout.ports = {n: (starts[n], ends[n]) for n in range(len(chains))}
    return layout


# -- drawing --------------------------------------------------------------------------------------


def _text(value: str) -> str:
    return str(escape(_NOT_XML.sub("", value)))


def _text_lines(lines: Sequence[str], x: int, y: int, size: int = FONT_SIZE, **attributes: str) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{_text(value)}"' for name, value in attributes.items())
    return "".join(
        f'<text x="{x}" y="{y + index * LINE}" font-size="{size}"{extra}>{_text(line)}</text>'
        for index, line in enumerate(lines)
    )


def _draw_node(node: Node, vertex: _Vertex, layout: _Layout) -> str:
    x, y = layout.x(vertex), layout.top(vertex)
    lines, _ = _node_lines(node)
    styles = {
        "start": ('fill="#ffffff" stroke="#0b0c0c" stroke-width="2"', ""),
        "page": ('fill="#ffffff" stroke="#0b0c0c" stroke-width="1"', ""),
        "repeat": ('fill="#f3f2f1" stroke="#0b0c0c" stroke-width="1" stroke-dasharray="6 3"', ""),
        "check-answers": ('fill="#ffffff" stroke="#0b0c0c" stroke-width="2"', ""),
        "exit": ('fill="#f6d7d2" stroke="#d4351c" stroke-width="3"', ""),
    }
    box, _ = styles.get(node.kind, styles["page"])
    if node.repeat_id and node.kind == "page":
        box = 'fill="#ffffff" stroke="#0b0c0c" stroke-width="1" stroke-dasharray="6 3"'
    parts = [
        f'<g class="map-node map-node--{node.kind}" data-node="{_text(node.id)}">',
        f"<title>{_text(node.name)}{' – exit page' if node.is_exit else ''}</title>",  # noqa: RUF001
        f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{vertex.height}" rx="4" {box}/>',
    ]
    baseline = y + PADDING + 13
    parts.append(
        _text_lines([node.note], x + PADDING, baseline, SMALL_FONT, fill=GREY if not node.is_exit else INK)
    )
    weight = {"font_weight": "bold"}
    parts.append(_text_lines(lines, x + PADDING, baseline + LINE, FONT_SIZE, fill=INK, **weight))
    if node.path:
        path_line, _ = _wrap(node.path, CHARS + 4, 1)
        parts.append(
            _text_lines(path_line, x + PADDING, baseline + LINE * (len(lines) + 1), SMALL_FONT, fill=GREY)
        )
    parts.append("</g>")
    return "".join(parts)


def _draw_label(edge: Edge, vertex: _Vertex, layout: _Layout) -> str:
    x, y = layout.x(vertex), layout.top(vertex)
    return (
        f'<g class="map-label"><title>{_text(edge.condition)}</title>'
        f'<rect x="{x}" y="{y}" width="{BOX_WIDTH}" height="{vertex.height}" rx="10" '
        f'fill="#ffffff" stroke="#b1b4b6" stroke-width="1"/>'
        + _text_lines(vertex.lines, x + PADDING, y + 6 + 13, FONT_SIZE, fill=INK)
        + "</g>"
    )


def _edge_path(number: int, chain: list[str], layout: _Layout) -> str:
    """Straight down out of a box to the bottom of its layer, a curve across the gap to the next
    layer, straight down through a label or an empty place, and so on to the target's top."""
    vertices = layout.vertices
    start, end = layout.ports[number]
    first = vertices[chain[0]]
    x, y = start, layout.top(first) + first.height
    commands = [f"M{x},{y}"]
    for before, key in itertools.pairwise(chain):
        previous = vertices[before]
        bottom = layout.top(previous) + layout.layer_height[previous.layer]
        if bottom > y:
            commands.append(f"L{x},{bottom}")
            y = bottom
        vertex = vertices[key]
        x2 = end if key == chain[-1] else layout.centre(vertex)
        top = layout.top(vertex)
        middle = (y + top) / 2
        commands.append(f"C{x},{middle:g} {x2},{middle:g} {x2},{top}")
        x, y = x2, top + vertex.height
    return " ".join(commands)


def render_svg(graph: Graph, id_prefix: str = "journey-map-") -> str:
    """The map as a standalone SVG document (also fit to inline in HTML): layered top to bottom in
    page order, boxes with page titles, arrows labelled with their conditions, exit pages marked."""
    layout = _layout(graph)
    vertices = layout.vertices
    width = MARGIN * 2 + layout.columns * BOX_WIDTH + (layout.columns - 1) * COLUMN_GAP
    right = width - MARGIN
    if layout.loops:
        width += len(layout.loops) * LOOP_LANE + LOOP_LABEL_WIDTH
    height = layout.layer_top[-1] + layout.layer_height[-1] + MARGIN
    exits = [node.title for node in graph.nodes if node.is_exit]
    description = (
        f"The journey through '{graph.title}' from top to bottom: {len(graph.nodes)} boxes "
        f"(the start, each page, repeated sections and check your answers) and {len(graph.edges)} "
        "routes. An arrow goes from each box to every box that can come next; an arrow with a "
        "label is followed only when its condition holds, one without a label always. "
        + (
            f"Exit pages, which end the journey, are marked 'Exit page': {'; '.join(exits)}. "
            if exits
            else "The form has no exit pages. "
        )
        + "The same routes are listed as text beside the map."
    )
    title_id, desc_id, arrow_id = f"{id_prefix}title", f"{id_prefix}desc", f"{id_prefix}arrow"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="{_text(FONT)}" class="journey-map">',
        f'<title id="{title_id}">Journey map: {_text(graph.title)}</title>',
        f'<desc id="{desc_id}">{_text(description)}</desc>',
        f'<defs><marker id="{arrow_id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" '
        f'markerHeight="10" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{INK}"/>'
        "</marker></defs>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        '<g class="map-edges" fill="none">',
    ]
    marker = f'marker-end="url(#{arrow_id})"'
    for number, (edge, chain) in enumerate(layout.chains):
        out.append(
            f'<path d="{_edge_path(number, chain, layout)}" stroke="{INK}" stroke-width="2" {marker}>'
            f"<title>{_text(graph.node(edge.source).title)} to {_text(graph.node(edge.target).title)}: "
            f"{_text(edge.condition)}</title></path>"
        )
        if edge.condition == ALWAYS:
            first = vertices[chain[0]]
            y = layout.top(first) + layout.layer_height[first.layer] + LAYER_GAP // 2 + 4
            x = layout.ports[number][0]
            out.append(_text_lines([ALWAYS], x + 6, y, SMALL_FONT, fill=GREY, stroke="none"))
    for number, edge in enumerate(layout.loops):
        source, target = vertices[edge.source], vertices[edge.target]
        lane = right + LOOP_LANE * (number + 1)
        y1 = layout.top(source) + source.height // 2
        y2 = layout.top(target) + target.height // 2
        x1, x2 = layout.x(source) + BOX_WIDTH, layout.x(target) + BOX_WIDTH
        out.append(
            f'<path d="M{x1},{y1} L{lane},{y1} L{lane},{y2} L{x2 + 2},{y2}" stroke="{INK}" '
            f'stroke-width="2" stroke-dasharray="8 4" {marker}><title>{_text(graph.node(edge.source).title)}'
            f" back to {_text(graph.node(edge.target).title)}: {_text(edge.condition)}</title></path>"
        )
        back = "Back to the summary" + ("" if edge.condition == ALWAYS else f", {edge.condition}")
        lines, _ = _wrap(back, LOOP_CHARS, 4)
        lane_label_x = right + LOOP_LANE * len(layout.loops) + 8
        out.append(_text_lines(lines, lane_label_x, (y1 + y2) // 2, SMALL_FONT, fill=INK, stroke="none"))
    out.append("</g>")
    out.append('<g class="map-boxes">')
    for edge, chain in layout.chains:
        for key in chain:
            if key.startswith("label:"):
                out.append(_draw_label(edge, vertices[key], layout))
    for node in graph.nodes:
        out.append(_draw_node(node, vertices[node.id], layout))
    out.append("</g></svg>")
    return "".join(out)
