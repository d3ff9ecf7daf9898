"""The journey map: the graph of which page can follow which (and when) for each example form, the
conditions in words, the SVG (well-formed, titled, escaped) and the routes as text, and
`forms-engine map`."""

from __future__ import annotations

import copy
import itertools
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from forms_engine.config import ROOT
from forms_engine.definitions.loader import load_definition, validate_definition_data
from forms_engine.definitions.model import FormDefinition, build_definition
from forms_engine.designer.journey_map import (
    ALWAYS,
    CHECK_ANSWERS,
    START,
    Graph,
    describe_condition,
    journey_graph,
    render_svg,
    routes_text,
)

EXAMPLES = ROOT / "form_definitions"
SVG = "{http://www.w3.org/2000/svg}"
LAND = "register-land-rural-payments"
BADGER = "badger-sett-development-licence"
POULTRY = "register-poultry-fewer-than-50-birds"


def load(slug: str) -> FormDefinition:
    return load_definition(EXAMPLES / f"{slug}.json")


def data_of(slug: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{slug}.json").read_text(encoding="utf-8"))
    return data


def build(data: dict[str, Any]) -> FormDefinition:
    problems = validate_definition_data(data)
    assert not problems, problems
    return build_definition(data)


def edges(graph: Graph) -> dict[tuple[str, str], str]:
    return {(e.source, e.target): e.condition for e in graph.edges}


# -- the graph of each example form ---------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_example_form_has_a_connected_graph(path: Path) -> None:
    definition = load_definition(path)
    graph = journey_graph(definition)
    ids = [node.id for node in graph.nodes]
    assert ids[0] == START and ids[-1] == CHECK_ANSWERS
    assert {f"page:{page.id}" for page in definition.pages} <= set(ids)
    for node in graph.nodes:
        if node.id != START:
            assert graph.incoming(node.id), f"nothing leads to {node.id}"
        if node.is_exit or node.id == CHECK_ANSWERS:
            assert not graph.outgoing(node.id), f"{node.id} should end the journey"
        else:
            assert graph.outgoing(node.id), f"{node.id} leads nowhere"


def test_a_form_without_conditions_is_a_chain_of_always() -> None:
    definition = load(POULTRY)
    graph = journey_graph(definition)
    chain = [START, *(f"page:{page.id}" for page in definition.pages), CHECK_ANSWERS]
    assert [(e.source, e.target, e.condition) for e in graph.edges] == [
        (a, b, ALWAYS) for a, b in itertools.pairwise(chain)
    ]


def test_rle1_exit_page_branches_and_ends_the_journey() -> None:
    graph = journey_graph(load(LAND))
    found = edges(graph)
    assert found[("page:land-location", "page:not-england")] == "If 'Land is in England' is No"
    # A required yes/no question: not "No" is "Yes".
    assert found[("page:land-location", "page:sbi")] == "If 'Land is in England' is Yes"
    exit_node = graph.node("page:not-england")
    assert exit_node.kind == "exit" and exit_node.is_exit
    assert "Exit page" in exit_node.note
    assert graph.outgoing("page:not-england") == []


def test_rle1_named_conditions_are_described_in_words() -> None:
    graph = journey_graph(load(LAND))
    found = edges(graph)
    boundary = "the applicant is changing a boundary rather than registering new land"
    owner_let = "'Holding type' is 'Owner, but the land is let to someone else'"
    assert found[("page:holding-type", "page:control-date")] == (
        f"If the business took on the land itself and {owner_let.replace(' is ', ' is not ', 1)}"
    )
    assert found[("page:control-date", "page:neighbour")] == f"If {boundary}"
    assert found[("page:control-date", "page:more-information")] == (f"If it is not the case that {boundary}")
    # Skipping the control date page: every way its condition can fail, and the next page's own.
    skip = found[("page:holding-type", "page:neighbour")]
    assert skip == (
        f"If {boundary} and (it is not the case that the business took on the land itself or {owner_let})"
    )
    assert ("page:holding-type", "page:more-information") in found
    assert found[("page:neighbour", "page:more-information")] == ALWAYS


def test_a24_repeat_is_a_section_with_a_way_back_to_add_another() -> None:
    graph = journey_graph(load(BADGER))
    found = edges(graph)
    section = graph.node("repeat:setts")
    assert section.kind == "repeat"
    assert "sett" in section.note and "1 to 20" in section.note
    assert found[("page:sett-types", "repeat:setts")] == ALWAYS
    assert found[("repeat:setts", "page:sett-name")] == "For each sett"
    assert found[("page:sett-name", "page:sett-activity")] == ALWAYS
    assert found[("repeat:setts", "page:method")] == "When there is no other sett to add"
    loops = [e for e in graph.edges if e.loop]
    assert [(e.source, e.target) for e in loops] == [("page:sett-entrances", "repeat:setts")]
    for page_id in ("sett-name", "sett-activity", "sett-entrances"):
        assert graph.node(f"page:{page_id}").repeat_id == "setts"


def test_a_conditional_exit_page_and_a_page_after_it() -> None:
    data = data_of(POULTRY)
    data["pages"][8]["condition"] = {"component": "numberOfBirds", "op": "greaterThanOrEqual", "value": 50}
    data["pages"][8]["exit"] = True
    data["pages"][8]["components"] = [{"id": "tooMany", "type": "Html", "name": "tooMany", "content": "No"}]
    definition = build(data)
    graph = journey_graph(definition)
    numbers, exit_id, after = (f"page:{p['id']}" for p in data["pages"][7:10])
    found = edges(graph)
    label = describe_condition(data["pages"][8]["condition"], definition)
    assert found[(numbers, exit_id)] == f"If {label}"
    assert found[(numbers, after)] == "If 'Number of birds' is less than 50"
    assert graph.node(exit_id).is_exit and not graph.outgoing(exit_id)


def test_pages_with_the_same_condition_are_not_both_skipped_twice() -> None:
    data = data_of(LAND)
    condition = {"ref": "isBoundaryChange"}
    data["pages"][18]["condition"] = condition  # more-information, like neighbour before it
    graph = journey_graph(build(data))
    targets = [e.target for e in graph.outgoing("page:neighbour")]
    assert targets == ["page:more-information"]  # on the path together
    from_control = {e.target: e.condition for e in graph.outgoing("page:control-date")}
    assert set(from_control) == {"page:neighbour", "page:declaration"}


# -- conditions in words --------------------------------------------------------------------------

N = "'Number of birds'"
WATER = "'Open water nearby'"
CONDITIONS = [
    ({"component": "numberOfBirds", "op": "lessThan", "value": 50}, f"{N} is less than 50"),
    ({"component": "numberOfBirds", "op": "greaterThanOrEqual", "value": 5}, f"{N} is at least 5"),
    ({"not": {"component": "numberOfBirds", "op": "greaterThan", "value": 9}}, f"{N} is not more than 9"),
    ({"component": "openWaterNearby", "op": "is", "value": True}, f"{WATER} is Yes"),
    ({"not": {"component": "openWaterNearby", "op": "is", "value": True}}, f"{WATER} is No"),
    (
        {"component": "birdTypes", "op": "contains", "value": "chickens"},
        "'Types of bird' includes 'Chickens, including bantams'",
    ),
    (
        {"component": "birdTypes", "op": "anyOf", "value": ["ducks", "geese"]},
        "'Types of bird' is 'Ducks' or 'Geese'",
    ),
    (
        {"component": "housing", "op": "noneOf", "value": ["indoors", "mixed", "free-range"]},
        "'Housing' is not 'Housed indoors all the time', 'A mix of these' or 'Free range'",
    ),
    (
        {"component": "startedKeeping", "op": "before", "value": "-30d"},
        "'Date started keeping birds' is before 30 days before today",
    ),
    (
        {"component": "startedKeeping", "op": "onOrAfter", "value": "+1y"},
        "'Date started keeping birds' is on or after 1 year after today",
    ),
    (
        {"component": "startedKeeping", "op": "after", "value": "2024-01-31"},
        "'Date started keeping birds' is after 31 January 2024",
    ),
    ({"component": "businessName", "op": "answered"}, "'Business or organisation name' is answered"),
    (
        {"component": "keeperName", "op": "lengthGreaterThan", "value": 3},
        "'Your name' has a length of more than 3 characters",
    ),
    (
        {"component": "birdTypes", "op": "lengthIs", "value": 1},
        "'Types of bird' has a length of exactly 1 item",
    ),
    (
        {
            "any": [
                {"component": "openWaterNearby", "op": "is", "value": True},
                {"component": "numberOfBirds", "op": "lessThan", "value": 5},
            ]
        },
        f"{WATER} is Yes or {N} is less than 5",
    ),
    (
        {
            "all": [
                {
                    "any": [
                        {"component": "openWaterNearby", "op": "is", "value": True},
                        {"component": "businessName", "op": "notAnswered"},
                    ]
                },
                {"component": "numberOfBirds", "op": "lessThan", "value": 5},
            ]
        },
        f"({WATER} is Yes or 'Business or organisation name' is not answered) and {N} is less than 5",
    ),
    (
        {
            "not": {
                "all": [
                    {"component": "openWaterNearby", "op": "is", "value": True},
                    {"component": "numberOfBirds", "op": "lessThan", "value": 5},
                ]
            }
        },
        f"{WATER} is No or {N} is not less than 5",
    ),
]


@pytest.mark.parametrize(("condition", "expected"), CONDITIONS)
def test_conditions_read_as_plain_english(condition: dict[str, Any], expected: str) -> None:
    assert describe_condition(condition, load(POULTRY)) == expected


def test_a_reference_without_a_description_and_a_repeat_count_are_spelt_out() -> None:
    data = data_of(BADGER)
    data["conditions"] = [
        {"id": "manySetts", "condition": {"count": "setts", "op": "greaterThan", "value": 2}},
    ]
    definition = build(data)
    assert describe_condition({"ref": "manySetts"}, definition) == (
        "the number of items in 'Setts affected' is more than 2"
    )
    assert describe_condition({"not": {"ref": "manySetts"}}, definition) == (
        "the number of items in 'Setts affected' is not more than 2"
    )


# -- the SVG and the routes as text ----------------------------------------------------------------


def parse_svg(svg: str) -> ET.Element:
    return ET.fromstring(svg)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_the_svg_is_well_formed_with_a_title_and_description(path: Path) -> None:
    definition = load_definition(path)
    graph = journey_graph(definition)
    root = parse_svg(render_svg(graph))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == f"Journey map: {definition.title}"
    assert desc.text and "Exit page" in desc.text if any(p.exit for p in definition.pages) else True
    # One box per node, each with its full title for a tooltip.
    boxes = root.findall(f".//{SVG}g[@data-node]")
    assert [b.get("data-node") for b in boxes] == [n.id for n in graph.nodes]
    for box, node in zip(boxes, graph.nodes, strict=True):
        tooltip = box.find(f"{SVG}title")
        assert tooltip is not None and tooltip.text is not None and node.title in tooltip.text
    # One arrow per route.
    arrows = [p for p in root.iter(f"{SVG}path") if p.get("marker-end")]
    assert len(arrows) == len(graph.edges)


def test_exit_pages_are_marked_in_text_not_only_by_colour() -> None:
    graph = journey_graph(load(LAND))
    root = parse_svg(render_svg(graph))
    box = root.find(f".//{SVG}g[@data-node='page:not-england']")
    assert box is not None
    texts = " ".join(t.text or "" for t in box.iter(f"{SVG}text"))
    assert "Exit page" in texts
    ordinary = root.find(f".//{SVG}g[@data-node='page:sbi']")
    assert ordinary is not None
    assert "Exit page" not in " ".join(t.text or "" for t in ordinary.iter(f"{SVG}text"))


def test_designer_text_stays_text_in_the_svg() -> None:
    data = data_of(LAND)
    data["title"] = "Forms <script>alert('x')</script> & more"
    data["pages"][0]["title"] = "Is the land in <b>England</b>?\u0001"
    data["pages"][2]["title"] = "A very long title " * 12
    graph = journey_graph(build(data))
    svg = render_svg(graph)
    root = parse_svg(svg)
    assert not list(root.iter("script")) and not list(root.iter(f"{SVG}script"))
    assert "<script>" not in svg and "<b>" not in svg
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Journey map: Forms <script>alert('x')</script> & more"
    box = root.find(f".//{SVG}g[@data-node='page:land-location']")
    assert box is not None
    assert "Is the land in <b>England</b>?" in " ".join(t.text or "" for t in box.iter(f"{SVG}text"))
    # A long title is cut short on the box, in full in its <title>.
    long_box = root.find(f".//{SVG}g[@data-node='page:sbi']")
    assert long_box is not None
    shown = [t.text or "" for t in long_box.iter(f"{SVG}text")]
    assert any(line.endswith("…") for line in shown)
    long_title = long_box.find(f"{SVG}title")
    assert (
        long_title is not None and long_title.text and long_title.text.startswith("A very long title " * 12)
    )


def test_the_routes_text_lists_every_edge() -> None:
    for path in sorted(EXAMPLES.glob("*.json")):
        graph = journey_graph(load_definition(path))
        text = routes_text(graph)
        lines = [line for line in text.splitlines() if line.startswith("- ")]
        assert len(lines) == len(graph.edges)
        for line, edge in zip(lines, graph.edges, strict=True):
            assert line.startswith(f"- {graph.node(edge.source).name} → {graph.node(edge.target).name}")
            assert line.endswith(f": {edge.condition}")
    land = routes_text(journey_graph(load(LAND)))
    assert "Exit pages (the journey ends there): You cannot use this service" in land


def test_a_graph_is_the_same_for_a_copy_of_the_definition() -> None:
    data = data_of(LAND)
    assert journey_graph(build(copy.deepcopy(data))) == journey_graph(build(data))


# -- forms-engine map ------------------------------------------------------------------------------


def test_map_writes_an_svg_file_for_a_slug(app: Flask, tmp_path: Path) -> None:
    output = tmp_path / "land.svg"
    result = app.test_cli_runner().invoke(args=["map", LAND, "--output", str(output)])
    assert result.exit_code == 0, result.output
    root = parse_svg(output.read_text(encoding="utf-8"))
    assert root.get("role") == "img"
    assert str(output) in result.output


def test_map_prints_the_routes_as_text_for_a_definition_file(app: Flask) -> None:
    path = EXAMPLES / f"{BADGER}.json"
    result = app.test_cli_runner().invoke(args=["map", str(path), "--text"])
    assert result.exit_code == 0, result.output
    assert result.output == routes_text(journey_graph(load(BADGER)))


def test_map_prints_the_svg_when_no_file_is_given(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["map", POULTRY])
    assert result.exit_code == 0
    assert parse_svg(result.output).get("role") == "img"


def test_map_fails_usefully_for_unknown_forms_and_broken_files(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["map", "no-such-form"])
    assert unknown.exit_code == 1
    assert "no form 'no-such-form'" in unknown.output
    broken = tmp_path / "broken.json"
    data = data_of(POULTRY)
    del data["pages"]
    broken.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(args=["map", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}: $: 'pages' is a required property" in result.output
